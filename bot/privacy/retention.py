"""Deletion after RETENTION_DAYS: what people wrote is not kept longer than needed.

A user who has not written for RETENTION_DAYS is forgotten entirely (language and place too),
unless a person is still working on their case. Sent replies leave the outbox after two days. The
staff console's audit log (staff usernames, client addresses of logins) is kept for
AUDIT_RETENTION_DAYS, login attempts only as long as they can make a login wait.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, Delete, delete, exists, func, or_

from bot.handoff.staff import FORGET_ATTEMPTS_AFTER
from bot.settings import AUDIT_RETENTION_DAYS
from bot.storage.database import Database
from bot.storage.models import (
    AuditEntry,
    Case,
    Feedback,
    LoginAttempt,
    Message,
    OutboxEntry,
    ProcessedUpdate,
    UnansweredQuestion,
    User,
)

log = logging.getLogger(__name__)

# Update ids only guard against a redelivered update; Telegram redelivers within hours, not days.
PROCESSED_UPDATES_KEPT = timedelta(days=2)


@dataclass(frozen=True)
class Purged:
    messages: int
    feedback: int
    unanswered: int
    closed_cases: int
    processed_updates: int
    outbox: int
    users: int
    audit: int
    login_attempts: int


async def purge_expired(
    database: Database,
    retention_days: int,
    now: datetime | None = None,
    *,
    audit_retention_days: int = AUDIT_RETENTION_DAYS,
) -> Purged:
    """One unit of work: everything older than the retention period goes."""
    now = now or datetime.now(UTC)
    cutoff = now - timedelta(days=retention_days)
    async with database.session() as session, session.begin():

        async def purge(statement: Delete) -> int:
            result = await session.execute(statement)
            return int(cast(CursorResult[Any], result).rowcount or 0)

        purged = Purged(
            messages=await purge(delete(Message).where(Message.created_at < cutoff)),
            feedback=await purge(delete(Feedback).where(Feedback.created_at < cutoff)),
            unanswered=await purge(delete(UnansweredQuestion).where(UnansweredQuestion.created_at < cutoff)),
            closed_cases=await purge(
                delete(Case).where(
                    or_(
                        (Case.status == "closed") & (Case.closed_at < cutoff),
                        # what remains of a case whose user deleted their data: a line in the console
                        (Case.status == "deleted") & (func.coalesce(Case.closed_at, Case.opened_at) < cutoff),
                    )
                )
            ),
            processed_updates=await purge(
                delete(ProcessedUpdate).where(ProcessedUpdate.processed_at < now - PROCESSED_UPDATES_KEPT)
            ),
            outbox=await purge(
                delete(OutboxEntry).where(
                    or_(
                        OutboxEntry.created_at < cutoff,
                        OutboxEntry.delivered_at < now - PROCESSED_UPDATES_KEPT,
                    )
                )
            ),
            users=await purge(
                delete(User).where(
                    User.last_seen_at < cutoff,
                    ~exists().where(Case.user_id == User.id, Case.status.in_(("open", "claimed"))),
                )
            ),
            audit=await purge(
                delete(AuditEntry).where(
                    func.coalesce(AuditEntry.last_at, AuditEntry.created_at)
                    < now - timedelta(days=audit_retention_days)
                )
            ),
            login_attempts=await purge(
                delete(LoginAttempt).where(LoginAttempt.last_at < now - FORGET_ATTEMPTS_AFTER)
            ),
        )
    log.info("retention purge", extra={"retention_days": retention_days, **vars(purged)})
    return purged


async def purge_periodically(
    database: Database, retention_days: int, interval: timedelta, *, audit_retention_days: int
) -> None:
    while True:
        try:
            await purge_expired(database, retention_days, audit_retention_days=audit_retention_days)
        except Exception:
            log.exception("retention purge failed; trying again at the next interval")
        await asyncio.sleep(interval.total_seconds())
