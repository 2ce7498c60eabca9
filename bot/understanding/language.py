"""Which of our eight languages a message is written in, or None when we cannot tell.

lingua-language-detector knows seven of them; Kurmanji (Latin-script Kurdish) it does not know,
so we look for Kurmanji cue words first. Letters only one of two close languages uses decide
between them before any statistics (Ukrainian і ї є ґ vs Russian ы э ъ ё; Persian پ چ ژ گ ک ی vs
Arabic ة ي ك ى; Turkish ı ğ vs Kurmanji ê î û). Persian, Arabic, Russian and Ukrainian typed in
Latin letters (Finglish, Arabizi, transliteration) are told by their everyday words: lingua's models
read such text as German, English or Turkish. German office words that people use in every
language ("Jobcenter nerede?") are left out before lingua looks at the text. Short texts that
stand verbatim among the example questions of exactly one language are taken from there.

`written_in` is the stricter question the conversation core asks before it changes the language
(conversation/core.py): is the message *clearly* in another language than the one the person reads?
Place names ("Оснабрюк", "اسنابروک") and office words do not count, one word is never enough, and
between close languages (Ukrainian/Russian, Persian/Arabic, Turkish/Kurmanji) only letters or words
of one of them decide, never statistics. So when unsure we say None rather than guess.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import cache, lru_cache

from lingua import Language, LanguageDetectorBuilder

from bot.content.model import ContentBase, fold
from bot.understanding.text import find_place, find_place_spelled_nearly
from bot.understanding.training import Example, topic_examples

LINGUA_LANGUAGES = {
    Language.GERMAN: "de",
    Language.ENGLISH: "en",
    Language.UKRAINIAN: "uk",
    Language.RUSSIAN: "ru",
    Language.ARABIC: "ar",
    Language.TURKISH: "tr",
    Language.PERSIAN: "fa",
}
MIN_LETTERS = 4  # fewer letters than this ("ok", "hi", "??") tell us nothing
MIN_CONFIDENCE = 0.6
MIN_CONFIDENCE_ONE_WORD = 0.9
# A first message changes the reply language only with this many words that are neither place names
# nor office words: "Hilfe", "Termin?" or "Оснабрюк" alone say little about the person's language.
MIN_WORDS_TO_SWITCH = 2
WORDS_READ_TO_SWITCH = 40  # plenty to tell a language; a long text costs no more (25 ms at 150 words)
# Pairs the trigram statistics confuse on short texts: switching from one to the other needs letters or
# words only one of them uses.
CLOSE_LANGUAGES = (frozenset({"uk", "ru"}), frozenset({"fa", "ar"}), frozenset({"tr", "ku"}))
# Ukrainian and Russian share most short words ("Я живу в Оснабрюку" is both); the statistics pick
# one at random, so without such letters or words neither is clear, whatever the person reads now.
NEED_LETTERS = frozenset({"uk", "ru"})


# Kurmanji words that are not words of our other Latin-script languages (de, en, tr), some also
# as typed without diacritics.
def _words(block: str) -> frozenset[str]:
    return frozenset(block.split())


KURMANJI_CUES = _words(
    """
    ez tu em hûn ew min te wî wê wan çawa cawa çima kengî kîjan kijan kî çi ci çend ku li ji bi bo
    dixwazim dixwazî dixwaze dikarim dikarî dizanim dizanî nizanim naxwazim heye hene tune nîne
    bikim bikî bibim bibînim biaxivim bipirsim distînim digerim dikim bikirim dibe divê lazim
    alîkarî alîkariya alikari spas sipas rojbaş êvarbaş silav xatirê kerema xwe jî û erê zarok
    zarokê zarokên malê mala malbat bajêr bajar gund karê karmend karmendê pere pereyê navnîşan
    navnîşana nexweş bijîşk bijîşkê ziman zimanê kurdî kurmancî tenê niha sibê îro duh şev zû
    hejmar hejmara ya yê bêje bibêje gelek
    """
)
KURMANJI_LETTERS = frozenset("êîû")
NOT_KURMANJI_LETTERS = frozenset("ığäß")  # Turkish ı ğ, German ä ß
TURKISH_LETTERS = frozenset("ığ")  # no other of our Latin-script languages has them
# Question words newcomers put next to a German office name ("jobcenter nerede"): short texts the
# trigram models cannot place alone.
TURKISH_WORDS = frozenset(
    {"nerede", "nerde", "nasil", "nasıl", "neden", "nereye", "hangi", "kac", "kaç", "lazim", "lazım"}
)
UKRAINIAN_LETTERS = frozenset("іїєґ")
RUSSIAN_LETTERS = frozenset("ыэъё")
# Short everyday words spelt differently in Ukrainian and Russian.
UKRAINIAN_WORDS = _words("що як де чи це мені дякую будь ласка коли можна треба потрібно")
RUSSIAN_WORDS = _words("что как где это мне спасибо пожалуйста когда можно нужно")
SHARED_WORD_LANGUAGES = 3  # a word found in the examples of this many languages tells nothing
# Persian, Arabic, Russian and Ukrainian typed in Latin letters (Finglish, Arabizi, transliteration),
# as on a German phone keyboard: everyday words of each that are not words of de, en, tr or ku.
ROMANIZED_CUES = {
    "fa": _words(
        """
        chetori chetor chejori chejoori koja kojast kojas kuja kujast mikham mikhaam mikhay mikhaim
        mekhaham mekhayum mitoonam mitunam mitanam mitanum metanum mitonam chikar chekar konam kunam
        kunum bokonam begiram bigiram bigirum baraye mishe nemishe mesha nemitoonam nadaram daram
        dara kheili kheyli khoobi mamnoon mamnun lotfan komakam komak bayad chand chera chi
        nemidoonam nemifamam rakam kodom kodoom mikone mikonan mekona shoda shuda amada khana bacham
        tiflam vaght mashwara kasi khodahafez eghamat
        """
    ),
    "ar": _words(
        """
        shu shou kif keef kifak bidi biddi bidna badi bdi andi momken mumken shukran shokran marhaba
        ahlan yalla shlon shlonak shinu shno aku maku ween ibni ebni binti jawzi zawji bel bil lil
        shsawi algi ajani iza eza bbalash
        """
    ),
    "ru": _words(
        """
        kak gde chto shto mne menya nuzhno nuzhen nuzhny nado mozhno pozhaluysta pozhalujsta spasibo
        skolko kogda pochemu zdravstvuyte privet khochu hochu kuda moy moya delat sdelat poluchit esli
        dlya kakie kakoy chem kto pomogite pomoshch rebenok rebenka vrach zapisat zapisatsya podat
        poka posle bolshoe rabotu
        """
    ),
    "uk": _words(
        """
        yak shcho meni mene treba potribno mozhna dyakuyu diakuiu dyakuiu koly chy pryvit vitayu laska
        khochu hochu robyty zrobyty otrymaty znayty znaity kudy moyi dlia tse yaki yaku yakyi dytyna
        dytynu dytyny dytyni pislia zhyvu dopomoha dopomozhit dopomohu pytannia buvai pobachennia tykh
        khto shukaiu shukayu shukaty dytiachyi dytyachyi sadok sadochok
        """
    ),
}
# Arabizi writes ع, ح, ق as 3, 7, 9 inside a word ("ma3", "ta7arosh", "3omri"); not "3rd", "2027ye".
ARABIZI_LETTER = re.compile(r"[a-z][379][a-z]|[a-z]{2}[379]$|^[379][a-z]{3,}")
PERSIAN_LETTERS = frozenset("پچژگکی")
ARABIC_LETTERS = frozenset("ةيكى")

# German office words used inside every language; they say nothing about the writer's language.
GERMAN_LOANWORDS = frozenset(
    fold(word)
    for word in _words(
        """
    jobcenter anmeldung ummeldung bürgergeld ausländerbehörde bürgeramt bürgerbüro kita kindergeld
    familienkasse meldebescheinigung wohnungsgeberbestätigung aufenthaltstitel aufenthaltserlaubnis
    fiktionsbescheinigung duldung aufenthaltsgestattung integrationskurs sprachkurs vhs bamf
    maßarbeit massarbeit standesamt krankenkasse termin kreishaus stadthaus migrationszentrum
    anerkennung schulpflicht sprachlernklasse bbs jmd mbe exil caritas ilos hilfetelefon
    osnabrück osnabrueck landkreis
    """
    )
)

_WORD = re.compile(r"\w+", re.UNICODE)


@cache
def _lingua() -> object:
    """Built once per process: building loads the language models (about a second)."""
    # Low-accuracy mode: trigram models only, about 6 MB instead of 230 MB of resident memory; the
    # short texts where high accuracy would help are decided by letters and known examples first.
    return (
        LanguageDetectorBuilder.from_languages(*LINGUA_LANGUAGES)
        .with_low_accuracy_mode()
        .with_preloaded_language_models()
        .build()
    )


class LanguageDetector:
    """`examples`: labelled questions for short texts; `ignore`: more words that tell nothing about
    the language, such as place names; `names_place`: whether a word is a place name, however
    inflected or misspelt ("в Оснабрюку", "اسنابروک")."""

    def __init__(
        self,
        examples: Iterable[Example] = (),
        *,
        ignore: Iterable[str] = (),
        names_place: Callable[[str], bool] = lambda word: False,
    ) -> None:
        self._lingua = _lingua()
        self._names_place = names_place
        languages_of: dict[str, set[str]] = {}
        word_languages: dict[str, set[str]] = {}
        for example in examples:
            languages_of.setdefault(fold(example.plain_text), set()).add(example.language)
            for word in fold(example.plain_text).split():
                word_languages.setdefault(word, set()).add(example.language)
        # German office words that every language uses ("Jugendmigrationsdienst") show up in the
        # examples of many languages; so do place names.
        shared = {word for word, found in word_languages.items() if len(found) >= SHARED_WORD_LANGUAGES}
        self._ignore = GERMAN_LOANWORDS | shared | {word for name in ignore for word in fold(name).split()}
        # Only texts that belong to exactly one language can vouch for it.
        self._known = {text: next(iter(found)) for text, found in languages_of.items() if len(found) == 1}

    def detect(self, text: str) -> str | None:
        words = _WORD.findall(text.casefold())
        if sum(ch.isalpha() for ch in "".join(words)) < MIN_LETTERS:
            return None
        if (known := self._known.get(fold(text))) is not None:
            return known
        if any(not _is_latin(word) for word in words):
            # Latin-script words inside Cyrillic or Arabic-script text are German office words.
            words = [word for word in words if not _is_latin(word)]
        meaningful = [word for word in words if fold(word) not in self._ignore] or words
        if (by_letters := _by_letters(meaningful)) is not None:
            return by_letters
        needed = MIN_CONFIDENCE_ONE_WORD if len(words) == 1 else MIN_CONFIDENCE
        best = self._best(meaningful)
        if best is None:
            return None
        language, confidence = best
        if confidence < needed and meaningful != words:
            # Without the office words the text may be too short to be sure; with them it may
            # lean German. Take it when both readings agree.
            whole = self._best(words)
            if whole is not None and whole[0] == language:
                confidence = max(confidence, whole[1])
        return language if confidence >= needed else None

    def written_in(self, text: str, *, instead_of: str | None) -> str | None:
        """The language `text` is clearly written in when that is not `instead_of` (the language the
        person reads now), else None: unsure, too short, only place names, or `instead_of` itself."""
        first_words = _WORD.findall(text.casefold())[:WORDS_READ_TO_SWITCH]
        words = [word for word in first_words if not self._names_place(word)]
        meaningful = [word for word in words if fold(word) not in self._ignore and not word.isdigit()]
        if len(meaningful) < MIN_WORDS_TO_SWITCH:
            return None
        found = self.detect(" ".join(words))
        if found is None or found == instead_of:
            return None
        close = instead_of is not None and frozenset({found, instead_of}) in CLOSE_LANGUAGES
        if (close or found in NEED_LETTERS) and _by_letters(meaningful) != found:
            return None
        return found

    def _best(self, words: list[str]) -> tuple[str, float] | None:
        values = self._lingua.compute_language_confidence_values(" ".join(words))  # type: ignore[attr-defined]
        if not values:
            return None
        language = LINGUA_LANGUAGES.get(values[0].language)
        return (language, float(values[0].value)) if language else None


def _is_latin(word: str) -> bool:
    return any("a" <= ch <= "z" for ch in fold(word))


def _by_letters(words: list[str]) -> str | None:
    """Decide from letters or cue words that only one of our languages uses, if any."""
    letters = set("".join(words))
    latin_words = [word for word in words if _is_latin(word)]
    in_latin_letters = all(_is_latin(word) or not any(ch.isalpha() for ch in word) for word in words)
    if latin_words and in_latin_letters and (romanized := _romanized(words)) is not None:
        return romanized
    if latin_words and len(latin_words) * 2 >= len(words) and not letters & NOT_KURMANJI_LETTERS:
        cues = sum(word in KURMANJI_CUES for word in latin_words)
        # ê, î, û: no German, English or Turkish word we expect has them; Kurmanji has them everywhere.
        if cues >= 2 or letters & KURMANJI_LETTERS or (cues >= 1 and len(words) <= 3):
            return "ku"
    if latin_words and (letters & TURKISH_LETTERS or any(word in TURKISH_WORDS for word in latin_words)):
        return "tr"
    ukrainian = bool(letters & UKRAINIAN_LETTERS) or any(word in UKRAINIAN_WORDS for word in words)
    russian = bool(letters & RUSSIAN_LETTERS) or any(word in RUSSIAN_WORDS for word in words)
    if ukrainian != russian:
        return "uk" if ukrainian else "ru"
    if letters & PERSIAN_LETTERS and not letters & ARABIC_LETTERS:
        return "fa"
    if letters & ARABIC_LETTERS and not letters & PERSIAN_LETTERS:
        return "ar"
    return None


def _romanized(words: list[str]) -> str | None:
    """Persian, Arabic, Russian or Ukrainian in Latin letters, when its cue words outnumber those of
    each other one and of Kurmanji."""
    cues = {language: sum(word in found for word in words) for language, found in ROMANIZED_CUES.items()}
    cues["ar"] += sum(bool(ARABIZI_LETTER.search(word)) for word in words)
    kurmanji = sum(word in KURMANJI_CUES for word in words)
    language, count = max(cues.items(), key=lambda item: item[1])
    others = max([kurmanji] + [n for other, n in cues.items() if other != language])
    if count > others:
        return language
    return None


def content_detector(content: ContentBase) -> LanguageDetector:
    """A detector that knows the content's example questions and its place names, inflected and
    misspelt too (built in about 0.2 s: once per content version)."""

    @lru_cache(maxsize=8192)  # people use the same words; a near spelling costs up to a millisecond
    def names_place(word: str) -> bool:
        return find_place(word, content) is not None or find_place_spelled_nearly(word, content) is not None

    names = [name for region in content.regions for name in region.names()]
    return LanguageDetector(topic_examples(content), ignore=names, names_place=names_place)


@cache
def _default_detector() -> LanguageDetector:
    return LanguageDetector()


def detect(text: str) -> str | None:
    """The language of `text` (de en uk ru ar tr fa ku), or None when unsure (e.g. very short)."""
    return _default_detector().detect(text)
