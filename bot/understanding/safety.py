"""Urgent-keyword safety net: danger to life and violence, in all eight languages.

The words and phrases are data, in content/safety/keywords.yaml (validated by `content check`, read
with the rest of the content); this module compiles and matches them.

It runs on every message before and regardless of the NLU, so an emergency is recognised even
when Rasa is down, the matcher is unsure or the message is misspelt. Missing an emergency is far
worse than a false alarm (which only puts the emergency numbers first), so the net is generous:

- keywords are word *stems*, matched at the start of a word ("vergift" finds "vergiftet");
- a stem marked with a leading `*` is also found inside a word ("*brand" finds "Wohnungsbrand");
- Latin and Cyrillic stems of six or more letters also match with one typo (a wrong, missing, extra or swapped letter);
- case, accents and look-alike letters are folded away (`text.normalise`), so "yangin" finds "yangın";
- Arabic-script words are also tried without their attached conjunctions and article ("والحريق");
- a phrase of several stems matches when they follow each other, at most two other words between.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from bot.content.model import SafetyKeywords
from bot.understanding.text import normalise

Category = Literal["emergency", "violence"]

# Attached Arabic/Persian conjunctions, prepositions and the article, longest first.
_PROCLITICS = ("وال", "بال", "فال", "کال", "لل", "ال", "و", "ف", "ب", "ل", "ک")
MAX_GAP = 2  # words allowed between the stems of a phrase ("afraid of my husband")
FUZZY_FROM = 6  # Latin and Cyrillic stems of at least this many letters tolerate one typo


@dataclass(frozen=True, slots=True)
class SafetyHit:
    category: Category
    strong: bool  # False for a weak cue, which a confident non-urgent NLU reading may overrule
    language: str  # the language of the keyword list that matched (not necessarily the user's), or "any"
    keyword: str  # for tests and debugging; never log it together with the message


@dataclass(frozen=True, slots=True)
class _Stem:
    text: str
    inside: bool  # may stand inside a word (German compounds)
    fuzzy: bool  # tolerates one typo
    whole: bool  # must be the whole word


@dataclass(frozen=True, slots=True)
class _Keyword:
    category: Category
    strong: bool
    language: str
    phrase: str
    stems: tuple[_Stem, ...]


def _prepare(text: str) -> str:
    # Apostrophes join word parts (Ukrainian б'є, English don't, Turkish Melle'de).
    return normalise(text.replace("'", "").replace("ʼ", "").replace("’", ""))


def _stems(part: str) -> list[_Stem]:
    exact = "=" in part[:2]
    inside = "*" in part[:2]
    whole = part.endswith("$")
    text = _prepare(part.lstrip("=*").rstrip("$"))
    return [
        _Stem(
            piece,
            inside,
            fuzzy=not exact and not whole and len(piece) >= FUZZY_FROM and _is_latin_or_cyrillic(piece),
            whole=whole,
        )
        for piece in text.split()
    ]


def _is_latin_or_cyrillic(word: str) -> bool:
    # Arabic-script roots are short and one letter apart from everyday words (تهديد/تمديد), so
    # typo tolerance would raise more false alarms than it catches there.
    return all(ch.isdigit() or "a" <= ch <= "z" or "\u0400" <= ch <= "\u04ff" for ch in word)


def _compile(entries: SafetyKeywords) -> tuple[_Keyword, ...]:
    keywords = []
    for entry in entries.keywords:
        strong = not entry.phrase.startswith("?")
        stems = tuple(stem for part in entry.phrase.lstrip("? ").split() for stem in _stems(part))
        if stems:
            category: Category = "violence" if entry.category == "violence" else "emergency"
            keywords.append(_Keyword(category, strong, entry.language, entry.phrase, stems))
    return tuple(keywords)


def _within_one_edit(a: str, b: str) -> bool:
    """Optimal string alignment distance <= 1 (one substitution, insertion, deletion or swap)."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        differences = [i for i in range(len(a)) if a[i] != b[i]]
        if len(differences) == 1:
            return True
        first = differences[0]
        return (
            len(differences) == 2
            and differences[1] == first + 1
            and a[first] == b[first + 1]
            and a[first + 1] == b[first]
        )
    shorter, longer = (a, b) if len(a) < len(b) else (b, a)
    return any(longer[:i] + longer[i + 1 :] == shorter for i in range(len(longer)))


