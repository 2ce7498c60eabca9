"""Structured logging (one JSON object a line) that keeps the people who write to the bot private.

At INFO and above no message text, names or chat ids are logged: log calls pass only counts, ids
of topics/intents and technical facts. As a second line of defence the formatter drops any
`extra` field whose name suggests personal data, and third-party loggers that would print
request URLs with the bot token or chat ids are kept at WARNING.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

PRIVATE_FIELDS = frozenset(
    {"text", "message_text", "chat_id", "user_id", "username", "name", "first_name", "token"}
)
_RESERVED = frozenset(vars(logging.makeLogRecord({})))
NOISY_LOGGERS = ("httpx", "httpcore", "telegram", "apscheduler", "uvicorn.access", "aiosqlite", "asyncio")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "event": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _RESERVED and key not in PRIVATE_FIELDS and not key.startswith("_"):
                entry[key] = value if isinstance(value, str | int | float | bool | None) else str(value)
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in NOISY_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.WARNING, logging.getLevelName(level)))
