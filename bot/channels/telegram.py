"""The Telegram channel: python-telegram-bot updates in, the conversation core's replies out.

The channel only translates (see bot/conversation/messages.py). An `Update` becomes an `Incoming`
(or nothing, where Telegram etiquette says to stay quiet: groups unless addressed, other bots,
service messages); the core decides, stores and puts the replies into the outbox in one unit of
work; the channel sends what it gets back through the outbox's `Courier` and marks it delivered.

Never lose, never repeat a message:
- `Incoming.key` is "telegram:<update_id>": an update seen again (a restart before Telegram learnt
  it was received, a webhook delivered twice, two workers) gets only its still-unsent replies.
- A reply that could not be sent (network, 429 after the rate limiter's retries, 5xx) stays in the
  outbox; the outbox loop sends it later, in this worker or another one.
- Updates of one chat are handled one after another, in order; different chats concurrently.
- When the core cannot store an update (the database restarts), handling is retried with back-off
  before giving up, because by then python-telegram-bot has confirmed the update to Telegram.

Long polling by default; with TELEGRAM_MODE=webhook the web app receives updates on a secret path
(`webhook_router`), so several workers can run behind a load balancer.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias

from fastapi import APIRouter, Request, Response
from telegram import (
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    MessageEntity,
    Update,
)
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, InvalidToken, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    BaseUpdateProcessor,
    CallbackContext,
    ExtBot,
    TypeHandler,
    filters,
)
from telegram.request import BaseRequest

from bot.channels.transport import AiohttpRequest
from bot.content.model import LANGUAGES
from bot.conversation.core import command_menu
from bot.conversation.messages import MAX_TEXT, Button, Delivery, Incoming, Kind, Reply
from bot.conversation.outbox import POLL_INTERVAL, Courier, Undeliverable, claim_pending
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.storage.database import Database

log = logging.getLogger(__name__)

Context: TypeAlias = CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]
# ExtBot[int]: the rate limiter's per-call argument is an int (max retries).
TelegramApplication: TypeAlias = Application[
    ExtBot[int], Context, dict[Any, Any], dict[Any, Any], dict[Any, Any], None
]

# Only what the channel handles; Telegram then does not even store the rest for us.
ALLOWED_UPDATES = ("message", "edited_message", "callback_query")
DEFAULT_COMMAND_LANGUAGE = "en"  # the command menu for a language_code we have no translation for
POLLING_TIMEOUT = timedelta(seconds=25)  # long polling; Telegram holds the request up to this long
# Telegram's broadcast limit (about 30 messages a second); the benchmark may raise it.
MAX_MESSAGES_PER_SECOND = 30.0
RETRY_AFTER_ATTEMPTS = 3  # 429s the rate limiter waits out before the outbox takes over
CONCURRENT_UPDATES = 64
# When the core cannot store an update (the database is restarting), try again after these pauses.
HANDLE_RETRY_DELAYS = (0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0)
WEBHOOK_SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name
_CHANNEL = "wegweiser.channel"  # the key of the TelegramChannel in Application.bot_data

# Non-text messages -> what Incoming(kind="unsupported").text names (see messages.UNSUPPORTED).
_UNSUPPORTED: tuple[tuple[str, str], ...] = (
    ("voice", "voice"),
    ("audio", "audio"),
    ("video", "video"),
    ("video_note", "video"),
    ("animation", "video"),
    ("photo", "photo"),
    ("sticker", "sticker"),
    ("document", "document"),
    ("location", "location"),
    ("venue", "location"),
    ("contact", "contact"),
)


class ConversationPort(Protocol):
    """What the channel needs of the conversation core (bot.conversation.core.Conversation)."""

    database: Database

    async def handle(self, incoming: Incoming) -> list[Delivery]: ...


# --- Update -> Incoming -----------------------------------------------------------------------


@dataclass(frozen=True)
class BotIdentity:
    id: int
    username: str


def to_incoming(update: Update, bot: BotIdentity) -> Incoming | None:
    """What the user did, or None where the bot stays quiet (Telegram etiquette)."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None or user.is_bot:
        return None  # channel posts, inline messages, other bots (and our own echo)
    private = chat.type == ChatType.PRIVATE

    def incoming(kind: Kind, text: str) -> Incoming:
        return Incoming(
            channel="telegram",
            user=str(chat.id),
            kind=kind,
            text=text,
            language_hint=user.language_code,
            key=f"telegram:{update.update_id}",
        )

    if update.callback_query is not None:
        data = update.callback_query.data
        return incoming("button", data) if data else None  # no data: a game button, not ours
    if update.edited_message is not None:
        # An edit cannot be answered sensibly after the answer went out; say so in a private chat.
        return incoming("unsupported", "edited") if private else None
    message = update.message
    if message is None or filters.StatusUpdate.ALL.check_update(update):
        return None  # joins, leaves, pins, …: nothing a person said to the bot
    if not private and not _addressed(message, bot):
        return None
    if message.text is not None:
        command = _command(message, bot)
        if command is not None:
            return incoming("command", command) if command else None
        text = message.text if private else _without_mention(message, bot)
        return incoming("text", text)
    for attribute, what in _UNSUPPORTED:
        if getattr(message, attribute):
            return incoming("unsupported", what)
    return incoming("unsupported", "other")


