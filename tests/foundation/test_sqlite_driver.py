"""SQLite through bot/storage/sqlite.py: one trip to aiosqlite's thread per statement, and everything
SQLAlchemy reads from a cursor (rows, row counts, errors, streamed results) as sqlite3 gives it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import exc, func, insert, select, update

from bot.storage import migrate
from bot.storage.database import Database
from bot.storage.models import User


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'driver.db'}"
    await asyncio.to_thread(migrate.upgrade, url)
    database = Database(url)
    yield database
    await database.dispose()


def users(count: int) -> list[dict[str, Any]]:
    return [{"channel": "terminal", "external_id": f"user-{number}", "misses": 0} for number in range(count)]


async def test_a_statement_is_one_trip_to_the_sqlite_thread(database: Database) -> None:
    async with database.engine.connect() as connection:
        await connection.execute(insert(User), users(3))
        driver = (await connection.get_raw_connection()).driver_connection
        assert driver is not None
        trips: list[str] = []
        to_thread = driver._execute

        async def counted(function: Any, *arguments: Any) -> Any:
            trips.append(getattr(function, "__name__", repr(function)))
            return await to_thread(function, *arguments)

        driver._execute = counted
        rows = (await connection.execute(select(User.external_id).order_by(User.id))).scalars().all()
        assert rows == ["user-0", "user-1", "user-2"]
        # aiosqlite's own cursor: create, execute, fetch, close — four trips.
        assert len(trips) == 1, trips


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
    async with database.session() as session, session.begin():
        session.add(User(channel="web", external_id="twice", misses=0))
    with pytest.raises(exc.IntegrityError):
        async with database.session() as session, session.begin():
            session.add(User(channel="web", external_id="twice", misses=0))
    async with database.session() as session:  # the one pooled connection is usable again
        assert (await session.execute(select(func.count()).select_from(User))).scalar_one() == 1
