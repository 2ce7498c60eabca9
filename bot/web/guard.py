"""What every request to the web server passes and every response carries, for the web chat, the staff
console and the Telegram webhook alike.

- A request body larger than its limit (CHAT_MAX_BODY_BYTES under /api/chat/, MAX_BODY_BYTES
  elsewhere) gets 413 before the application reads it: a declared Content-Length is checked first,
  and a body without one (chunked) is counted as it arrives and never held beyond the limit.
- Every response carries a Content-Security-Policy (frame-ancestors from FRAME_ANCESTORS for the
  web chat, 'none' for the console), X-Content-Type-Options: nosniff and Referrer-Policy, unless
  the route set its own (the console's pages do).
- The client's address is the connecting one, or, when that is one of TRUSTED_PROXIES, the last
  address in X-Forwarded-For that is not a trusted proxy (the per-client limits count it).
- Validation errors (422) say where and what, never the input.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from ipaddress import IPv4Network, IPv6Network, ip_address

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.settings import Settings

CHAT_API = "/api/chat/"
CONSOLE = "/staff"
POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors {ancestors}"
)


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


class SecurityHeaders:
    """ASGI middleware: the headers every response carries, where the route did not set its own."""

    def __init__(self, app: ASGIApp, *, frame_ancestors: str) -> None:
        self.app = app
        common = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer")]
        self.chat = [(b"content-security-policy", POLICY.format(ancestors=frame_ancestors).encode()), *common]
        self.console = [(b"content-security-policy", POLICY.format(ancestors="'none'").encode()), *common]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        wanted = self.console if scope["path"].startswith(CONSOLE) else self.chat

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(name, value) for name, value in wanted if name not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


Network = IPv4Network | IPv6Network


def client_address(peer: str, forwarded_for: str, trusted: Sequence[Network]) -> str:
    """Who is asking: `peer` (who connected), unless it is a trusted proxy; then, from the right of
    X-Forwarded-For (each proxy appends whom it got the request from), the first untrusted address.
    Whatever a client writes on the left of that is never believed."""

    def is_trusted(address: str) -> bool:
        try:
            parsed = ip_address(address)
        except ValueError:
            return False
        return any(parsed in network for network in trusted)

    client = peer
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    while is_trusted(client) and hops:
        hop = hops.pop()
        try:
            client = str(ip_address(hop))
        except ValueError:
            break  # not an address: stop at the last one known
    return client


class ClientAddress:
    """ASGI middleware: `scope["client"]` (so `request.client.host`) is the client, per `client_address`;
    and a trusted proxy's X-Forwarded-Proto is the scheme (the console's cookie is Secure over https)."""

    def __init__(self, app: ASGIApp, *, trusted: Sequence[Network]) -> None:
        self.app = app
        self.trusted = tuple(trusted)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("client") and self.trusted:
            headers = scope["headers"]
            forwarded = b",".join(value for name, value in headers if name == b"x-forwarded-for")
            host, port = scope["client"]
            address = client_address(host, forwarded.decode("latin-1"), self.trusted)
            scope = {**scope, "client": (address, port if address == host else 0)}
            proto = dict(headers).get(b"x-forwarded-proto", b"").decode("latin-1").strip().lower()
            if address != host and proto in ("http", "https"):
                scope["scheme"] = proto
        await self.app(scope, receive, send)


def protect(app: FastAPI, settings: Settings) -> None:
    """Install the guards; the last middleware added runs first."""
    app.add_exception_handler(RequestValidationError, clear_validation_error)
    app.add_middleware(BodyLimit, chat_limit=settings.chat_max_body_bytes, limit=settings.max_body_bytes)
    app.add_middleware(ClientAddress, trusted=settings.trusted_proxies)
    app.add_middleware(SecurityHeaders, frame_ancestors=settings.frame_ancestors)
