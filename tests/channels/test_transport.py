"""The Bot API transport (bot/channels/transport.py): what python-telegram-bot needs of it, over real HTTP."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from telegram import InputFile
from telegram.error import NetworkError, TimedOut
from telegram.request import RequestData
from telegram.request._requestparameter import RequestParameter

from bot.channels import transport
from bot.channels.transport import AiohttpRequest
from tests.support.serving import listening_socket, serving

received: list[dict[str, str]] = []


async def echo(request: Request) -> JSONResponse:
    async with request.form() as form:  # closes uploaded files afterwards
        fields = {
            key: value if isinstance(value, str) else (await value.read()).decode()
            for key, value in form.items()
        }
    received.append(fields)
    if fields.get("sleep"):
        await asyncio.sleep(float(fields["sleep"]))
    return JSONResponse({"ok": True, "result": fields})


APP = Starlette(routes=[Route("/echo", echo, methods=["POST"])])


@contextlib.asynccontextmanager
async def started(read_timeout: float = 5.0) -> AsyncIterator[AiohttpRequest]:
    """The transport as python-telegram-bot uses it: initialized before, shut down after."""
    client = AiohttpRequest(pool=4, connect_timeout=2.0, read_timeout=read_timeout, pool_timeout=2.0)
    await client.initialize()
    try:
        yield client
    finally:
        await client.shutdown()


def data(**fields: object) -> RequestData:
    return RequestData([RequestParameter.from_input(name, value) for name, value in fields.items()])


async def test_form_fields_go_out_as_python_telegram_bot_encodes_them() -> None:
    async with started() as client, serving(APP) as port:
        status, body = await client.do_request(
            f"http://127.0.0.1:{port}/echo", "POST", data(chat_id=42, text="Привет")
        )
    assert status == 200
    assert b'"chat_id":"42"' in body
    assert received[-1] == {"chat_id": "42", "text": "Привет"}


async def test_a_file_goes_out_as_multipart() -> None:
    async with started() as client, serving(APP) as port:
        status, _ = await client.do_request(
            f"http://127.0.0.1:{port}/echo",
            "POST",
            data(chat_id=42, document=InputFile(b"Anmeldung", filename="liste.txt")),
        )
    assert status == 200
    assert received[-1] == {"chat_id": "42", "document": "Anmeldung"}


async def test_a_slow_answer_is_a_timeout() -> None:
    async with started(read_timeout=0.2) as client, serving(APP) as port:
        with pytest.raises(TimedOut):
            await client.do_request(f"http://127.0.0.1:{port}/echo", "POST", data(sleep="1"))


async def test_nobody_listening_is_a_network_error_after_trying_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(transport, "CONNECT_RETRY_DELAYS", (0.0, 0.0))
    # A socket bound but never listening: connections to its port are refused.
    with listening_socket() as bound:
        async with started() as client:
            with pytest.raises(NetworkError):
                await client.do_request(
                    f"http://127.0.0.1:{bound.getsockname()[1]}/echo", "POST", data(text="x")
                )


async def test_a_server_that_comes_up_while_connecting_gets_the_request_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(transport, "CONNECT_RETRY_DELAYS", (0.3, 0.3, 0.3))
    with listening_socket() as probe:
        port = probe.getsockname()[1]
    received.clear()
    async with started() as client:
        sending = asyncio.create_task(
            client.do_request(f"http://127.0.0.1:{port}/echo", "POST", data(text="once"))
        )
        await asyncio.sleep(0.1)  # the first attempt is refused
        async with serving(APP, port):
            status, _ = await sending
    assert status == 200
    assert received == [{"text": "once"}]
