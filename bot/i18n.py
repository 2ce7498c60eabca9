"""UI strings (gettext catalogs in bot/locale) and locale data (Babel).

One way to write a UI string: `t.gettext("Welcome, {name}!").format(name=...)` — never format
inside the call; `t.ngettext` for counts. Editorial content is not here: it lives in content/.
"""

from __future__ import annotations

import gettext
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import cache
from pathlib import Path
from typing import Literal

from babel import Locale
from babel.dates import format_date, format_skeleton, format_time, get_day_names

from bot.content.model import LANGUAGES, PartialDate

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"

# Unicode isolates keep Latin text, numbers and phone numbers readable inside Arabic and Farsi.
LEFT_TO_RIGHT_ISOLATE = "\u2066"
FIRST_STRONG_ISOLATE = "\u2068"
POP_DIRECTIONAL_ISOLATE = "\u2069"
RIGHT_TO_LEFT_MARK = "\u200f"


def N_(message: str) -> str:
    """Marks a string for extraction where it is translated later (e.g. in a table)."""
    return message


def normalize_language(tag: str | None) -> str | None:
    """Our language code for a BCP 47 tag such as 'uk-UA' or 'pt-BR' (None when we have none)."""
    if not tag:
        return None
    # Dari (prs) is covered by our Farsi texts; Kurdish without a script means Kurmanji here.
    primary = tag.replace("_", "-").split("-")[0].lower()
    language = {"prs": "fa", "kmr": "ku"}.get(primary, primary)
    return language if language in LANGUAGES else None


@cache
def _catalog(language: str) -> gettext.NullTranslations:
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[language], fallback=True)


@cache
def _locale(language: str) -> Locale:
    # Parsing looks the locale's data up every time; a reply asks for it many times (every number,
    # address and date in RTL text).
    return Locale.parse(language)


@dataclass(frozen=True)
class Texts:
    """The UI strings and locale formatting for one language."""

    language: str

    @property
    def locale(self) -> Locale:
        return _locale(self.language)

    @property
    def rtl(self) -> bool:
        return bool(self.locale.text_direction == "rtl")

    def gettext(self, message: str) -> str:
        return _catalog(self.language).gettext(message)

    def ngettext(self, singular: str, plural: str, count: int) -> str:
        return _catalog(self.language).ngettext(singular, plural, count)

    def ltr(self, text: str) -> str:
        """Keep an embedded left-to-right run (number, address, URL) intact in RTL text."""
        return f"{LEFT_TO_RIGHT_ISOLATE}{text}{POP_DIRECTIONAL_ISOLATE}" if self.rtl else text

    def isolate(self, text: str) -> str:
        """Keep a run whose direction comes from its own first letter intact in RTL text: a time or
        date in Arabic ("8:00 ص–10:00 ص", "الثلاثاء 8:00 ص") reads right to left, one with
        digits only ("8:00–14:00") left to right. Forcing left to right (`ltr`) jumbled the former."""
        return f"{FIRST_STRONG_ISOLATE}{text}{POP_DIRECTIONAL_ISOLATE}" if self.rtl else text

    def date(self, value: date) -> str:
        return str(format_date(value, format="long", locale=self.locale))

    def partial_date(self, value: PartialDate) -> str:
        if value.day:
            return self.date(value.as_date())
        if value.month:
            return str(format_skeleton("yMMMM", value.as_date(), locale=self.locale))
        return str(value.year)

    def time(self, value: time) -> str:
        return str(format_time(value, format="short", locale=self.locale))

    def weekday(self, index: int, width: Literal["abbreviated", "wide"] = "wide") -> str:
        return str(get_day_names(width, context="format", locale=self.locale)[index])

    def moment(self, value: datetime) -> str:
        return f"{self.weekday(value.weekday())} {self.time(value.time())}"

    def native_name(self) -> str:
        return str(self.locale.get_display_name(self.language))


def texts(language: str) -> Texts:
    return Texts(language if language in LANGUAGES else "en")
