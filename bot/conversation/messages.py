"""What channels hand to the conversation core, and what they get back: plain data only.

A channel (Telegram, web chat, terminal) turns its input into an `Incoming`, calls
`Conversation.handle`, and renders each `Reply` it is given: `text` is Telegram's HTML subset
(<b>, <i>, <a href>), which the web chat shows as it is and the terminal turns into plain text.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from html import unescape
from typing import Any, Literal

# Telegram's limits: callback data is at most 64 bytes, a message at most 4096 characters.
MAX_ACTION_BYTES = 64
MAX_TEXT = 4096

Channel = Literal["telegram", "web", "terminal"]

# What came in. "unsupported" carries what it was in `text`: one of UNSUPPORTED.
Kind = Literal["text", "command", "button", "unsupported"]
UNSUPPORTED = (
    "voice",
    "audio",
    "video",
    "photo",
    "sticker",
    "document",
    "location",
    "contact",
    "edited",
    "other",
)


def storable(text: str) -> str:
    """`text` without control characters (but line breaks and tabs) and lone surrogates.

    PostgreSQL refuses a NUL in text (the message was lost with a 500), and no encoding can store a
    lone surrogate; none of them means anything to a reader.
    """
    if text.isprintable():  # the usual case, answered in C
        return text
    return "".join(char for char in text if char in "\n\t" or unicodedata.category(char) not in ("Cc", "Cs"))


@dataclass(frozen=True)
class Incoming:
    """One thing a user did.

    - text: a message; `text` is what they wrote (a channel passes over-long texts unchanged: the
      core answers those itself).
    - command: "/start", "/menu", … in `text`, with any argument after a space.
    - button: the `action` of a Button they pressed, in `text`.
    - unsupported: a voice message, photo, sticker, …: `text` names it (see UNSUPPORTED).
    `language_hint` is the channel's guess at the language (Telegram's language_code, the browser's
    language); `key` identifies the update for idempotency ("telegram:<update_id>", "web:<uuid>").
    """

    channel: Channel
    user: str  # the channel's id of the chat or session; stored, never logged
    kind: Kind
    text: str = ""
    language_hint: str | None = None
    key: str | None = None

    def __post_init__(self) -> None:
        # Here, where every channel hands its input to the core, so that no channel can forget it.
        object.__setattr__(self, "text", storable(self.text))


@dataclass(frozen=True)
class Button:
    """A button: pressing it sends `action` back as an Incoming of kind "button" (or opens `url`)."""

    label: str
    action: str = ""
    url: str | None = None

    def __post_init__(self) -> None:
        if self.url is None and not 0 < len(self.action.encode()) <= MAX_ACTION_BYTES:
            raise ValueError(f"button action must be 1..{MAX_ACTION_BYTES} bytes: {self.action!r}")


@dataclass(frozen=True)
class Reply:
    text: str  # Telegram's HTML subset
    buttons: tuple[tuple[Button, ...], ...] = ()  # rows of buttons
    language: str | None = None  # the reply's language, for channels that label it (web: dir/lang)
    rtl: bool = False
    kind: str = "text"  # what kind of reply, for tests, logs and the web chat's styling

    def as_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "buttons": [[vars(button) for button in row] for row in self.buttons],
            "language": self.language,
            "rtl": self.rtl,
            "kind": self.kind,
        }

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), ensure_ascii=False)

    @classmethod
    def from_json(cls, payload: str) -> Reply:
        data = json.loads(payload)
        return cls(
            text=data["text"],
            buttons=tuple(tuple(Button(**button) for button in row) for row in data["buttons"]),
            language=data.get("language"),
            rtl=bool(data.get("rtl")),
            kind=data.get("kind", "text"),
        )

    @property
    def plain_text(self) -> str:
        """The text as a person reads it: markup gone, links as 'label (url)' where they differ."""
        return plain_text(self.text)


_LINK = re.compile(r'<a href="([^"]*)">(.*?)</a>')
_TAG = re.compile(r"</?[a-z]+[^>]*>")


def plain_text(html: str) -> str:
    def link(match: re.Match[str]) -> str:
        url, label = unescape(match.group(1)), unescape(_TAG.sub("", match.group(2)))
        if url.startswith("tel:") or url == label:
            return label
        return f"{label} ({url})"

    return unescape(_TAG.sub("", _LINK.sub(link, html)))


@dataclass(frozen=True)
class Delivery:
    """A reply on its way: the channel sends it to `user`, then marks it delivered."""

    id: int
    channel: Channel
    user: str
    reply: Reply
    update_key: str | None = field(default=None, compare=False)
