"""`wegweiser chat`: the bot in a terminal, for operators trying it out."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from bot.cli import main
from bot.storage import migrate


@pytest.fixture
def terminal(no_nlu_server: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'wegweiser.db'}"
    migrate.upgrade(url)
    monkeypatch.setenv("DATABASE_URL", url)


def typed(monkeypatch: pytest.MonkeyPatch, keys: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(keys), encoding="utf-8", errors="strict"))


def test_bytes_that_are_not_utf8_do_not_end_the_chat(
    terminal: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    typed(monkeypatch, b"hallo \xff\xfe\nemergency de question 1\n")
    assert main(["chat", "--user", "tester"]) == 0
    out = capsys.readouterr().out
    assert "emergency short in" in out  # the question after the bad bytes was still answered


def test_more_is_a_numbered_button_that_shows_the_whole_answer(
    terminal: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # English (button 1), Stadt Osnabrück (button 1), a question, then the first button under the
    # answer: "More details".
    typed(monkeypatch, b"1\n1\nregistration en question 2\n1\n")
    assert main(["chat", "--user", "tester"]) == 0
    out = capsys.readouterr().out
    short = out.index("registration short in en.")
    more = out.index("[1] ➕ More details", short)
    whole = out.index("registration title en\nregistration answer in en.", more)
    assert "city note en" in out[whole:] and "registration answer in en." not in out[:more]


def test_a_user_name_that_is_not_utf8_is_one_line_and_exit_2(
    terminal: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    typed(monkeypatch, b"hallo\n")
    assert main(["chat", "--user", "\udcff"]) == 2
    assert capsys.readouterr().err == "wegweiser: chat: --user is not UTF-8 text\n"
