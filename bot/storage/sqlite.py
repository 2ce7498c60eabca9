"""SQLite connections for SQLAlchemy's aiosqlite dialect, with one trip to aiosqlite's thread per statement.

aiosqlite runs each sqlite3 call on a thread of its own, and SQLAlchemy's adapter makes four such calls
per statement: create a cursor, execute, fetch the rows, close the cursor. Every call is a hand-over
to that thread and back to the event loop (a queue, a wake-up, the GIL, the loop's self-pipe), and a
unit of work of seven statements spent most of its time in 28 of them (`bench/README.md`). The cursor
here does all four in one call and hands SQLAlchemy the rows from a buffer. Everything that touches
sqlite3 still runs on aiosqlite's thread, so the event loop never waits for the disk.
"""

from __future__ import annotations

import sqlite3
from collections import deque
from collections.abc import Iterable, Sequence
from functools import partial
from typing import Any

import aiosqlite
from sqlalchemy.engine import URL

Row = tuple[Any, ...]
Description = tuple[tuple[Any, ...], ...] | None


class BufferedCursor:
    """The part of aiosqlite's cursor that SQLAlchemy uses; rows come back with the statement."""

    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._connection = connection
        self._rows: deque[Row] = deque()
        self.description: Description = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self.arraysize = 1

    async def __aenter__(self) -> BufferedCursor:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    async def execute(self, sql: str, parameters: Sequence[Any] = ()) -> BufferedCursor:
        await self._run(lambda cursor: cursor.execute(sql, parameters))
        return self

    async def executemany(self, sql: str, parameters: Iterable[Sequence[Any]]) -> BufferedCursor:
        await self._run(lambda cursor: cursor.executemany(sql, parameters))
        return self

    async def _run(self, statement: Any) -> None:
        connection = self._connection

        def on_thread() -> tuple[Description, int, int | None, list[Row]]:
            cursor = connection._conn.cursor()
            try:
                statement(cursor)
                rows = cursor.fetchall() if cursor.description else []
                return cursor.description, cursor.rowcount, cursor.lastrowid, rows
            finally:
                cursor.close()

        self.description, self.rowcount, self.lastrowid, rows = await connection._execute(on_thread)  # type: ignore[no-untyped-call]
        self._rows = deque(rows)

    async def fetchone(self) -> Row | None:
        return self._rows.popleft() if self._rows else None

    async def fetchmany(self, size: int | None = None) -> list[Row]:
        count = min(self.arraysize if size is None else size, len(self._rows))
        return [self._rows.popleft() for _ in range(count)]

    async def fetchall(self) -> list[Row]:
        rows = list(self._rows)
        self._rows.clear()
        return rows

    async def close(self) -> None:
        self._rows.clear()


class Connection(aiosqlite.Connection):
    def cursor(self) -> BufferedCursor:  # type: ignore[override]
        return BufferedCursor(self)


def connector(url: URL) -> Any:
    """`create_async_engine(url, async_creator=connector(url))`: the connection SQLAlchemy's aiosqlite
    dialect would open for `url` (same sqlite3.connect arguments), with the buffered cursor."""
    arguments, options = url.get_dialect()().create_connect_args(url)

    def connect() -> Connection:
        connection = Connection(partial(sqlite3.connect, *arguments, **options), iter_chunk_size=64)
        connection._thread.daemon = True  # as the dialect does: an unclosed connection never blocks exit
        return connection

    return connect
