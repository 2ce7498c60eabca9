"""After RETENTION_DAYS, messages, feedback, unanswered questions and closed cases are gone; after
AUDIT_RETENTION_DAYS, the audit log's rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from bot.privacy.retention import purge_expired
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

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


async def count(database: Database, model: type) -> int:
    async with database.session() as session:
        return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


async def test_purge_keeps_recent_and_deletes_expired(database: Database) -> None:
    old, recent = NOW - timedelta(days=31), NOW - timedelta(days=29)
    async with database.session() as session, session.begin():
        user = User(channel="telegram", external_id="7", language="ar")
        session.add(user)
        await session.flush()
        for moment in (old, recent):
            session.add(Message(user_id=user.id, direction="in", text="سؤال", created_at=moment))
            session.add(Feedback(user_id=user.id, helpful=False, created_at=moment))
            session.add(UnansweredQuestion(user_id=user.id, text="?", reason="fallback", created_at=moment))
            session.add(
                Case(user_id=user.id, status="closed", reason="asked", opened_at=moment, closed_at=moment)
            )
        session.add(Case(user_id=user.id, status="open", reason="asked", opened_at=old))  # open: kept
        session.add(ProcessedUpdate(key="telegram:1", processed_at=NOW - timedelta(days=3)))
        session.add(ProcessedUpdate(key="telegram:2", processed_at=NOW - timedelta(hours=1)))

    purged = await purge_expired(database, retention_days=30, now=NOW)

    assert (purged.messages, purged.feedback, purged.unanswered, purged.closed_cases) == (1, 1, 1, 1)
    assert purged.processed_updates == 1
    assert await count(database, Message) == 1
    assert await count(database, Feedback) == 1
    assert await count(database, UnansweredQuestion) == 1
    assert await count(database, Case) == 2  # the recent closed one and the open one
    assert await count(database, ProcessedUpdate) == 1
    assert await count(database, User) == 1  # active recently enough: preferences stay


async def test_users_silent_for_the_retention_period_are_forgotten(database: Database) -> None:
    old, recent = NOW - timedelta(days=31), NOW - timedelta(days=29)
    async with database.session() as session, session.begin():
        silent = User(
            channel="telegram", external_id="1", language="uk", region="stadt_osnabrueck", last_seen_at=old
        )
        waiting = User(channel="telegram", external_id="2", language="fa", last_seen_at=old)
        active = User(channel="web", external_id="3", language="tr", last_seen_at=recent)
        session.add_all([silent, waiting, active])
        await session.flush()
        session.add(
            Case(user_id=waiting.id, status="open", reason="asked", opened_at=old)
        )  # staff still on it
        session.add(OutboxEntry(user_id=silent.id, channel="telegram", payload="{}", created_at=old))
        sent_long_ago = NOW - timedelta(days=3)
        session.add(
            OutboxEntry(
                user_id=active.id,
                channel="web",
                payload="{}",
                created_at=sent_long_ago,
                delivered_at=sent_long_ago,
            )
        )
        session.add(
            OutboxEntry(user_id=active.id, channel="web", payload="{}", created_at=recent)
        )  # not yet fetched

    purged = await purge_expired(database, retention_days=30, now=NOW)

    assert (purged.users, purged.outbox) == (1, 2)
    async with database.session() as session:
        left = set((await session.execute(select(User.external_id))).scalars())
    assert left == {"2", "3"}
    assert await count(database, OutboxEntry) == 1


async def test_audit_rows_go_after_the_audit_retention_and_login_attempts_after_a_day(
    database: Database,
) -> None:
    old, recent = NOW - timedelta(days=366), NOW - timedelta(days=364)
    async with database.session() as session, session.begin():
        session.add(AuditEntry(actor="anna", action="reply", target="case:1", created_at=old))
        session.add(AuditEntry(actor="anna", action="reply", target="case:2", created_at=recent))
        # a repeated row counts from its last repeat
        session.add(
            AuditEntry(action="login_failed", target="staff:?", count=3, created_at=old, last_at=recent)
        )
        session.add(LoginAttempt(key="client:203.0.113.9", failures=9, last_at=NOW - timedelta(hours=25)))
        session.add(LoginAttempt(key="user:anna", failures=2, last_at=NOW - timedelta(hours=23)))

    purged = await purge_expired(database, retention_days=30, now=NOW, audit_retention_days=365)

    assert (purged.audit, purged.login_attempts) == (1, 1)
    async with database.session() as session:
        targets = set((await session.execute(select(AuditEntry.target))).scalars())
        keys = set((await session.execute(select(LoginAttempt.key))).scalars())
    assert targets == {"case:2", "staff:?"} and keys == {"user:anna"}
