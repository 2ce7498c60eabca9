"""Fixtures of the Telegram channel tests: a Bot API on loopback, the real core, the real Application.

`telegram` is python-telegram-bot's Application, built by `build_application` from settings that
point TELEGRAM_API_BASE_URL at the loopback server, started as `wegweiser run` starts it (long
polling), and stopped at the end of the test. Everything goes over real HTTP on 127.0.0.1.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from bot.channels.telegram import TelegramApplication, build_application, start_application, stop_application
from bot.conversation.core import Conversation
from bot.settings import Settings
from bot.storage import migrate
from bot.storage.database import Database
from bot.understanding.language import detect
from tests.support.bot_api import TOKEN, BotApiServer
from tests.support.chat import build_conversation


@pytest.fixture(scope="session", autouse=True)
def language_detector_loaded() -> None:
    """lingua loads its models on the first call (about 7 s): once per session, not in a test's
    reply timeout."""
    detect("Wo melde ich meine Adresse an?")


@pytest.fixture
async def bot_api() -> AsyncIterator[BotApiServer]:
    async with BotApiServer() as server:
        yield server


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty, migrated SQLite file, migrated once; each test gets a copy."""
    path = tmp_path_factory.mktemp("template") / "wegweiser.db"
    migrate.upgrade(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture
def sqlite_url(tmp_path: Path, migrated_sqlite: Path) -> str:
    path = tmp_path / "wegweiser.db"
    shutil.copyfile(migrated_sqlite, path)
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture
async def db(sqlite_url: str) -> AsyncIterator[Database]:
    """SQLite; a module overrides `db` with the `database` fixture to run on PostgreSQL too."""
    database = Database(sqlite_url)
    yield database
    await database.dispose()


def make_settings(bot_api: BotApiServer, content_dir: Path, database_url: str, **extra: Any) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=bot_api.base_url,
        DATABASE_URL=database_url,
        CONTENT_DIR=content_dir,
        **extra,
    )


@pytest.fixture
def settings(bot_api: BotApiServer, content_dir: Path, sqlite_url: str) -> Settings:
    return make_settings(bot_api, content_dir, sqlite_url)


@pytest.fixture
async def conversation(db: Database, content_dir: Path) -> AsyncIterator[Conversation]:
    built = build_conversation(db, content_dir)
    yield built
    await built.understander.aclose()


Starter = Callable[..., Awaitable[TelegramApplication]]


@pytest.fixture
async def start_telegram(settings: Settings, conversation: Conversation) -> AsyncIterator[Starter]:
    """Start an Application (several, one after another, for restart tests); all are stopped at the
    end, before the database closes."""
    running: list[TelegramApplication] = []
    default_conversation = conversation

    async def start(
        conversation: Conversation = default_conversation, *, settings: Settings = settings, **options: Any
    ) -> TelegramApplication:
        application = build_application(settings, conversation, **options)
        await start_application(application, settings)
        running.append(application)
        return application

    yield start
    for application in reversed(running):
        if application.running:
            await stop_application(application)


@pytest.fixture
async def telegram(start_telegram: Starter) -> TelegramApplication:
    return await start_telegram()
