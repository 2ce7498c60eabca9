"""The web chat page's own strings (labels, the typing notice), in every language through gettext.

The page carries them for all languages (a few kilobytes), so it switches its labels the moment the
person chooses a language, without another request.
"""

from __future__ import annotations

from bot.content.model import LANGUAGES
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
}


def page_strings(language: str) -> dict[str, str]:
    """The strings in `language`, and its direction ("dir": "rtl" or "ltr") for <html dir>."""
    t = texts(language)
    return {key: t.gettext(message) for key, message in STRINGS.items()} | {"dir": "rtl" if t.rtl else "ltr"}


def all_page_strings() -> dict[str, dict[str, str]]:
    return {language: page_strings(language) for language in LANGUAGES}


def page_language(accept_language: str | None) -> str:
    """The page's first language, before the person chooses: the browser's, if we have it."""
    return normalize_language(accept_language) or DEFAULT_LANGUAGE
