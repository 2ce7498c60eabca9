"""What people write never reaches a log line above DEBUG, on either database, even when storing it
goes wrong (a NUL character made PostgreSQL refuse the message, and its error line quoted it)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from bot.logs import JsonFormatter
from bot.storage.database import Database
from bot.storage.models import Message
from bot.web.chat import SESSION_HEADER
from tests.support.chat import Chat, build_conversation
from tests.support.web import web_client, web_services

SECRET_WORDS = "Olena-Kowalenko-4711"
MESSAGES = (
    f"Ich heiße {SECRET_WORDS}\x00 und brauche Hilfe",  # NUL: PostgreSQL refuses it in text
    f"{SECRET_WORDS}\x07\x1b[31m bell and escape",
    f"registration de question 5 {SECRET_WORDS}",
    f"emergency de question 1 {SECRET_WORDS}",  # urgent: opens a case
    f"{SECRET_WORDS} schreibt in den Fall",
)


def lines_above_debug(caplog: pytest.LogCaptureFixture) -> list[str]:
    formatter = JsonFormatter()
    return [formatter.format(record) for record in caplog.records if record.levelno > logging.DEBUG]


async def test_no_log_line_above_debug_carries_a_message_text(
    database: Database, content_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with web_services(database, content_dir) as services, web_client(services) as client:
        for number, text in enumerate(MESSAGES):
            body = {"id": f"message-{number:012d}", "kind": "text", "text": text}
            response = await client.post("/api/chat/send", json=body)
            assert response.status_code == 200, response.text
            client.headers[SESSION_HEADER] = response.json()["session"]
    terminal = Chat(build_conversation(database, content_dir), user="terminal-user")
    for text in MESSAGES:
        assert await terminal.send(text)
    await terminal.conversation.understander.aclose()

    assert not [line for line in lines_above_debug(caplog) if SECRET_WORDS in line]
    async with database.session() as session:
        stored = (await session.execute(select(Message.text).where(Message.direction == "in"))).scalars()
        kept = [text for text in stored if SECRET_WORDS in text]
    # Every message was stored, without its control characters.
    assert len(kept) == 2 * len(MESSAGES)
    assert "Ich heiße Olena-Kowalenko-4711 und brauche Hilfe" in kept
    assert not [text for text in kept if any(char in text for char in "\x00\x07\x1b")]


async def test_a_failed_statement_does_not_show_what_was_bound_to_it(database: Database) -> None:
    with pytest.raises(DBAPIError) as failure:
        async with database.session() as session, session.begin():
            session.add(Message(user_id=None, direction="in", text=SECRET_WORDS))  # user_id is NOT NULL
            await session.flush()
    assert SECRET_WORDS not in str(failure.value)
