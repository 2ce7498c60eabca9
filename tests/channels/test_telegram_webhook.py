"""Webhook mode: the web app (bot.web.app, served by uvicorn on loopback) receives the updates the
Bot API posts, checks the secret token, and several workers can serve the same webhook."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from bot.channels.telegram import (
    STATE_KEY,
    TelegramApplication,
    stop_application,
    webhook_path,
    webhook_secret,
)
from bot.conversation.core import Conversation
from bot.conversation.messages import Delivery, Incoming
from bot.server.services import Services
from bot.settings import Settings
from bot.web.app import create_web_app
from tests.channels.conftest import Starter, make_settings
from tests.support.bot_api import TOKEN, BotApiServer
from tests.support.serving import free_port, serving


@pytest.fixture
def web_port() -> int:
    return free_port()


@pytest.fixture
def settings(bot_api: BotApiServer, content_dir: Path, sqlite_url: str, web_port: int) -> Settings:
    return make_settings(
        bot_api,
        content_dir,
        sqlite_url,
        TELEGRAM_MODE="webhook",
        TELEGRAM_WEBHOOK_URL=f"http://127.0.0.1:{web_port}",
    )


@pytest.fixture
async def services(settings: Settings) -> AsyncIterator[Services]:
    built = Services.build(settings, use_rasa=False)
    yield built
    await built.close()


@pytest.fixture
def conversation(services: Services) -> Conversation:  # the web app's own core
    return services.conversation


@pytest.fixture
async def worker(
    services: Services, start_telegram: Starter, web_port: int
) -> AsyncIterator[tuple[FastAPI, TelegramApplication]]:
    """One worker as `wegweiser run` makes it: the web app with the webhook route, the Application."""
    app = create_web_app(services)
    async with serving(app, web_port):
        application = await start_telegram(services.conversation, outbox_interval=0.2)
        setattr(app.state, STATE_KEY, application)
        yield app, application


def url(port: int) -> str:
    return f"http://127.0.0.1:{port}{webhook_path(TOKEN)}"


async def test_updates_arrive_by_webhook_and_are_answered(
    bot_api: BotApiServer, worker: tuple[FastAPI, TelegramApplication], web_port: int
) -> None:
    assert bot_api.webhook is not None
    assert bot_api.webhook["url"] == url(web_port)
    assert bot_api.webhook["secret_token"] == webhook_secret(TOKEN)
    assert not bot_api.calls_of("getUpdates")  # no polling in webhook mode

    bot_api.send_text(7001, "/start", language_code="ar")
    [picker] = await bot_api.replies(7001, 1)
    assert picker.labels[0] == "العربية"
    bot_api.press(7001, "العربية", language_code="ar")
    await bot_api.replies(7001, 2)
    assert {status for _, status in bot_api.webhook_deliveries} == {200}
    assert bot_api.answered_callbacks


async def test_a_post_without_the_secret_token_is_refused(
    bot_api: BotApiServer, worker: tuple[FastAPI, TelegramApplication], web_port: int
) -> None:
    update = {
        "update_id": 999,
        "message": {
            "message_id": 1,
            "date": 0,
            "chat": {"id": 7002, "type": "private"},
            "from": {"id": 7002, "is_bot": False, "first_name": "X"},
            "text": "/help",
        },
    }
    async with httpx.AsyncClient() as client:
        missing = await client.post(url(web_port), json=update)
        wrong = await client.post(
            url(web_port), json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "guess"}
        )
        elsewhere = await client.post(f"http://127.0.0.1:{web_port}/telegram/webhook", json=update)
    assert (missing.status_code, wrong.status_code, elsewhere.status_code) == (403, 403, 404)
    await bot_api.no_more_replies(7002)


async def test_an_update_posted_twice_is_answered_once(
    bot_api: BotApiServer, worker: tuple[FastAPI, TelegramApplication], web_port: int
) -> None:
    """Telegram posts an update again when it did not get a 200 in time."""
    update = bot_api.send_text(7003, "/help")
    await bot_api.replies(7003, 1)
    async with httpx.AsyncClient() as client:
        again = await client.post(
            url(web_port), json=update, headers={"X-Telegram-Bot-Api-Secret-Token": webhook_secret(TOKEN)}
        )
    assert again.status_code == 200
    await bot_api.no_more_replies(7003)


async def test_when_the_core_fails_telegram_gets_500_and_delivers_again(
    bot_api: BotApiServer,
    services: Services,
    start_telegram: Starter,
    web_port: int,
) -> None:
    class Hiccup:
        def __init__(self) -> None:
            self.database = services.conversation.database
            self.failures = 0

        async def handle(self, incoming: Incoming) -> list[Delivery]:
            if not self.failures:
                self.failures += 1
                raise ConnectionResetError("the database went away")
            return await services.conversation.handle(incoming)

    app = create_web_app(services)
    application = await start_telegram(Hiccup(), outbox_interval=0.2)  # type: ignore[arg-type]
    setattr(app.state, STATE_KEY, application)
    async with serving(app, web_port):
        bot_api.send_text(7004, "/help")
        await bot_api.replies(7004, 1, timeout=10)
        await bot_api.no_more_replies(7004)
    assert [status for _, status in bot_api.webhook_deliveries] == [500, 200]


async def test_two_workers_behind_a_load_balancer_answer_an_update_once(
    bot_api: BotApiServer, settings: Settings, start_telegram: Starter
) -> None:
    """The same update reaches both workers at once (a retry after a timeout, routed elsewhere)."""
    workers = [Services.build(settings, use_rasa=False) for _ in range(2)]
    apps = [create_web_app(services) for services in workers]
    try:
        for app, services in zip(apps, workers, strict=True):
            setattr(app.state, STATE_KEY, await start_telegram(services.conversation, outbox_interval=0.2))
        update = {
            "update_id": 4242,
            "message": {
                "message_id": 1,
                "date": 0,
                "chat": {"id": 7005, "type": "private", "first_name": "X"},
                "from": {"id": 7005, "is_bot": False, "first_name": "X", "language_code": "tr"},
                "text": "/help",
                "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
            },
        }
        headers = {"X-Telegram-Bot-Api-Secret-Token": webhook_secret(TOKEN)}
        async with serving(apps[0]) as one, serving(apps[1]) as two, httpx.AsyncClient() as client:
            answers = await asyncio.gather(
                client.post(url(one), json=update, headers=headers),
                client.post(url(two), json=update, headers=headers),
            )
        assert [answer.status_code for answer in answers] == [200, 200]
        await bot_api.replies(7005, 1)
        await bot_api.no_more_replies(7005, within=1.0)
    finally:
        for app in apps:
            application = getattr(app.state, STATE_KEY, None)
            if application is not None and application.running:
                await stop_application(application)
        for services in workers:
            await services.close()
