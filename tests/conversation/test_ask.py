"""`wegweiser ask`: the exact contract evaluation scripts rely on."""

from __future__ import annotations

import io
import json
import socket
from pathlib import Path

import pytest

from bot.cli import main
from bot.i18n import texts

RESULT_KEYS = {"topic", "intent", "confidence", "language", "action", "text"}


@pytest.fixture
def no_nlu_server(monkeypatch: pytest.MonkeyPatch, content_dir: Path) -> None:
    with socket.socket() as probe:  # a port nobody listens on: the NLU is down
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("RASA_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("CONTENT_DIR", str(content_dir))


def test_one_question_as_json(no_nlu_server: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["ask", "--lang", "en", "--place", "stadt_osnabrueck", "--json", "registration en question 5"])
        == 0
    )
    out, err = capsys.readouterr()
    result = json.loads(out)
    assert set(result) == RESULT_KEYS
    assert (result["topic"], result["intent"], result["action"], result["language"]) == (
        "registration",
        "registration",
        "answer",
        "en",
    )
    assert 0 <= result["confidence"] <= 1
    assert "registration title en" in result["text"] and "City Office" in result["text"]
    assert "<b>" not in result["text"]  # as the user reads it, not the markup
    assert err.count("degraded mode") == 1


def test_place_unknown_asks_for_the_place(no_nlu_server: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", "--lang", "de", "--json", "registration de question 5"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["action"] == "ask_place" and result["topic"] == "registration"


def test_a_move_named_is_saved_not_asked(no_nlu_server: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", "--lang", "de", "--json", "Ich bin nach Ankum umgezogen"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert (result["action"], result["intent"], result["topic"]) == ("ask_place", "change_place", None)
    saved = texts("de").gettext("Saved: you live in {place}.").format(place="Samtgemeinde Bersenbrück")
    assert result["text"] == saved


def test_emergency_comes_with_the_numbers(no_nlu_server: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", "--lang", "de", "--json", "Hilfe, es brennt!"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["action"] == "emergency" and result["topic"] == "emergency"
    told_team = texts("de").gettext(
        "I have also told our team. A person will contact you here as soon as possible."
    )
    assert told_team != "I have also told our team. A person will contact you here as soon as possible."
    assert result["text"].index("112") < result["text"].index(told_team)


def test_jsonl_keeps_order_reports_bad_lines_and_notes_degraded_mode_once(
    no_nlu_server: None, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    questions = [
        {"text": f"registration de question {n}", "lang": "de", "place": "sg_bersenbrueck"} for n in range(30)
    ]
    lines = [json.dumps(q) for q in questions]
    lines.insert(3, "{not json")
    lines.append(json.dumps({"text": "emergency en question 1", "lang": "en"}))
    monkeypatch.setattr("sys.stdin", io.StringIO("\n".join(lines) + "\n"))
    assert main(["ask", "--jsonl"]) == 2  # one bad line: reported, and the others still answered
    out, err = capsys.readouterr()
    results = [json.loads(line) for line in out.splitlines()]
    assert len(results) == len(lines)
    assert results[3] == {
        "error": "line 4: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"
    }
    answered = [r for r in results if "error" not in r]
    assert all(set(r) == RESULT_KEYS for r in answered)
    assert [r["action"] for r in answered[:-1]] == ["answer"] * 30
    assert answered[-1]["action"] == "emergency" and answered[-1]["language"] == "en"
    assert err.count("degraded mode") == 1 and "line 4" in err


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["ask", "--lang", "xx", "hallo"], "unknown language 'xx'"),
        (["ask", "--place", "atlantis", "hallo"], "unknown place 'atlantis'"),
        (["ask"], "needs either a question or --jsonl"),
        (["ask", "--lang", "de", "   "], "empty question"),
    ],
)
def test_bad_input_is_one_line_and_exit_code_2(
    no_nlu_server: None, capsys: pytest.CaptureFixture[str], argv: list[str], says: str
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and says in err[0]
