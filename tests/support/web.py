"""The whole web application (web chat, console, health) on a test database, as `wegweiser run` builds it."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import httpx

from bot.server.services import Services
from bot.settings import Settings
from bot.storage.database import Database
from bot.web.app import create_web_app
from tests.support.browser import serve_app


@contextlib.asynccontextmanager
async def web_services(database: Database, content_dir: Path, **settings: object) -> AsyncIterator[Services]:
    """The application's services (understanding without Rasa); `settings` by their variable names."""
    built = Services.build(
        Settings(DATABASE_URL=database.url, CONTENT_DIR=content_dir, SECRET_KEY="s" * 40, **settings),  # type: ignore[arg-type]
        use_rasa=False,
    )
    try:
        yield built
    finally:
        await built.close()


@contextlib.asynccontextmanager
async def web_client(services: Services) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the application served over real HTTP on loopback (so uvicorn logs as it does live)."""
    async with serve_app(create_web_app(services)) as url, httpx.AsyncClient(base_url=url) as client:
        yield client
