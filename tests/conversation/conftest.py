from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest

from bot.conversation.core import Conversation
from bot.storage.database import Database
from tests.support.chat import TUESDAY_MORNING, Chat, build_conversation


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(TUESDAY_MORNING)


@pytest.fixture
async def conversation(database: Database, content_dir: Path, clock: Clock) -> AsyncIterator[Conversation]:
    built = build_conversation(database, content_dir, clock)
    yield built
    await built.understander.aclose()


@pytest.fixture
def chat(conversation: Conversation) -> Chat:
    return Chat(conversation)
