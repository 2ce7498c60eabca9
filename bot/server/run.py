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
    try:
        services = Services.build(settings)
    except ContentError as error:
        raise StartupError(f"the content has errors ({error}); run 'wegweiser content check'") from None
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
        web = uvicorn.Server(
            uvicorn.Config(
                create_web_app(services),
                host=settings.web_host,
                port=settings.web_port,
                log_config=None,
                access_log=False,
            )
        )
        background = [
            asyncio.create_task(services.content.watch(), name="content-watch"),
            asyncio.create_task(
                purge_periodically(services.database, settings.retention_days, RETENTION_INTERVAL),
                name="retention",
            ),
        ]
        print(f"web:      http://{settings.web_host}:{settings.web_port}/  (health: /healthz)", flush=True)
        if not settings.telegram_enabled:
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
