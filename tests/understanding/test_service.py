"""Service errors that need no Rasa: one clear line."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.content.model import ContentBase
from bot.understanding.service import (
    NluProject,
    RasaUnavailable,
    default_rasa_bin,
    host_and_port,
    train_model,
)


def test_missing_rasa_is_one_clear_line(tmp_path: Path, content: ContentBase) -> None:
    project = NluProject(root=tmp_path, rasa_bin=tmp_path / "nowhere" / "rasa")
    with pytest.raises(RasaUnavailable) as raised:
        train_model(project, content)
    message = str(raised.value)
    assert "\n" not in message
    assert "WEGWEISER_RASA_BIN" in message and str(tmp_path / "nowhere" / "rasa") in message


def test_rasa_bin_default_and_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WEGWEISER_RASA_BIN", raising=False)
    assert default_rasa_bin().parts[-3:] == (".venv-rasa", "bin", "rasa")
    monkeypatch.setenv("WEGWEISER_RASA_BIN", "/opt/rasa/bin/rasa")
    assert default_rasa_bin() == Path("/opt/rasa/bin/rasa")


def test_host_and_port_from_rasa_url() -> None:
    assert host_and_port("http://127.0.0.1:5005") == ("127.0.0.1", 5005)
    assert host_and_port("http://localhost:5005/") == ("localhost", 5005)
