"""A Telegram Bot API server on loopback: real HTTP, the methods python-telegram-bot 22 calls.

Tests, the benchmark and the soak point `TELEGRAM_API_BASE_URL` at `server.base_url` and then talk
to the bot the way Telegram would: users send messages (`send_text`, `press`, `send_media`, …), the
bot polls `getUpdates` (or receives them on its webhook) and answers with `sendMessage`, which the
test reads back with `await server.replies(chat_id, count)`.

What it does like Telegram (so the tests mean something):
- `getUpdates` long-polls (honours `offset`, `timeout`, `limit`, negative offsets) and forgets an
  update only once a later call's `offset` confirms it; a second concurrent poller gets 409, as does
  polling while a webhook is set.
- With a webhook set, updates are POSTed to it with the `X-Telegram-Bot-Api-Secret-Token` header and
  delivered again until the webhook answers 2xx.
- `sendMessage`/`editMessageText` parse `parse_mode=HTML` with Telegram's tag set and limits: an
  unsupported or unclosed tag, an empty text, more than 4096 characters or callback data over
  64 bytes is a 400, as it would be in production.
- A wrong token is a 401 (python-telegram-bot raises InvalidToken).
- Faults: `fail(method, times=N | fraction=p, status=429 | 500 | …)`, `delay(method, seconds)`.

Every call is recorded in `calls` (method, parameters, status) for assertions.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import random
import socket
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.support.serving import QuietServer, listening_socket

TOKEN = "123456789:LOOPBACK-test-token_abcdefghijklmnop"
BOT_ID = 123456789
BOT_USERNAME = "wegweiser_test_bot"
MAX_TEXT = 4096
MAX_CALLBACK_DATA = 64

JSONDict = dict[str, Any]


class ApiError(Exception):
    """Answered as {"ok": false, ...} with this status."""

    def __init__(self, status: int, description: str, parameters: JSONDict | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters


def _bad_request(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


# --- Telegram's HTML subset -------------------------------------------------------------------

_HTML_TAGS = {
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "a",
    "code",
    "pre",
    "blockquote",
    "tg-spoiler",
    "tg-emoji",
    "span",
}


class _TelegramHtml(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.parts: list[str] = []
        self.error: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _HTML_TAGS:
            self.error = self.error or f'Unsupported start tag "{tag}"'
            return
        if tag == "a" and not dict(attrs).get("href"):
            self.error = self.error or "Can't parse entities: <a> without href"
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.error = self.error or f'Can\'t find end tag corresponding to start tag "{tag}"'
            return
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def parse_html(text: str) -> str:
    """The text a user sees, or ApiError 400 as Telegram answers for bad markup."""
    parser = _TelegramHtml()
    parser.feed(text)
    parser.close()
    if parser.error is None and parser.stack:
        parser.error = f'Can\'t find end tag corresponding to start tag "{parser.stack[-1]}"'
    if parser.error is not None:
        raise _bad_request(f"can't parse entities: {parser.error}")
    return "".join(parser.parts)


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


# --- what the bot sent ------------------------------------------------------------------------


@dataclass
class SentMessage:
    """A message the bot sent (and may have edited since)."""

    chat_id: int
    message_id: int
    text: str  # as the user sees it: markup gone
    html: str  # as the bot sent it
    parse_mode: str | None
    reply_markup: JSONDict | None
    raw: JSONDict  # the Message object as the Bot API returned it

    @property
    def buttons(self) -> list[list[JSONDict]]:
        if not self.reply_markup:
            return []
        rows: list[list[JSONDict]] = self.reply_markup.get("inline_keyboard", [])
        return rows

    @property
    def labels(self) -> list[str]:
        return [button["text"] for row in self.buttons for button in row]

    def button(self, label: str) -> JSONDict:
        for row in self.buttons:
            for button in row:
                if button["text"] == label:
                    return button
        raise AssertionError(f"no button {label!r} on the bot's message; it has {self.labels}")


@dataclass
class Call:
    method: str
    params: JSONDict
    status: int = 200
    at: float = field(default_factory=time.monotonic)
    result: Any = None  # what the call returned, if it succeeded


@dataclass
class Fault:
    """Answer calls of `method` with `status` instead of doing them: the next `times` calls, or a
    `fraction` of them (seeded), for as long as it is active."""

    method: str
    status: int
    times: int | None = None
    fraction: float | None = None
    retry_after: int = 1
    description: str | None = None
    rng: random.Random = field(default_factory=lambda: random.Random(0))
    triggered: int = 0
    active: bool = True

    def fires(self) -> bool:
        if not self.active:
            return False
        if self.times is not None:
            if self.times <= 0:
                return False
            self.times -= 1
        elif self.fraction is not None and self.rng.random() >= self.fraction:
            return False
        self.triggered += 1
        return True

    def error(self) -> ApiError:
        if self.status == 429:
            return ApiError(
                429,
                self.description or f"Too Many Requests: retry after {self.retry_after}",
                {"retry_after": self.retry_after},
            )
        descriptions = {
            500: "Internal Server Error",
            502: "Bad Gateway",
            403: "Forbidden: bot was blocked by the user",
        }
        return ApiError(self.status, self.description or descriptions.get(self.status, "Error"))


class _Params:
    """Parameters of a call: form fields are strings (objects JSON-encoded), JSON bodies are typed."""

    def __init__(self, values: JSONDict) -> None:
        self.values = values

    def has(self, name: str) -> bool:
        return self.values.get(name) not in (None, "")

    def str(self, name: str, default: str | None = None) -> str | None:
        value = self.values.get(name, default)
        return None if value is None else str(value)

    def int(self, name: str, default: int | None = None) -> int | None:
        value = self.values.get(name)
        if value in (None, ""):
            return default
        try:
            return int(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise _bad_request(f'field "{name}" must be a Number') from None

    def float(self, name: str, default: float) -> float:
        value = self.values.get(name)
        return default if value in (None, "") else float(value)  # type: ignore[arg-type]

    def bool(self, name: str) -> bool:
        value = self.values.get(name)
        return value is True or value in ("true", "True", "1")

    def obj(self, name: str) -> Any:
        value = self.values.get(name)
        if isinstance(value, str):
            try:
                return json.loads(value)
            except json.JSONDecodeError:
                raise _bad_request(f"can't parse {name} JSON object") from None
        return value

    def require_str(self, name: str) -> str:
        value = self.str(name)
        if value is None:
            raise _bad_request(f"{name} is empty" if name == "text" else f'parameter "{name}" is required')
        return value

    def require_int(self, name: str) -> int:
        value = self.int(name)
        if value is None:
            raise _bad_request(f'parameter "{name}" is required')
        return value


class BotApiServer:
    """The loopback Bot API. `async with BotApiServer() as server:` or `await start()`/`close()`."""

    def __init__(
        self,
        *,
        token: str = TOKEN,
        bot_username: str = BOT_USERNAME,
        webhook_retry_interval: float = 0.2,
    ) -> None:
        self.token = token
        self.bot_user: JSONDict = {
            "id": int(token.split(":", 1)[0]),
            "is_bot": True,
            "first_name": "Wegweiser",
            "username": bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self.port = 0
        self.calls: list[Call] = []
        self.commands: dict[tuple[str, str], list[JSONDict]] = {}  # (scope type, language) -> commands
        self.answered_callbacks: dict[str, JSONDict] = {}
        self.chat_actions: list[JSONDict] = []
        self.webhook: JSONDict | None = None
        self.webhook_deliveries: list[tuple[int, int | str]] = []  # (update_id, status or error)
        self.lose_confirmations = False  # as if the bot died before its confirming getUpdates arrived
        self.webhook_retry_interval = webhook_retry_interval

        self._faults: list[Fault] = []
        self._open_callbacks: set[str] = set()
        self._background: set[asyncio.Task[None]] = set()
        self._delays: dict[str, float] = {}
        self._pending: list[JSONDict] = []  # updates not yet confirmed, in update_id order
        self._all_updates: dict[int, JSONDict] = {}
        self._update_ids = itertools.count(1)
        self._message_ids: defaultdict[int, itertools.count[int]] = defaultdict(lambda: itertools.count(1))
        self._sent: defaultdict[int, list[SentMessage]] = defaultdict(list)  # chat -> bot's messages
        self._by_id: dict[tuple[int, int], SentMessage] = {}
        self._read: defaultdict[int, int] = defaultdict(int)  # chat -> replies already returned
        self._user_messages: dict[tuple[int, int], JSONDict] = {}
        self._changed = asyncio.Condition()
        self._poll_generation = 0
        self._closing = False
        self._server: QuietServer | None = None
        self._socket: socket.socket | None = None
        self._serve_task: asyncio.Task[None] | None = None
        self._webhook_task: asyncio.Task[None] | None = None
        self._webhook_client: httpx.AsyncClient | None = None
        self._methods: dict[str, Callable[[_Params], Awaitable[Any]]] = {
            "getMe": self._get_me,
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "answerCallbackQuery": self._answer_callback_query,
            "setMyCommands": self._set_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "getMyCommands": self._get_my_commands,
            "sendChatAction": self._send_chat_action,
            "close": self._true,
            "logOut": self._true,
        }

    # --- lifecycle ---------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """TELEGRAM_API_BASE_URL for the bot (python-telegram-bot appends the token)."""
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    async def start(self) -> BotApiServer:
        sock = listening_socket()
        self.port = sock.getsockname()[1]
        app = Starlette(routes=[Route("/{path:path}", self._endpoint, methods=["GET", "POST"])])
        config = uvicorn.Config(
            app,
            log_config=None,
            access_log=False,
            lifespan="off",
            http="h11",
            ws="none",
            timeout_graceful_shutdown=2,
            timeout_keep_alive=30,
        )
        self._server = QuietServer(config)
        self._socket = sock
        self._serve_task = asyncio.create_task(self._server.serve(sockets=[sock]), name="bot-api-server")
        while not self._server.started:
            if self._serve_task.done():
                self._serve_task.result()
            await asyncio.sleep(0.01)
        return self

    async def close(self) -> None:
        self._closing = True
        async with self._changed:
            self._changed.notify_all()  # long polls return now
        await self._stop_webhook_delivery()
        if self._server is not None and self._serve_task is not None:
            self._server.should_exit = True
            await self._serve_task
            self._server = None
        if self._socket is not None:
            self._socket.close()
            self._socket = None

    async def __aenter__(self) -> BotApiServer:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # --- HTTP --------------------------------------------------------------------------------

    async def _endpoint(self, request: Request) -> Response:
        path = request.url.path
        if path.startswith("/file/"):
            return JSONResponse({"ok": False, "error_code": 404, "description": "Not Found"}, 404)
        prefix, _, method = path.rpartition("/")
        if not prefix.startswith("/bot"):
            return JSONResponse({"ok": False, "error_code": 404, "description": "Not Found"}, 404)
        values: JSONDict = dict(request.query_params)
        if request.method == "POST":
            content_type = request.headers.get("content-type", "")
            if content_type.startswith("application/json"):
                body = await request.body()
                if body:
                    values.update(json.loads(body))
            elif content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
                async with request.form() as form:
                    values.update({key: value for key, value in form.items() if isinstance(value, str)})
        call = Call(method, values)
        self.calls.append(call)
        try:
            if prefix[len("/bot") :] != self.token:
                raise ApiError(401, "Unauthorized")
            handler = self._methods.get(method)
            if handler is None:
                raise ApiError(404, "Not Found")
            for fault in self._faults:
                if fault.method == method and fault.fires():
                    raise fault.error()
            if method in self._delays:
                await asyncio.sleep(self._delays[method])
            result = await handler(_Params(values))
            call.result = result
        except ApiError as error:
            call.status = error.status
            body = {"ok": False, "error_code": error.status, "description": error.description}
            if error.parameters:
                body["parameters"] = error.parameters
            return JSONResponse(body, error.status)
        return JSONResponse({"ok": True, "result": result})

    # --- updates: long polling and webhook -------------------------------------------------------

    async def _get_updates(self, params: _Params) -> list[JSONDict]:
        if self.webhook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
            )
        offset = params.int("offset", 0) or 0
        limit = max(1, min(100, params.int("limit", 100) or 100))
        timeout = max(0.0, params.float("timeout", 0.0))
        self._poll_generation += 1
        generation = self._poll_generation
        deadline = time.monotonic() + timeout
        async with self._changed:
            self._changed.notify_all()  # an older poll still waiting is now superseded
            if offset < 0:
                self._pending = self._pending[offset:]
            elif offset > 0 and not self.lose_confirmations:
                self._pending = [u for u in self._pending if u["update_id"] >= offset]
            while True:
                if generation != self._poll_generation:
                    raise ApiError(
                        409,
                        "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
                    )
                available = [u for u in self._pending if u["update_id"] >= offset][:limit]
                remaining = deadline - time.monotonic()
                if available or remaining <= 0 or self._closing:
                    return available
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), remaining)

    async def _set_webhook(self, params: _Params) -> bool:
        url = params.require_str("url")
        if not url:
            return await self._delete_webhook(params)
        secret = params.str("secret_token")
        if secret is not None and not (
            1 <= len(secret) <= 256 and all(c.isascii() and (c.isalnum() or c in "_-") for c in secret)
        ):
            raise _bad_request("secret token contains unallowed characters")
        if params.bool("drop_pending_updates"):
            self._pending.clear()
        self.webhook = {
            "url": url,
            "secret_token": secret,
            "allowed_updates": params.obj("allowed_updates"),
            "max_connections": params.int("max_connections", 40),
        }
        async with self._changed:
            self._changed.notify_all()  # a waiting getUpdates now conflicts
        if self._webhook_task is None:
            self._webhook_client = httpx.AsyncClient(timeout=10)
            self._webhook_task = asyncio.create_task(self._deliver_to_webhook(), name="bot-api-webhook")
        return True

    async def _delete_webhook(self, params: _Params) -> bool:
        if params.bool("drop_pending_updates"):
            self._pending.clear()
        self.webhook = None
        await self._stop_webhook_delivery()
        return True

    async def _stop_webhook_delivery(self) -> None:
        task, self._webhook_task = self._webhook_task, None
        if task is not None and task is not asyncio.current_task():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        client, self._webhook_client = self._webhook_client, None
        if client is not None:
            await client.aclose()

    async def _get_webhook_info(self, params: _Params) -> JSONDict:
        info: JSONDict = {
            "url": self.webhook["url"] if self.webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
        }
        if self.webhook and self.webhook.get("max_connections"):
            info["max_connections"] = self.webhook["max_connections"]
        return info

    async def _deliver_to_webhook(self) -> None:
        """Post each pending update, in order, until the webhook answers 2xx (then it is confirmed)."""
        while not self._closing:
            async with self._changed:
                while not self._pending and not self._closing:
                    await self._changed.wait()
            if self._closing or self.webhook is None or self._webhook_client is None:
                return
            update = self._pending[0]
            headers = {}
            if self.webhook.get("secret_token"):
                headers["X-Telegram-Bot-Api-Secret-Token"] = self.webhook["secret_token"]
            try:
                response = await self._webhook_client.post(self.webhook["url"], json=update, headers=headers)
                outcome: int | str = response.status_code
            except httpx.HTTPError as error:
                outcome = type(error).__name__
            self.webhook_deliveries.append((update["update_id"], outcome))
            if isinstance(outcome, int) and 200 <= outcome < 300:
                if self._pending and self._pending[0] is update:
                    self._pending.pop(0)
            else:
                await asyncio.sleep(self.webhook_retry_interval)

    # --- bot methods ------------------------------------------------------------------------------

    async def _true(self, params: _Params) -> bool:
        return True

    async def _get_me(self, params: _Params) -> JSONDict:
        return self.bot_user

    def _check_markup(self, markup: Any) -> JSONDict | None:
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise _bad_request("can't parse reply keyboard markup JSON object")
        for row in markup.get("inline_keyboard", []):
            for button in row:
                if not button.get("text"):
                    raise _bad_request("text buttons are unallowed in the inline keyboard")
                data = button.get("callback_data")
                if data is not None and not 1 <= len(data.encode()) <= MAX_CALLBACK_DATA:
                    raise _bad_request("BUTTON_DATA_INVALID")
                if data is None and not button.get("url"):
                    raise _bad_request('can\'t find field "callback_data" or "url" in the button')
        return markup

    def _render(self, params: _Params) -> tuple[str, str, str | None]:
        source = params.str("text") or ""
        parse_mode = params.str("parse_mode")
        if parse_mode is not None and parse_mode.upper() == "HTML":
            text = parse_html(source)
        elif parse_mode is None:
            text = source
        else:
            raise _bad_request(f"unsupported parse_mode {parse_mode}")
        if not text.strip():
            raise _bad_request("message text is empty")
        if utf16_len(text) > MAX_TEXT:
            raise _bad_request("message is too long")
        return text, source, parse_mode

    def _chat(self, chat_id: int) -> JSONDict:
        if chat_id > 0:
            return {"id": chat_id, "type": "private", "first_name": "User"}
        return {"id": chat_id, "type": "supergroup", "title": "Group"}

    async def _send_message(self, params: _Params) -> JSONDict:
        chat_id = params.require_int("chat_id")
        text, source, parse_mode = self._render(params)
        markup = self._check_markup(params.obj("reply_markup"))
        message_id = next(self._message_ids[chat_id])
        raw: JSONDict = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": self._chat(chat_id),
            "from": self.bot_user,
            "text": text,
        }
        if markup is not None:
            raw["reply_markup"] = markup
        sent = SentMessage(chat_id, message_id, text, source, parse_mode, markup, raw)
        async with self._changed:
            self._sent[chat_id].append(sent)
            self._by_id[chat_id, message_id] = sent
            self._changed.notify_all()
        return raw

    def _find_sent(self, params: _Params) -> SentMessage:
        if params.has("inline_message_id"):
            raise _bad_request("inline messages are not supported here")
        key = (params.require_int("chat_id"), params.require_int("message_id"))
        sent = self._by_id.get(key)
        if sent is None:
            raise _bad_request("message to edit not found")
        return sent

    async def _edit_message_text(self, params: _Params) -> JSONDict:
        sent = self._find_sent(params)
        text, source, parse_mode = self._render(params)
        markup = self._check_markup(params.obj("reply_markup"))
        if text == sent.text and markup == sent.reply_markup:
            raise _bad_request(
                "message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message"
            )
        sent.text, sent.html, sent.parse_mode, sent.reply_markup = text, source, parse_mode, markup
        sent.raw = {**sent.raw, "text": text, "edit_date": int(time.time())}
        sent.raw.pop("reply_markup", None)
        if markup is not None:
            sent.raw["reply_markup"] = markup
        return sent.raw

    async def _edit_message_reply_markup(self, params: _Params) -> JSONDict:
        sent = self._find_sent(params)
        markup = self._check_markup(params.obj("reply_markup"))
        if markup == sent.reply_markup or (not markup and not sent.reply_markup):
            raise _bad_request("message is not modified")
        sent.reply_markup = markup
        sent.raw = {**sent.raw, "edit_date": int(time.time())}
        sent.raw.pop("reply_markup", None)
        if markup:
            sent.raw["reply_markup"] = markup
        return sent.raw

    async def _answer_callback_query(self, params: _Params) -> bool:
        query_id = params.require_str("callback_query_id")
        if query_id not in self._open_callbacks:
            raise _bad_request("query is too old and response timeout expired or query ID is invalid")
        self._open_callbacks.discard(query_id)
        self.answered_callbacks[query_id] = dict(params.values)
        return True

    async def _set_my_commands(self, params: _Params) -> bool:
        commands = params.obj("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise _bad_request("commands must be a list of at most 100 BotCommand")
        for command in commands:
            name, description = command.get("command", ""), command.get("description", "")
            if not (1 <= len(name) <= 32 and all(c.islower() or c.isdigit() or c == "_" for c in name)):
                raise _bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(description) <= 256:
                raise _bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        self.commands[self._scope(params), params.str("language_code") or ""] = commands
        return True

    def _scope(self, params: _Params) -> str:
        scope = params.obj("scope")
        return scope.get("type", "default") if isinstance(scope, dict) else "default"

    async def _delete_my_commands(self, params: _Params) -> bool:
        self.commands.pop((self._scope(params), params.str("language_code") or ""), None)
        return True

    async def _get_my_commands(self, params: _Params) -> list[JSONDict]:
        return self.commands.get((self._scope(params), params.str("language_code") or ""), [])

    async def _send_chat_action(self, params: _Params) -> bool:
        self.chat_actions.append({"chat_id": params.require_int("chat_id"), "action": params.str("action")})
        return True

    # --- faults -----------------------------------------------------------------------------------

    def fail(
        self,
        method: str,
        *,
        times: int | None = None,
        fraction: float | None = None,
        status: int = 429,
        retry_after: int = 1,
        description: str | None = None,
        seed: int = 0,
    ) -> Fault:
        """Answer the next `times` calls of `method` (or a `fraction` of them) with `status`."""
        if (times is None) == (fraction is None):
            raise ValueError("give exactly one of times and fraction")
        fault = Fault(
            method,
            status,
            times=times,
            fraction=fraction,
            retry_after=retry_after,
            description=description,
            rng=random.Random(seed),
        )
        self._faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        for fault in self._faults:
            fault.active = False
        self._faults.clear()

    def delay(self, method: str, seconds: float | None) -> None:
        """Answer `method` only after `seconds` (None: no delay)."""
        if seconds is None:
            self._delays.pop(method, None)
        else:
            self._delays[method] = seconds

    # --- what users do ----------------------------------------------------------------------------

    def _user(self, user_id: int, language_code: str | None, *, is_bot: bool = False) -> JSONDict:
        user: JSONDict = {"id": user_id, "is_bot": is_bot, "first_name": f"User{user_id}"}
        if language_code:
            user["language_code"] = language_code
        return user

    def push(self, update: JSONDict) -> JSONDict:
        """Queue an update as Telegram would (an update_id is assigned unless it has one)."""
        if "update_id" not in update:
            update = {"update_id": next(self._update_ids), **update}
        self._all_updates[update["update_id"]] = update
        self._pending.append(update)
        self._pending.sort(key=lambda u: u["update_id"])
        self._notify()
        return update

    def redeliver(self, update: JSONDict | int) -> JSONDict:
        """Deliver an update again, the same update_id, as Telegram does when it never learnt that
        the update was received (a bot that died before confirming, a webhook that timed out)."""
        found = self._all_updates[update] if isinstance(update, int) else update
        self._pending = [u for u in self._pending if u["update_id"] != found["update_id"]]
        self._pending.append(found)
        self._pending.sort(key=lambda u: u["update_id"])
        self._notify()
        return found

    def _notify(self) -> None:
        async def notify() -> None:
            async with self._changed:
                self._changed.notify_all()

        task = asyncio.get_running_loop().create_task(notify())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def _message(
        self,
        chat: JSONDict,
        sender: JSONDict,
        **content: Any,
    ) -> JSONDict:
        chat_id = chat["id"]
        message_id = next(self._message_ids[chat_id])
        message: JSONDict = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": chat,
            "from": sender,
            **content,
        }
        self._user_messages[chat_id, message_id] = message
        return message

    @staticmethod
    def entities(text: str) -> list[JSONDict]:
        """bot_command and mention entities, as Telegram's clients attach them (UTF-16 offsets)."""
        found: list[JSONDict] = []
        position = 0
        for word in text.split(" "):
            if word.startswith("/") and position == 0 and len(word) > 1:
                found.append({"type": "bot_command", "offset": 0, "length": utf16_len(word)})
            elif word.startswith("@") and len(word) > 1:
                found.append(
                    {"type": "mention", "offset": utf16_len(text[:position]), "length": utf16_len(word)}
                )
            position += len(word) + 1
        return found

    def send_text(
        self,
        chat_id: int,
        text: str,
        *,
        language_code: str | None = "de",
        user_id: int | None = None,
        from_bot: bool = False,
        reply_to: SentMessage | JSONDict | None = None,
        chat_type: str | None = None,
    ) -> JSONDict:
        """A user writes `text` in a chat (a private chat unless `chat_id` is negative)."""
        user_id = user_id if user_id is not None else (chat_id if chat_id > 0 else 424242)
        sender = self._user(user_id, language_code, is_bot=from_bot)
        chat = self._group_chat(chat_id, chat_type) if chat_id < 0 else self._private_chat(sender)
        content: JSONDict = {"text": text}
        entities = self.entities(text)
        if entities:
            content["entities"] = entities
        if reply_to is not None:
            content["reply_to_message"] = reply_to.raw if isinstance(reply_to, SentMessage) else reply_to
        return self.push({"message": self._message(chat, sender, **content)})

    def send_command(self, chat_id: int, command: str, **kwargs: Any) -> JSONDict:
        return self.send_text(chat_id, command, **kwargs)

    def send_group_text(
        self,
        chat_id: int,
        text: str,
        *,
        user_id: int = 424242,
        language_code: str | None = "de",
        reply_to: SentMessage | JSONDict | None = None,
    ) -> JSONDict:
        """A message in a group (chat_id < 0); mention the bot by writing f"@{server.bot_username}"."""
        if chat_id >= 0:
            raise ValueError("group chat ids are negative")
        return self.send_text(chat_id, text, user_id=user_id, language_code=language_code, reply_to=reply_to)

    @property
    def bot_username(self) -> str:
        return str(self.bot_user["username"])

    def _private_chat(self, user: JSONDict) -> JSONDict:
        return {"id": user["id"], "type": "private", "first_name": user["first_name"]}

    def _group_chat(self, chat_id: int, chat_type: str | None) -> JSONDict:
        return {"id": chat_id, "type": chat_type or "supergroup", "title": "Neu in Osnabrück"}

    def send_media(
        self,
        chat_id: int,
        kind: str,
        *,
        language_code: str | None = "de",
        caption: str | None = None,
    ) -> JSONDict:
        """A user sends voice, audio, video, video_note, photo, sticker, document, animation,
        location, venue, contact, poll or dice."""
        file = {"file_id": f"{kind}-file-{chat_id}", "file_unique_id": f"{kind}-u-{chat_id}"}
        payloads: dict[str, JSONDict] = {
            "voice": {"voice": {**file, "duration": 4, "mime_type": "audio/ogg"}},
            "audio": {"audio": {**file, "duration": 180, "title": "Song"}},
            "video": {"video": {**file, "width": 640, "height": 480, "duration": 12}},
            "video_note": {"video_note": {**file, "length": 240, "duration": 5}},
            "photo": {
                "photo": [
                    {**file, "width": 90, "height": 90},
                    {**file, "file_id": f"{kind}-big-{chat_id}", "width": 1280, "height": 1280},
                ]
            },
            "sticker": {
                "sticker": {
                    **file,
                    "type": "regular",
                    "width": 512,
                    "height": 512,
                    "is_animated": False,
                    "is_video": False,
                    "emoji": "👍",
                }
            },
            "document": {"document": {**file, "file_name": "Bescheid.pdf", "mime_type": "application/pdf"}},
            "animation": {"animation": {**file, "width": 320, "height": 240, "duration": 3}},
            "location": {"location": {"latitude": 52.2799, "longitude": 8.0472}},
            "venue": {
                "venue": {
                    "location": {"latitude": 52.2799, "longitude": 8.0472},
                    "title": "Rathaus",
                    "address": "Markt 1, Osnabrück",
                }
            },
            "contact": {"contact": {"phone_number": "+4915112345678", "first_name": "Amina"}},
            "poll": {
                "poll": {
                    "id": "poll-1",
                    "question": "Wann?",
                    "options": [
                        {"persistent_id": "o1", "text": "Heute", "voter_count": 0},
                        {"persistent_id": "o2", "text": "Morgen", "voter_count": 0},
                    ],
                    "total_voter_count": 0,
                    "is_closed": False,
                    "is_anonymous": True,
                    "type": "regular",
                    "allows_multiple_answers": False,
                    "allows_revoting": True,
                    "members_only": False,
                }
            },
            "dice": {"dice": {"emoji": "🎲", "value": 4}},
        }
        if kind not in payloads:
            raise ValueError(f"unknown media kind {kind!r}; one of {sorted(payloads)}")
        content = dict(payloads[kind])
        if caption is not None:
            content["caption"] = caption
        sender = self._user(chat_id, language_code)
        return self.push({"message": self._message(self._private_chat(sender), sender, **content)})

    def edit_text(self, update: JSONDict, text: str) -> JSONDict:
        """The user edits the message of an earlier update of theirs."""
        original = update["message"]
        edited = {**original, "text": text, "edit_date": int(time.time())}
        entities = self.entities(text)
        edited.pop("entities", None)
        if entities:
            edited["entities"] = entities
        return self.push({"edited_message": edited})

    def press(
        self,
        chat_id: int,
        label: str | None = None,
        *,
        data: str | None = None,
        message: SentMessage | None = None,
        language_code: str | None = "de",
        user_id: int | None = None,
    ) -> JSONDict:
        """The user presses an inline button of a bot message (the newest one that has it).

        Give the button's `label` (as shown) or its callback `data`; pressing a button the bot never
        sent is an error in the test, as a real client cannot do it either.
        """
        if (label is None) == (data is None):
            raise ValueError("give exactly one of label and data")
        candidates = [message] if message is not None else list(reversed(self._sent[chat_id]))
        for sent in candidates:
            for row in sent.buttons:
                for button in row:
                    if (label is not None and button["text"] == label) or (
                        data is not None and button.get("callback_data") == data
                    ):
                        if "callback_data" not in button:
                            raise AssertionError(
                                f"button {button['text']!r} opens {button.get('url')}; it sends nothing"
                            )
                        return self._callback(chat_id, sent, button["callback_data"], language_code, user_id)
        shown = [sent.labels for sent in candidates if sent.buttons]
        raise AssertionError(
            f"no button {label or data!r} on the bot's messages to {chat_id}; buttons: {shown}"
        )

    def press_data(
        self, chat_id: int, data: str, *, message: SentMessage, language_code: str | None = "de"
    ) -> JSONDict:
        """Tampered callback data: a press whose data the bot never put on a button (hostile input)."""
        return self._callback(chat_id, message, data, language_code, None)

    def _callback(
        self, chat_id: int, sent: SentMessage, data: str, language_code: str | None, user_id: int | None
    ) -> JSONDict:
        query_id = f"cbq-{next(self._update_ids)}-{chat_id}"
        self._open_callbacks.add(query_id)
        sender = self._user(
            user_id if user_id is not None else (chat_id if chat_id > 0 else 424242), language_code
        )
        return self.push(
            {
                "callback_query": {
                    "id": query_id,
                    "from": sender,
                    "chat_instance": f"instance-{chat_id}",
                    "message": sent.raw,
                    "data": data,
                }
            }
        )

    # --- what the bot did -------------------------------------------------------------------------

    def sent(self, chat_id: int) -> list[SentMessage]:
        """Every message the bot sent to the chat, in order."""
        return list(self._sent[chat_id])

    async def replies(
        self,
        chat_id: int,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109 - a transcript reads better with it in the call
    ) -> list[SentMessage]:
        """The bot's next `count` messages to the chat (after those an earlier call returned)."""
        deadline = time.monotonic() + timeout
        async with self._changed:
            while len(self._sent[chat_id]) - self._read[chat_id] < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    got = self._sent[chat_id][self._read[chat_id] :]
                    failed = [(c.method, c.status) for c in self.calls if c.status != 200][-5:]
                    raise AssertionError(
                        f"expected {count} replies to chat {chat_id} within {timeout}s, got {len(got)}: "
                        f"{[m.text[:80] for m in got]}; failed calls: {failed}"
                    )
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), remaining)
            start = self._read[chat_id]
            self._read[chat_id] = start + count
            return self._sent[chat_id][start : start + count]

    async def reply(self, chat_id: int, timeout: float = 5.0) -> SentMessage:  # noqa: ASYNC109
        return (await self.replies(chat_id, 1, timeout))[0]

    async def no_more_replies(self, chat_id: int, within: float = 0.5) -> None:
        """Assert that the bot sends nothing more to the chat for `within` seconds."""
        await asyncio.sleep(within)
        extra = self._sent[chat_id][self._read[chat_id] :]
        if extra:
            raise AssertionError(f"unexpected replies to chat {chat_id}: {[m.text[:80] for m in extra]}")

    def calls_of(self, method: str) -> list[Call]:
        return [call for call in self.calls if call.method == method]

    async def wait_for_call(
        self,
        method: str,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109
        predicate: Callable[[Call], bool] | None = None,
    ) -> list[Call]:
        """Wait until `method` was called `count` times (that matched `predicate`)."""
        deadline = time.monotonic() + timeout
        while True:
            found = [c for c in self.calls_of(method) if predicate is None or predicate(c)]
            if len(found) >= count:
                return found
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{method} called {len(found)} times, expected {count} within {timeout}s"
                )
            await asyncio.sleep(0.01)

    def times_delivered(self, update: JSONDict | int) -> int:
        """How often getUpdates handed out (or the webhook was posted) this update."""
        update_id = update if isinstance(update, int) else update["update_id"]
        polled = sum(
            1
            for call in self.calls_of("getUpdates")
            if call.result and any(u["update_id"] == update_id for u in call.result)
        )
        return polled + sum(1 for posted, _ in self.webhook_deliveries if posted == update_id)

    @property
    def pending_updates(self) -> Sequence[JSONDict]:
        return tuple(self._pending)
