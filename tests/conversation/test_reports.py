"""`wegweiser report`: what editors read after the bot met real questions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import main
from bot.conversation.core import Conversation
from tests.support.chat import Chat


@pytest.fixture
async def talked(conversation: Conversation, monkeypatch: pytest.MonkeyPatch) -> None:
    anna = Chat(conversation, user="anna", hint="uk")
    await anna.press("place:stadt_osnabrueck")
    await anna.send("registration uk question 1")
    await anna.send("registration uk question 2")
    await anna.press("fb:0:registration")
    await anna.send("xylophon quwkz")
    omar = Chat(conversation, user="omar", hint="ar")
    await omar.send("emergency ar question 3")
    await omar.press("topic:emergency")
    monkeypatch.setenv("DATABASE_URL", conversation.database.url)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_unanswered_groups_by_language_and_topic(
    talked: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await _main(["report", "unanswered", "--json"]) == 0
    gaps = {(g["language"], g["nearest_topic"]): g for g in json.loads(capsys.readouterr().out)}
    assert gaps[("uk", "registration")]["not_helpful"] == 1
    assert gaps[("uk", "registration")]["samples"] == ["registration uk question 2"]
    assert sum(g["count"] for g in gaps.values()) == 2
    assert await _main(["report", "unanswered"]) == 0
    assert "registration uk question 2" in capsys.readouterr().out


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_what_a_visitor_wrote_cannot_steer_the_operators_terminal(
    conversation: Conversation, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    mallory = Chat(conversation, user="mallory", hint="en")
    await mallory.press("place:stadt_osnabrueck")
    await mallory.send("xylophon\x1b[2J quwkz\u202e zzq\x07")  # clear the screen, reverse, ring
    monkeypatch.setenv("DATABASE_URL", conversation.database.url)
    assert await _main(["report", "unanswered"]) == 0
    out = capsys.readouterr().out
    assert "xylophon" in out
    assert not any(character in out for character in "\x1b\x07\u202e"), repr(out)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_usage_is_topics_by_languages(talked: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert await _main(["report", "usage", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"registration": {"uk": 2}, "emergency": {"ar": 2}}


@pytest.mark.parametrize("days", ["0", "3651", "1000000", "99999999999"])
def test_days_out_of_range_is_one_line_and_exit_2(
    days: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'wegweiser.db'}")
    assert main(["report", "usage", "--days", days]) == 2
    assert capsys.readouterr().err == "wegweiser: report: --days must be between 1 and 3650\n"


async def _main(argv: list[str]) -> int:
    import asyncio

    # The command runs its own event loop, as it does from the shell.
    return await asyncio.to_thread(main, argv)
