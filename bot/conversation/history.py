"""What a person sees again after reloading the web chat: their own conversation, as far as it is
still kept (messages and replies go after the retention period), and whether a case is open.

Only the user of the given channel and id is read; their typed messages and the bot's replies come
from the message log, staff replies from the outbox (delivered ones only: the rest still come by
polling). The log keeps no buttons; a reply still in the outbox (sent replies stay there two days,
privacy/retention.py) gets its buttons back from there, older ones come back as text.
"""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import exists, select

from bot.conversation.messages import Channel, Reply
from bot.conversation.outbox import FORGOTTEN
from bot.handoff.cases import ACTIVE
from bot.i18n import normalize_language, texts
from bot.storage.database import Database
from bot.storage.models import Case, Message, OutboxEntry, User

HISTORY_LIMIT = 100  # the most recent lines shown again


@dataclass(frozen=True)
class Line:
    mine: bool
    text: str = ""  # what the person wrote
    reply: Reply | None = None  # what they got

    def as_dict(self) -> dict[str, object]:
        if self.reply is None:
            return {"mine": True, "text": self.text}
        return {"mine": False, "reply": self.reply.as_dict()}


@dataclass(frozen=True)
class History:
    language: str | None
    case_open: bool
    lines: list[Line]


async def recent_history(
    database: Database, channel: Channel, external_id: str, *, limit: int = HISTORY_LIMIT
) -> History | None:
    """The user's recent conversation, oldest first; None when there is no such user (any more)."""
    async with database.session() as session:
        user = (
            await session.execute(
                select(User).where(User.channel == channel, User.external_id == external_id)
            )
        ).scalar_one_or_none()
        if user is None or user.state == FORGOTTEN:
            return None
        logged = (
            await session.execute(
                select(Message)
                .where(Message.user_id == user.id, Message.action.is_distinct_from("command"))
                .order_by(Message.id.desc())
                .limit(limit)
            )
        ).scalars()
        delivered = (
            await session.execute(
                select(OutboxEntry)
                .where(OutboxEntry.user_id == user.id, OutboxEntry.delivered_at.is_not(None))
                .order_by(OutboxEntry.id.desc())
                .limit(limit)
            )
        ).scalars()
        case_open = bool(
            await session.scalar(select(exists().where(Case.user_id == user.id, Case.status.in_(ACTIVE))))
        )
        # The outbox holds each reply as sent, buttons included, in the order the log has it.
        sent: defaultdict[str, deque[Reply]] = defaultdict(deque)
        dated: list[tuple[datetime, int, Line]] = []
        for entry in sorted(delivered, key=lambda entry: entry.id):
            reply = Reply.from_json(entry.payload)
            if reply.kind == "staff":  # staff replies come in turns of their own
                dated.append((entry.created_at, 0, Line(mine=False, reply=reply)))
            else:
                sent[reply.text].append(reply)
        # Message ids keep the order within a turn.
        for message in sorted(logged, key=lambda message: message.id):
            line = _logged_line(message)
            if line.reply is not None and sent[line.reply.text]:
                line = replace(
                    line, reply=replace(line.reply, buttons=sent[line.reply.text].popleft().buttons)
                )
            dated.append((message.created_at, message.id, line))
        dated.sort(key=lambda item: (item[0], item[1]))
        return History(
            language=user.language, case_open=case_open, lines=[line for *_, line in dated][-limit:]
        )


def _logged_line(message: Message) -> Line:
    if message.direction == "in":
        return Line(mine=True, text=message.text)
    language = normalize_language(message.language)
    rtl = texts(language).rtl if language else False
    return Line(
        mine=False,
        reply=Reply(text=message.text, language=message.language, rtl=rtl, kind=message.action or "text"),
    )
