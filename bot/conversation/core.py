"""The conversation core: one `Incoming` in, the replies to send out, in one unit of work.

`handle()` records the update as processed, updates the user, stores the conversation and puts
the replies into the outbox in a single transaction, then hands them (claimed) to the channel.
A redelivered update (same key) gets its still-unsent replies again and nothing new, so a
restart between commit and send neither drops nor repeats a reply.
"""

from __future__ import annotations

import dataclasses
import difflib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.content.model import LANGUAGES, ContentBase, Region, Topic, fold
from bot.content.store import ContentStore
from bot.conversation import outbox
from bot.conversation import replies as say
from bot.conversation.messages import MAX_TEXT, Channel, Delivery, Incoming, Reply
from bot.handoff import cases
from bot.i18n import Texts, normalize_language, texts
from bot.office_hours import WeeklyHours
from bot.storage.database import Database
from bot.storage.models import MAX_ID, Feedback, Message, ProcessedUpdate, UnansweredQuestion, User
from bot.understanding.language import LanguageDetector, content_detector
from bot.understanding.model import Understanding
from bot.understanding.policy import Decision, decide
from bot.understanding.text import besides_the_place, find_place, find_place_spelled_nearly
from bot.understanding.understand import Understander

log = logging.getLogger(__name__)

LOCAL_TIME = ZoneInfo("Europe/Berlin")  # office hours in the content and STAFF_HOURS are local
MISSES_BEFORE_PERSON = 2  # "the bot could not help twice in a row" opens a case
DAY = timedelta(days=1)
ATTEMPTS = 3  # a unit of work that lost a race (two first messages of a new user) is tried again
PLACE_STATEMENT = "change_place"  # the intent of "I live in …"
# The longest place name has four words ("Hilter am Teutoburger Wald"): a longer message that names no
# place, asked where one lives, is someone telling their story, not a place we do not know.
PLACE_ANSWER_WORDS = 5
QUESTION_ACTIONS = ("answer", "clarify", "ask_place", "emergency")

command_menu = say.command_menu


def utcnow() -> datetime:
    return datetime.now(UTC)


def always() -> bool:
    return True


@dataclass(frozen=True)
class Besides:
    """What a message says besides where the person lives ("I live in X. <question>"), and its reading."""

    text: str
    understanding: Understanding


@dataclass
class Turn:
    """What one update works with: its session, its user, the reply language, and the replies."""

    session: AsyncSession
    user: User
    t: Texts
    content: ContentBase
    now: datetime  # local time, for opening hours
    replies: list[Reply] = field(default_factory=list)
    topic: str | None = None  # the topic answered, for the conversation log
    question: str = ""  # what the user wrote, for the unanswered-questions list
    forgotten: bool = False  # the user had everything deleted: nothing more is logged
    over_daily_limit: bool = False  # the message is neither stored nor answered (but for safety)
    may_open_case: Callable[[], bool] = always  # asked (once) before a new case is opened

    def say(self, *replies: Reply) -> None:
        self.replies.extend(replies)

    def use_language(self, language: str) -> None:
        self.t = texts(language)


