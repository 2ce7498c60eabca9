"""Text normalisation shared by the matcher, the safety net and place finding.

`fold()` from the content model removes case, accents and punctuation. On top of that we unify
letters that people type interchangeably: Arabic and Persian yeh/kaf/alef forms, Turkish dotless ı,
and the Arabic tatweel, so "كيف" and "کیف" or "yangın" and "yangin" compare equal; and Arabic-Indic
and Persian digits become ASCII digits, so "١١٢" and "۱۱۲" are "112" and "ماده ۲۴" is "ماده 24".
(Alef with hamza or madda, hamza on waw or yeh and the diacritics lose their marks in `fold`'s NFKD.)
"""

from __future__ import annotations

import difflib
import itertools
import re

from bot.content.model import ContentBase, Region, fold

_UNIFY = str.maketrans(
    {
        "ي": "ی",  # Arabic yeh -> Persian yeh
        "ى": "ی",  # alef maksura
        "ك": "ک",  # Arabic kaf -> Persian keheh
        "ة": "ه",  # teh marbuta
        "ـ": None,  # tatweel (decorative stretching)
        "ı": "i",  # Turkish dotless i
        "\u200c": " ",  # zero-width non-joiner (Persian half-space) separates word parts
    }
    # Arabic-Indic (U+0660-0669) and Persian (U+06F0-06F9) digits -> 0-9: fold keeps them as they are
    | {ord(digit): str(value) for value, digit in enumerate("٠١٢٣٤٥٦٧٨٩")}
    | {ord(digit): str(value) for value, digit in enumerate("۰۱۲۳۴۵۶۷۸۹")}
)


def normalise(text: str) -> str:
    """Comparison form: folded (case, accents, punctuation) and with look-alike letters unified."""
    return fold(text.translate(_UNIFY)).translate(_UNIFY)


# Endings that inflection adds to a place name, after `normalise` (so "й" is "и", "ı" is "i", no
# accents). Longest first. Only a stem that is itself a known name (4 letters or more) counts, so an
# ordinary word that happens to end like this does not become a place.
_ENDINGS = tuple(
    sorted(
        {
            # German: "Osnabrücker", "Osnabrückerin", "Osnabrücks", "Meller" (Melle + r)
            "er", "ern", "erin", "erinnen", "s", "r",
            # Russian and Ukrainian cases: "из Оснабрюка", "в Оснабрюке", "Оснабрюком",
            # "к Оснабрюку", "Бельмом"; adjectives "оснабрюкский", "оснабрюкская" …
            "а", "я", "у", "ю", "е", "і", "и", "ом", "ем", "ой", "ою", "ей",
            "ски", "ская", "ское", "ского", "ском", "ских", "скои", "ськии", "ська", "ське", "ського",
            # Turkish without the apostrophe: "Osnabrückte", "Mellede", "Bramsche'ye"
            "de", "da", "te", "ta", "den", "dan", "ten", "tan", "deki", "daki", "teki", "taki",
            "e", "a", "ye", "ya", "i", "u", "yi", "yu", "in", "un", "nin", "nun", "li", "lu", "lular", "liler",
            # Kurmanji "li Osnabrückê", "ji Mellê", "Bramscheyê": ê folds to e, so the Turkish e,
            # ye and ya above cover them.
        },
        key=lambda ending: (-len(ending), ending),
    )
)  # fmt: skip
# Ukrainian locative changes the last consonant: "в Оснабрюці" (к -> ц), "у Гамбурзі" (г -> з).
_UKRAINIAN_LOCATIVE = {"ці": "к", "зі": "г", "сі": "х"}
# Arabic-script words carry a one-letter conjunction or preposition: "باوسنابروك" (in Osnabrück),
# "لاوسنابروک" (to), "واوسنابروك" (and).
_ARABIC_PREFIXES = ("و", "ب", "ل", "ف", "ک", "وب", "ول")
MIN_STEM = 4
# "Landkreis Osnabrück" and "Osnabrücker Land" name the district around the city, not the city.
_DISTRICT_BEFORE = frozenset(
    normalise(word)
    for word in [
        "landkreis",
        "landkreises",
        "kreis",
        "lk",
        "ландкрайс",
        "ландкрайсе",
        "ландкрайсі",
        "район",
        "района",
    ]
)
_DISTRICT_AFTER = frozenset({"land", "landes", "landkreis"})


def _base_forms(word: str) -> list[str]:
    """The word and what it may be without an inflectional ending or clitic, most likely first."""
    forms = [word]
    for ending, consonant in _UKRAINIAN_LOCATIVE.items():
        if word.endswith(ending) and len(word) - len(ending) + 1 >= MIN_STEM:
            forms.append(word[: -len(ending)] + consonant)
    for ending in _ENDINGS:
        stem = word[: -len(ending)]
        if word.endswith(ending) and len(stem) >= MIN_STEM:
            forms.append(stem)
            if ending in ("er", "ern", "erin", "erinnen", "r"):
                forms.append(stem + "e")  # "Meller" <- Melle, "Bramscher" <- Bramsche
    return forms + _arabic_forms(word)[1:]


