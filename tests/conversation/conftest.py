from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest
from fastapi import FastAPI

from bot.conversation.core import Conversation
from bot.settings import Settings
from bot.storage.database import Database
from bot.web.chat import mount_chat
from bot.web.guard import protect
from tests.support.browser import serve_app
from tests.support.chat import TUESDAY_MORNING, Chat, build_conversation


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def no_nlu_server(monkeypatch: pytest.MonkeyPatch, content_dir: Path) -> None:
    """The commands' settings: the test content, and an NLU server that does not answer."""
    with socket.socket() as probe:  # a port nobody listens on: the NLU is down
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("RASA_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("CONTENT_DIR", str(content_dir))


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


@pytest.fixture
async def web_chat(conversation: Conversation, content_dir: Path) -> AsyncIterator[str]:
    """The web chat (page and API) served on loopback; yields its base URL."""
    app = FastAPI()
    settings = Settings(CONTENT_DIR=content_dir)
    mount_chat(app, conversation, conversation.database, settings)
    protect(app, settings)  # as served: the page must work under its CSP
    async with serve_app(app) as url:
        yield url