class Conversation:
    def __init__(
        self,
        *,
        database: Database,
        content: ContentStore,
        understander: Understander,
        retention_days: int,
        staff_hours: WeeklyHours,
        messages_per_day: int,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.database = database
        self.content = content
        self.understander = understander
        self.retention_days = retention_days
        self.staff_hours = staff_hours
        self.messages_per_day = messages_per_day  # stored per user within 24 hours (USER_MESSAGES_PER_DAY)
        self.clock = clock
        self._detector: tuple[ContentBase, LanguageDetector] | None = None

    def prepare(self) -> None:
        """Build now what the first message would wait for: the language models and the detector
        that knows the content's place names and example questions."""
        self._language_detector(self._current_content())

    def _language_detector(self, content: ContentBase) -> LanguageDetector:
        if self._detector is None or self._detector[0] is not content:  # built again after an edit
            self._detector = (content, content_detector(content))
        return self._detector[1]

    def _written_in(self, incoming: Incoming, content: ContentBase, *, instead_of: str | None) -> str | None:
        """The language a text message is clearly written in, if not `instead_of` (language.py)."""
        if incoming.kind != "text" or not incoming.text.strip() or len(incoming.text) > MAX_TEXT:
            return None
        return self._language_detector(content).written_in(incoming.text, instead_of=instead_of)

    def _current_content(self) -> ContentBase:
        content = self.content.current
        if self.understander.content is not content:  # an editor's change went live
            self.understander.reload(content)
        return content

    async def knows(self, channel: Channel, user: str) -> bool:
        """Whether the user of this channel id is stored (the web chat issues its ids itself)."""
        async with self.database.session() as session:
            found = await session.execute(
                select(User.id).where(User.channel == channel, User.external_id == user)
            )
            return found.first() is not None

    def over_limit(self, incoming: Incoming, *, retry_after: int) -> list[Reply]:
        """What to answer a message a channel's rate limit refused, without storing anything or
        asking the NLU: the emergency numbers in full when the safety net finds the message urgent
        (and the numbers in a line anyway), and when to send again."""
        content = self._current_content()
        hint = normalize_language(incoming.language_hint)
        t = texts(self._written_in(incoming, content, instead_of=hint) or hint or "en")
        text = incoming.text if incoming.kind == "text" else ""
        decision = decide(None, text, language=t.language, place_known=False, content=content)
        return self._refusal(decision, t, say.too_fast(t, retry_after))

    def _refusal(self, decision: Decision | None, t: Texts, notice: Reply) -> list[Reply]:
        if decision is None or decision.action != "emergency":
            return [notice]
        now = self.clock().astimezone(LOCAL_TIME)
        return [*say.emergency(self.content.current, decision.topic, t, None, now), notice]

    async def handle(
        self, incoming: Incoming, *, may_open_case: Callable[[], bool] = always
    ) -> list[Delivery]:
        """The deliveries the channel must send now, in order (already claimed for it).

        `may_open_case` is asked before a new case is opened (a channel's limit per client); when it
        says no, the user is told so, and still gets the emergency numbers if the message is urgent.
        """
        content = self._current_content()
        understanding, besides = None, None
        if incoming.kind == "text" and incoming.text.strip() and len(incoming.text) <= MAX_TEXT:
            # Outside the transaction: the NLU may take up to its timeout.
            language = normalize_language(incoming.language_hint) or "und"
            understanding = await self.understander.understand(incoming.text, language=language)
            # "I live in X" reads as the whole message; a question in another sentence is read alone,
            # so it is answered (or kept until the place is known) instead of being lost.
            if understanding.intent == PLACE_STATEMENT and (
                rest := besides_the_place(incoming.text, content)
            ):
                besides = Besides(rest, await self.understander.understand(rest, language=language))
        for attempt in range(1, ATTEMPTS + 1):
            try:
                # An update is almost always new: the first attempt does not look it up (its key is
                # the primary key, so a redelivered one fails to insert, and the next attempt finds it).
                return await self._unit_of_work(
                    incoming, content, understanding, besides, may_open_case, seen_before=attempt > 1
                )
            except IntegrityError:
                if attempt == ATTEMPTS:
                    raise
                log.info("update stored before, or two at once; trying again", extra={"attempt": attempt})
        raise AssertionError("unreachable")

    async def _unit_of_work(
        self,
        incoming: Incoming,
        content: ContentBase,
        understanding: Understanding | None,
        besides: Besides | None,
        may_open_case: Callable[[], bool],
        *,
        seen_before: bool,
    ) -> list[Delivery]:
        async with self.database.session() as session, session.begin():
            if incoming.key is not None:
                if seen_before and await session.get(ProcessedUpdate, incoming.key) is not None:
                    log.info("update seen before; sending only what is still unsent")
                    return await outbox.reclaim_for_update(session, incoming.key)
                session.add(ProcessedUpdate(key=incoming.key))
            with session.no_autoflush:  # the lookup does not need the row above: it goes with the next flush
                user = await self._user(session, incoming)
            # The language the person writes beats the phone's: a first message clearly in another
            # language than the browser's or Telegram's sets it (Turkish typed on a German phone gets
            # Turkish, emergency numbers included); once a language is set, it is only offered.
            hint = normalize_language(incoming.language_hint)
            detected = self._written_in(incoming, content, instead_of=user.language or hint)
            if user.language is None and detected is not None:
                user.language = detected
            language = user.language or hint or "en"
            turn = Turn(session, user, texts(language), content, self.clock().astimezone(LOCAL_TIME))
            turn.may_open_case = may_open_case
            if incoming.kind in ("text", "unsupported") and await self._over_daily_limit(turn):
                # Commands and buttons still work (/delete above all); a text is not stored.
                turn.over_daily_limit = True
                decision = decide(
                    understanding, incoming.text, language=turn.t.language, place_known=False, content=content
                )
                turn.say(*self._refusal(decision, turn.t, say.daily_limit(turn.t)))
                log.info("message over the daily limit, not stored")
            else:
                await self._dispatch(turn, incoming, understanding, besides, detected)
            self._log_out(turn)
            return await outbox.enqueue(
                session, turn.user, turn.replies, update_key=incoming.key, claimed=True
            )

    async def _over_daily_limit(self, turn: Turn) -> bool:
        since = self.clock() - DAY
        stored = await turn.session.scalar(
            select(func.count(Message.id)).where(
                Message.user_id == turn.user.id, Message.direction == "in", Message.created_at >= since
            )
        )
        return (stored or 0) >= self.messages_per_day

    async def _user(self, session: AsyncSession, incoming: Incoming) -> User:
        user = (
            await session.execute(
                select(User).where(User.channel == incoming.channel, User.external_id == incoming.user)
            )
        ).scalar_one_or_none()
        if user is None:
            user = User(channel=incoming.channel, external_id=incoming.user, misses=0)
            session.add(user)
            await session.flush()
        user.last_seen_at = self.clock()
        if user.state == outbox.FORGOTTEN:  # they deleted everything and wrote again: a user anew
            user.state = None
        return user

    # --- dispatch -------------------------------------------------------------------------------

    async def _dispatch(
        self,
        turn: Turn,
        incoming: Incoming,
        understanding: Understanding | None,
        besides: Besides | None,
        detected: str | None,
    ) -> None:
        if incoming.kind == "command":
            await self._command(turn, incoming)
        elif incoming.kind == "button":
            await self._button(turn, incoming.text)
        elif incoming.kind == "unsupported":
            turn.say(say.unsupported(incoming.text, turn.t))
        else:
            await self._text(turn, incoming.text, understanding, besides, detected)

    async def _command(self, turn: Turn, incoming: Incoming) -> None:
        name = incoming.text.split()[0].lstrip("/").split("@")[0].lower() if incoming.text.split() else ""
        user, t = turn.user, turn.t
        self._log_in(turn, incoming.text.split()[0] if incoming.text.split() else "/", action="command")
        if name in ("start", "language"):
            user.state, user.pending_topic = None, None
            hint = user.language if name == "language" else normalize_language(incoming.language_hint)
            turn.say(say.language_picker(hint or user.language))
        elif name == "place":
            user.state, user.pending_topic = "place", None
            turn.say(say.place_question(t, turn.content))
        elif name == "menu":
            turn.say(say.categories(turn.content, t))
        elif name == "human":
            await self._open_case(turn, reason="asked")
        elif name == "privacy":
            turn.say(say.privacy(t, self.retention_days))
        elif name == "delete":
            user.state = "delete"
            turn.say(say.delete_question(t))
        else:
            turn.say(say.help_text(t))

    async def _button(self, turn: Turn, action: str) -> None:
        name, _, argument = action.partition(":")
        user, t, content = turn.user, turn.t, turn.content
        if name == "lang" and argument in LANGUAGES:
            first_choice = user.language is None or user.region is None
            user.language = argument
            turn.use_language(argument)
            if first_choice:
                user.state = "place"
                turn.say(say.welcome(turn.t, self.retention_days), say.place_question(turn.t, content))
            else:
                turn.say(say.language_saved(turn.t))
        elif name == "place" and (region := content.region(argument)) is not None:
            await self._set_place(turn, region)
        elif name == "topic" and argument in content.topics:
            await self._answer_topic(turn, content.topics[argument])
        elif name == say.MORE and argument in content.topics:
            turn.topic = argument
            turn.say(say.more(content, content.topics[argument], t, self._region(user), turn.now))
        elif name == "menu":
            turn.say(say.categories(content, t))
        elif name == "cat" and (shown := _category_page(argument, content)) is not None:
            category, page = shown
            turn.say(say.category_page(content, category, page, t))
        elif name == "fb" and argument[2:] in content.topics and argument[:2] in ("1:", "0:"):
            await self._feedback(turn, helpful=argument[0] == "1", topic=argument[2:])
        elif name == "human":
            await self._open_case(turn, reason="not_helpful" if user.misses else "asked")
        elif name == "noop":  # "No, thanks" to a person: not a thanks to answer "You are welcome!"
            turn.say(say.no_person_wanted(t))
        elif name == "delete" and argument in ("yes", "no") and user.state == "delete":
            await (self._delete(turn) if argument == "yes" else self._keep(turn))
        elif name == "original" and (german := await self._original(turn, argument)) is not None:
            turn.say(say.original(t, german))
        elif name == "rate" and (rating := _rating(argument)) is not None:
            case_id, score = rating
            rated = await cases.rate(turn.session, user, case_id, score)
            turn.say(say.rating_thanks(t) if rated else say.stale_button(t))
        else:  # an old button, or callback data someone tampered with
            turn.say(say.stale_button(t))

    async def _original(self, turn: Turn, argument: str) -> str | None:
        """The German of a team message the user was sent ("original:<case event id>")."""
        if not argument.isdigit() or int(argument) > MAX_ID:  # tampered: no event has it
            return None
        return await cases.original_of(turn.session, turn.user, int(argument))

    async def _text(
        self,
        turn: Turn,
        text: str,
        understanding: Understanding | None,
        besides: Besides | None,
        detected: str | None,
    ) -> None:
        user, t, content = turn.user, turn.t, turn.content
        if len(text) > MAX_TEXT:
            self._log_in(turn, text[:MAX_TEXT], action="too_long")
            turn.say(say.too_long(t, MAX_TEXT))
            return
        if not text.strip():
            turn.say(say.empty(t))
            return
        decision = decide(
            understanding, text, language=t.language, place_known=user.region is not None, content=content
        )
        if besides is not None and decision.action == "ask_place" and decision.topic is None:
            decision = self._question_with_place(turn, text, decision, besides)
        self._log_in(turn, text, decision=decision)
        # Writing again within a few days of a closed case reopens it (a "thanks" does not). The
        # message just logged need not be written before the lookup: it goes with the next flush.
        with turn.session.no_autoflush:
            case = await cases.continuing_case(
                turn.session,
                user,
                self.clock(),
                reopen_closed=decision.action not in ("smalltalk", "emergency"),
            )
        if case is not None:
            # A person is on it: the message goes to the case. The bot still answers what it knows
            # (the team may be away for a weekend), and says the case stays open.
            await cases.add_event(turn.session, case, "user_message", text)
            if decision.action in ("emergency", "handoff", "fallback"):
                if decision.action == "emergency":  # safety first, even while a case is open
                    turn.say(*say.emergency(content, decision.topic, t, self._region(user), turn.now))
                    case.urgent = True
                turn.say(say.forwarded(t, self.staff_hours, turn.now))
                return
        if user.state == "delete":
            user.state = None  # they wrote instead of answering: treat it as a new question
        if user.state == "place":
            region = self._region_named(text, decision)
            # A new question (one that needs the place too) rather than the place itself.
            asks_more = decision.action in ("answer", "clarify", "handoff") or (
                decision.action == "ask_place" and decision.topic is not None
            )
            tells_more = decision.action == "fallback" and len(text.split()) > PLACE_ANSWER_WORDS
            if decision.action == "emergency" or (region is None and (asks_more or tells_more)):
                user.state, user.pending_topic = None, None
                await self._decided(turn, decision)  # safety first, even when the place came along
            elif region is not None:
                await self._place_named(turn, region, decision)
            else:
                turn.say(say.place_unknown(t, content))
        else:
            await self._decided(turn, decision)
        if case is not None:
            turn.say(say.forwarded(t, self.staff_hours, turn.now, answered=True))
        if detected is not None and detected != turn.t.language and user.language is not None:
            turn.say(say.offer_language(detected))

    async def _decided(self, turn: Turn, decision: Decision) -> None:
        user, t, content = turn.user, turn.t, turn.content
        if decision.place is not None and user.region is None:
            user.region = decision.place  # they told us where they live; remembered, /place changes it
        region = content.region(decision.place) if decision.place else self._region(user)
        action = decision.action
        if action != "fallback":
            user.misses = 0
        if action == "emergency":
            turn.topic = decision.topic
            turn.say(*say.emergency(content, decision.topic, t, region, turn.now, decision.alternatives))
            await self._open_case(turn, reason="urgent", urgent=True, topics=[decision.topic or "emergency"])
        elif action == "answer" and decision.topic is not None and decision.topic in content.topics:
            self._answer(turn, content.topics[decision.topic], region, decision.alternatives)
        elif action == "ask_place":
            if decision.saves_named_place and region is not None:
                await self._place_named(turn, region, decision)
            else:
                user.state, user.pending_topic = "place", decision.topic
                topic = content.topics.get(decision.topic) if decision.topic else None
                turn.say(say.place_question(t, content, topic))
        elif action == "handoff":
            await self._open_case(turn, reason="asked")
        elif action == "fallback":
            user.misses += 1
            nearest = decision.alternatives[0] if decision.alternatives else None
            turn.session.add(
                UnansweredQuestion(
                    user_id=user.id,
                    text=turn.question,
                    language=t.language,
                    nearest_topic=nearest,
                    confidence=decision.confidence,
                    reason="fallback",
                )
            )
            turn.say(say.fallback(content, decision.alternatives, t))
            if user.misses >= MISSES_BEFORE_PERSON:
                await self._open_case(turn, reason="failed_twice", topics=decision.alternatives[:1])
        else:  # clarify, smalltalk
            turn.say(*say.for_decision(decision, content, t, region, turn.now, self.staff_hours))

    def _question_with_place(self, turn: Turn, text: str, statement: Decision, besides: Besides) -> Decision:
        """The decision for the question written next to "I live in …", with the place it names
        (spelt as we know it or nearly): answered for that place, or, when the place is unknown,
        asked for with the question kept. The statement alone when there is no question."""
        place = statement.place or find_place_spelled_nearly(text, turn.content)
        question = decide(
            besides.understanding,
            besides.text,
            language=turn.t.language,
            place_known=place is not None or turn.user.region is not None,
            content=turn.content,
        )
        if question.action not in QUESTION_ACTIONS or (
            question.action == "ask_place" and question.topic is None
        ):
            return statement
        return dataclasses.replace(question, place=place or question.place)

    # --- pieces ---------------------------------------------------------------------------------

    def _log_in(
        self, turn: Turn, text: str, *, decision: Decision | None = None, action: str | None = None
    ) -> None:
        turn.question = text
        turn.session.add(
            Message(
                user_id=turn.user.id,
                direction="in",
                text=text,
                language=turn.t.language,
                intent=decision.intent if decision else None,
                topic=decision.topic if decision else None,
                action=decision.action if decision else action,
                confidence=decision.confidence if decision else None,
            )
        )

    def _log_out(self, turn: Turn) -> None:
        if turn.forgotten or turn.over_daily_limit:
            return
        for sent in turn.replies:
            turn.session.add(
                Message(
                    user_id=turn.user.id,
                    direction="out",
                    text=sent.text,
                    language=sent.language,
                    topic=turn.topic if sent.kind in ("answer", "emergency", "more") else None,
                    action=sent.kind[:16],
                )
            )

    def _region(self, user: User) -> Region | None:
        return self.content.current.region(user.region) if user.region else None

    def _region_named(self, text: str, decision: Decision) -> Region | None:
        """A place from free text: exact names first, then a close spelling ("Osnabruk", "Bramshe")."""
        content = self.content.current
        found = decision.place or find_place(text, content) or find_place_spelled_nearly(text, content)
        if found is not None:
            return content.region(found)
        names = {fold(name): region for region in content.regions for name in region.names()}
        close = difflib.get_close_matches(fold(text), list(names), n=1, cutoff=0.75)
        return names[close[0]] if close else None

    async def _set_place(self, turn: Turn, region: Region) -> None:
        user = turn.user
        user.region, user.state = region.id, None
        pending, user.pending_topic = user.pending_topic, None
        turn.say(say.place_saved(turn.t, region))
        if pending and pending in turn.content.topics:
            self._answer(turn, turn.content.topics[pending], region)

    async def _place_named(self, turn: Turn, region: Region, decision: Decision) -> None:
        """The message names where the user lives: save it, then do what else the message asks."""
        if decision.topic is not None and decision.action in ("answer", "ask_place"):
            turn.user.pending_topic = decision.topic  # the question written along with the place
        await self._set_place(turn, region)
        if decision.action == "handoff":
            await self._open_case(turn, reason="asked")
        elif decision.alternatives and decision.action in ("clarify", "ask_place"):
            turn.say(say.clarify(turn.content, decision.alternatives, turn.t))

    async def _answer_topic(self, turn: Turn, topic: Topic) -> None:
        if topic.care == "urgent":
            turn.topic = topic.id
            turn.say(*say.emergency(turn.content, topic.id, turn.t, self._region(turn.user), turn.now))
            return
        if topic.place_dependent and turn.user.region is None:
            turn.user.state, turn.user.pending_topic = "place", topic.id
            turn.say(say.place_question(turn.t, turn.content, topic))
            return
        self._answer(turn, topic, self._region(turn.user))

    def _answer(
        self, turn: Turn, topic: Topic, region: Region | None, alternatives: Sequence[str] = ()
    ) -> None:
        turn.topic = topic.id
        turn.user.misses = 0
        turn.say(*say.answer(turn.content, topic, turn.t, region, turn.now, alternatives))

    async def _feedback(self, turn: Turn, *, helpful: bool, topic: str) -> None:
        user = turn.user
        turn.session.add(Feedback(user_id=user.id, topic=topic, language=turn.t.language, helpful=helpful))
        if helpful:
            turn.say(say.feedback_thanks(turn.t))
            return
        asked = (
            await turn.session.execute(
                select(Message.text)
                .where(Message.user_id == user.id, Message.direction == "in", Message.topic == topic)
                .order_by(Message.id.desc())
                .limit(1)
            )
        ).scalar_one_or_none()
        turn.session.add(
            UnansweredQuestion(
                user_id=user.id,
                text=asked or turn.content.topics[topic].best_translation(turn.t.language).title,
                language=turn.t.language,
                nearest_topic=topic,
                reason="not_helpful",
            )
        )
        user.misses = 1  # so "yes, a person" opens the case with the reason not_helpful
        turn.say(say.ask_for_person(turn.t))

    async def _open_case(
        self, turn: Turn, *, reason: str, urgent: bool = False, topics: list[str] | tuple[str, ...] = ()
    ) -> None:
        ongoing = await cases.continuing_case(turn.session, turn.user, self.clock(), reopen_closed=True)
        if ongoing is None and not turn.may_open_case():
            log.info(
                "case not opened: the channel's limit for this client is reached", extra={"reason": reason}
            )
            turn.say(say.case_limit(turn.t))
            return
        case = await cases.open_case(
            turn.session, turn.user, reason=reason, urgent=urgent, topics=topics, now=self.clock()
        )
        case.language = turn.t.language
        turn.say(say.handoff_opened(turn.t, self.staff_hours, turn.now, urgent=urgent))

    async def _delete(self, turn: Turn) -> None:
        """Everything about the user goes at once (messages, settings, what they wrote to a case, the
        keys of their updates); a bare row (channel and chat id) carries the reply and goes as soon as
        the reply is delivered (`outbox.mark_delivered`)."""
        user, session = turn.user, turn.session
        await cases.forget_user(session, user)
        await outbox.forget_update_keys(session, user)
        await session.execute(delete(User).where(User.id == user.id))  # messages, outbox, …: cascade
        session.expunge(user)
        turn.user = User(channel=user.channel, external_id=user.external_id, misses=0, state=outbox.FORGOTTEN)
        session.add(turn.user)
        await session.flush()
        turn.forgotten = True
        turn.say(say.deleted(turn.t))

    async def _keep(self, turn: Turn) -> None:
        turn.user.state = None
        turn.say(say.kept(turn.t))


def _category_page(argument: str, content: ContentBase) -> tuple[str, int] | None:
    category, _, page = argument.partition(":")
    if not page.isdigit() or not any(entry.category == category for entry in content.catalogue):
        return None
    return category, int(page)


def _row_id(argument: str) -> int | None:
    """A row id from a button; None when no row can have it (tampered)."""
    if not (argument.isascii() and argument.isdigit()):  # "²" is a digit to isdigit, not to int()
        return None
    return int(argument) if 0 < int(argument) <= MAX_ID else None


def _rating(argument: str) -> tuple[int, int] | None:
    case_id, _, score = argument.partition(":")
    if not (case_id.isdigit() and score.isdigit() and 1 <= int(score) <= 5):
        return None
    if int(case_id) > MAX_ID:  # tampered: no case has it, and the database driver would refuse it
        return None
    return int(case_id), int(score)
