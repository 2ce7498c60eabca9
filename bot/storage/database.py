"""The engine and the unit-of-work factory, built once from the settings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from bot.storage import sqlite


class DatabaseUnavailable(RuntimeError):
    """The database cannot be reached; the message is the one line an operator needs."""


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    # Deleted rows are overwritten with zeros, not just unlinked: what /delete and the retention
    # purge remove is gone from the file too (and from the WAL after `Database.checkpoint`).
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    # With WAL, NORMAL survives a crash of the application (what the outbox guards against); only a
    # power cut can lose the newest commits. Production runs PostgreSQL.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def ensure_sqlite_directory(url: str) -> None:
    database = make_url(url).database
    if is_sqlite(url) and database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)


# SQLite lets one writer in at a time. With a pool of connections, concurrent units of work fought for
# the file lock inside SQLite: each waiting writer polled and slept in SQLite's busy handler, and one
# that waited longer than 5 s failed with "database is locked". With one connection they queue in the
# pool, in order, and each runs without interruption. Reads are a few milliseconds, so the web
# console waiting its turn is not noticed. (PostgreSQL keeps a pool: it has row locks.)
# No rollback when the connection goes back to the pool: every session ends its own transaction
# (commit, or rollback on close), so it would be a statement per unit of work for nothing.
# Statements run on the event loop's thread, not aiosqlite's (bot/storage/sqlite.py).
SQLITE_POOL = {"pool_size": 1, "max_overflow": 0, "pool_timeout": 60.0, "pool_reset_on_return": None}


def create_engine(url: str) -> AsyncEngine:
    ensure_sqlite_directory(url)
    # hide_parameters: a failed statement's error (and so its log line) never shows the values bound
    # to it, which are what people wrote.
    if not is_sqlite(url):
        return create_async_engine(url, pool_pre_ping=True, hide_parameters=True)
    parsed = make_url(url)
    in_memory = parsed.database in (None, "", ":memory:")
    engine = create_async_engine(
        url,
        async_creator=sqlite.connector(parsed),
        hide_parameters=True,
        **({} if in_memory else SQLITE_POOL),
    )
    event.listen(engine.sync_engine, "connect", _configure_sqlite)
    return engine


class Database:
    """Owns the engine; `session()` opens one unit of work."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = create_engine(url)
        self.session = async_sessionmaker(self.engine, expire_on_commit=False, class_=AsyncSession)

    async def check(self) -> None:
        """The database answers and its schema is the one this code needs (a database never
        migrated answers too, and then every message would fail)."""
        from bot.storage import migrate  # imported here: migrate imports this module

        where = make_url(self.url).render_as_string(hide_password=True)
        try:
            async with self.engine.connect() as connection:
                # Reading the schema revision is the round trip that shows the database answers.
                current = await connection.run_sync(migrate.current_revision)
        except Exception as error:  # every driver has its own exception family
            raise DatabaseUnavailable(
                f"cannot reach the database at {where} ({type(error).__name__}): start it or fix DATABASE_URL"
            ) from error
        needed = migrate.head_revision()
        if current != needed:
            raise DatabaseUnavailable(
                f"the database at {where} has schema revision {current or 'none'}, this version needs "
                f"{needed}: run `wegweiser db upgrade` (`make run` does)"
            )

    async def checkpoint(self) -> None:
        """After a deletion: on SQLite, copy the write-ahead log into the database file and empty it,
        so the deleted rows' old versions in the log go now, not at the next automatic checkpoint.
        (PostgreSQL: the server's VACUUM reclaims them.)"""
        if not is_sqlite(self.url):
            return
        async with self.engine.connect() as connection:
            autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
            await autocommit.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")

    async def dispose(self) -> None:
        await self.engine.dispose()
