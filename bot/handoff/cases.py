"""Cases: what the conversation core does with them (open one, feed it, find the open one, forget a
user, store a rating) and what staff do with them in the console (queue, triage card, claim,
release, reply, note, close).

One unit of work each: the caller passes its session and commits.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html import escape
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, delete, func, or_, select, update
from sqlalchemy import case as when
from sqlalchemy.ext.asyncio import AsyncSession

from bot.content.model import ContentBase
from bot.content.phrasebook import RenderedPhrase, SlotError, parse_slots, render_phrase
from bot.content.render import render_short
from bot.conversation import replies as say
from bot.conversation.messages import MAX_TEXT, Button, Reply, plain_text
from bot.conversation.outbox import enqueue
from bot.handoff.staff import audit
from bot.i18n import N_, RIGHT_TO_LEFT_MARK, Texts, normalize_language, texts
from bot.storage.models import Case, CaseEvent, Message, StaffAccount, User

# A user who writes again within this time after their case was closed gets the same case back.
REOPEN_WITHIN = timedelta(days=3)
ACTIVE = ("open", "claimed")


async def continuing_case(
    session: AsyncSession, user: User, now: datetime, *, reopen_closed: bool
) -> Case | None:
    """The user's open or claimed case (while there is one, the bot does not answer by itself); else,
    if `reopen_closed`, their case closed within REOPEN_WITHIN, open again. One query: it is asked
    for every message a user writes."""
    found = (
        await session.execute(
            select(Case).where(
                Case.user_id == user.id,
                or_(
                    Case.status.in_(ACTIVE),
                    and_(Case.status == "closed", Case.closed_at >= now - REOPEN_WITHIN),
                ),
            )
        )
    ).scalars()
    active: Case | None = None
    recent: Case | None = None
    for case in found:
        if case.status in ACTIVE:
            active = case if active is None or case.id > active.id else active
        elif recent is None or (case.closed_at, case.id) > (recent.closed_at, recent.id):
            recent = case
    if active is None and recent is not None and reopen_closed:
        recent.status, recent.closed_at, recent.outcome, recent.claimed_by = "open", None, None, None
        session.add(CaseEvent(case=recent, kind="status", text="reopened"))
        await session.flush()
        return recent
    return active


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
    case = await continuing_case(session, user, now, reopen_closed=True)
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


# --- The staff side: the queue, the triage card and what staff do with a case -----------------

STATUS_FILTERS: dict[str, tuple[str, ...]] = {
    "active": ACTIVE,
    "open": ("open",),
    "claimed": ("claimed",),
    "closed": ("closed",),
    "deleted": ("deleted",),
    "all": ("open", "claimed", "closed", "deleted"),
}
# How a case ended; the keys are stored, the values shown in the (German) console.
OUTCOMES = {
    "answered": "Beantwortet",
    "referred": "Weitervermittelt",
    "no_reply": "Keine Rückmeldung",
    "duplicate": "Doppelt / bereits erledigt",
    "other": "Sonstiges",
}
HISTORY_LENGTH = 30
LOCAL_TIME = ZoneInfo("Europe/Berlin")


class CaseError(Exception):
    """A staff action that cannot be done now; the message (German) is shown in the console."""


def aware(moment: datetime) -> datetime:
    """SQLite gives back naive datetimes; every stored one is UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class QueueFilter:
    status: str = "active"  # a key of STATUS_FILTERS
    language: str = ""  # one of the bot's languages; matches 'uk' and 'uk-UA'
    region: str = ""  # a region id
    urgency: str = ""  # "" | urgent | normal

    @classmethod
    def parse(cls, status: str, language: str, region: str, urgency: str) -> QueueFilter:
        """From query parameters: an unknown status or urgency means the default; language and
        region are only ever compared as bound values (a hostile one matches nothing)."""
        return cls(
            status=status if status in STATUS_FILTERS else "active",
            language=language.strip()[:35],
            region=region.strip()[:40],
            urgency=urgency if urgency in ("urgent", "normal") else "",
        )