def _entities(message: Message, kinds: Sequence[str]) -> list[tuple[MessageEntity, str]]:
    return list(message.parse_entities(list(kinds)).items())


def _command(message: Message, bot: BotIdentity) -> str | None:
    """ "/start arg" for a command at the start of the message; "" for a command meant for another
    bot; None when the message is no command."""
    for entity, text in _entities(message, [MessageEntity.BOT_COMMAND]):
        if entity.offset != 0:
            continue
        name, _, addressee = text.partition("@")
        if addressee and addressee.lower() != bot.username.lower():
            return ""
        rest = (message.text or "")[len(text) :].strip()
        return f"{name.lower()} {rest}".strip()
    return None


def _addressed(message: Message, bot: BotIdentity) -> bool:
    """In a group the bot speaks only when spoken to: /command@bot, @bot, or a reply to it."""
    replied = message.reply_to_message
    if replied is not None and replied.from_user is not None and replied.from_user.id == bot.id:
        return True
    handle = f"@{bot.username}".lower()
    for entity, text in _entities(message, [MessageEntity.BOT_COMMAND, MessageEntity.MENTION]):
        if entity.type == MessageEntity.BOT_COMMAND and text.lower().endswith(handle):
            return True
        if entity.type == MessageEntity.MENTION and text.lower() == handle:
            return True
    for entity in message.entities:
        if entity.type == MessageEntity.TEXT_MENTION and entity.user is not None and entity.user.id == bot.id:
            return True
    return False


def _without_mention(message: Message, bot: BotIdentity) -> str:
    text = message.text or ""
    for entity, mention in sorted(
        _entities(message, [MessageEntity.MENTION]), key=lambda pair: pair[0].offset, reverse=True
    ):
        if mention.lower() == f"@{bot.username}".lower():
            start = len(text.encode("utf-16-le")[: entity.offset * 2].decode("utf-16-le"))
            text = text[:start] + text[start + len(mention) :]
    return " ".join(text.split())


# --- Reply -> sendMessage ---------------------------------------------------------------------


def keyboard(buttons: Sequence[Sequence[Button]]) -> InlineKeyboardMarkup | None:
    rows = [
        [
            InlineKeyboardButton(button.label, url=button.url)
            if button.url
            else InlineKeyboardButton(button.label, callback_data=button.action)
            for button in row
        ]
        for row in buttons
        if row
    ]
    return InlineKeyboardMarkup(rows) if rows else None


