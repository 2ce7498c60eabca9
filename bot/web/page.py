"""The web chat page's own strings (labels, the typing notice, the menu), in every language through gettext.

The page carries them for all languages (a few kilobytes), so it switches its labels the moment the
person chooses a language, without another request.
"""

from __future__ import annotations

from bot.content.model import LANGUAGES
from bot.conversation.replies import command_menu
from bot.i18n import N_, normalize_language, texts

DEFAULT_LANGUAGE = "de"

STRINGS = {
    # Translators: the label of the web chat's text box (read out by screen readers)
    "message": N_("Your message"),
    # Translators: the web chat's send button (read out by screen readers)
    "send": N_("Send"),
    # Translators: shown in the web chat while the bot works on an answer
    "typing": N_("Wegweiser is writing …"),
    # Translators: the web chat could not reach the server
    "offline": N_("No connection – please send again."),
    # Translators: the web chat's button that opens the list of commands (language, place, …)
    "menu": N_("Menu"),
    # Translators: the web chat, reloaded while the person's request waits for the team
    "case_open": N_("Your request is with our team. Their answer will appear here."),
}
# Translators: shown, in all eight languages at once, when the browser runs no JavaScript
NO_JAVASCRIPT = N_(
    "This chat needs JavaScript, which is switched off in this browser. In an emergency call 112 "
    "(ambulance, fire brigade) or 110 (police) – free, day and night. For other questions, ask at "
    "your town hall."
)
# The web chat's menu: the slash commands a person needs without knowing them (labels: COMMANDS).
MENU_COMMANDS = ("menu", "language", "place", "human", "privacy", "delete", "help")


def page_strings(language: str) -> dict[str, str]:
    """The strings in `language`, and its direction ("dir": "rtl" or "ltr") for <html dir>."""
    t = texts(language)
    strings = {key: t.gettext(message) for key, message in STRINGS.items()}
    labels = dict(command_menu(language))
    menu = {command: labels[command.removeprefix("/")] for command in menu_commands()}
    return strings | menu | {"dir": "rtl" if t.rtl else "ltr"}


def menu_commands() -> list[str]:
    """The menu's commands as sent ("/language"), in menu order."""
    return [f"/{command}" for command in MENU_COMMANDS]


def all_page_strings() -> dict[str, dict[str, str]]:
    return {language: page_strings(language) for language in LANGUAGES}


def page_language(accept_language: str | None) -> str:
    """The page's first language, before the person chooses: the browser's, if we have it."""
    return normalize_language(accept_language) or DEFAULT_LANGUAGE


def without_javascript(first: str) -> list[dict[str, str]]:
    """What the page says, in every language (`first` first), to a browser that runs no script."""
    languages = [first, *(language for language in LANGUAGES if language != first)]
    return [
        {
            "language": language,
            "dir": "rtl" if texts(language).rtl else "ltr",
            "text": texts(language).gettext(NO_JAVASCRIPT),
        }
        for language in languages
    ]
