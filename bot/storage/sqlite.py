"""SQLite connections for SQLAlchemy's aiosqlite dialect that run their statements on the event loop.

aiosqlite runs every sqlite3 call on a thread of its own, so the event loop never waits for the disk.
That hand-over is what cost the most: under load the bot's one thread and aiosqlite's fought over the
GIL on every call (four calls per statement), and the benchmark measured 9.8 ms of CPU per message
with it against 6.4 ms with the statements run in place, and 75 against 113 messages a second
(`bench/README.md`). A SQLite statement of ours takes microseconds: the connection is a file on this
machine, with WAL (readers never wait) and `synchronous=NORMAL` (no fsync at commit).

What can make a statement wait is a write lock held by another process (a `wegweiser` command
writing to the same file). The loop must not wait for that: a statement first runs in place with
no patience at all, and one that finds the database locked is run again on aiosqlite's thread,
which waits up to `LOCK_WAIT` for the lock while the loop goes on with everything else. (Statements
refused with SQLITE_BUSY have done nothing, and SQLite allows retrying them, COMMIT included.)
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from functools import partial
from typing import Any

import aiosqlite
from sqlalchemy.engine import URL

LOCK_WAIT = 5.0  # seconds, as long as Python's sqlite3 waits by default
_RETRY_PAUSE = 0.005


def _locked(error: sqlite3.OperationalError) -> bool:
    """Another connection holds the lock, and trying again can help. (Not SQLITE_BUSY_SNAPSHOT: a
    transaction that read before another one wrote must start over; the error goes to its caller.)"""
    code = getattr(error, "sqlite_errorcode", None)
    return code is not None and code & 0xFF == sqlite3.SQLITE_BUSY and code != sqlite3.SQLITE_BUSY_SNAPSHOT


def _patiently(call: Callable[[], Any]) -> Any:
    """`call` again and again until the lock is free or LOCK_WAIT has passed (on aiosqlite's thread)."""
    deadline = time.monotonic() + LOCK_WAIT
    while True:
        try:
            return call()
        except sqlite3.OperationalError as error:
            if not _locked(error) or time.monotonic() > deadline:
                raise
        time.sleep(_RETRY_PAUSE)


class Connection(aiosqlite.Connection):
    """aiosqlite's connection, with statements run in place; aiosqlite's thread opens and waits."""

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if not self._running or not self._connection:
            raise ValueError("Connection closed")
        call = partial(fn, *args, **kwargs)
        try:
            return call()
        except sqlite3.OperationalError as error:
            if not _locked(error):
                raise
        return await super()._execute(_patiently, call)  # type: ignore[no-untyped-call]


def connector(url: URL) -> Callable[[], Connection]:
    """`create_async_engine(url, async_creator=connector(url))`: the connection SQLAlchemy's aiosqlite
    dialect would open for `url` (the same sqlite3.connect arguments), but one that never waits for a
    lock in place (`timeout=0`)."""
    arguments, options = url.get_dialect()().create_connect_args(url)
    options = {**options, "timeout": 0}

    def connect() -> Connection:
        connection = Connection(partial(sqlite3.connect, *arguments, **options), iter_chunk_size=64)
        connection._thread.daemon = True  # as the dialect does: an unclosed connection never blocks exit
        return connection

    return connect
