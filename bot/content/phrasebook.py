"""The staff phrasebook: a phrase with its slots filled, in one language.

`render_phrase` is the one place a phrase becomes text for a language; machine translation, when it
comes, plugs in here (a language the file has no text for), and nothing else needs to change.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from html import escape

from bot.content.model import FALLBACK_CHAIN, SOURCE_LANGUAGE, ContentBase, Phrase, Place
from bot.content.render import render_place
from bot.i18n import RIGHT_TO_LEFT_MARK, texts
from bot.office_hours import WEEKDAYS

TEXT_SLOT_LIMIT = 80  # characters staff may type into a text slot: a name, a room, a number

SlotValue = date | time | int | Place | str  # int: a weekday, 0 = Monday


class SlotError(ValueError):
    """A slot value staff typed that cannot be used; the message (German) is shown in the console."""


def parse_slots(content: ContentBase, phrase: Phrase, typed: Mapping[str, str]) -> dict[str, SlotValue]:
    """The phrase's slot values from what staff typed (form fields by slot name), each checked."""
    values: dict[str, SlotValue] = {}
    for name, kind in phrase.slots.items():
        raw = (typed.get(name) or "").strip()
        if not raw:
            raise SlotError(f"Bitte „{name}“ ausfüllen.")
        try:
            if kind == "date":
                values[name] = date.fromisoformat(raw)
            elif kind == "time":
                values[name] = time.fromisoformat(raw).replace(second=0, microsecond=0)
            elif kind == "weekday":
                values[name] = WEEKDAYS.index(raw)
            elif kind == "place":
                values[name] = content.places[raw]
            else:
                values[name] = _free_text(name, raw)
        except (ValueError, KeyError):
            raise SlotError(f"„{name}“ ist kein gültiger Wert ({_EXPECTED[kind]}).") from None
    return values


_EXPECTED = {
    "date": "ein Datum",
    "time": "eine Uhrzeit wie 09:30",
    "weekday": "ein Wochentag",
    "place": "eine Stelle aus der Liste",
    "text": f"höchstens {TEXT_SLOT_LIMIT} Zeichen in einer Zeile",
}


def _free_text(name: str, raw: str) -> str:
    if len(raw) > TEXT_SLOT_LIMIT or not raw.isprintable():
        raise SlotError(f"„{name}“: höchstens {TEXT_SLOT_LIMIT} Zeichen in einer Zeile.")
    return raw


@dataclass(frozen=True)
class RenderedPhrase:
    language: str  # the language of `text`: the one asked for, or the fallback used
    text: str  # Telegram's HTML subset: the sentence, then the card of each place it names


def phrase_language(phrase: Phrase, language: str) -> str:
    """The language the phrase is sent in: the user's if the file has it, else English, else German."""
    for candidate in (language, *FALLBACK_CHAIN):
        if candidate in phrase.translations:
            return candidate
    return SOURCE_LANGUAGE


def render_phrase(
    content: ContentBase, phrase: Phrase, language: str, values: Mapping[str, SlotValue], now: datetime
) -> RenderedPhrase:
    """The phrase in `language` (or its fallback), slots filled in that language's formats."""
    used = phrase_language(phrase, language)
    t = texts(used)
    shown: dict[str, str] = {}
    places: dict[str, Place] = {}  # by id: a place named twice gets one card
    for name, value in values.items():
        if isinstance(value, Place):
            shown[name] = f"<b>{t.isolate(escape(value.name))}</b>"
            places[value.id] = value
        elif isinstance(value, date):
            shown[name] = t.isolate(t.date(value))
        elif isinstance(value, time):
            shown[name] = t.isolate(t.time(value))
        elif isinstance(value, int):
            shown[name] = t.weekday(value)
        else:
            shown[name] = t.isolate(escape(value))
    sentence = escape(phrase.translations[used].text, quote=False).format_map(shown)
    cards = [render_place(t, place, now) for place in places.values()]
    text = "\n\n".join([sentence, *cards])
    if t.rtl:  # as in an answer card: a line that starts with a Latin name stays right to left
        text = "\n".join(RIGHT_TO_LEFT_MARK + line for line in text.split("\n"))
    return RenderedPhrase(used, text)
