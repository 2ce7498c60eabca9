"""A person chatting with the conversation core directly: `await chat.send("…")`, `await chat.press("…")`."""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import count

from bot.conversation.core import Conversation
from bot.conversation.messages import Channel, Incoming, Reply
from bot.conversation.outbox import mark_delivered

_keys = count(1)


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