def _candidates(word: str) -> list[str]:
    return [word] + [word[len(p) :] for p in _PROCLITICS if word.startswith(p) and len(word) > len(p) + 1]


def _word_matches(candidates: list[str], stem: _Stem) -> bool:
    """`candidates`: a word and the word without each particle it may start with (`_candidates`)."""
    for candidate in candidates:
        if stem.whole:
            if candidate == stem.text:
                return True
            continue
        if candidate.startswith(stem.text) or (stem.inside and stem.text in candidate):
            return True
        if stem.fuzzy and candidate[:1] == stem.text[:1]:
            # A typo inside the stem; the word may go on with an ending ("vergiftet").
            size = len(stem.text)
            lengths = (size, size + 1) if len(candidate) > size else (size - 1, size)
            if any(_within_one_edit(candidate[:length], stem.text) for length in lengths):
                return True
    return False


def _phrase_at(words: list[list[str]], start: int, stems: tuple[_Stem, ...]) -> bool:
    position = start
    for number, stem in enumerate(stems):
        window = range(position, min(len(words), position + (1 if number == 0 else MAX_GAP + 1)))
        found = next((index for index in window if _word_matches(words[index], stem)), None)
        if found is None:
            return False
        position = found + 1
    return True


class KeywordNet:
    """The compiled keyword net of one content/safety/keywords.yaml."""

    def __init__(self, entries: SafetyKeywords) -> None:
        self.keywords = _compile(entries)
        # Strong before weak, and violence before emergency (it needs its own help line).
        self._order = sorted(self.keywords, key=lambda k: (not k.strong, k.category != "violence"))
        self._not_an_emergency = _whole_phrases(entries.not_an_emergency)
        self._danger_over = _whole_phrases(entries.danger_over)
        self._violence_elsewhere = _whole_phrases(entries.violence_elsewhere)

    def check(self, text: str) -> SafetyHit | None:
        """The most telling urgent keyword in `text`, or None. Beside words that say the danger is
        over ("we put it out") a strong keyword counts as a weak cue, and so does one of violence
        beside words that put it far away ("in my home country")."""
        prepared = _prepare(text)
        # Each word with its forms without attached particles, worked out once for all keywords.
        words = [_candidates(word) for word in self._not_an_emergency.sub(" ", prepared).split()]
        # A stem matches a word only where the word (or the word without its attached Arabic-script
        # particles) starts with the stem's first letter, unless the stem may stand inside a word: so a
        # keyword's phrase can only start at the words that begin with its first letter.
        starts: dict[str, list[int]] = {}
        for position, candidates in enumerate(words):
            for initial in {candidate[:1] for candidate in candidates}:
                starts.setdefault(initial, []).append(position)
        everywhere = range(len(words))
        for keyword in self._order:
            first = keyword.stems[0]
            positions = everywhere if first.inside else starts.get(first.text[:1], ())
            if any(_phrase_at(words, start, keyword.stems) for start in positions):
                strong = (
                    keyword.strong
                    and not self._danger_over.search(prepared)
                    and not (keyword.category == "violence" and self._violence_elsewhere.search(prepared))
                )
                return SafetyHit(keyword.category, strong, keyword.language, keyword.phrase)
        return None

    def says_danger_is_over(self, text: str) -> bool:
        """The text has one of the danger_over phrases ("I am safe now", "we put it out")."""
        return self._danger_over.search(_prepare(text)) is not None


def _whole_phrases(phrases: tuple[str, ...]) -> re.Pattern[str]:
    """Finds any of `phrases` as whole words in a prepared text (never, when there are none)."""
    if not phrases:
        return re.compile("(?!)")
    return re.compile(rf"(?<!\w)(?:{'|'.join(re.escape(_prepare(phrase)) for phrase in phrases)})(?!\w)")


@lru_cache(maxsize=4)
def keyword_net(entries: SafetyKeywords) -> KeywordNet:
    """The net of a loaded keyword file, compiled once (a content reload brings a new one)."""
    return KeywordNet(entries)
