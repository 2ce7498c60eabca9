"""Machine translation for staff, as a plug-in: a LibreTranslate server the municipality runs itself.

Off unless TRANSLATE_URL is set; then `Translator` (client.py) is built once with the other services.
Nothing here knows about the console, Telegram or the database.
"""
