"""Every UI string is translated in all eight languages: no empty, fuzzy or placeholder-breaking entry."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from bot.content.model import LANGUAGES
from bot.i18n import LOCALE_DIR, normalize_language, texts

PLACEHOLDER = re.compile(r"\{[a-z_]+\}")


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalog_complete(language: str) -> None:
    path = LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        catalog = read_po(handle)
    assert len(catalog) > 0
    for message in catalog:
        if not message.id:
            continue
        assert not message.fuzzy, f"{path}: fuzzy entry {message.id!r}"
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        expected = set(PLACEHOLDER.findall(ids[0]))
        for index, string in enumerate(strings):
            assert string, f"{path}: empty translation of {message.id!r}"
            found = set(PLACEHOLDER.findall(string))
            if len(strings) > 1 and index < len(strings) - 1:
                # A plural form for one exact number may say it in words (Arabic "يومين", two days).
                assert found <= expected, message.id
            else:
                assert found == expected, message.id


@pytest.mark.parametrize("language", [lang for lang in LANGUAGES if lang != "en"])
def test_compiled_catalog_is_used(language: str) -> None:
    assert (LOCALE_DIR / language / "LC_MESSAGES" / "messages.mo").exists(), "run make catalogs"
    assert texts(language).gettext("Open now.") != "Open now."


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("uk-UA", "uk"),
        ("de", "de"),
        ("ar-SY", "ar"),
        ("fa-AF", "fa"),
        ("prs", "fa"),
        ("kmr", "ku"),
        ("ku", "ku"),
        ("pt-BR", None),
        ("", None),
        ("x-klingon", None),
    ],
)
def test_telegram_language_codes(tag: str, expected: str | None) -> None:
    assert normalize_language(tag) == expected


def test_rtl_languages() -> None:
    assert [lang for lang in LANGUAGES if texts(lang).rtl] == ["ar", "fa"]


def test_locale_dir_ships_with_the_package() -> None:
    assert Path(LOCALE_DIR).parent.name == "bot"


def _extracted_ids() -> set[str]:
    from babel.messages.extract import extract_from_dir

    found = extract_from_dir(
        str(Path(LOCALE_DIR).parent),
        method_map=[("**.py", "python")],
        keywords={"gettext": None, "ngettext": (1, 2), "N_": None},
    )
    return {message[2] if isinstance(message[2], str) else message[2][0] for message in found}


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalog_not_stale(language: str) -> None:
    with (LOCALE_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id}
    code = _extracted_ids()
    assert not code - catalog, f"messages missing from {language}: run make extract-messages and translate"
    assert not catalog - code, f"messages no longer in the code in {language}: run make extract-messages"


def test_arabic_plurals_have_six_forms() -> None:
    t = texts("ar")
    forms = {
        n: t.ngettext("Messages are deleted after {days} day.", "Messages are deleted after {days} days.", n)
        for n in (0, 1, 2, 3, 11, 100)
    }
    assert len(set(forms.values())) >= 5  # forms 0 and 100 share their wording here
    assert "يومين" in forms[2] and "{days}" not in forms[2]
    assert "{days}" in forms[11]


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_date_at_the_end_of_a_sentence_gets_one_full_stop(language: str) -> None:
    """Ukrainian and Russian dates end in an abbreviation ("2022 р.", "2022 г."): a sentence that
    ends with one takes no second full stop ("станом на 2022 р.." was seen)."""
    from datetime import date

    from bot.content.model import PartialDate

    t = texts(language)
    path = LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        catalog = read_po(handle)
    dates = [
        t.date(date(2022, 3, 5)),
        t.partial_date(PartialDate(2022, 3)),
        t.partial_date(PartialDate(2022)),
    ]
    for message in catalog:
        if isinstance(message.id, str) and "{date}" in message.id:
            for shown in dates:
                sentence = t.gettext(message.id).format(date=shown)
                assert ".." not in sentence, f"{path}: {message.id!r} gives {sentence!r}"
