"""The web chat: a page at `/` (embeddable in a municipality's website) backed by the same core.

The server gives the browser a random session token with the answer to its first message (its user
id here); the page keeps it and sends it in the X-Chat-Session header, never in a URL (URLs end up
in proxy logs, and whoever has the token reads the staff's replies and can delete the data). A
token the server does not know gets a new one. Each message has its own id, so a resent request is
answered once. Replies to a message come back in the response; staff replies wait in the outbox
until the page's next poll of `/api/chat/updates`. After a reload the page asks
`/api/chat/history` for the session's own conversation, as far as it is kept (the retention
period), and whether a case is open.

Limits (bot/web/limits.py, README "Limits"): messages per session and per client address, new
sessions and new cases per address. A message over a limit gets 429 with Retry-After and the
refusal in the user's language, with the emergency numbers (in full when the message reads
urgent); nothing is stored and no case opened.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, FastAPI, Header, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, Field

from bot.conversation.core import Conversation
from bot.conversation.history import recent_history
from bot.conversation.messages import Incoming
from bot.conversation.outbox import claim_pending, mark_delivered
from bot.settings import Settings
from bot.storage.database import Database
from bot.web.limits import ChatLimits
from bot.web.page import all_page_strings, menu_commands, page_language, page_strings, without_javascript

HERE = Path(__file__).parent
SESSION_HEADER = "X-Chat-Session"
# What `secrets.token_urlsafe(32)` gives: 43 characters. The client-made ids of before (UUIDs, which
# went in URLs) have another length, so none of them is accepted any more.
TOKEN_PATTERN = r"^[A-Za-z0-9_-]{43}$"  # noqa: S105 - a pattern, not a secret
MESSAGE_ID_PATTERN = r"^[A-Za-z0-9-]{16,64}$"
MAX_BODY_TEXT = 20_000  # longer than any message the core accepts, so it can say "too long" itself
templates = Jinja2Templates(directory=HERE / "templates")


class ChatMessage(BaseModel):
    id: str = Field(pattern=MESSAGE_ID_PATTERN)  # the message's own id: a resent request is answered once
    kind: Literal["text", "command", "button"]
    text: str = Field(max_length=MAX_BODY_TEXT)


def first_language(accept_language: str | None) -> str | None:
    """The first tag of an Accept-Language header ("uk-UA,uk;q=0.9,en;q=0.8" -> "uk-UA")."""
    if not accept_language:
        return None
    tag = accept_language.split(",")[0].split(";")[0].strip()
    return tag if re.fullmatch(r"[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*", tag) else None


def update_key(session: str, message_id: str) -> str:
    """The message's key for "answered once": a hash, as the ids together are longer than the key
    column (cutting them made two messages with long ids one), and it keeps the session out of it."""
    digest = hashlib.sha256(f"{session}:{message_id}".encode()).hexdigest()
    return f"web:{digest}"


def required_token(
    token: Annotated[str | None, Header(alias=SESSION_HEADER, pattern=TOKEN_PATTERN)] = None,
) -> str:
    """The session token of a request that reads the session's replies: 401 without one."""
    if token is None:
        raise HTTPException(401, f"The session token goes in the {SESSION_HEADER} header.")
    return token


def chat_router(conversation: Conversation, database: Database, limits: ChatLimits) -> APIRouter:
    router = APIRouter()

    @router.get("/", response_class=HTMLResponse)
    async def page(request: Request, accept_language: Annotated[str | None, Header()] = None) -> HTMLResponse:
        language = page_language(first_language(accept_language))
        context = {
            "language": language,
            "strings": page_strings(language),
            "all_strings": all_page_strings(),
            "menu": menu_commands(),
            "without_javascript": without_javascript(language),
        }
        return templates.TemplateResponse(request, "chat.html", context)

    @router.post("/api/chat/send", response_model=None)
    async def send(
        message: ChatMessage,
        request: Request,
        token: Annotated[str | None, Header(alias=SESSION_HEADER, pattern=TOKEN_PATTERN)] = None,
        accept_language: Annotated[str | None, Header()] = None,
    ) -> dict[str, object] | JSONResponse:
        address = request.client.host if request.client else ""
        wait = limits.per_address.wait(address)  # first: a flood costs no database query
        known = not wait and token is not None and await conversation.knows("web", token)
        session = token if known and token is not None else secrets.token_urlsafe(32)
        if not wait:
            wait = limits.per_session.wait(session) if known else limits.new_sessions.wait(address)
        incoming = Incoming(
            channel="web",
            user=session,
            kind=message.kind,
            text=message.text,
            language_hint=first_language(accept_language),
            key=update_key(session, message.id),
        )
        if wait:
            refusal = conversation.over_limit(incoming, retry_after=wait)
            body = {"detail": refusal[-1].plain_text, "replies": [reply.as_dict() for reply in refusal]}
            return JSONResponse(
                {**body, "session": session} if known else body,
                status_code=429,
                headers={"Retry-After": str(wait)},
            )
        deliveries = await conversation.handle(incoming, may_open_case=lambda: limits.cases.allows(address))
        await mark_delivered(database, [d.id for d in deliveries])
        return {"session": session, "replies": [d.reply.as_dict() for d in deliveries]}

    @router.get("/api/chat/updates")
    async def updates(token: Annotated[str, Depends(required_token)]) -> dict[str, object]:
        deliveries = await claim_pending(database, "web", user=token)
        await mark_delivered(database, [d.id for d in deliveries])
        return {"replies": [d.reply.as_dict() for d in deliveries]}

    @router.get("/api/chat/history")
    async def history(token: Annotated[str, Depends(required_token)]) -> dict[str, object]:
        """After a reload: this session's own conversation (as far as it is kept) and its open case."""
        found = await recent_history(database, "web", token)
        if found is None:
            raise HTTPException(404, "No conversation is kept for this session.")
        lines = [line.as_dict() for line in found.lines]
        return {"language": found.language, "case_open": found.case_open, "messages": lines}

    return router


def mount_chat(
    app: FastAPI,
    conversation: Conversation,
    database: Database,
    settings: Settings,
    *,
    clock: Callable[[], float] = time.monotonic,
) -> None:
    limits = ChatLimits.from_settings(settings, clock=clock)
    app.include_router(chat_router(conversation, database, limits))
    app.mount("/static/chat", StaticFiles(directory=HERE / "static"), name="chat-static")
