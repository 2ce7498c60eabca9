"""Logs are structured and never carry what people wrote or who they are."""

from __future__ import annotations

import json
import logging

from bot.logs import JsonFormatter


def test_json_line_without_private_fields() -> None:
    record = logging.makeLogRecord(
        {
            "name": "bot.test",
            "levelno": logging.INFO,
            "levelname": "INFO",
            "msg": "answered",
            "topic": "registration",
            "text": "Ich heiße Olena",
            "chat_id": 987654321,
        }
    )
    line = JsonFormatter().format(record)
    entry = json.loads(line)
    assert entry["event"] == "answered" and entry["topic"] == "registration"
    assert "Olena" not in line and "987654321" not in line
