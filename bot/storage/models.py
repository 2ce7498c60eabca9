"""Typed tables. Every schema change is an Alembic migration in migrations/versions/."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# Ids are PostgreSQL `integer`s: a larger number (from a URL or a button) names no row, and the
# database driver refuses to even look it up.
MAX_ID = 2**31 - 1


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_session_secret() -> str:
    return secrets.token_urlsafe(32)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: DateTime(timezone=True)}


class User(Base):
    """A person who writes to the bot, on one channel. Only what the conversation needs."""

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))  # telegram | web | terminal
    external_id: Mapped[str] = mapped_column(String(64))  # chat id / web session id, never logged
    language: Mapped[str | None] = mapped_column(String(35))  # BCP 47 tag
    region: Mapped[str | None] = mapped_column(String(40))  # region id from content/regions.yaml
    # What the user's next free text answers: "place" (then `pending_topic` is shown), "delete" (a
    # confirmation) or None (a question).
    state: Mapped[str | None] = mapped_column(String(16))
    pending_topic: Mapped[str | None] = mapped_column(String(64))
    misses: Mapped[int] = mapped_column(
        SmallInteger, default=0, server_default="0"
    )  # questions in a row the bot could not answer
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)

    messages: Mapped[list[Message]] = relationship(back_populates="user", cascade="all, delete-orphan")


class Message(Base):
    """One message in or out; deleted after RETENTION_DAYS."""

    __tablename__ = "messages"
    __table_args__ = (Index("ix_messages_user_created", "user_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    direction: Mapped[str] = mapped_column(String(3))  # in | out
    text: Mapped[str] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(35))
    intent: Mapped[str | None] = mapped_column(String(64))
    topic: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str | None] = mapped_column(String(16))
    confidence: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    user: Mapped[User] = relationship(back_populates="messages")


class ProcessedUpdate(Base):
    """Updates already handled ("telegram:<update_id>", "web:<message uuid>"), so a redelivered one
    is not answered twice."""

    __tablename__ = "processed_updates"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    processed_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class OutboxEntry(Base):
    """A reply waiting for its channel, written in the same unit of work as what caused it.

    The channel claims an entry (`claimed_at`), sends it and marks it `delivered_at`; an entry whose
    claim is older than the lease is sent again, so a crash between commit and send loses nothing.
    """

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_pending", "channel", "delivered_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    update_key: Mapped[str | None] = mapped_column(String(80), index=True)  # what it answers, if anything
    payload: Mapped[str] = mapped_column(Text)  # the Reply as JSON
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column()
    delivered_at: Mapped[datetime | None] = mapped_column()


class Feedback(Base):
    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    topic: Mapped[str | None] = mapped_column(String(64))
    language: Mapped[str | None] = mapped_column(String(35))
    helpful: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class UnansweredQuestion(Base):
    """Questions the bot could not answer: the editors' list of content gaps."""

    __tablename__ = "unanswered_questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(35))
    nearest_topic: Mapped[str | None] = mapped_column(String(64))
    confidence: Mapped[float | None] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(String(16))  # fallback | not_helpful
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class StaffAccount(Base):
    __tablename__ = "staff_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))  # staff | editor | admin
    languages: Mapped[str] = mapped_column(String(128), default="")  # comma-separated language codes
    # Every session cookie carries it; a new one at logout and password change voids the cookies issued
    # so far. Random, never reused: SQLite gives a removed account's id to the next one, and a cookie
    # bound to the id alone would log in as that next account.
    session_secret: Mapped[str] = mapped_column(String(64), default=new_session_secret)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LoginAttempt(Base):
    """Staff console login attempts not yet cleared by a successful login, per client address
    ("client:203.0.113.5") and per username typed ("user:" and a digest of it, whether or not the
    account exists), so that the next attempt can be made to wait (bot/handoff/staff.py)."""

    __tablename__ = "login_attempts"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class Case(Base):
    """A hand-off to staff."""

    __tablename__ = "cases"
    __table_args__ = (Index("ix_cases_status_urgent_opened", "status", "urgent", "opened_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | claimed | closed | deleted
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    language: Mapped[str | None] = mapped_column(String(35))
    region: Mapped[str | None] = mapped_column(String(40))
    topics: Mapped[str] = mapped_column(String(255), default="")  # comma-separated topic ids
    reason: Mapped[str] = mapped_column(String(32))  # asked | failed_twice | not_helpful | legal | urgent
    claimed_by: Mapped[int | None] = mapped_column(ForeignKey("staff_accounts.id", ondelete="SET NULL"))
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column()
    closed_at: Mapped[datetime | None] = mapped_column(index=True)
    outcome: Mapped[str | None] = mapped_column(String(32))
    rating: Mapped[int | None] = mapped_column(SmallInteger)

    events: Mapped[list[CaseEvent]] = relationship(back_populates="case", cascade="all, delete-orphan")


class CaseEvent(Base):
    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # user_message | bot_answer | staff_reply | note | status
    author_id: Mapped[int | None] = mapped_column(ForeignKey("staff_accounts.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text, default="")
    # Machine translation (TRANSLATE_URL): of a user message into German, made when staff first see
    # it; of a staff reply into the user's language, as sent. In the event's own row, so it goes
    # with the message (/delete, retention) and is never kept longer.
    translation: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    case: Mapped[Case] = relationship(back_populates="events")


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_accounts.id", ondelete="SET NULL"))
    # The username at the time, so the log still says who after the account is removed.
    actor: Mapped[str] = mapped_column(String(64), default="", server_default="")
    action: Mapped[str] = mapped_column(String(32))
    target: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # Repeated anonymous events (failed and refused logins) are one row per action, target, client
    # address and hour: how many, and when the last one was. A flood of them cannot bury the rest.
    client: Mapped[str] = mapped_column(String(64), default="", server_default="")
    count: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    last_at: Mapped[datetime | None] = mapped_column()
