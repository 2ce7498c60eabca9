"""A person chatting with the conversation core directly: `await chat.send("…")`, `await chat.press("…")`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import count
from pathlib import Path

from bot.content.store import ContentStore
from bot.conversation.core import Conversation
from bot.conversation.messages import Channel, Incoming, Reply
from bot.conversation.outbox import mark_delivered
from bot.office_hours import parse_office_hours
from bot.storage.database import Database
from bot.understanding.understand import Understander

# A Tuesday, 10:00 in Osnabrück: inside the staff hours of `build_conversation`.
TUESDAY_MORNING = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)

_keys = count(1)


def build_conversation(
    database: Database,
    content_dir: Path,
    clock: Callable[[], datetime] = lambda: TUESDAY_MORNING,
    *,
    retention_days: int = 90,
    messages_per_day: int = 300,
) -> Conversation:
    """The real core on the given content, understanding from the matcher (no Rasa needed)."""
    store = ContentStore(content_dir)
    return Conversation(
        database=database,
        content=store,
        understander=Understander.build(store.current, rasa_url=None),
        retention_days=retention_days,
        staff_hours=parse_office_hours("mon-fri 09:00-16:00"),
        messages_per_day=messages_per_day,
        clock=clock,
    )


@dataclass
class Chat:
    conversation: Conversation
    user: str = "chat-1"
    hint: str | None = "de"
    channel: Channel = "terminal"
    seen: list[Reply] = field(default_factory=list)

    async def _deliver(self, incoming: Incoming) -> list[Reply]:
        deliveries = await self.conversation.handle(incoming)
        await mark_delivered(self.conversation.database, [d.id for d in deliveries])
        replies = [d.reply for d in deliveries]
        self.seen += replies
        return replies

    async def send(self, text: str, *, key: str | None = None) -> list[Reply]:
        kind = "command" if text.startswith("/") else "text"
        return await self._deliver(self._incoming(kind, text, key))

    async def press(self, action: str, *, key: str | None = None) -> list[Reply]:
        return await self._deliver(self._incoming("button", action, key))

    async def sends_unsupported(self, what: str) -> list[Reply]:
        return await self._deliver(self._incoming("unsupported", what, None))

    def _incoming(self, kind: str, text: str, key: str | None) -> Incoming:
        return Incoming(
            channel=self.channel,
            user=self.user,
            kind=kind,  # type: ignore[arg-type]
            text=text,
            language_hint=self.hint,
            key=key or f"{self.channel}:{next(_keys)}",
        )


def buttons(reply: Reply) -> list[tuple[str, str]]:
    return [(button.label, button.action) for row in reply.buttons for button in row]


def actions(reply: Reply) -> list[str]:
    return [action for _, action in buttons(reply)]
