"""Settings: defaults, validation, and the one-line exit for operators."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.settings import ConfigError, Settings, load_settings

VALID_TOKEN = "123456:" + "A" * 35


def test_defaults_need_no_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TELEGRAM_BOT_TOKEN", "DATABASE_URL", "RASA_URL", "WEB_PORT"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.telegram_enabled is False
    assert settings.database_url.startswith("sqlite+aiosqlite:///")
    assert str(settings.rasa_url) == "http://127.0.0.1:5005/"
    assert (settings.web_host, settings.web_port) == ("127.0.0.1", 8080)


def test_machine_translation_is_off_unless_a_server_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRANSLATE_URL", raising=False)
    assert Settings(_env_file=None).translation_enabled is False  # type: ignore[call-arg]
    monkeypatch.setenv("TRANSLATE_URL", "")  # what docker-compose passes without the profile
    assert Settings(_env_file=None).translation_enabled is False  # type: ignore[call-arg]
    monkeypatch.setenv("TRANSLATE_URL", "http://translate:5000")
    monkeypatch.setenv("TRANSLATE_API_KEY", "geheimer-schluessel")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.translation_enabled and str(settings.translate_url) == "http://translate:5000/"
    assert "geheimer-schluessel" not in repr(settings)


def test_token_is_secret_and_enables_telegram(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", VALID_TOKEN)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.telegram_enabled
    assert VALID_TOKEN not in repr(settings)


@pytest.mark.parametrize(
    ("variable", "value", "fix"),
    [
        ("WEB_PORT", "eighty", "free TCP port"),
        ("WEB_PORT", "70000", "free TCP port"),
        ("RETENTION_DAYS", "0", "whole number of days"),
        ("DATABASE_URL", "mysql://localhost/x", "sqlite+aiosqlite"),
        ("TELEGRAM_BOT_TOKEN", "not-a-token", "@BotFather"),
        ("RASA_URL", "localhost 5005", "Rasa server"),
        ("LOG_LEVEL", "LOUD", "DEBUG, INFO"),
        ("STAFF_HOURS", "weekdays nine to five", "mon-fri 09:00-16:00"),
        ("TRANSLATE_URL", "translate 5000", "LibreTranslate server"),
        ("TRANSLATE_URL", "ftp://translate:5000", "LibreTranslate server"),
        ("TRANSLATE_TIMEOUT_SECONDS", "0", "seconds between 0.1 and 30"),
        ("TRANSLATE_TIMEOUT_SECONDS", "soon", "seconds between 0.1 and 30"),
    ],
)
def test_bad_setting_names_variable_and_fix(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], variable: str, value: str, fix: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as raised:
        load_settings(_env_file=None)
    assert raised.value.code == 2
    line = capsys.readouterr().err.strip()
    assert "\n" not in line
    assert variable in line and fix in line


def test_a_setting_that_is_not_utf8_is_refused_at_startup(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # what Python makes of the bytes 0xff 0xfe in the environment; signing a session with it failed later
    monkeypatch.setenv("SECRET_KEY", "\udcff\udcfe" + "x" * 40)
    with pytest.raises(ConfigError):
        load_settings(_env_file=None)
    assert capsys.readouterr().err.startswith(
        "wegweiser: setting SECRET_KEY is invalid (Value error, not UTF-8"
    )


def test_a_settings_file_that_is_not_utf8_is_one_line_and_exit_2(tmp_path: Path) -> None:
    (tmp_path / ".env").write_bytes(
        b"WEB_PORT=8080\nRETENTION_DAYS=30 # Aufbewahrungsfrist f\xfcr Nachrichten\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "bot", "db", "upgrade"],
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYTHONPATH": os.environ.get("PYTHONPATH", "")},
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert (result.returncode, result.stderr.strip().count("\n")) == (2, 0), result.stderr
    assert result.stderr.startswith("wegweiser: the settings file .env cannot be read (invalid start byte)")


def test_cli_exits_2_with_one_line(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "db", "upgrade"],
        env={"PATH": "/usr/bin:/bin", "WEB_PORT": "-1", "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert result.stderr.startswith("wegweiser: setting WEB_PORT is invalid")
