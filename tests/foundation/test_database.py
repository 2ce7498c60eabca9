"""Concurrent units of work on SQLite: one that must wait for the writer ahead of it waits its turn."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import func, select

from bot.storage import migrate
from bot.storage.database import Database
from bot.storage.models import User

# Python's sqlite3 gives up waiting for another connection's write lock after 5 s ("database is
# locked"). Under overload, the writers queued ahead of a unit of work can take that long together.
SQLITE_LOCK_WAIT = 5.0


async def test_a_unit_of_work_waits_for_a_long_writer_instead_of_failing(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'queue.db'}"
    await asyncio.to_thread(migrate.upgrade, url)
    database = Database(url)
    first_is_writing = asyncio.Event()

    async def long_writer() -> None:
        async with database.session() as session, session.begin():
            session.add(User(channel="terminal", external_id="slow", misses=0))
            await session.flush()  # holds SQLite's write lock from here until commit
            first_is_writing.set()
            await asyncio.sleep(SQLITE_LOCK_WAIT + 0.5)

    async def next_writer() -> None:
        await first_is_writing.wait()
        async with database.session() as session, session.begin():
            session.add(User(channel="terminal", external_id="next", misses=0))

    try:
        await asyncio.gather(long_writer(), next_writer())
        async with database.session() as session:
            assert (await session.execute(select(func.count()).select_from(User))).scalar_one() == 2
    finally:
        await database.dispose()
