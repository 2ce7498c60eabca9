from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.content.store import ContentStore
from bot.conversation.core import Conversation
from bot.office_hours import parse_office_hours
from bot.storage.database import Database
from bot.understanding.understand import Understander
from tests.support.chat import Chat

# A Tuesday, 10:00 in Osnabrück: inside the staff hours below.
TUESDAY_MORNING = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(TUESDAY_MORNING)


def build_conversation(database: Database, content_dir: Path, clock: Clock) -> Conversation:
    store = ContentStore(content_dir)
    return Conversation(
        database=database,
        content=store,
        understander=Understander.build(store.current, rasa_url=None),
        retention_days=90,
        staff_hours=parse_office_hours("mon-fri 09:00-16:00"),
        clock=clock,
    )


@pytest.fixture
async def conversation(database: Database, content_dir: Path, clock: Clock) -> AsyncIterator[Conversation]:
    built = build_conversation(database, content_dir, clock)
    yield built
    await built.understander.aclose()


@pytest.fixture
def chat(conversation: Conversation) -> Chat:
    return Chat(conversation)
