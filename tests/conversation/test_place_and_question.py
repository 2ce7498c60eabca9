"""A question written next to where the person lives is answered, however the place is spelt
(issue #25, item 4: «در شهر اسنابروک زندگی می‌کنم. اجازه اقامت…» lost its question)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import write_content_with_city_spellings
from tests.support.chat import Chat


@pytest.fixture
def content_dir(tmp_path: Path) -> Path:
    return write_content_with_city_spellings(tmp_path / "content")


async def test_a_place_spelt_nearly_is_saved_and_the_question_after_it_answered(chat: Chat) -> None:
    chat.hint = "fa"
    await chat.send("/start")
    _, asked = await chat.press("lang:fa")
    assert asked.kind == "place_question"
    # "اسنابروک": the content lists "اوسنابروک"
    saved, card = await chat.send("در شهر اسنابروک زندگی می‌کنم. registration fa question 4")
    assert saved.kind == "place_saved" and "Stadt Osnabrück" in saved.text
    assert card.kind == "answer" and "registration title fa" in card.text and "City Office" in card.text


async def test_the_same_without_being_asked_first(chat: Chat) -> None:
    chat.hint = "fa"
    replies = await chat.send("در شهر اسنابروک زندگی می‌کنم. registration fa question 4")
    assert [reply.kind for reply in replies] == ["answer"]
    assert "City Office" in replies[0].text and "District Office" not in replies[0].text


async def test_an_unknown_place_keeps_the_question_until_the_place_is_known(chat: Chat) -> None:
    await chat.send("/start")
    await chat.press("lang:de")
    [asked] = await chat.send("Ich wohne in Hamburg. registration de question 4")
    assert asked.kind == "place_question"
    saved, card = await chat.send("Ankum")
    assert saved.kind == "place_saved" and card.kind == "answer" and "District Office" in card.text


async def test_only_the_place_is_still_only_the_place(chat: Chat) -> None:
    await chat.send("/start")
    await chat.press("lang:de")
    [saved] = await chat.send("Ich wohne in Ankum. Danke!")
    assert saved.kind == "place_saved"
    await chat.send("/place")
    [unknown] = await chat.send("Ich wohne in Hamburg.")
    assert unknown.kind == "place_unknown"
