"""Transcripts for the Telegram tests: `[(what the user does, what the bot answers), …]`.

What the user does is a text (or command), `Press("label")` / `Press(data="…")` on the bot's newest
message that has that button, or `Media("voice")`. What the bot answers is one expectation per
message, in order: a `str` that must appear in the message as the user sees it (markup gone), or a
`Reply` built by the core's reply functions, which the message must equal exactly (text as
Telegram renders it, and the same buttons); a predicate; or a tuple of these, all about one message.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.conversation.messages import Reply
from tests.support.bot_api import BotApiServer, SentMessage, parse_html


@dataclass(frozen=True)
class Press:
    label: str | None = None
    data: str | None = None


@dataclass(frozen=True)
class Media:
    kind: str


Action = str | Press | Media
Expectation = str | Reply | Callable[[SentMessage], object] | tuple["Expectation", ...]
Step = tuple[Action, Sequence[Expectation]]


def rendered(reply: Reply) -> tuple[str, list[list[tuple[str, str | None, str | None]]]]:
    """A core Reply as the Telegram user gets it: the text, and (label, callback data, url) rows."""
    rows = [[(b.label, None if b.url else b.action, b.url) for b in row] for row in reply.buttons]
    return parse_html(reply.text), rows


def shown(message: SentMessage) -> tuple[str, list[list[tuple[str, str | None, str | None]]]]:
    rows = [[(b["text"], b.get("callback_data"), b.get("url")) for b in row] for row in message.buttons]
    return message.text, rows


def check(message: SentMessage, expected: Expectation) -> None:
    if isinstance(expected, tuple):  # all of them, about the same message
        for each in expected:
            check(message, each)
    elif isinstance(expected, Reply):
        assert shown(message) == rendered(expected)
    elif isinstance(expected, str):
        assert expected in message.text, f"{expected!r} not in {message.text!r}"
    else:
        assert expected(message) is not False, f"unexpected message {message.text!r}"


async def converse(
    server: BotApiServer, chat_id: int, steps: Sequence[Step], *, language_code: str | None
) -> list[SentMessage]:
    """Play the transcript through the loopback Bot API; the bot must answer each step with exactly
    the expected messages (none more, checked after the last step)."""
    everything: list[SentMessage] = []
    for action, answers in steps:
        if isinstance(action, Press):
            server.press(chat_id, action.label, data=action.data, language_code=language_code)
        elif isinstance(action, Media):
            server.send_media(chat_id, action.kind, language_code=language_code)
        else:
            server.send_text(chat_id, action, language_code=language_code)
        messages = await server.replies(chat_id, len(answers))
        for message, expected in zip(messages, answers, strict=True):
            check(message, expected)
        everything += messages
    await server.no_more_replies(chat_id, within=0.3)
    return everything
