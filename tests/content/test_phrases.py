"""The staff phrasebook (content/phrases/): what `content check` says about an editor's mistake, what
`content status` says about translations, and how a filled-in phrase reads in a user's language."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import date, datetime, time
from pathlib import Path

import pytest

from bot.content.loader import PHRASE_LIMIT, check, load
from bot.content.model import LANGUAGES
from bot.content.phrasebook import SlotError, parse_slots, render_phrase
from bot.conversation.messages import plain_text
from bot.i18n import RIGHT_TO_LEFT_MARK
from bot.settings import PROJECT_ROOT

TODAY = date(2026, 11, 21)
MONDAY_MORNING = datetime(2026, 11, 23, 9, 0)

PHRASES = """\
title: Termine
phrases:
  - id: appointment_at
    version: 2
    slots: {date: date, time: time, place: place}
    translations:
      de: {source_version: 2, text: "Ihr Termin ist am {date} um {time}. Ort: {place}"}
      en: {source_version: 2, machine: true, text: "Your appointment is on {date} at {time}. Place: {place}"}
      fa: {source_version: 1, machine: true, text: "وقت ملاقات شما {date} ساعت {time} است. محل: {place}"}
      ar: {source_version: 2, text: "موعدك في {date} الساعة {time}. المكان: {place}"}
  - id: hello_name
    version: 1
    slots: {name: text}
    translations:
      de: {source_version: 1, text: "Guten Tag, ich heiße {name}."}
      fa: {source_version: 1, machine: true, text: "سلام، نام من {name} است."}
  - id: call_you_on
    version: 1
    slots: {weekday: weekday}
    translations:
      de: {source_version: 1, text: "Wir rufen Sie am {weekday} an."}
      uk: {source_version: 1, machine: true, text: "Ми Вам зателефонуємо. День: {weekday}."}
