"""The consonant skeleton of a text: about the same whichever script the words were typed in.

Newcomers type Russian and Ukrainian in Cyrillic or in Latin letters, Arabic as Arabizi ("7arami",
"mosa3de") and Persian as Finglish. The character n-grams of "регистрация" and "registratsiya", or of
"حرامی" and "7arami", have nothing in common, so a question typed in Latin letters learnt little from
the examples written in the language's own script, and the other way round. Their skeletons are
the same: "rkstrc", "hrm". Each word is written in Latin letters (Cyrillic letter by letter, Arabic
script by consonant, Arabizi digits by the letters they stand for), the spellings people use for one
sound are made one symbol (sh, sch and ш are "x"; kh, x, h and х are "h"; g, q, gh and k are "k"; ts
and c are "c"; zh, dzh and j are "j"; w and v are "v"), vowels are dropped (Arabic script does not write
the short ones, Arabizi does) and so are doubled letters and a word's last "h" (the silent final
ه, which Finglish writes as "e").

Coarse on purpose: the classifier reads it as a second view beside the exact text
(wegweiser_classifier.py), which keeps every distinction the skeleton blurs. Pure Python, so the
bot's tests import it too. Expects text as Rasa gets it from the bot: lower-case, accents folded
(`bot.understanding.training.for_rasa`).
"""

from __future__ import annotations

import re

_CYRILLIC = {
    "а": "a", "б": "b", "в": "v", "г": "g", "ґ": "g", "д": "d", "е": "e", "ё": "e", "є": "ye",
    "ж": "zh", "з": "z", "и": "i", "і": "i", "ї": "i", "й": "i", "к": "k", "л": "l", "м": "m",
    "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh",
    "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu",
    "я": "ya",
}  # fmt: skip
# Arabic and Persian letters straight to skeleton symbols; alef, yeh, ain and hamza are vowels or
# glides that Arabizi and Finglish write as vowels (or as 2 and 3, dropped below too).
_ARABIC_SCRIPT = {
    "ا": "", "آ": "", "أ": "", "إ": "", "ء": "", "ئ": "", "ؤ": "", "ع": "", "ی": "", "ي": "",
    "ى": "", "ب": "b", "پ": "p", "ت": "t", "ث": "s", "ج": "j", "چ": "c", "ح": "h", "خ": "h",
    "د": "d", "ذ": "z", "ر": "r", "ز": "z", "ژ": "j", "س": "s", "ش": "x", "ص": "s", "ض": "z",
    "ط": "t", "ظ": "z", "غ": "k", "ف": "f", "ق": "k", "ک": "k", "ك": "k", "گ": "k", "ل": "l",
    "م": "m", "ن": "n", "و": "v", "ه": "h", "ة": "h",
}  # fmt: skip
# Arabizi digits, only inside a word that also has letters ("7arami"), never in "112" or "24".
_ARABIZI_DIGITS = str.maketrans({"2": "", "3": "", "5": "h", "6": "t", "7": "h", "8": "k"})
# Order matters: a plain "x" becomes "h" before "sh" becomes "x"; "dzh" (дж, the English j) before
# "zh"; "shch" before "sh" and "ch".
_LATIN_SPELLINGS = (
    ("x", "h"), ("dzh", "j"), ("shch", "x"), ("sch", "x"), ("sh", "x"), ("ch", "c"), ("kh", "h"),
    ("gh", "k"), ("zh", "j"), ("ts", "c"), ("tz", "c"), ("ph", "f"), ("q", "k"), ("g", "k"), ("w", "v"),
)  # fmt: skip
_VOWELS = re.compile(r"[aeiouy'’]")
_DOUBLED_LETTERS = re.compile(r"(\D)\1+")  # not digits: 112 stays 112
_DIGIT_AND_LETTER = re.compile(r"(?=.*\d)(?=.*[a-z])")


def _is_arabic_script(character: str) -> bool:
    return "\u0600" <= character <= "\u06ff"


def skeleton_of_word(word: str) -> str:
    if any(_is_arabic_script(character) for character in word):
        out = "".join(_ARABIC_SCRIPT.get(character, "") for character in word)
    else:
        word = "".join(_CYRILLIC.get(character, character) for character in word)
        if _DIGIT_AND_LETTER.match(word):
            word = word.translate(_ARABIZI_DIGITS)
        for spelling, symbol in _LATIN_SPELLINGS:
            word = word.replace(spelling, symbol)
        out = _VOWELS.sub("", word)
    out = _DOUBLED_LETTERS.sub(r"\1", out)
    return out[:-1] if len(out) > 1 and out.endswith("h") else out


def skeleton(text: str) -> str:
    """The skeletons of the words of `text`, space-separated; words that have none are left out."""
    return " ".join(filter(None, map(skeleton_of_word, text.split())))
