"""Fixtures for the hand-off tests: the application's services, staff accounts, cases, a logged-in client."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Result, event
from sqlalchemy.orm import ORMExecuteState, Session

from bot.channels.telegram import build_application, start_application, stop_application
from bot.handoff import cases, staff
from bot.server.services import Services
from bot.settings import Settings
from bot.storage.database import Database
from bot.storage.models import Base, Case, StaffAccount, User
from bot.web.app import create_web_app
from tests.support.bot_api import TOKEN, BotApiServer
from tests.support.browser import browser_context, page  # noqa: F401  (fixtures)

PASSWORD = "richtig-geheim-42"
SECRET = "s" * 40


@pytest.fixture
async def services(database: Database, content_dir: Path) -> AsyncIterator[Services]:
    """The application's services on the test database; understanding without Rasa."""
    settings = Settings(DATABASE_URL=database.url, CONTENT_DIR=content_dir, SECRET_KEY=SECRET)
    built = Services.build(settings, use_rasa=False)
    yield built
    await built.close()


@pytest.fixture
async def bot_api() -> AsyncIterator[BotApiServer]:
    """A Telegram Bot API on loopback, for the tests that run the Telegram channel too."""
    async with BotApiServer() as server:
        yield server


@asynccontextmanager
async def with_telegram(
    database: Database, content_dir: Path, bot_api: BotApiServer, **settings: Any
) -> AsyncIterator[Services]:
    """The services as `wegweiser run` builds them, with the Telegram channel running against the
    loopback Bot API (and any further `settings`), stopped again at the end."""
    configured = Settings(  # type: ignore[call-arg]
        _env_file=None,
        DATABASE_URL=database.url,
        CONTENT_DIR=content_dir,
        SECRET_KEY=SECRET,
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=bot_api.base_url,
        **settings,
    )
    built = Services.build(configured, use_rasa=False)
    application = build_application(configured, built.conversation, outbox_interval=0.2)
    await start_application(application, configured)
    try:
        yield built
    finally:
        await stop_application(application)
        await built.close()


@pytest.fixture
def app(services: Services) -> FastAPI:
    return create_web_app(services)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver", follow_redirects=False
    ) as http:
        yield http


async def add_staff(
    database: Database, username: str = "anna", *, role: str = "staff", languages: str = "de,uk"
) -> StaffAccount:
    async with database.session() as session, session.begin():
        return await staff.create_account(session, username, PASSWORD, role=role, languages=languages)


async def add_case(database: Database, **details: Any) -> Case:
    """A user and their case, as the conversation core leaves them (`add_cases` says what can vary)."""
    [case] = await add_cases(database, 1, **details)
    return case


async def add_cases(
    database: Database,
    count: int,
    *,
    said: Sequence[str] = ("Ich brauche Hilfe bei der Anmeldung",),
    language: str = "uk-UA",
    region: str | None = "stadt_osnabrueck",
    urgent: bool = False,
    topics: Sequence[str] = ("registration",),
    channel: str = "telegram",
    external_id: str | None = None,
    opened_at: datetime | None = None,
) -> list[Case]:
    """`count` users and a case each, in one unit of work (as many visitors writing at once)."""
    made = []
    async with database.session() as session, session.begin():
        for n in range(count):
            user = User(
                channel=channel,
                external_id=external_id or f"{channel}-{n}-{datetime.now(UTC).timestamp()}",
                language=language,
                region=region,
            )
            session.add(user)
            await session.flush()
            case = await cases.open_case(
                session,
                user,
                reason="urgent" if urgent else "asked",
                urgent=urgent,
                topics=topics,
                now=opened_at,
            )
            for text in said:
                await cases.add_event(session, case, "user_message", text)
            made.append(case)
    return made


@dataclass
class Loaded:
    rows: int = 0
    chars: int = 0  # of the text in those rows


def _chars(value: object) -> int:
    if isinstance(value, str):
        return len(value)
    if isinstance(value, Base):  # a loaded entity: its text columns
        return sum(len(v) for v in vars(value).values() if isinstance(v, str))
    return 0


@contextmanager
def loaded_from_database() -> Iterator[Loaded]:
    """What the application's queries brought out of the database while inside: rows and characters."""
    counted = Loaded()

    def count(state: ORMExecuteState) -> Result[Any]:
        frozen = state.invoke_statement().freeze()
        for row in frozen().all():
            counted.rows += 1
            counted.chars += sum(_chars(value) for value in row)
        return frozen()

    event.listen(Session, "do_orm_execute", count, retval=True)
    try:
        yield counted
    finally:
        event.remove(Session, "do_orm_execute", count)


CSRF_FIELD = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    match = CSRF_FIELD.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1)


async def log_in(
    client: httpx.AsyncClient, username: str = "anna", password: str = PASSWORD
) -> httpx.Response:
    form = await client.get("/staff/login")
    assert form.status_code == 200
    return await client.post(
        "/staff/login", data={"username": username, "password": password, "csrf": csrf_of(form.text)}
    )


async def logged_in(client: httpx.AsyncClient, username: str = "anna") -> str:
    """Log in; the session's CSRF token."""
    response = await log_in(client, username)
    assert response.status_code == 303, response.text
    queue = await client.get("/staff")
    assert queue.status_code == 200
    return csrf_of(queue.text)