@dataclass(frozen=True)
class QueueItem:
    case: Case
    claimed_by: str | None  # username
    last_user_message: str | None
    waiting_for_staff: bool  # the user wrote after the last staff reply


QUEUE_PAGE_SIZE = 50
# Every open urgent case is on the first page, however many other cases wait: a flood of cases must
# not push a real urgent one out of view. Past this many the first page would be too heavy to reload
# every second; the totals and the flood banner still say how many there are.
PINNED_URGENT_MAX = 500


@dataclass(frozen=True)
class QueuePage:
    items: list[QueueItem]
    total: int  # cases in the selection
    urgent: int  # open or claimed urgent cases in the selection, all of them on the first page
    page: int  # 1-based
    pages: int


def _selection(filters: QueueFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [Case.status.in_(STATUS_FILTERS[filters.status])]
    if filters.language:
        conditions.append(
            or_(
                Case.language == filters.language,
                Case.language.startswith(f"{filters.language}-", autoescape=True),
            )
        )
    if filters.region:
        conditions.append(Case.region == filters.region)
    if filters.urgency:
        conditions.append(Case.urgent.is_(filters.urgency == "urgent"))
    return conditions


# The queue shows a line of each case's last message: this much is loaded of it.
PREVIEW_LENGTH = 200


async def _latest_events(
    session: AsyncSession, case_ids: Sequence[int]
) -> dict[int, tuple[str | None, int | None, int | None]]:
    """Per case: the start of the user's last message, its id and the last staff reply's id. One row
    per case, however long its thread (the queue is reloaded every second)."""
    if not case_ids:
        return {}
    last = (
        select(
            CaseEvent.case_id,
            func.max(when((CaseEvent.kind == "user_message", CaseEvent.id))).label("user_event"),
            func.max(when((CaseEvent.kind == "staff_reply", CaseEvent.id))).label("staff_event"),
        )
        .where(CaseEvent.case_id.in_(case_ids), CaseEvent.kind.in_(("user_message", "staff_reply")))
        .group_by(CaseEvent.case_id)
        .subquery()
    )
    rows = await session.execute(
        select(
            last.c.case_id,
            func.substr(CaseEvent.text, 1, PREVIEW_LENGTH),
            last.c.user_event,
            last.c.staff_event,
        )
        .select_from(last)
        .outerjoin(CaseEvent, CaseEvent.id == last.c.user_event)
    )
    return {case_id: (text, user_event, staff_event) for case_id, text, user_event, staff_event in rows.all()}


async def queue(
    session: AsyncSession, filters: QueueFilter, *, page: int = 1, page_size: int = QUEUE_PAGE_SIZE
) -> QueuePage:
    """One page of the selection: open urgent cases first, then longest waiting. The first page
    holds every open urgent case (up to PINNED_URGENT_MAX) and fills up to `page_size` with others."""
    selection = _selection(filters)
    pinned = and_(Case.urgent.is_(True), Case.status.in_(ACTIVE))
    total, urgent = (
        await session.execute(
            select(func.count(), func.coalesce(func.sum(when((pinned, 1), else_=0)), 0))
            .select_from(Case)
            .where(*selection)
        )
    ).one()
    first_page = max(page_size, min(urgent, PINNED_URGENT_MAX))
    pages = 1 + -(-max(0, total - first_page) // page_size)
    page = min(max(page, 1), pages)
    query = (
        select(Case, StaffAccount.username)
        .outerjoin(StaffAccount, StaffAccount.id == Case.claimed_by)
        .where(*selection)
        .order_by(when((pinned, 0), else_=1), Case.urgent.desc(), Case.opened_at, Case.id)
    )
    if page == 1:
        query = query.limit(first_page)
    else:
        query = query.offset(first_page + (page - 2) * page_size).limit(page_size)
    rows = (await session.execute(query)).all()
    latest = await _latest_events(session, [found.id for found, _ in rows])
    items = []
    for found, username in rows:
        last_user_message, last_user_id, last_staff_id = latest.get(found.id, (None, None, None))
        waiting = (
            found.status == "open"
            if last_user_id is None and last_staff_id is None
            else ((last_user_id or 0) > (last_staff_id or 0))
        )
        items.append(QueueItem(found, username, last_user_message, waiting))
    return QueuePage(items, total, urgent, page, pages)


# Many more cases than usual in a short time: the console says so (see `recent_cases`).
FLOOD_WINDOW = timedelta(minutes=10)
FLOOD_THRESHOLD = 20


@dataclass(frozen=True)
class RecentCases:
    """Cases opened within FLOOD_WINDOW, whatever the queue's filters."""

    minutes: int
    opened: int
    urgent: int
    web: int  # of them from the web chat, where anyone can open sessions by the hundred

    @property
    def flood(self) -> bool:
        return self.opened >= FLOOD_THRESHOLD


async def recent_cases(session: AsyncSession, *, now: datetime | None = None) -> RecentCases:
    since = (now or datetime.now(UTC)) - FLOOD_WINDOW
    opened, urgent, web = (
        await session.execute(
            select(
                func.count(),
                func.coalesce(func.sum(when((Case.urgent.is_(True), 1), else_=0)), 0),
                func.coalesce(func.sum(when((User.channel == "web", 1), else_=0)), 0),
            )
            .select_from(Case)
            .outerjoin(User, User.id == Case.user_id)
            .where(Case.opened_at >= since)
        )
    ).one()
    return RecentCases(int(FLOOD_WINDOW.total_seconds()) // 60, opened, urgent, web)


@dataclass(frozen=True)
class ThreadEntry:
    id: int
    kind: str  # user_message | bot_answer | staff_reply | note | status
    text: str
    author: str | None
    created_at: datetime
    translation: str | None = None  # machine translation: a user message's German, a reply as sent


# The case page shows this many entries of the thread (the newest, or those before `before`) and
# says how many older ones there are: one visitor can write thousands of messages into a case, and
# the page is reloaded every second.
THREAD_PAGE = 50


@dataclass(frozen=True)
class Triage:
    """Everything the console shows about one case."""

    case: Case
    user: User | None  # None once the user deleted their data
    claimed_by: str | None
    thread: list[ThreadEntry]  # oldest first: the newest THREAD_PAGE, or the page before `before`
    older: int  # entries before the first one in `thread`
    before: int | None  # the page asked for: entries before this id (None: the newest)
    history: list[Message]  # the conversation with the bot, oldest first


async def triage(session: AsyncSession, case_id: int, *, before: int | None = None) -> Triage | None:
    case = await session.get(Case, case_id, populate_existing=True)
    if case is None:
        return None
    user = await session.get(User, case.user_id) if case.user_id is not None else None
    names: dict[int, str] = {
        staff_id: username
        for staff_id, username in (
            await session.execute(select(StaffAccount.id, StaffAccount.username))
        ).all()
    }
    of_case = select(CaseEvent).where(CaseEvent.case_id == case.id)
    if before is not None:
        of_case = of_case.where(CaseEvent.id < before)
    newest_first = (
        (await session.execute(of_case.order_by(CaseEvent.id.desc()).limit(THREAD_PAGE))).scalars().all()
    )
    thread = [
        ThreadEntry(
            event.id,
            event.kind,
            event.text,
            names.get(event.author_id) if event.author_id else None,
            event.created_at,
            event.translation,
        )
        for event in reversed(newest_first)
    ]
    older = 0
    if len(newest_first) == THREAD_PAGE:
        older = (
            await session.execute(
                select(func.count()).where(CaseEvent.case_id == case.id, CaseEvent.id < thread[0].id)
            )
        ).scalar_one()
    history: list[Message] = []
    if user is not None:
        recent = await session.execute(
            select(Message)
            .where(Message.user_id == user.id)
            .order_by(Message.id.desc())
            .limit(HISTORY_LENGTH)
        )
        history = list(reversed(recent.scalars().all()))
    claimed_by = names.get(case.claimed_by) if case.claimed_by else None
    return Triage(case, user, claimed_by, thread, older, before, history)


async def claim_case(
    session: AsyncSession, case_id: int, staff: StaffAccount, *, now: datetime | None = None
) -> bool:
    """Take an open case. One conditional UPDATE: of two people claiming at once, exactly one wins."""
    now = now or datetime.now(UTC)
    won = (
        await session.execute(
            update(Case)
            .where(Case.id == case_id, Case.status == "open")
            .values(status="claimed", claimed_by=staff.id, claimed_at=now)
            .returning(Case.id)
            .execution_options(synchronize_session=False)
        )
    ).scalar_one_or_none()
    if won is None:
        return False
    session.add(CaseEvent(case_id=case_id, kind="status", text="claimed", author_id=staff.id))
    await audit(session, staff, "claim", f"case:{case_id}")
    return True


async def release_case(session: AsyncSession, case_id: int, staff: StaffAccount) -> None:
    """Give a claimed case back to the queue (its holder, or an admin)."""
    query = update(Case).where(Case.id == case_id, Case.status == "claimed")
    if staff.role != "admin":
        query = query.where(Case.claimed_by == staff.id)
    done = (
        await session.execute(
            query.values(status="open", claimed_by=None, claimed_at=None)
            .returning(Case.id)
            .execution_options(synchronize_session=False)
        )
    ).scalar_one_or_none()
    if done is None:
        raise CaseError("Nur wer den Fall übernommen hat, kann ihn zurückgeben.")
    session.add(CaseEvent(case_id=case_id, kind="status", text="released", author_id=staff.id))
    await audit(session, staff, "release", f"case:{case_id}")


async def _held_case(session: AsyncSession, case_id: int, staff: StaffAccount) -> tuple[Case, User]:
    case = await session.get(Case, case_id, populate_existing=True, with_for_update=True)
    if case is None:
        raise CaseError("Diesen Fall gibt es nicht.")
    if case.status == "deleted" or case.user_id is None:
        raise CaseError("Die Person hat ihre Daten gelöscht; der Fall ist geschlossen.")
    if case.status != "claimed" or (case.claimed_by != staff.id and staff.role != "admin"):
        raise CaseError("Bitte den Fall zuerst übernehmen.")
    user = await session.get(User, case.user_id)
    if user is None:
        raise CaseError("Die Person hat ihre Daten gelöscht; der Fall ist geschlossen.")
    return case, user


async def language_of(session: AsyncSession, case_id: int) -> str | None:
    """The language staff replies to the case go out in (see `_language`); None: no such case."""
    case = await session.get(Case, case_id)
    if case is None:
        return None
    user = await session.get(User, case.user_id) if case.user_id is not None else None
    return _language(user, case) if user is not None else normalize_language(case.language) or "de"


def _language(user: User, case: Case) -> str:
    """The user's language; before they chose one, the one the case was opened in (their app's)."""
    return normalize_language(user.language) or normalize_language(case.language) or "de"


# Translators: heading above a message that a person of our team (not the bot) wrote to the user
FROM_THE_TEAM = N_("Message from our team")
# Translators: button under a team message in the user's language: shows the same message in German
SHOW_ORIGINAL = N_("Show the German original")
LABEL_ROOM = 100  # characters of a staff reply kept for the "from our team" heading


def from_the_team(t: Texts, text: str) -> str:
    """A staff message as the user gets it: under a heading saying a person wrote it."""
    return f"💬 <b>{escape(t.gettext(FROM_THE_TEAM))}</b>\n{text}"


def reply_language(case: Case, user: User) -> str:
    """The language a staff reply is for (`_language`)."""
    return _language(user, case)


async def reply(
    session: AsyncSession,
    case_id: int,
    staff: StaffAccount,
    text: str,
    *,
    translated: str | None = None,
    staff_note: str = "",
) -> None:
    """Send the staff member's text to the user (escaped: it is shown as written, never as markup).

    `translated`: a machine translation into the user's language, sent instead, marked as one and
    with the German original a button away. `staff_note`: a line for staff in the thread (why it
    was not translated)."""
    text = text.strip()
    if not text:
        raise CaseError("Die Antwort ist leer.")
    escaped = escape(text, quote=False)
    if len(escaped) > MAX_TEXT - LABEL_ROOM:
        raise CaseError(f"Die Antwort ist zu lang (höchstens {MAX_TEXT - LABEL_ROOM} Zeichen).")
    case, user = await _held_case(session, case_id, staff)
    # Tagged with the person's language whatever the staff member wrote in: the web chat takes a
    # reply's tag for the page's language and direction.
    language = _language(user, case)
    t = texts(language)
    event = CaseEvent(case_id=case.id, kind="staff_reply", text=text, author_id=staff.id)
    session.add(event)
    await session.flush()  # the "show original" button names the event
    sent = Reply(text=from_the_team(t, escaped), kind="staff", language=language, rtl=t.rtl)
    if translated is not None and translated.strip():
        marked = say.machine_translated(t, escape(translated.strip(), quote=False), event.id)
        marked = dataclasses.replace(marked, text=from_the_team(t, marked.text), language=language)
        if len(marked.text) <= MAX_TEXT:
            sent, event.translation = marked, translated.strip()
        else:
            staff_note = "Nicht übersetzt: Die Übersetzung wäre zu lang. Die Antwort ging auf Deutsch hinaus."
    if staff_note:
        session.add(CaseEvent(case_id=case.id, kind="note", text=staff_note))
    await enqueue(session, user, [sent])
    await audit(session, staff, "reply", f"case:{case.id}")


def now_local() -> datetime:
    """Now where the offices are: a place card says whether it is open now."""
    return datetime.now(LOCAL_TIME)


@dataclass(frozen=True)
class PhrasePair:
    """A filled-in phrase in German (what staff read) and in the user's language (what is sent)."""

    german: RenderedPhrase
    for_user: RenderedPhrase


def phrase_pair(
    content: ContentBase, phrase_id: str, typed: Mapping[str, str], language: str, now: datetime
) -> PhrasePair:
    """The phrase with the slots staff typed, side by side; CaseError (German) when it cannot be."""
    phrase = content.phrases.get(phrase_id)
    if phrase is None:
        raise CaseError("Diesen Satzbaustein gibt es nicht (mehr).")
    try:
        values = parse_slots(content, phrase, typed)
    except SlotError as error:
        raise CaseError(str(error)) from None
    german = render_phrase(content, phrase, "de", values, now)
    return PhrasePair(german, render_phrase(content, phrase, language, values, now))


async def reply_with_phrase(
    session: AsyncSession,
    content: ContentBase,
    case_id: int,
    staff: StaffAccount,
    phrase_id: str,
    typed: Mapping[str, str],
    *,
    now: datetime | None = None,
) -> None:
    """Send a phrase in the user's language, with a button for the German original. The case keeps
    the German, which is what staff read and what the button shows."""
    case, user = await _held_case(session, case_id, staff)
    language = _language(user, case)
    pair = phrase_pair(content, phrase_id, typed, language, now or now_local())
    event = CaseEvent(
        case_id=case.id, kind="staff_reply", text=plain_text(pair.german.text), author_id=staff.id
    )
    session.add(event)
    await session.flush()  # the button names the event
    t = texts(language)
    buttons: tuple[tuple[Button, ...], ...] = ()
    if pair.for_user.language != "de":
        buttons = ((Button(label=t.gettext(SHOW_ORIGINAL), action=f"original:{event.id}"),),)
    text = from_the_team(t, pair.for_user.text)
    await enqueue(
        session, user, [Reply(text=text, buttons=buttons, kind="staff", language=user.language, rtl=t.rtl)]
    )
    await audit(session, staff, "phrase", f"case:{case.id}:{phrase_id}"[:64])


async def original_of(session: AsyncSession, user: User, event_id: int) -> str | None:
    """The German of a team message sent to `user` (None for anyone else's, or a note)."""
    event = await session.get(CaseEvent, event_id)
    if event is None or event.kind != "staff_reply":
        return None
    case = await session.get(Case, event.case_id)
    return event.text if case is not None and case.user_id == user.id else None


async def store_translations(session: AsyncSession, translations: dict[int, str]) -> None:
    """German translations of user messages, in the messages' own rows (a message deleted meanwhile
    takes nothing with it: there is no row to write to)."""
    for event_id, translation in translations.items():
        await session.execute(
            update(CaseEvent)
            .where(CaseEvent.id == event_id, CaseEvent.kind == "user_message")
            .values(translation=translation)
            .execution_options(synchronize_session=False)
        )


async def add_note(session: AsyncSession, case_id: int, staff: StaffAccount, text: str) -> None:
    """An internal note: seen by staff, never sent to the user."""
    text = text.strip()
    if not text:
        raise CaseError("Die Notiz ist leer.")
    case = await session.get(Case, case_id)
    if case is None:
        raise CaseError("Diesen Fall gibt es nicht.")
    if case.status == "deleted":
        raise CaseError("Die Person hat ihre Daten gelöscht; der Fall ist geschlossen.")
    session.add(CaseEvent(case_id=case.id, kind="note", text=text[:10_000], author_id=staff.id))
    await audit(session, staff, "note", f"case:{case.id}")


def rating_question(case: Case, user: User) -> Reply:
    """After close: how helpful was it, 1-5 (the core stores the answer through `rate`)."""
    t = texts(_language(user, case))
    # Translators: sent after a staff member closed the user's request; the user answers with buttons 1 to 5
    question = t.gettext(
        "Our team has closed your request. How helpful was our help? 1 = not helpful, 5 = very helpful."
    )
    buttons = (tuple(Button(label=str(n), action=f"rate:{case.id}:{n}") for n in range(1, 6)),)
    return Reply(text=question, buttons=buttons, language=t.language, rtl=t.rtl, kind="rating")


async def close_case(
    session: AsyncSession, case_id: int, staff: StaffAccount, outcome: str, *, now: datetime | None = None
) -> None:
    """Close with an outcome, then ask the user how helpful it was."""
    if outcome not in OUTCOMES:
        raise CaseError("Bitte ein Ergebnis wählen.")
    case, user = await _held_case(session, case_id, staff)
    case.status, case.closed_at, case.outcome = "closed", now or datetime.now(UTC), outcome
    session.add(CaseEvent(case_id=case.id, kind="status", text=f"closed:{outcome}", author_id=staff.id))
    await enqueue(session, user, [rating_question(case, user)])
    await audit(session, staff, "close", f"case:{case.id}:{outcome}")


def canned_answer(content: ContentBase, topic_id: str, case: Case, *, now: datetime | None = None) -> str:
    """A topic's short answer with the place for the user's region, as the bot's first message shows
    it, in their language, as plain text (the whole topic with its source links is too long to send)."""
    topic = content.topics.get(topic_id)
    if topic is None:
        raise CaseError("Dieses Thema gibt es nicht (mehr).")
    language = normalize_language(case.language) or "de"
    region = content.region(case.region) if case.region else None
    card = render_short(content, topic, texts(language), region, now or datetime.now(LOCAL_TIME))
    return plain_text(card).replace(RIGHT_TO_LEFT_MARK, "")
