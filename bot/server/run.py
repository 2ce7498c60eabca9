"""`wegweiser run`: the NLU server, the web server and (with a token) the Telegram channel, together.

Ctrl-C stops all of it. Problems an operator must fix (bad settings, no database, a taken port)
end the program before anything starts, with one line and exit code 2.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import sys
from datetime import timedelta

import uvicorn
from fastapi import FastAPI

from bot.channels import telegram
from bot.content.loader import ContentError
from bot.logs import configure_logging
from bot.privacy.retention import purge_periodically
from bot.server.services import Services
from bot.settings import Settings
from bot.storage.database import DatabaseUnavailable
from bot.understanding import service as nlu_service
from bot.web.app import create_web_app

log = logging.getLogger(__name__)


RETENTION_INTERVAL = timedelta(hours=1)
TELEGRAM_RETRY_INTERVAL = 30.0  # seconds between attempts to reach an unreachable Bot API


class StartupError(Exception):
    """One line for the operator; the program exits with code 2."""


def ensure_port_free(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            raise StartupError(
                f"cannot listen on {host}:{port} ({error.strerror}): stop what uses it or set WEB_PORT"
            ) from None


async def prepare(settings: Settings) -> Services:
    ensure_port_free(settings.web_host, settings.web_port)
    if (
        settings.telegram_enabled
        and settings.telegram_mode == "webhook"
        and not settings.telegram_webhook_url
    ):
        raise StartupError(
            "TELEGRAM_MODE=webhook needs TELEGRAM_WEBHOOK_URL (the public https URL of this server)"
        )
    try:
        services = Services.build(settings)
    except ContentError as error:
        raise StartupError(error.for_operators) from None
    try:
        await services.database.check()
    except DatabaseUnavailable as error:
        await services.close()
        raise StartupError(str(error)) from None
    return services


async def serve(settings: Settings, *, start_nlu: bool) -> None:
    services = await prepare(settings)
    rasa = None
    background: list[asyncio.Task[None]] = []
    try:  # from here on, whatever was started is stopped again, however serving ends
        if start_nlu:
            try:
                # Training (when inputs changed) and start-up take a while; the event loop stays free.
                rasa = await asyncio.to_thread(nlu_service.start_server, settings, progress=print)
                print(f"nlu:      {settings.rasa_url}  (Rasa, pid {rasa.pid})", flush=True)
            except nlu_service.NluError as error:
                print(f"nlu:      not started ({error}); answers come from the degraded matcher", flush=True)
        web_app = create_web_app(services)
        web = uvicorn.Server(
            uvicorn.Config(
                web_app,
                host=settings.web_host,
                port=settings.web_port,
                log_config=None,
                access_log=False,
                # X-Forwarded-For is believed only from TRUSTED_PROXIES (bot/web/guard.py), not from
                # whatever uvicorn trusts by default (127.0.0.1).
                proxy_headers=False,
            )
        )
        background = [
            asyncio.create_task(services.content.watch(), name="content-watch"),
            asyncio.create_task(
                purge_periodically(
                    services.database,
                    settings.retention_days,
                    RETENTION_INTERVAL,
                    audit_retention_days=settings.audit_retention_days,
                ),
                name="retention",
            ),
        ]
        print(f"web:      http://{settings.web_host}:{settings.web_port}/  (health: /healthz)", flush=True)
        if settings.telegram_enabled:
            background.append(asyncio.create_task(run_telegram(settings, services, web_app), name="telegram"))
        else:
            print(
                "telegram: off — set TELEGRAM_BOT_TOKEN (from @BotFather) in .env to switch it on", flush=True
            )
        await web.serve()  # returns on Ctrl-C / SIGTERM
    finally:
        for task in background:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await services.close()
        if rasa is not None:
            await asyncio.to_thread(nlu_service.stop_server, rasa)
        log.info("stopped")


async def run_telegram(
    settings: Settings,
    services: Services,
    web_app: FastAPI,
    *,
    retry_interval: float = TELEGRAM_RETRY_INTERVAL,
) -> None:
    """The Telegram channel next to the web server, until cancelled (then it stops cleanly).

    Telegram never takes the web chat down: a rejected token prints one line and leaves Telegram
    off; an unreachable Bot API prints one line and is tried again every `retry_interval` seconds.
    """
    api = telegram.api_urls(settings)[0]
    reported = False
    while True:
        application = telegram.build_application(settings, services.conversation)
        try:
            await telegram.start_application(application, settings)
            break
        except telegram.InvalidToken:
            print(
                "telegram: off — the Bot API rejected TELEGRAM_BOT_TOKEN; get a valid one from @BotFather",
                flush=True,
            )
            return
        except (telegram.TelegramError, OSError) as error:  # network errors and timeouts among them
            if not reported:
                print(
                    f"telegram: cannot reach the Bot API at {api} ({type(error).__name__}); "
                    f"the web chat runs, Telegram is tried again every {retry_interval:g} s",
                    flush=True,
                )
                reported = True
            log.info("Bot API unreachable; trying again", extra={"error": type(error).__name__})
        except Exception as error:  # never let the channel take the web server down
            log.exception("telegram channel not started")
            print(f"telegram: off — it could not start ({type(error).__name__}); see the log", flush=True)
            return
        await asyncio.sleep(retry_interval)
    web_app.state.telegram = application  # the webhook route finds it here
    bot = application.bot
    print(f"telegram: @{bot.username} ({settings.telegram_mode}, Bot API {api})", flush=True)
    try:
        await asyncio.Event().wait()  # until `wegweiser run` stops
    finally:
        web_app.state.telegram = None
        await telegram.stop_application(application)


def run(settings: Settings, *, start_nlu: bool = True) -> int:
    configure_logging(settings.log_level)
    try:
        asyncio.run(serve(settings, start_nlu=start_nlu))
    except StartupError as error:
        print(f"wegweiser: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        pass
    return 0
