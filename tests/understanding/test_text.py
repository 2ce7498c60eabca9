"""Place names in messages, inflected as people write them in all eight languages."""

from __future__ import annotations

import pytest

from bot.content.model import ContentBase
from bot.understanding.text import find_place, names_district, normalise

PLACES = [
    # as written in regions.yaml
    ("ich wohne in Ankum", "sg_bersenbrueck"),
    ("wohnsitz in bad iburg", "bad_iburg"),
    ("أسكن في ميله", "melle"),
    # Russian and Ukrainian cases
    ("я живу в Мелле", "melle"),
    ("мы живём у Брамше", "bramsche"),
    ("я из Оснабрюка", "stadt_osnabrueck"),
    ("где джобцентр в оснабрюке", "stadt_osnabrueck"),
    ("під Оснабрюком", "stadt_osnabrueck"),
    ("ми живемо в Оснабрюці", "stadt_osnabrueck"),
    ("живу в оснабрюку", "stadt_osnabrueck"),
    ("из Квакенбрюка", "sg_artland"),
    ("в Бельме есть курсы?", "belm"),
    ("переехали в Валленхорст", "wallenhorst"),
    ("я у Валленхорсті", "wallenhorst"),
    ("в Бад-Ибурге", "bad_iburg"),
    ("оснабрюкская ausländerbehörde", "stadt_osnabrueck"),
    # German
    ("Osnabrücker Innenstadt", "stadt_osnabrueck"),
    ("Osnabrücks Bürgeramt", "stadt_osnabrueck"),
    ("die Meller Ausländerbehörde", "melle"),
    ("Bramscher Jobcenter", "bramsche"),
    ("Quakenbrücker Schule", "sg_artland"),
    # Turkish, with and without the apostrophe
    ("Melle'de oturuyorum", "melle"),
    ("Osnabrück'te jobcenter nerede", "stadt_osnabrueck"),
    ("osnabrückte iş arıyorum", "stadt_osnabrueck"),
    ("mellede kurs var mı", "melle"),
    ("Bramsche’ye taşındık", "bramsche"),
    ("wallenhorstta oturuyorum", "wallenhorst"),
    # Kurmanji
    ("ez li Osnabrückê dijîm", "stadt_osnabrueck"),
    ("ji Mellê hatim", "melle"),
    # Arabic-script prefixes
    ("بدي كورس باوسنابروك", "stadt_osnabrueck"),
    ("مدرسة ببرامشه", "bramsche"),
]


@pytest.mark.parametrize(("text", "region"), PLACES)
def test_inflected_place_names_resolve(text: str, region: str, content: ContentBase) -> None:
    assert find_place(text, content) == region


@pytest.mark.parametrize(
    "text",
    [
        "ich kaufe brot",
        "бабушка приехала",
        "wohnungsgeberbestätigung vermieter",
        "osmanlı tarihi",  # "os" (a short form of Osnabrück) only counts on its own
        "ose",
        "arbeit suchen",
        "زوجي يضربني",
    ],
)
def test_ordinary_words_are_no_places(text: str, content: ContentBase) -> None:
    assert find_place(text, content) is None


@pytest.mark.parametrize(
    "text",
    [
        "ausländerbehörde landkreis osnabrück adresse",
        "vhs osnabrücker land kreishaus",
        "ландкрайс оснабрюк школа",
        "Landkreis Osnabrück'te JMD var mı",
    ],
)
def test_the_district_is_not_the_city(text: str, content: ContentBase) -> None:
    # "Landkreis Osnabrück" and "Osnabrücker Land" are the district around the city: no one region.
    assert find_place(text, content) is None


def test_a_municipality_in_the_district_is_found(content: ContentBase) -> None:
    assert find_place("ich wohne im landkreis osnabrück in melle", content) == "melle"


def test_normalise_unifies_look_alike_letters() -> None:
    assert normalise("كيف") == normalise("کیف")
    assert normalise("Yangın!") == normalise("yangin")


def test_normalise_writes_arabic_and_persian_digits_as_ascii_digits() -> None:
    assert normalise("اقامت ماده ۲۴") == normalise("اقامت ماده 24")  # Persian digits
    assert normalise("اتصل ب١١٢") == normalise("اتصل ب112")  # Arabic-Indic digits
    assert normalise("٠١٢٣٤٥٦٧٨٩ ۰۱۲۳۴۵۶۷۸۹") == "0123456789 0123456789"


def test_normalise_drops_arabic_diacritics_tatweel_and_hamza_seats() -> None:
    assert normalise("مُدَرِّسَة") == normalise("مدرسة")
    assert normalise("كـــيف") == normalise("كيف")
    assert normalise("أوسنابروك") == normalise("اوسنابروك")
    assert normalise("آلمان") == normalise("المان")


def test_the_district_is_recognised_as_such() -> None:
    assert names_district("ausländerbehörde landkreis osnabrück")
    assert names_district("vhs Osnabrücker Land")
    assert not names_district("ausländerbehörde osnabrück")
    assert not names_district("ich wohne in melle")
