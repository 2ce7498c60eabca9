"""`wegweiser ask` against a real Rasa server: no degraded-mode note, the same contract."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from bot.cli import main
from tests.understanding.conftest import RasaServer

pytestmark = pytest.mark.rasa


@pytest.fixture
def with_rasa(rasa_server: RasaServer, monkeypatch: pytest.MonkeyPatch, fixture_content_dir: Path) -> None:
    rasa_server.restart()
    monkeypatch.setenv("RASA_URL", rasa_server.url)
    monkeypatch.setenv("CONTENT_DIR", str(fixture_content_dir))


def test_ask_uses_the_nlu_server(with_rasa: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["ask", "--lang", "de", "--place", "melle", "--json", "wie melde ich meine neue wohnung an"])
        == 0
    )
    out, err = capsys.readouterr()
    result = json.loads(out)
    assert (result["topic"], result["action"], result["language"]) == ("registration", "answer", "de")
    assert "degraded" not in err


def test_jsonl_with_the_nlu_server(
    with_rasa: None, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    questions = [
        {"text": "jobcenter nerede", "lang": "tr", "place": "stadt_osnabrueck"},
        {"text": "where do i register my address", "lang": "en", "place": "bramsche"},
        {"text": "Hilfe, mein Mann schlägt mich", "lang": "de"},
    ] * 10
    monkeypatch.setattr("sys.stdin", io.StringIO("".join(json.dumps(q) + "\n" for q in questions)))
    assert main(["ask", "--jsonl"]) == 0
    out, err = capsys.readouterr()
    results = [json.loads(line) for line in out.splitlines()]
    assert [r["topic"] for r in results[:3]] == ["jobcenter", "registration", "emergency"]
    assert [r["action"] for r in results[:3]] == ["answer", "answer", "emergency"]
    assert len(results) == 30 and results[3:6] == results[:3]
    assert "degraded" not in err
