"""Answer cards: every language, opening hours through a week, RTL, and the fallback chain."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_date, format_time, get_day_names

from bot.content.loader import load
from bot.content.model import LANGUAGES, ContentBase
from bot.content.render import render_answer, render_compact_place, render_short
from bot.i18n import (
    FIRST_STRONG_ISOLATE,
    LEFT_TO_RIGHT_ISOLATE,
    POP_DIRECTIONAL_ISOLATE,
    RIGHT_TO_LEFT_MARK,
    texts,
)
from bot.office_hours import WeeklyHours
from bot.settings import PROJECT_ROOT

BERLIN = ZoneInfo("Europe/Berlin")
MONDAY = date(2026, 11, 23)


def at(day_offset: int, hour: int, minute: int = 0) -> datetime:
    day = date.fromordinal(MONDAY.toordinal() + day_offset)
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=BERLIN)


@pytest.fixture
def content(content_dir: Path) -> ContentBase:
    return load(content_dir)


@pytest.mark.parametrize("language", LANGUAGES)
def test_card_in_every_language(content: ContentBase, language: str) -> None:
    t = texts(language)
    city = content.region("stadt_osnabrueck")
    card = render_answer(content, content.topics["registration"], t, city, at(0, 9))
    assert f"registration title {language}" in card
    assert f"answer in {language}." in card
    assert f"city note {language}" in card and "district note" not in card
    assert "City Office" in card and "District Office" not in card  # only the place for this region
    assert (
        format_date(date(2026, 11, 1), format="long", locale=t.locale) in card
    )  # checked-on date, localized
    assert '<a href="https://example.org/source">' in card
    assert t.gettext("Source · checked on {date}").split("{")[0] in card
    assert len(card) < 4096


def test_district_user_gets_district_place_and_booking_link(content: ContentBase) -> None:
    t = texts("de")
    card = render_answer(
        content, content.topics["registration"], t, content.region("sg_bersenbrueck"), at(0, 9)
    )
    assert "District Office" in card and "City Office" not in card
    assert t.gettext("Appointment only.") in card
    assert 'href="https://example.org/book"' in card
    assert "district note de" in card


@pytest.mark.parametrize(
    ("moment", "expected_open", "next_day", "next_time"),
    [
        (at(0, 9), True, None, None),  # Monday morning: open
        (at(0, 12), False, 3, "14:00"),  # Monday noon, just closed: Thursday afternoon
        (at(1, 7), False, 3, "14:00"),  # Tuesday
        (at(3, 13, 59), False, 3, "14:00"),  # Thursday, a minute before
        (at(3, 17, 59), True, None, None),  # Thursday, last minute
        (at(3, 18), False, 0, "08:00"),  # Thursday evening: next Monday
        (at(6, 23), False, 0, "08:00"),  # Sunday night
    ],
)
def test_opening_hours_through_the_week(
    content: ContentBase, moment: datetime, expected_open: bool, next_day: int | None, next_time: str | None
) -> None:
    for language in ("de", "uk", "ar"):
        t = texts(language)
        card = render_answer(
            content, content.topics["registration"], t, content.region("stadt_osnabrueck"), moment
        )
        if expected_open:
            assert t.gettext("Open now.") in card
        else:
            assert t.gettext("Closed now.") in card
            weekday = get_day_names("wide", context="format", locale=t.locale)[next_day]
            hour, minute = map(int, next_time.split(":"))
            assert f"{weekday} {format_time(time(hour, minute), format='short', locale=t.locale)}" in card


def test_dated_fact_is_shown_with_its_date(content: ContentBase) -> None:
    t = texts("en")
    card = render_answer(
        content, content.topics["registration"], t, content.region("stadt_osnabrueck"), at(0, 9)
    )
    assert "Marktplatz 1, 49074 Osnabrück (as of June 2021 – please check)" in card


@pytest.mark.parametrize("language", ["ar", "fa"])
def test_rtl_keeps_latin_numbers_and_phones_readable(content: ContentBase, language: str) -> None:
    t = texts(language)
    card = render_answer(
        content, content.topics["registration"], t, content.region("stadt_osnabrueck"), at(0, 9)
    )
    assert all(line.startswith(RIGHT_TO_LEFT_MARK) for line in card.split("\n"))
    assert f"{LEFT_TO_RIGHT_ISOLATE}Marktplatz 1, 49074 Osnabrück" in card
    assert f'{LEFT_TO_RIGHT_ISOLATE}<a href="tel:+495413230">0541 323-0</a>' in card


def test_arabic_opening_times_keep_their_own_direction(content: ContentBase) -> None:
    """ "Opens Thursday 2:00 م": forced left to right, the Arabic weekday and the م of the time came
    out in the wrong order; a first-strong isolate reads it right to left as written."""
    t = texts("ar")
    card = render_answer(
        content, content.topics["registration"], t, content.region("stadt_osnabrueck"), at(0, 12)
    )
    opens = f"{t.weekday(3)} {t.time(time(14, 0))}"
    assert f"{FIRST_STRONG_ISOLATE}{opens}{POP_DIRECTIONAL_ISOLATE}" in card
    assert f"{LEFT_TO_RIGHT_ISOLATE}{opens}" not in card


def test_ltr_languages_get_no_direction_marks(content: ContentBase) -> None:
    card = render_answer(
        content, content.topics["registration"], texts("tr"), content.region("stadt_osnabrueck"), at(0, 9)
    )
    assert RIGHT_TO_LEFT_MARK not in card and LEFT_TO_RIGHT_ISOLATE not in card


def test_missing_translation_falls_back_to_english_then_german(content_dir: Path) -> None:
    import dataclasses
    from types import MappingProxyType

    content = load(content_dir)
    topic = content.topics["emergency"]
    without_fa = {k: v for k, v in topic.translations.items() if k != "fa"}
    t = texts("fa")
    card = render_answer(
        content, dataclasses.replace(topic, translations=MappingProxyType(without_fa)), t, None, at(0, 9)
    )
    assert "emergency title en" in card
    assert (
        t.gettext("This answer is not yet available in your language; here it is in {language}.").format(
            language=t.gettext("English")
        )
        in card
    )
    only_de = {"de": topic.translations["de"]}
    card = render_answer(
        content, dataclasses.replace(topic, translations=MappingProxyType(only_de)), t, None, at(0, 9)
    )
    assert "emergency title de" in card


def test_hotline_around_the_clock_and_tel_link(content: ContentBase) -> None:
    t = texts("ru")
    card = render_answer(content, content.topics["emergency"], t, None, at(6, 3))
    assert t.gettext("Open around the clock, every day.") in card
    assert '<a href="tel:112">112</a>' in card


def test_real_content_renders_in_every_language_within_telegram_limits() -> None:
    content = load(Path(__file__).resolve().parents[2] / "content")
    for region_id in ("stadt_osnabrueck", "melle", None):
        region = content.region(region_id) if region_id else None
        for topic in content.topics.values():
            for language in LANGUAGES:
                card = render_answer(content, topic, texts(language), region, at(2, 10))
                assert len(card) < 4096, (topic.id, language, len(card))


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_short_card_is_the_short_answer_and_the_place_for_the_region(
    content: ContentBase, language: str
) -> None:
    t = texts(language)
    card = render_short(
        content, content.topics["registration"], t, content.region("stadt_osnabrueck"), at(0, 9)
    )
    assert f"registration title {language}" in card and f"registration short in {language}." in card
    assert "City Office" in card and "0541 323-0" in card and t.gettext("Open now.") in card
    # The details are behind "More": no long answer, regional note, address or source link.
    assert "answer in" not in card and "city note" not in card
    assert "Marktplatz" not in card and "example.org/source" not in card


def test_the_short_card_in_the_district_says_appointment_only_with_the_booking_link(
    content: ContentBase,
) -> None:
    t = texts("de")
    card = render_short(
        content, content.topics["registration"], t, content.region("sg_bersenbrueck"), at(0, 9)
    )
    assert "District Office" in card and "City Office" not in card
    assert t.gettext("Appointment only.") in card and 'href="https://example.org/book"' in card


@pytest.mark.parametrize(("language", "between_days"), [("fa", "؛ "), ("ar", "؛ "), ("de", "; ")])
def test_a_phone_staffed_on_several_days_is_listed_with_the_language_own_separator(
    content: ContentBase, language: str, between_days: str
) -> None:
    office = content.places["office_city"]
    staffed = WeeklyHours.from_mapping({"mon": ["08:00-10:00", "14:00-16:00"], "thu": ["14:00-18:00"]})
    phone = dataclasses.replace(office.phones[0], hours=staffed)
    card = render_compact_place(texts(language), dataclasses.replace(office, phones=(phone,)), at(0, 9))
    line = next(line for line in card.split("\n") if "0541 323-0" in line)
    assert line.count(between_days) == 1
    if language != "de":
        assert ";" not in line and ", " not in line  # no Latin separator in Arabic script


@pytest.mark.parametrize("language", ["ar", "fa", "de"])
def test_a_number_in_groups_keeps_its_order_in_right_to_left_text(
    content: ContentBase, language: str
) -> None:
    topic = content.topics["emergency"]
    translation = dataclasses.replace(
        topic.translations[language],
        short='TelefonSeelsorge <b>0800 111 0 111</b> <a href="https://example.org/2025/09/29">x</a>',
    )
    changed = dataclasses.replace(topic, translations={**topic.translations, language: translation})
    card = render_short(content, changed, texts(language), None, at(0, 9), title=False)
    if language == "de":
        assert "<b>0800 111 0 111</b>" in card
    else:  # the groups stay left to right ("111 0 111 0800" otherwise); the link is untouched
        number = "0800 111 0 111".replace(" ", "\u00a0")  # and in one piece, not broken over two lines
        assert f"<b>{LEFT_TO_RIGHT_ISOLATE}{number}{POP_DIRECTIONAL_ISOLATE}</b>" in card
    assert '<a href="https://example.org/2025/09/29">' in card


@pytest.mark.parametrize("language", ["de", "ar"])
def test_a_landkreis_user_gets_their_own_municipalitys_website(language: str) -> None:
    # Issue #26: someone in Melle asking where to register got only the Kreishaus.
    real = load(PROJECT_ROOT / "content")
    registration, t = real.topics["registration"], texts(language)
    melle, stadt, bissendorf = (
        real.region("melle"),
        real.region("stadt_osnabrueck"),
        real.region("bissendorf"),
    )
    first = render_short(real, registration, t, melle, at(1, 9))
    link = f'<a href="https://www.melle.info">{t.gettext("Website of {municipality}").format(municipality="Melle")}</a>'
    assert link in first and link in render_answer(real, registration, t, melle, at(1, 9))
    # Not for the city, nor where no dossier source names the municipality's site, nor for a topic
    # that is the same everywhere.
    assert "🏛" not in render_short(real, registration, t, stadt, at(1, 9))
    assert "🏛" not in render_short(real, registration, t, bissendorf, at(1, 9))
    assert "🏛" not in render_short(real, real.topics["legal_advice"], t, melle, at(1, 9))
