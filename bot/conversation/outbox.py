"""Replies wait in the outbox until their channel has sent them: none lost, none sent twice.

A reply is written in the same unit of work as what caused it (the user's message, a staff reply).
The channel then claims it, sends it and marks it delivered. A claim expires after `LEASE`, so a
worker that died between claim and send does not strand a reply; a send that fails for good (the
user blocked the bot) is marked delivered with a log line, so it does not block the queue.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, delete, exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.conversation.messages import Channel, Delivery, Reply
from bot.storage.database import Database
from bot.storage.models import OutboxEntry, ProcessedUpdate, User

log = logging.getLogger(__name__)

# `User.state` of the bare row that carries the "deleted" reply after /delete: the row (the last place
# with the user's chat id) goes as soon as the reply is delivered.
FORGOTTEN = "forgotten"
LEASE = timedelta(seconds=30)
POLL_INTERVAL = 1.0
# A reply was sent but marking it delivered failed (the database is restarting): try again for a
# while, well within LEASE, or the entry's claim expires and the reply is sent a second time.
MARK_RETRY_DELAYS = (0.2, 0.5, 1.0, 2.0, 4.0, 8.0)


class Undeliverable(Exception):
    """Raised by a channel's send function when retrying cannot help (blocked, chat gone)."""


def now() -> datetime:
    return datetime.now(UTC)


async def enqueue(
    session: AsyncSession,
    user: User,
    replies: Sequence[Reply],
    *,
    update_key: str | None = None,
    claimed: bool = False,
) -> list[Delivery]:
    """Add replies for `user` in order; `claimed`: the caller sends them right after commit."""
    entries = [
        OutboxEntry(
            user_id=user.id,
            channel=user.channel,
            update_key=update_key,
            payload=reply.to_json(),
            claimed_at=now() if claimed else None,
        )
        for reply in replies
    ]
    session.add_all(entries)
    await session.flush()
    return [_delivery(entry, user.external_id) for entry in entries]


async def forget_update_keys(session: AsyncSession, user: User) -> None:
    """/delete: the keys of the updates that the user's waiting or recent replies answer go too."""
    answered = select(OutboxEntry.update_key).where(OutboxEntry.user_id == user.id)
    await session.execute(delete(ProcessedUpdate).where(ProcessedUpdate.key.in_(answered)))


def _delivery(entry: OutboxEntry, external_id: str) -> Delivery:
    channel: Channel = entry.channel  # type: ignore[assignment]
    return Delivery(entry.id, channel, external_id, Reply.from_json(entry.payload), entry.update_key)


def _claimable(moment: datetime) -> tuple[ColumnElement[bool], ...]:
    """Undelivered, and held by nobody: never claimed, or claimed longer ago than the lease."""
    return (
        OutboxEntry.delivered_at.is_(None),
        or_(OutboxEntry.claimed_at.is_(None), OutboxEntry.claimed_at < moment - LEASE),
    )


async def _claim(
    session: AsyncSession, *where: ColumnElement[bool], limit: int | None = None
) -> list[Delivery]:
    """Claim the claimable entries matching `where`, oldest first.

    Each entry is claimed with a conditional UPDATE, so of several workers exactly one gets it.
    """
    moment = now()
    claimable = _claimable(moment)
    rows = (
        await session.execute(
            select(OutboxEntry.id, User.external_id)
            .join(User, User.id == OutboxEntry.user_id)
            .where(*where, *claimable)
            .order_by(OutboxEntry.id)
            .limit(limit)
        )
    ).all()
    claimed = []
    for entry_id, external_id in rows:
        won = await session.execute(
            update(OutboxEntry)
            .where(OutboxEntry.id == entry_id, *claimable)
            .values(claimed_at=moment)
            .returning(OutboxEntry)
        )
        entry = won.scalar_one_or_none()
        if entry is not None:
            claimed.append(_delivery(entry, external_id))
    return claimed


async def reclaim_for_update(session: AsyncSession, update_key: str) -> list[Delivery]:
    """The undelivered replies to an update seen again (a restart after commit, before sending).

    Only entries nobody holds are taken: a worker already sending one keeps it.
    """
    return await _claim(session, OutboxEntry.update_key == update_key)


async def claim_pending(
    database: Database, channel: Channel, *, user: str | None = None, limit: int = 50
) -> list[Delivery]:
    """Claim undelivered replies of a channel (of one user, if given), oldest first."""
    where = [OutboxEntry.channel == channel]
    if user is not None:
        where.append(User.external_id == user)
    async with database.session() as session, session.begin():
        return await _claim(session, *where, limit=limit)


async def mark_delivered(database: Database, ids: Sequence[int]) -> None:
    """Delivered; and a user who deleted their data is gone, with their outbox, once all is sent."""
    if not ids:
        return
    async with database.session() as session, session.begin():
        await session.execute(update(OutboxEntry).where(OutboxEntry.id.in_(ids)).values(delivered_at=now()))
        forgotten = await session.execute(
            delete(User).where(
                User.state == FORGOTTEN,
                User.id.in_(select(OutboxEntry.user_id).where(OutboxEntry.id.in_(ids))),
                ~exists().where(OutboxEntry.user_id == User.id, OutboxEntry.delivered_at.is_(None)),
            )
        )
    if cast(CursorResult[Any], forgotten).rowcount:
        await database.checkpoint()


async def release(database: Database, ids: Sequence[int]) -> None:
    """Sending failed for now: let the next poll try again."""
    if not ids:
        return
    async with database.session() as session, session.begin():
        await session.execute(update(OutboxEntry).where(OutboxEntry.id.in_(ids)).values(claimed_at=None))


Send = Callable[[Delivery], Awaitable[None]]


class Courier:
    """Sends a channel's replies through `send`, in order, and marks them delivered."""

    def __init__(self, database: Database, channel: Channel, send: Send) -> None:
        self.database = database
        self.channel = channel
        self.send = send

    async def deliver(self, deliveries: Sequence[Delivery]) -> int:
        """Send in order; stop at the first transient failure (the rest wait, so order holds)."""
        sent = 0
        for index, delivery in enumerate(deliveries):
            try:
                await self.send(delivery)
            except Undeliverable as error:
                log.warning("reply undeliverable, dropped", extra={"reason": str(error)})
            except Exception as error:
                log.warning(
                    "reply not sent, will retry",
                    extra={"error": type(error).__name__, "pending": len(deliveries) - index},
                )
                await self._retrying(release, [d.id for d in deliveries[index:]])
                return sent
            await self._retrying(mark_delivered, [delivery.id])
            sent += 1
        return sent

    async def _retrying(
        self, action: Callable[[Database, Sequence[int]], Awaitable[None]], ids: list[int]
    ) -> None:
        for delay in (*MARK_RETRY_DELAYS, None):
            try:
                await action(self.database, ids)
                return
            except Exception as error:
                if delay is None:
                    raise
                log.warning("outbox not updated; trying again", extra={"error": type(error).__name__})
                await asyncio.sleep(delay)

    async def run(self, interval: float = POLL_INTERVAL) -> None:
        """Deliver what is waiting (staff replies, replies a failed send left behind), forever."""
        while True:
            try:
                await self.deliver(await claim_pending(self.database, self.channel))
            except Exception:
                log.exception("outbox poll failed; trying again")
            await asyncio.sleep(interval)
