"""What every request to the web server passes and every response carries, for the web chat, the staff
console and the Telegram webhook alike.

- A request body larger than its limit (CHAT_MAX_BODY_BYTES under /api/chat/, MAX_BODY_BYTES
  elsewhere) gets 413 before the application reads it: a declared Content-Length is checked first,
  and a body without one (chunked) is counted as it arrives and never held beyond the limit.
- Validation errors (422) say where and what, never the input.
"""

from __future__ import annotations

import json

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.settings import Settings

CHAT_API = "/api/chat/"


async def clear_validation_error(_request: Request, error: Exception) -> JSONResponse:
    """422 with where and what, but not the input itself: echoing it back failed for a lone surrogate
    ("\\ud800" cannot be encoded, so the error became a 500), and it is what the person wrote."""
    assert isinstance(error, RequestValidationError)
    detail = [{"loc": list(problem["loc"]), "msg": problem["msg"]} for problem in error.errors()]
    return JSONResponse({"detail": detail}, status_code=422)


class BodyLimit:
    """ASGI middleware: 413 for a request body over the limit of its path, before the app reads it."""

    def __init__(self, app: ASGIApp, *, chat_limit: int, limit: int) -> None:
        self.app = app
        self.chat_limit = chat_limit
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        limit = self.chat_limit if scope["path"].startswith(CHAT_API) else self.limit
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            await too_large(send, limit)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await too_large(send, limit)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()  # what follows the body: a disconnect
            replayed = True
            return {"type": "http.request", "body": b"".join(chunks), "more_body": False}

        await self.app(scope, replay, send)


async def too_large(send: Send, limit: int) -> None:
    body = json.dumps({"detail": f"The request body is too large (at most {limit} bytes)."}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


def protect(app: FastAPI, settings: Settings) -> None:
    app.add_exception_handler(RequestValidationError, clear_validation_error)
    app.add_middleware(BodyLimit, chat_limit=settings.chat_max_body_bytes, limit=settings.max_body_bytes)