"""


@pytest.fixture
def phrase_file(content_dir: Path) -> Path:
    (content_dir / "phrases").mkdir()
    path = content_dir / "phrases" / "appointments.yaml"
    path.write_text(PHRASES, "utf-8")
    return path


def problems(directory: Path) -> list[str]:
    return [str(p) for p in check(directory, today=TODAY)[1]]


def replace_in(path: Path, old: str, new: str) -> int:
    text = path.read_text("utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), "utf-8")
    return text[: text.index(old)].count("\n") + 1


def test_a_content_folder_without_phrases_is_valid(content_dir: Path) -> None:
    assert load(content_dir).phrases == {}


def test_phrases_are_read_with_their_slots_group_and_states(phrase_file: Path) -> None:
    content = load(phrase_file.parent.parent)
    phrase = content.phrases["appointment_at"]
    assert (phrase.group, phrase.group_title, phrase.version) == ("appointments", "Termine", 2)
    assert dict(phrase.slots) == {"date": "date", "time": "time", "place": "place"}
    assert phrase.german == "Ihr Termin ist am {date} um {time}. Ort: {place}"
    states = {language: phrase.translation_state(language) for language in ("de", "en", "fa", "ar", "ku")}
    assert states == {
        "de": "up to date",
        "en": "machine-made",
        "fa": "outdated",
        "ar": "up to date",
        "ku": "missing",
    }


def test_missing_and_outdated_translations_are_warnings_at_their_line(phrase_file: Path) -> None:
    found = problems(phrase_file.parent.parent)
    assert found == [
        "content/phrases/appointments.yaml:6: warning: not yet translated into uk, ru, tr, ku",
        "content/phrases/appointments.yaml:9: warning: fa: translation is outdated "
        "(made from version 1, German is version 2)",
        "content/phrases/appointments.yaml:14: warning: not yet translated into en, uk, ru, ar, tr, ku",
        "content/phrases/appointments.yaml:20: warning: not yet translated into en, ru, ar, tr, fa, ku",
    ]


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            'en: {source_version: 2, machine: true, text: "Your appointment is on {date} at {time}.',
            'en: {source_version: 2, machine: true, text: "Your appointment is on {date}.',
            "en: slot {time} is missing from the text",
        ),
        ("ich heiße {name}.", "ich heiße {nam}.", "de: placeholder {nam} is not a declared slot"),
        ("ich heiße {name}.", "ich heiße {name!r}.", "de: '{name}' is no placeholder"),
        ("ich heiße {name}.", "ich heiße {name} {.", "de: braces: write {slot_name}, or a brace twice"),
        ("slots: {name: text}", "slots: {name: colour}", "slot 'name': kind must be one of date, time"),
        (
            "- id: call_you_on",
            "- id: hello_name",
            "phrase id 'hello_name' also stands at content/phrases/appointments.yaml:11",
        ),
        ("- id: hello_name", "- id: Hello-Name", "phrase id 'Hello-Name' must be lower case"),
        (
            "    version: 1\n    slots: {name",
            "    version: one\n    slots: {name",
            "'version' must be a whole",
        ),
        (
            'de: {source_version: 1, text: "Wir rufen',
            'de: {source_version: 2, text: "Wir rufen',
            "de: source_version 2 > version 1",
        ),
        (
            'de: {source_version: 1, text: "Guten Tag',
            'xx: {source_version: 1, text: "Guten Tag',
            "unknown language 'xx'",
        ),
        (
            '    translations:\n      de: {source_version: 1, text: "Guten Tag',
            '    translations:\n      tr: {source_version: 1, text: "Guten Tag',
            "the German text (de) is missing",
        ),
        ("ich heiße {name}.", "ich heiße {name}." + "x" * PHRASE_LIMIT, f"(limit {PHRASE_LIMIT})"),
    ],
)
def test_each_mistake_is_an_error_at_its_line(phrase_file: Path, old: str, new: str, message: str) -> None:
    line = replace_in(phrase_file, old, new)
    errors = [p for p in problems(phrase_file.parent.parent) if "warning" not in p]
    assert errors, "no error reported"
    assert any(message in p for p in errors), errors
    assert any(p.startswith(f"content/phrases/appointments.yaml:{line}:") for p in errors if message in p), (
        errors
    )
    assert check(phrase_file.parent.parent, today=TODAY)[0] is None  # the bot keeps its last good content


def test_status_lists_every_phrase_per_language_and_what_is_missing(phrase_file: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "content", "status", str(phrase_file.parent.parent)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    rows = {line.split()[0]: line.split() for line in result.stdout.splitlines() if line.strip()}
    assert rows["phrase"][1:] == list(LANGUAGES)
    assert rows["hello_name"][1:] == [
        "up", "to", "date", "missing", "missing", "missing", "missing", "missing", "machine-made", "missing",
    ]  # fmt: skip
    assert "phrases without a current fa text: 2 (appointment_at, call_you_on)" in result.stdout
    assert "phrases without a current ku text: 3 (appointment_at, call_you_on, hello_name)" in result.stdout


def test_the_real_phrasebook_is_valid_and_complete_in_all_eight_languages() -> None:
    content, found = check(PROJECT_ROOT / "content")
    assert content is not None, found
    assert not [p for p in found if "phrases/" in p.path]
    assert len(content.phrases) >= 40
    incomplete = {
        phrase.id: [lang for lang in LANGUAGES if phrase.translation_state(lang) in ("missing", "outdated")]
        for phrase in content.phrases.values()
    }
    assert {key: value for key, value in incomplete.items() if value} == {}
    # What counsellors say most (issue #27) is there.
    for wanted in ("appointment_at", "call_you_on", "please_go_to", "forwarding_to", "need_interpreter"):
        assert wanted in content.phrases


# --- a phrase filled in, in the user's language ----------------------------------------------------


def test_a_farsi_user_gets_date_and_time_in_farsi_and_the_place_card(phrase_file: Path) -> None:
    replace_in(phrase_file, "fa: {source_version: 1", "fa: {source_version: 2")
    content = load(phrase_file.parent.parent)
    phrase = content.phrases["appointment_at"]
    values = parse_slots(content, phrase, {"date": "2027-01-13", "time": "09:30", "place": "office_city"})
    assert values == {"date": date(2027, 1, 13), "time": time(9, 30), "place": content.places["office_city"]}
    farsi = render_phrase(content, phrase, "fa", values, MONDAY_MORNING)
    assert farsi.language == "fa"
    lines = farsi.text.split("\n")
    assert all(line.startswith(RIGHT_TO_LEFT_MARK) for line in lines)  # laid out right to left
    sentence = plain_text(lines[0])
    assert "ژانویهٔ" in sentence and "2027" in sentence and "9:30" in sentence  # Farsi month, Farsi time
    assert "City Office" in sentence
    assert "📍" in farsi.text and "Marktplatz 1, 49074 Osnabrück" in farsi.text  # the place card
    german = render_phrase(content, phrase, "de", values, MONDAY_MORNING)
    assert (
        plain_text(german.text).split("\n")[0]
        == "Ihr Termin ist am 13. Januar 2027 um 09:30. Ort: City Office"
    )


def test_a_language_without_the_phrase_gets_english_then_german(phrase_file: Path) -> None:
    content = load(phrase_file.parent.parent)
    values = parse_slots(content, content.phrases["call_you_on"], {"weekday": "wed"})
    assert render_phrase(content, content.phrases["call_you_on"], "uk", values, MONDAY_MORNING).text == (
        "Ми Вам зателефонуємо. День: середа."
    )
    fallback = render_phrase(content, content.phrases["call_you_on"], "tr", values, MONDAY_MORNING)
    assert (fallback.language, fallback.text) == ("de", "Wir rufen Sie am Mittwoch an.")


def test_text_typed_by_staff_is_shown_as_written_never_as_markup(phrase_file: Path) -> None:
    content = load(phrase_file.parent.parent)
    phrase = content.phrases["hello_name"]
    values = parse_slots(content, phrase, {"name": "<b>Anna</b> & Co"})
    rendered = render_phrase(content, phrase, "de", values, MONDAY_MORNING)
    assert rendered.text == "Guten Tag, ich heiße &lt;b&gt;Anna&lt;/b&gt; &amp; Co."


@pytest.mark.parametrize(
    ("phrase_id", "typed", "message"),
    [
        ("hello_name", {"name": "  "}, "Bitte „name“ ausfüllen."),
        ("hello_name", {"name": "x" * 81}, "höchstens 80 Zeichen"),
        ("hello_name", {"name": "Anna\nBerta"}, "höchstens 80 Zeichen in einer Zeile"),
        ("call_you_on", {"weekday": "monday"}, "„weekday“ ist kein gültiger Wert (ein Wochentag)"),
        ("appointment_at", {"date": "13.01.2027", "time": "09:30", "place": "office_city"}, "ein Datum"),
        ("appointment_at", {"date": "2027-01-13", "time": "halb zehn", "place": "office_city"}, "Uhrzeit"),
        ("appointment_at", {"date": "2027-01-13", "time": "09:30", "place": "nowhere"}, "eine Stelle"),
    ],
)
def test_slot_values_that_cannot_be_used_are_refused_in_german(
    phrase_file: Path, phrase_id: str, typed: dict[str, str], message: str
) -> None:
    content = load(phrase_file.parent.parent)
    with pytest.raises(SlotError, match=re.escape(message)):
        parse_slots(content, content.phrases[phrase_id], typed)
