"""SQLite through bot/storage/sqlite.py: statements run on the event loop's thread; a write lock held
by another connection is waited for on aiosqlite's thread while the loop goes on; and everything
SQLAlchemy reads from a cursor (rows, row counts, errors, streamed results) is as sqlite3 gives it."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import exc, func, insert, select, text, update

from bot.storage import migrate, sqlite
from bot.storage.database import Database
from bot.storage.models import User


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "driver.db"


@pytest.fixture
async def database(path: Path) -> AsyncIterator[Database]:
    url = f"sqlite+aiosqlite:///{path}"
    await asyncio.to_thread(migrate.upgrade, url)
    database = Database(url)
    yield database
    await database.dispose()


def users(count: int) -> list[dict[str, Any]]:
    return [{"channel": "terminal", "external_id": f"user-{number}", "misses": 0} for number in range(count)]


@contextmanager
def write_lock(path: Path) -> Iterator[sqlite3.Connection]:
    """Another connection (as another process would) holding the database's write lock; commit it
    to let go."""
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    try:
        yield other
    finally:
        other.close()


async def ticks_while(awaitable: Any) -> tuple[int, Any]:
    """How often a 10 ms ticker got to run while `awaitable` was waited for, and its outcome."""
    count = 0

    async def ticker() -> None:
        nonlocal count
        while True:
            await asyncio.sleep(0.01)
            count += 1

    ticking = asyncio.create_task(ticker())
    try:
        outcome = await asyncio.gather(awaitable, return_exceptions=True)
    finally:
        ticking.cancel()
    return count, outcome[0]


async def add_user(database: Database, external_id: str) -> None:
    async with database.session() as session, session.begin():
        session.add(User(channel="web", external_id=external_id, misses=0))


async def test_statements_run_on_the_event_loops_thread(database: Database) -> None:
    async with database.engine.connect() as connection:
        driver = (await connection.get_raw_connection()).driver_connection
        assert driver is not None
        driver._conn.create_function("thread_id", 0, threading.get_ident)
        # aiosqlite's own connection answers from its worker thread.
        assert (await connection.execute(text("SELECT thread_id()"))).scalar_one() == threading.get_ident()


async def test_a_write_lock_elsewhere_is_waited_for_while_the_loop_goes_on(
    database: Database, path: Path
) -> None:
    with write_lock(path) as other:
        asyncio.get_running_loop().call_later(0.3, other.commit)
        ticks, outcome = await ticks_while(add_user(database, "after the lock"))
    assert outcome is None
    assert ticks >= 15  # the loop ran all the while (waiting in place, it could not even let go)
    async with database.session() as session:
        assert (await session.execute(select(User.external_id))).scalars().all() == ["after the lock"]


async def test_a_lock_held_too_long_is_sqlalchemys_operational_error(
    database: Database, path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite, "LOCK_WAIT", 0.2)
    with write_lock(path):
        ticks, outcome = await ticks_while(add_user(database, "too late"))
    assert isinstance(outcome, exc.OperationalError)
    assert "locked" in str(outcome)
    assert ticks >= 10
    await add_user(database, "later")  # the one pooled connection is usable again
    async with database.session() as session:
        assert (await session.execute(select(User.external_id))).scalars().all() == ["later"]


async def test_rows_counts_and_generated_keys_come_back(database: Database) -> None:
    async with database.session() as session, session.begin():
        person = User(channel="web", external_id="someone", misses=0)
        session.add(person)
        await session.flush()
        assert person.id is not None
        await session.execute(insert(User), users(5))  # several rows in one statement
        changed = await session.execute(update(User).where(User.channel == "terminal").values(misses=2))
        assert changed.rowcount == 5  # type: ignore[attr-defined]
        assert (await session.execute(select(func.count()).select_from(User))).scalar_one() == 6
        assert (await session.execute(select(User).where(User.external_id == "nobody"))).first() is None


async def test_a_streamed_result_gives_every_row(database: Database) -> None:
    async with database.session() as session, session.begin():
        await session.execute(insert(User), users(150))
    async with database.session() as session:
        streamed = await session.stream_scalars(select(User.external_id).order_by(User.id))
        seen = [external_id async for external_id in streamed]
    assert seen == [f"user-{number}" for number in range(150)]


async def test_a_broken_constraint_is_sqlalchemys_integrity_error_and_the_connection_goes_on(
    database: Database,
) -> None:
    await add_user(database, "twice")
    with pytest.raises(exc.IntegrityError):
        await add_user(database, "twice")
    async with database.session() as session:  # the one pooled connection is usable again
        assert (await session.execute(select(func.count()).select_from(User))).scalar_one() == 1
