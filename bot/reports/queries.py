"""What the bot could not answer, and what it answered, grouped for editors."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from bot.storage.database import Database
from bot.storage.models import Message, UnansweredQuestion

SAMPLES = 3  # example questions shown per group


@dataclass
class Gap:
    language: str
    nearest_topic: str | None
    count: int = 0
    not_helpful: int = 0
    samples: list[str] = field(default_factory=list)


async def unanswered(database: Database, days: int, now: datetime | None = None) -> list[Gap]:
    """Questions without an answer or marked "not helpful", by language and nearest topic, most first."""
    since = (now or datetime.now(UTC)) - timedelta(days=days)
    groups: dict[tuple[str, str | None], Gap] = {}
    async with database.session() as session:
        rows = await session.execute(
            select(UnansweredQuestion)
            .where(UnansweredQuestion.created_at >= since)
            .order_by(UnansweredQuestion.created_at.desc())
        )
        for question in rows.scalars():
            key = (question.language or "?", question.nearest_topic)
            gap = groups.setdefault(key, Gap(*key))
            gap.count += 1
            gap.not_helpful += question.reason == "not_helpful"
            if len(gap.samples) < SAMPLES and question.text not in gap.samples:
                gap.samples.append(question.text)
    return sorted(groups.values(), key=lambda g: (-g.count, g.language, g.nearest_topic or ""))


async def usage(database: Database, days: int, now: datetime | None = None) -> dict[str, dict[str, int]]:
    """topic -> language -> answers given (answer cards and emergency cards) in the period."""
    since = (now or datetime.now(UTC)) - timedelta(days=days)
    table: dict[str, dict[str, int]] = defaultdict(dict)
    async with database.session() as session:
        rows = await session.execute(
            select(Message.topic, Message.language, func.count())
            .where(
                Message.direction == "out",
                Message.topic.is_not(None),
                Message.action.in_(("answer", "emergency")),
                Message.created_at >= since,
            )
            .group_by(Message.topic, Message.language)
        )
        for topic, language, count in rows.all():
            table[str(topic)][language or "?"] = int(count)
    return dict(table)
