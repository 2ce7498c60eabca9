"""Language detection on the short texts people really send."""

from __future__ import annotations

import pytest

from bot.content.model import ContentBase
from bot.understanding.language import LanguageDetector, detect
from bot.understanding.training import all_examples

SHORT_TEXTS = [
    ("de", "wo ist das Jobcenter?"),
    ("de", "ich brauche einen Termin"),
    ("de", "Wie lange dauert das?"),
    ("en", "where is the job center"),
    ("en", "I need an appointment please"),
    ("en", "how long does it take"),
    ("uk", "де джобцентр?"),
    ("uk", "мені потрібен лікар"),
    ("uk", "скільки це коштує"),
    ("ru", "где находится джобцентр"),
    ("ru", "мне нужен врач"),
    ("ru", "сколько это стоит"),
    ("ar", "أين مكتب العمل؟"),
    ("ar", "أحتاج موعد"),
    ("ar", "كم يستغرق ذلك"),
    ("tr", "jobcenter nerede?"),
    ("tr", "randevu almak istiyorum"),
    ("tr", "bu ne kadar sürer"),
    ("fa", "جاب سنتر کجاست؟"),
    ("fa", "وقت ملاقات می خواهم"),
    ("fa", "چقدر طول می کشد"),
    ("ku", "jobcenter li ku ye?"),
    ("ku", "ez randevûyek dixwazim"),
    ("ku", "cawa dikarim alikari bistinim"),  # typed without diacritics
    # Persian, Arabic, Russian and Ukrainian in Latin letters, as typed on a German phone
    ("fa", "salam, termin auslaenderbehoerde chetori begiram"),
    ("fa", "kindergeld baraye bachehaye man"),
    ("ar", "kif bsajjel ibni bel schule"),
    ("ar", "3ndi so2al 3an el jobcenter"),
    ("ru", "gde mozhno sdelat anmeldung"),
    ("ru", "spasibo za pomoshch"),
    ("uk", "shcho robyty yakshcho vtratyv dokumenty"),
    ("uk", "de meni otrymaty kindergeld"),
    ("uk", "shukayu dytyachyi sadok dlya syna"),  # "dlya" is Russian and Ukrainian; the rest is not
    ("ru", "nuzhno mesto v detskom sadu dlya syna"),
    # ... and the Latin-script languages are not taken for them
    ("de", "darum frage ich nach der Kita"),  # darum is not Finglish
    ("en", "is kita free from the 3rd birthday"),  # 3rd is not Arabizi
    ("tr", "izin 2027ye kadar uzadı mı"),
    ("ku", "ez dixwazim li kita zarokê xwe qeyd bikim"),
]


@pytest.mark.parametrize(("language", "text"), SHORT_TEXTS)
def test_short_texts_in_every_language(language: str, text: str) -> None:
    assert detect(text) == language


@pytest.mark.parametrize("text", ["ok", "hi", "??", "👍", "112", ""])
def test_too_short_to_tell(text: str) -> None:
    assert detect(text) is None


def test_german_office_words_do_not_make_a_text_german() -> None:
    assert detect("Ausländerbehörde randevu nasıl alınır") == "tr"
    assert detect("где делать Anmeldung") == "ru"
    assert detect("Bürgergeld چطور بگیرم") == "fa"


def test_single_words_known_from_the_examples(content: ContentBase, conversation_file: object) -> None:
    from pathlib import Path

    assert isinstance(conversation_file, Path)
    detector = LanguageDetector(all_examples(content, conversation_file))
    assert detector.detect("danke") == "de"
    assert detector.detect("спасибо") == "ru"
    assert detector.detect("дякую") == "uk"
    assert detector.detect("spas") == "ku"
