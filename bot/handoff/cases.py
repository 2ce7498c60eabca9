"""Cases as the conversation core sees them: open one, feed it, find the open one, forget a user.

One unit of work each: the caller passes its session and commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import Case, CaseEvent, User

# A user who writes again within this time after their case was closed gets the same case back.
REOPEN_WITHIN = timedelta(days=3)
ACTIVE = ("open", "claimed")


async def active_case(session: AsyncSession, user: User) -> Case | None:
    """The user's open or claimed case: while there is one, the bot does not answer by itself."""
    return (
        await session.execute(
            select(Case).where(Case.user_id == user.id, Case.status.in_(ACTIVE)).order_by(Case.id.desc())
        )
    ).scalar_one_or_none()


async def open_case(
    session: AsyncSession,
    user: User,
    *,
    reason: str,
    urgent: bool = False,
    topics: Sequence[str] = (),
    now: datetime | None = None,
) -> Case:
    """The user's active case, else the one closed within REOPEN_WITHIN (reopened), else a new one."""
    now = now or datetime.now(UTC)
    case = await active_case(session, user)
    if case is None:
        recent = (
            await session.execute(
                select(Case)
                .where(
                    Case.user_id == user.id, Case.status == "closed", Case.closed_at >= now - REOPEN_WITHIN
                )
                .order_by(Case.closed_at.desc())
                .limit(1)
            )
        ).scalar_one_or_none()
        if recent is not None:
            case = recent
            case.status, case.closed_at, case.outcome, case.claimed_by = "open", None, None, None
            session.add(CaseEvent(case=case, kind="status", text="reopened"))
    if case is None:
        case = Case(user_id=user.id, reason=reason, opened_at=now)
        session.add(case)
    case.urgent = case.urgent or urgent
    case.language = user.language
    case.region = user.region
    known = [topic for topic in case.topics.split(",") if topic] if case.topics else []
    case.topics = ",".join(dict.fromkeys([*known, *topics]))[:255]
    await session.flush()
    return case


async def add_event(session: AsyncSession, case: Case, kind: str, text: str) -> None:
    """kind: user_message | bot_answer (what the user wrote, what the bot told them)."""
    session.add(CaseEvent(case_id=case.id, kind=kind, text=text))
    await session.flush()


async def rate(session: AsyncSession, user: User, case_id: int, rating: int) -> bool:
    """The user's 1-5 rating after close; False when the case is not theirs or not closed."""
    case = await session.get(Case, case_id)
    if case is None or case.user_id != user.id or case.status != "closed" or not 1 <= rating <= 5:
        return False
    case.rating = rating
    return True


async def forget_user(session: AsyncSession, user: User) -> None:
    """`/delete`: what the user wrote goes; the case stays as 'deleted by the user' for the console."""
    cases = (await session.execute(select(Case).where(Case.user_id == user.id))).scalars().all()
    for case in cases:
        await session.execute(delete(CaseEvent).where(CaseEvent.case_id == case.id))
        case.status, case.user_id, case.topics, case.region = "deleted", None, "", None