def _utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """A text Telegram would refuse as too long, in pieces at line breaks (tags do not span lines
    in the core's replies); a single over-long line is cut hard."""
    if _utf16_length(text) <= limit:
        return [text]
    pieces: list[str] = []
    current = ""
    for line in text.split("\n"):
        candidate = f"{current}\n{line}" if current else line
        if _utf16_length(candidate) <= limit:
            current = candidate
            continue
        if current:
            pieces.append(current)
        while _utf16_length(line) > limit:
            pieces.append(line[: limit // 2])
            line = line[limit // 2 :]
        current = line
    if current.strip():
        pieces.append(current)
    return pieces


# --- the channel ------------------------------------------------------------------------------


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Updates of different chats concurrently, those of one chat one after another, in order."""

    def __init__(self, max_concurrent_updates: int) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._users: dict[int, int] = {}

    async def do_process_update(self, update: object, coroutine: Any) -> None:
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None:
            await coroutine
            return
        lock = self._locks.setdefault(chat.id, asyncio.Lock())
        self._users[chat.id] = self._users.get(chat.id, 0) + 1
        try:
            async with lock:
                await coroutine
        finally:
            self._users[chat.id] -= 1
            if not self._users[chat.id]:
                del self._users[chat.id], self._locks[chat.id]

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass


class TelegramChannel:
    """The handlers, the sender and the outbox loop of one Application."""

    def __init__(
        self,
        conversation: ConversationPort,
        *,
        outbox_interval: float = POLL_INTERVAL,
        handle_retry_delays: Sequence[float] = HANDLE_RETRY_DELAYS,
        requests: Sequence[BaseRequest] = (),
    ) -> None:
        self.conversation = conversation
        self.courier = Courier(conversation.database, "telegram", self.send)
        self.outbox_interval = outbox_interval
        self.handle_retry_delays = tuple(handle_retry_delays)
        self._requests = tuple(requests)
        self._application: TelegramApplication | None = None
        self._identity: BotIdentity | None = None
        self._outbox_task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    @property
    def application(self) -> TelegramApplication:
        if self._application is None:
            raise RuntimeError("the channel has no Application yet")
        return self._application

    @property
    def identity(self) -> BotIdentity:
        if self._identity is None:
            bot = self.application.bot
            self._identity = BotIdentity(bot.id, bot.username)
        return self._identity

    # updates in

    async def on_update(self, update: object, context: Context) -> None:
        """The one handler: every update the Application receives by long polling."""
        if isinstance(update, Update):
            await self.process(update, retry=True)

    async def process(self, update: Update, *, retry: bool) -> None:
        """Hand the update to the core, then send the replies. Raises when the core failed (the
        webhook then answers 500 and Telegram delivers the update again)."""
        query = update.callback_query
        if query is not None:
            # First, so the button stops spinning even if the answer takes a moment.
            with contextlib.suppress(TelegramError):
                await query.answer()
        incoming = to_incoming(update, self.identity)
        if incoming is None:
            return
        delays = self.handle_retry_delays if retry else ()
        for attempt, delay in enumerate((*delays, None), start=1):
            try:
                deliveries = await self.conversation.handle(incoming)
                break
            except Exception as error:
                if delay is None:
                    raise
                log.warning(
                    "the conversation core failed; trying again",
                    extra={"error": type(error).__name__, "attempt": attempt, "update_id": update.update_id},
                )
                await asyncio.sleep(delay)
        await self.courier.deliver(deliveries)

    async def on_error(self, update: object, context: Context) -> None:
        error = context.error
        update_id = update.update_id if isinstance(update, Update) else None
        log.error(
            "a Telegram update was not handled",
            exc_info=(type(error), error, error.__traceback__) if error is not None else None,
            extra={"update_id": update_id},
        )

    # replies out

    async def send(self, delivery: Delivery) -> None:
        """Send one reply; Undeliverable when retrying cannot help, anything else is transient."""
        try:
            await self._send(int(delivery.user), delivery.reply)
        except ChatMigrated as migrated:  # a group became a supergroup
            await self._send(migrated.new_chat_id, delivery.reply)

    async def _send(self, chat_id: int, reply: Reply) -> None:
        bot = self.application.bot
        pieces = split_text(reply.text)
        for index, piece in enumerate(pieces):
            markup = keyboard(reply.buttons) if index == len(pieces) - 1 else None
            try:
                try:
                    await bot.send_message(
                        chat_id=chat_id,
                        text=piece,
                        parse_mode=ParseMode.HTML,
                        reply_markup=markup,
                        link_preview_options=LinkPreviewOptions(is_disabled=True),
                    )
                except BadRequest as error:
                    if "parse entities" not in error.message.lower():
                        raise
                    # Markup Telegram does not accept must not cost the user the answer.
                    log.warning("reply markup refused by Telegram; sending it as plain text")
                    await bot.send_message(
                        chat_id=chat_id,
                        text=Reply(piece).plain_text,
                        reply_markup=markup,
                        link_preview_options=LinkPreviewOptions(is_disabled=True),
                    )
            except Forbidden as error:  # blocked by the user, kicked from the group
                raise Undeliverable(error.message) from error
            except BadRequest as error:  # chat not found, bad button, …: sending again cannot help
                raise Undeliverable(error.message) from error

    # lifecycle

    async def post_init(self, application: TelegramApplication) -> None:
        """The command menu in each language, and a default for every other language_code."""
        try:
            for language in LANGUAGES:
                commands = [BotCommand(name, description) for name, description in command_menu(language)]
                await application.bot.set_my_commands(commands, language_code=language)
            default = command_menu(DEFAULT_COMMAND_LANGUAGE)
            await application.bot.set_my_commands([BotCommand(name, text) for name, text in default])
        except TelegramError as error:  # the menu is a convenience; the bot works without it
            log.warning("command menu not set", extra={"error": type(error).__name__})

    async def start(self, settings: Settings) -> None:
        """Initialize (getMe), set the command menu, start the outbox loop, then poll or set the
        webhook. Raises InvalidToken / NetworkError / TimedOut when Telegram cannot be used."""
        application = self.application
        try:
            await application.initialize()
            self._identity = None
            if application.post_init is not None:  # run_polling() would call it; we start by hand
                await application.post_init(application)
            await application.start()
        except BaseException:
            await self._discard()
            raise
        self._stopping.clear()
        self._outbox_task = asyncio.create_task(self._outbox_loop(), name="telegram-outbox")
        try:
            if settings.telegram_mode == "webhook":
                if settings.telegram_webhook_url is None:
                    raise ValueError("TELEGRAM_MODE=webhook needs TELEGRAM_WEBHOOK_URL")
                token = _token(settings)
                await application.bot.set_webhook(
                    url=webhook_url(settings),
                    secret_token=webhook_secret(token),
                    allowed_updates=list(ALLOWED_UPDATES),
                    max_connections=40,
                )
            else:
                assert application.updater is not None
                await application.updater.start_polling(
                    timeout=POLLING_TIMEOUT,
                    allowed_updates=list(ALLOWED_UPDATES),
                    error_callback=_polling_error,
                )
        except BaseException:
            await self.stop()
            raise

    async def stop(self) -> None:
        """Stop fetching, finish the updates already fetched (and send their replies), stop the
        outbox loop between two rounds, then close the connections. The webhook stays set: other
        workers may still be serving it."""
        application = self.application
        if application.updater is not None and application.updater.running:
            await application.updater.stop()
        if application.running:
            await application.stop()
        self._stopping.set()
        if self._outbox_task is not None:
            task, self._outbox_task = self._outbox_task, None
            try:
                await asyncio.wait_for(asyncio.shield(task), timeout=10)
            except TimeoutError:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        await application.shutdown()
        await self._discard()

    async def _discard(self) -> None:
        """Close the HTTP clients even if initialize() never finished (python-telegram-bot's
        shutdown() skips an Application that did not initialize)."""
        for request in self._requests:
            with contextlib.suppress(Exception):
                await request.shutdown()

    async def _outbox_loop(self) -> None:
        """Courier.run, stoppable between two rounds: replies a failed send left behind, staff
        replies, replies of a worker that died after commit (once their claim expired)."""
        while not self._stopping.is_set():
            try:
                await self.courier.deliver(await claim_pending(self.conversation.database, "telegram"))
            except Exception:
                log.exception("outbox round failed; trying again")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.outbox_interval)


def _polling_error(error: TelegramError) -> None:
    log.warning("polling Telegram failed; trying again", extra={"error": type(error).__name__})


# --- building -----------------------------------------------------------------------------------


def _token(settings: Settings) -> str:
    if settings.telegram_bot_token is None:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set")
    return settings.telegram_bot_token.get_secret_value()


def api_urls(settings: Settings) -> tuple[str, str]:
    """(base_url, base_file_url) in python-telegram-bot's sense: the token is appended."""
    base = str(settings.telegram_api_base_url)
    if base.endswith("/bot/"):
        base = base[:-1]
    files = base[: -len("/bot")] + "/file/bot" if base.endswith("/bot") else base.rstrip("/") + "/file/bot"
    return base, files


def default_request(*, pool: int, read_timeout: float) -> AiohttpRequest:
    """Timeouts that fail fast enough for the outbox to take over; connection errors (the request
    never reached Telegram, so sending again cannot duplicate) are retried by the transport."""
    return AiohttpRequest(pool=pool, connect_timeout=5.0, read_timeout=read_timeout, pool_timeout=5.0)


def build_application(
    settings: Settings,
    conversation: ConversationPort,
    *,
    request: BaseRequest | None = None,
    get_updates_request: BaseRequest | None = None,
    outbox_interval: float = POLL_INTERVAL,
    handle_retry_delays: Sequence[float] = HANDLE_RETRY_DELAYS,
    max_messages_per_second: float = MAX_MESSAGES_PER_SECOND,
    concurrent_updates: int = CONCURRENT_UPDATES,
) -> TelegramApplication:
    """The Telegram Application for `settings`; `request` injects the transport (for all calls,
    getUpdates too unless `get_updates_request` is given)."""
    base_url, base_file_url = api_urls(settings)
    if request is None:
        request = default_request(pool=concurrent_updates + 8, read_timeout=10.0)
    if get_updates_request is None:
        get_updates_request = default_request(pool=2, read_timeout=10.0)
    channel = TelegramChannel(
        conversation,
        outbox_interval=outbox_interval,
        handle_retry_delays=handle_retry_delays,
        requests=(request, get_updates_request),
    )
    application: TelegramApplication = (
        ApplicationBuilder()
        .token(_token(settings))
        .base_url(base_url)
        .base_file_url(base_file_url)
        .request(request)
        .get_updates_request(get_updates_request)
        .rate_limiter(
            AIORateLimiter(overall_max_rate=max_messages_per_second, max_retries=RETRY_AFTER_ATTEMPTS)
        )
        .concurrent_updates(PerChatUpdateProcessor(concurrent_updates))
        .job_queue(None)
        .post_init(channel.post_init)
        .build()
    )
    channel._application = application
    application.bot_data[_CHANNEL] = channel
    application.add_handler(TypeHandler(Update, channel.on_update))
    application.add_error_handler(channel.on_error)
    return application


def channel_of(application: TelegramApplication) -> TelegramChannel:
    channel = application.bot_data[_CHANNEL]
    assert isinstance(channel, TelegramChannel)
    return channel


async def start_application(application: TelegramApplication, settings: Settings) -> None:
    await channel_of(application).start(settings)


async def stop_application(application: TelegramApplication) -> None:
    await channel_of(application).stop()


# --- webhook mode -------------------------------------------------------------------------------


def _derived(token: str, purpose: str) -> str:
    return hmac.new(token.encode(), f"wegweiser/{purpose}".encode(), hashlib.sha256).hexdigest()


def webhook_secret(token: str) -> str:
    """The secret_token Telegram sends with each update; the same for every worker."""
    return _derived(token, "webhook-secret")


def webhook_path(token: str) -> str:
    """The path updates are posted to: unguessable, and the same for every worker."""
    return f"/telegram/{_derived(token, 'webhook-path')[:32]}"


def webhook_url(settings: Settings) -> str:
    """TELEGRAM_WEBHOOK_URL is the public URL of this web app; the secret path goes under it."""
    if settings.telegram_webhook_url is None:
        raise ValueError("TELEGRAM_WEBHOOK_URL is not set")
    return str(settings.telegram_webhook_url).rstrip("/") + webhook_path(_token(settings))


STATE_KEY = "telegram"  # the web app's state attribute that holds the running Application


def webhook_router(settings: Settings) -> APIRouter:
    """The route Telegram posts updates to in webhook mode (none otherwise).

    The running Application is found in `app.state.telegram` (set by `wegweiser run`). An update is
    answered 200 only after the core stored it; on failure 500, and Telegram delivers it again
    (the core's dedup by update_id makes that safe, also across workers).
    """
    router = APIRouter()
    if settings.telegram_mode != "webhook" or settings.telegram_bot_token is None:
        return router
    token = _token(settings)
    secret = webhook_secret(token)

    @router.post(webhook_path(token), include_in_schema=False)
    async def telegram_update(request: Request) -> Response:
        given = request.headers.get(WEBHOOK_SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            return Response(status_code=403)
        application: TelegramApplication | None = getattr(request.app.state, STATE_KEY, None)
        if application is None or not application.running:
            return Response(status_code=503)  # not started (yet): Telegram tries again
        try:
            update = Update.de_json(await request.json(), application.bot)
        except Exception:
            return Response(status_code=400)
        channel = channel_of(application)
        try:  # in order per chat, as with polling
            await application.update_processor.process_update(update, channel.process(update, retry=False))
        except Exception:
            log.exception(
                "a Telegram update was not handled; Telegram will deliver it again",
                extra={"update_id": update.update_id},
            )
            return Response(status_code=500)
        return Response(status_code=200)

    return router


__all__ = [
    "ALLOWED_UPDATES",
    "BotIdentity",
    "InvalidToken",
    "TelegramApplication",
    "TelegramChannel",
    "TelegramError",
    "build_application",
    "channel_of",
    "keyboard",
    "split_text",
    "start_application",
    "stop_application",
    "to_incoming",
    "webhook_path",
    "webhook_router",
    "webhook_secret",
    "webhook_url",
]
