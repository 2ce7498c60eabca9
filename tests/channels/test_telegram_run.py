"""`wegweiser run` with a token: the Telegram channel starts next to the web server, and a rejected
token or an unreachable Bot API never takes the web chat down."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from bot.server.run import run_telegram
from bot.server.services import Services
from bot.settings import Settings
from tests.channels.conftest import make_settings
from tests.support.bot_api import BotApiServer
from tests.support.serving import free_port


@pytest.fixture
async def services(settings: Settings) -> AsyncIterator[Services]:
    built = Services.build(settings, use_rasa=False)
    yield built
    await built.close()


async def test_the_channel_runs_until_cancelled_then_stops_cleanly(
    bot_api: BotApiServer, settings: Settings, services: Services, capsys: pytest.CaptureFixture[str]
) -> None:
    web_app = FastAPI()
    task = asyncio.create_task(run_telegram(settings, services, web_app))
    bot_api.send_text(8001, "/help", language_code="en")
    await bot_api.replies(8001, 1, timeout=10)
    assert web_app.state.telegram.running
    assert "telegram: @wegweiser_test_bot (polling" in capsys.readouterr().out
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    assert web_app.state.telegram is None
    last = bot_api.calls_of("getUpdates")[-1]
    assert last.params.get("timeout") in ("0", 0, "0.0")  # PTB confirmed what it fetched on the way out


async def test_a_rejected_token_prints_one_line_and_leaves_telegram_off(
    content_dir: Path, sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    async with BotApiServer(token="987654321:SOMEONE-ELSES-token_abcdefghijklm") as other:
        settings = make_settings(other, content_dir, sqlite_url)
        services = Services.build(settings, use_rasa=False)
        try:
            await asyncio.wait_for(run_telegram(settings, services, FastAPI()), timeout=10)
        finally:
            await services.close()
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        "telegram: off — the Bot API rejected TELEGRAM_BOT_TOKEN; get a valid one from @BotFather"
    ]


async def test_an_unreachable_bot_api_prints_one_line_and_is_tried_again(
    bot_api: BotApiServer, content_dir: Path, sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        TELEGRAM_BOT_TOKEN=bot_api.token,
        TELEGRAM_API_BASE_URL=f"http://127.0.0.1:{closed_port}/bot",
        DATABASE_URL=sqlite_url,
        CONTENT_DIR=content_dir,
    )
    services = Services.build(settings, use_rasa=False)
    try:
        task = asyncio.create_task(run_telegram(settings, services, FastAPI(), retry_interval=0.2))
        printed = ""
        for _ in range(100):  # each attempt takes a moment: the transport retries connecting, too
            await asyncio.sleep(0.1)
            printed += capsys.readouterr().out
            if printed:
                break
        await asyncio.sleep(1.0)  # more attempts, no more lines
        assert not task.done()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    finally:
        await services.close()
    lines = (printed + capsys.readouterr().out).splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"telegram: cannot reach the Bot API at http://127.0.0.1:{closed_port}/bot (")
    assert bot_api.token not in lines[0]


async def test_wegweiser_run_answers_on_telegram_and_on_the_web(
    bot_api: BotApiServer, content_dir: Path, tmp_path: Path
) -> None:
    port = free_port()
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "CONTENT_DIR": str(content_dir),
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'run.db'}",
        "WEB_PORT": str(port),
        "TELEGRAM_BOT_TOKEN": bot_api.token,
        "TELEGRAM_API_BASE_URL": bot_api.base_url,
    }
    upgrade = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "db", "upgrade", env=env, cwd=tmp_path
    )
    assert await upgrade.wait() == 0
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        "--no-nlu",
        env=env,
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        bot_api.send_text(8002, "/start", language_code="uk")
        [picker] = await bot_api.replies(8002, 1, timeout=60)
        assert picker.labels[0] == "українська"
        async with httpx.AsyncClient() as client:
            health = await client.get(f"http://127.0.0.1:{port}/healthz")
        assert health.status_code == 200
    finally:
        process.send_signal(signal.SIGINT)
        stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 0, stderr.decode()
    assert "telegram: @wegweiser_test_bot (polling" in stdout.decode()
