"""The consonant skeleton (nlu/components/script_skeleton.py): the classifier's second view, in which
a question typed in Latin letters looks like the examples in its language's own script."""

from __future__ import annotations

import importlib.util
from types import ModuleType

import pytest

from bot.understanding.service import COMPONENTS_DIR
from bot.understanding.training import for_rasa


def _load() -> ModuleType:
    # The module lives with our Rasa components (Rasa imports it from there); it is plain Python.
    spec = importlib.util.spec_from_file_location("script_skeleton", COMPONENTS_DIR / "script_skeleton.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


script_skeleton = _load()


def skeleton(text: str) -> str:
    result: str = script_skeleton.skeleton(for_rasa(text))  # as Rasa gets it from the bot
    return result


@pytest.mark.parametrize(
    ("own_script", "latin_letters"),
    [
        ("Регистрация по месту жительства", "registratsiya po mestu zhitelstva"),  # ru
        ("Помогите, пожалуйста", "pomogite pozhaluysta"),
        ("Хочу записаться на курс", "khochu zapisatsya na kurs"),
        ("Реєстрація місця проживання", "reyestratsiya mistsya prozhyvannya"),  # uk
        ("Шукаю школу для дитини", "shukayu shkolu dlya dytyny"),
        ("حرامي فات", "7arami fat"),  # ar
        ("محتاجين مساعدة", "m7tajin mosa3ade"),
        ("ثبت نام کلاس زبان", "sabt nam kelase zaban"),  # fa
        ("کمک لازم دارم", "komak lazem daram"),
        ("خانه", "khane"),
    ],
)
def test_a_question_in_latin_letters_has_the_skeleton_of_its_own_script(
    own_script: str, latin_letters: str
) -> None:
    assert skeleton(own_script) == skeleton(latin_letters)
    assert skeleton(own_script)  # and it is not empty


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ich brauche 112 sofort", "c brc 112 sfrt"),  # numbers stay numbers: no Arabizi in "112"
        ("Paragraf 24", "prkrf 24"),
        ("ya 3ali", "l"),  # "3" in a word is ain, like "ع", a vowel here
        ("aaa", ""),  # vowels only: nothing
        ("", ""),
    ],
)
def test_what_the_skeleton_keeps_and_drops(text: str, expected: str) -> None:
    assert skeleton(text) == expected


def test_different_words_keep_different_skeletons() -> None:
    # Coarse, but not so coarse that a topic's key words meet: the exact text is the first view anyway.
    words = ["jobcenter", "kita", "schule", "arzt", "polizei", "wohnung", "sprachkurs", "школа", "врач"]
    assert len({skeleton(word) for word in words}) == len(words)
    assert skeleton("джобцентр") == skeleton("dzhobtsentr") == skeleton("jobcenter")
