"""Text normalisation shared by the matcher, the safety net and place finding.

`fold()` from the content model removes case, accents and punctuation. On top of that we unify
letters that people type interchangeably: Arabic and Persian yeh/kaf/alef forms, Turkish dotless ı,
and the Arabic tatweel, so "كيف" and "کیف" or "yangın" and "yangin" compare equal.
"""

from __future__ import annotations

from bot.content.model import ContentBase, fold

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
)


def normalise(text: str) -> str:
    """Comparison form: folded (case, accents, punctuation) and with look-alike letters unified."""
    return fold(text.translate(_UNIFY)).translate(_UNIFY)


def find_place(text: str, content: ContentBase, *, longest: int = 4) -> str | None:
    """The region id of the first place name in `text`, trying the longest word spans first.

    Uses the content base's own index (names, spellings, member municipalities), so "ich wohne in
    Ankum" finds sg_bersenbrueck. Turkish suffixes after an apostrophe ("Melle'de") are cut off.
    """
    words = fold(text.replace("'", " ").replace("’", " ")).split()
    for start in range(len(words)):
        for size in range(min(longest, len(words) - start), 0, -1):
            region = content.resolve_region(" ".join(words[start : start + size]))
            if region is not None:
                return region.id
    return None