def _arabic_forms(word: str) -> list[str]:
    """The word, and without a leading Arabic-script clitic if it has one."""
    return [word] + [
        word[len(prefix) :]
        for prefix in _ARABIC_PREFIXES
        if word.startswith(prefix) and len(word) - len(prefix) >= MIN_STEM
    ]


def find_place(text: str, content: ContentBase, *, longest: int = 4) -> str | None:
    """The region id of the first place name in `text`, trying the longest word spans first.

    Uses the content base's own index (names, spellings, member municipalities), so "ich wohne in
    Ankum" finds sg_bersenbrueck. Inflected names are found too: a case ending ("из Оснабрюка",
    "в Оснабрюці"), a German "-er" ("Osnabrücker", "Meller"), a Turkish suffix with or without the
    apostrophe ("Melle'de", "Osnabrückte"), a Kurmanji "-ê" ("li Osnabrückê") or an Arabic-script
    prefix ("باوسنابروك"); the exact name is always tried first.
    """
    index = _index(content)
    words = normalise(text.replace("'", " ").replace("’", " ")).split()
    forms = [_base_forms(word) for word in words]
    for start in range(len(words)):
        for size in range(min(longest, len(words) - start), 0, -1):
            middle = words[start + 1 : start + size - 1]
            # A name's inflection is on its last word; an Arabic-script clitic on its first.
            firsts = [words[start]] if size == 1 else _arabic_forms(words[start])
            for first in firsts:
                for last in forms[start + size - 1]:
                    name = last if size == 1 else " ".join([first, *middle, last])
                    region = index.get(name)
                    if region is None:
                        continue
                    before = words[start - 1] if start > 0 else ""
                    after = words[start + size] if start + size < len(words) else ""
                    if region.area == "stadt" and (before in _DISTRICT_BEFORE or after in _DISTRICT_AFTER):
                        continue
                    return region.id
    return None


# A spelling we do not list ("اسنابروک" for "اوسنابروک", "Osnabrügge") still names the place when one
# word is this close to one of its one-word names; only long words, where a near miss of an ordinary
# word is unlikely ("Tagen" is not "Hagen": 0.8).
NEAR_SPELLING = 0.85
MIN_NEAR_WORD = 6


def find_place_spelled_nearly(text: str, content: ContentBase) -> str | None:
    """The region id of the first word in `text` that is a close misspelling of a one-word place name."""
    names = [name for name in _index(content) if " " not in name and len(name) >= MIN_NEAR_WORD]
    for word in normalise(text.replace("'", " ").replace("’", " ")).split():
        if len(word) < MIN_NEAR_WORD:
            continue
        for form in _base_forms(word):
            close = difflib.get_close_matches(form, names, n=1, cutoff=NEAR_SPELLING)
            if close:
                return _index(content)[close[0]].id
    return None


_SENTENCE_END = re.compile(r"(?<=[.!?؟۔…])\s+|\n+")


def besides_the_place(text: str, content: ContentBase) -> str | None:
    """What else a message of several sentences says besides where the person lives: "I live in
    Osnabrück. My residence permit runs out, what do I do?" -> the second sentence. The sentence
    left out is the first that names a place (however spelt), else the first; None for one sentence."""
    sentences = [sentence.strip() for sentence in _SENTENCE_END.split(text) if sentence.strip()]
    if len(sentences) < 2:
        return None
    naming = [
        number
        for number, sentence in enumerate(sentences)
        if find_place(sentence, content) or find_place_spelled_nearly(sentence, content)
    ]
    left_out = naming[0] if naming else 0
    return " ".join(sentence for number, sentence in enumerate(sentences) if number != left_out)


_INDEXES: dict[int, tuple[ContentBase, dict[str, Region]]] = {}


def _index(content: ContentBase) -> dict[str, Region]:
    """Every region name in `normalise`d form (the content's own index is only `fold`ed)."""
    cached = _INDEXES.get(id(content))
    if cached is None or cached[0] is not content:
        index: dict[str, Region] = {}
        for region in content.regions:
            for name in region.names():
                index.setdefault(normalise(name), region)
        if len(_INDEXES) > 8:  # content reloads: keep only a few
            _INDEXES.clear()
        cached = _INDEXES[id(content)] = (content, index)
    return cached[1]


def names_district(text: str) -> bool:
    """Does `text` speak of the district ("Landkreis Osnabrück", "Osnabrücker Land")?"""
    words = normalise(text).split()
    return any(word in _DISTRICT_BEFORE for word in words) or any(
        first.startswith("osnabr") and second in _DISTRICT_AFTER
        for first, second in itertools.pairwise(words)
    )
