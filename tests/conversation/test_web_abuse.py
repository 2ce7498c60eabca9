"""The web chat against a visitor who does not use the page: every request gets a clear 4xx or an
answer, never a 500, and one visitor cannot flood, impersonate or collide with another."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from ipaddress import IPv4Network, ip_network
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI, Request
from pydantic import ValidationError
from sqlalchemy import func, select

from bot.conversation import replies as say
from bot.conversation.core import Conversation
from bot.i18n import texts
from bot.settings import Settings
from bot.storage.database import Database
from bot.storage.models import Case, Message, User
from bot.web.chat import SESSION_HEADER, mount_chat
from bot.web.guard import client_address, protect
from tests.support.chat import Chat, build_conversation


@pytest.fixture
def settings(content_dir: Path) -> Settings:
    return Settings(CONTENT_DIR=content_dir)


@pytest.fixture
async def client(conversation: Conversation, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    mount_chat(app, conversation, conversation.database, settings)
    protect(app, settings)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://chat") as http:
        yield http


async def test_a_lone_surrogate_is_refused_with_a_clear_error(client: httpx.AsyncClient) -> None:
    body = f'{{"id": "{uuid.uuid4().hex}", "kind": "text", "text": "Hallo \\ud800"}}'
    response = await client.post("/api/chat/send", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {
            "loc": ["body", "text"],
            "msg": "Input should be a valid string, unable to parse raw data as a unicode string",
        }
    ]


async def test_a_rating_for_a_case_id_no_case_can_have_is_a_stale_button(chat: Chat) -> None:
    for case_id in (2**31, 2**63, 10**40):
        (reply,) = await chat.press(f"rate:{case_id}:5")
        assert reply.kind == "stale_button"


async def test_two_messages_whose_long_ids_share_a_beginning_are_both_answered(
    client: httpx.AsyncClient,
) -> None:
    """The update key was cut at 80 characters: the second message was taken for a resend."""
    answered = []
    for message_id in ("a" * 63 + "1", "a" * 63 + "2"):
        body = {"id": message_id, "kind": "command", "text": "/help"}
        response = await client.post("/api/chat/send", json=body)
        client.headers[SESSION_HEADER] = response.json()["session"]
        answered.append([reply["kind"] for reply in response.json()["replies"]])
    assert answered == [["help"], ["help"]]


class Stream:
    """A request body of `size` bytes in 1 kB chunks that counts how much of it the server pulled."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.pulled = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while self.pulled < self.size:
            self.pulled += 1024
            yield b" " * 1024


async def test_a_huge_body_is_refused_before_it_is_read(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    """A 200 MB JSON body was read into memory (and three at once took 1.6 GB)."""
    declared = Stream(200 * 2**20)
    response = await client.post(
        "/api/chat/send", content=declared, headers={"Content-Length": str(declared.size)}
    )
    assert response.status_code == 413
    assert response.json()["detail"] == "The request body is too large (at most 32768 bytes)."
    assert declared.pulled == 0
    # Without a length (chunked), it is counted as it arrives and refused at the limit.
    chunked = Stream(20 * 2**20)
    response = await client.post("/api/chat/send", content=chunked)
    assert response.status_code == 413
    assert chunked.pulled <= settings.chat_max_body_bytes + 2048


async def test_a_long_message_in_any_script_fits_in_the_limit(client: httpx.AsyncClient) -> None:
    """4096 characters of four bytes each, as JSON without escapes, is still a request (the core then
    says the message is too long itself if it is)."""
    body = {"id": uuid.uuid4().hex, "kind": "text", "text": "😀" * 4096}
    response = await client.post(
        "/api/chat/send",
        content=json.dumps(body, ensure_ascii=False),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 200


async def test_the_chat_may_be_framed_only_by_the_configured_sites(
    conversation: Conversation, content_dir: Path
) -> None:
    """GET / sent no CSP and no nosniff: any site could frame the chat (and its delete confirmation)."""
    for configured, expected in (
        ({}, "frame-ancestors 'self'"),
        (
            {"FRAME_ANCESTORS": "'self' https://www.osnabrueck.de"},
            "frame-ancestors 'self' https://www.osnabrueck.de",
        ),
    ):
        app = FastAPI()
        settings = Settings(CONTENT_DIR=content_dir, **configured)
        mount_chat(app, conversation, conversation.database, settings)
        protect(app, settings)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://chat"
        ) as client:
            for response in (
                await client.get("/"),
                await client.get("/static/chat/chat.js"),
                await client.get("/api/chat/updates"),  # 401
                await client.post(
                    "/api/chat/send", json={"id": uuid.uuid4().hex, "kind": "command", "text": "/help"}
                ),
                await client.get("/nowhere"),
            ):
                policy = response.headers["Content-Security-Policy"]
                assert policy.endswith(expected) and "default-src 'none'" in policy, response.url
                assert response.headers["X-Content-Type-Options"] == "nosniff"
                assert response.headers["Referrer-Policy"] == "no-referrer"


def test_a_frame_ancestors_setting_cannot_smuggle_in_other_directives(content_dir: Path) -> None:
    for hostile in ("'self'; script-src *", "https://a.example,https://b.example", "'unsafe-inline'", ""):
        with pytest.raises(ValidationError):
            Settings(CONTENT_DIR=content_dir, FRAME_ANCESTORS=hostile)


PROXY = [ip_network("10.0.0.0/8")]


@pytest.mark.parametrize(
    ("peer", "forwarded_for", "trusted", "client"),
    [
        ("203.0.113.7", "198.51.100.1", [], "203.0.113.7"),  # no proxy trusted: the header is ignored
        ("203.0.113.7", "198.51.100.1", PROXY, "203.0.113.7"),  # not from the proxy: ignored
        ("10.0.0.2", "198.51.100.1", PROXY, "198.51.100.1"),  # from the proxy: whom it got it from
        ("10.0.0.2", "1.2.3.4, 198.51.100.1", PROXY, "198.51.100.1"),  # what the client wrote is not believed
        ("10.0.0.2", "198.51.100.1, 10.0.0.9", PROXY, "198.51.100.1"),  # two proxies of ours
        ("10.0.0.2", "", PROXY, "10.0.0.2"),
        ("10.0.0.2", "garbage", PROXY, "10.0.0.2"),
    ],
)
def test_the_client_address_believes_only_trusted_proxies(
    peer: str, forwarded_for: str, trusted: list[IPv4Network], client: str
) -> None:
    assert client_address(peer, forwarded_for, trusted) == client


def test_trusted_proxies_is_a_list_of_addresses_and_networks(content_dir: Path) -> None:
    settings = Settings(CONTENT_DIR=content_dir, TRUSTED_PROXIES="127.0.0.1, 10.0.0.0/8,::1")
    assert [str(network) for network in settings.trusted_proxies] == ["127.0.0.1/32", "10.0.0.0/8", "::1/128"]
    assert Settings(CONTENT_DIR=content_dir).trusted_proxies == ()


async def test_behind_a_trusted_proxy_the_client_and_scheme_are_the_forwarded_ones(content_dir: Path) -> None:
    seen: list[tuple[str, str]] = []
    app = FastAPI()

    @app.get("/who")
    async def who(request: Request) -> dict[str, str]:
        assert request.client is not None
        seen.append((request.client.host, request.url.scheme))
        return {}

    protect(app, Settings(CONTENT_DIR=content_dir, TRUSTED_PROXIES="127.0.0.1"))
    forwarded = {"X-Forwarded-For": "6.6.6.6, 198.51.100.1", "X-Forwarded-Proto": "https"}
    for peer in ("127.0.0.1", "203.0.113.7"):
        transport = httpx.ASGITransport(app=app, client=(peer, 4711))
        async with httpx.AsyncClient(transport=transport, base_url="http://chat") as client:
            await client.get("/who", headers=forwarded)
    assert seen == [("198.51.100.1", "https"), ("203.0.113.7", "http")]


# --- limits -------------------------------------------------------------------------------------

VIOLENCE = "Mein Mann schlägt mich"


class FrozenClock:
    """The limits' clock: time passes only when the test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def limited_chat(conversation: Conversation, settings: Settings, clock: FrozenClock) -> FastAPI:
    app = FastAPI()
    mount_chat(app, conversation, conversation.database, settings, clock=clock)
    protect(app, settings)
    return app


async def send_from(
    app: FastAPI, address: str, text: str, *, token: str | None = None, language: str = "de"
) -> httpx.Response:
    """One message from a client at `address` (a new session unless `token` is given)."""
    kind = "command" if text.startswith("/") else "text"
    headers = {"Accept-Language": language, **({SESSION_HEADER: token} if token else {})}
    transport = httpx.ASGITransport(app=app, client=(address, 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://chat") as client:
        body = {"id": uuid.uuid4().hex, "kind": kind, "text": text}
        return await client.post("/api/chat/send", json=body, headers=headers)


def kinds(response: httpx.Response) -> list[str]:
    return [reply["kind"] for reply in response.json()["replies"]]


async def cases_opened(conversation: Conversation) -> list[tuple[bool, str]]:
    async with conversation.database.session() as session:
        rows = await session.execute(select(Case.urgent, User.external_id).join(User).order_by(Case.id))
        return [(urgent, external_id) for urgent, external_id in rows.all()]


async def test_a_flood_of_urgent_sessions_from_one_address_cannot_bury_a_real_urgent_case(
    conversation: Conversation, settings: Settings
) -> None:
    """205 scripted sessions sending a violence message pushed a real urgent case out of the queue."""
    app = limited_chat(conversation, settings, FrozenClock())
    flood = [await send_from(app, "203.0.113.66", VIOLENCE) for _ in range(205)]
    # Every one of them got the emergency numbers, limit or not.
    assert all("emergency" in kinds(response) for response in flood)
    answered = [response for response in flood if response.status_code == 200]
    refused = [response for response in flood if response.status_code == 429]
    assert len(answered) == settings.chat_new_sessions_per_hour_per_address == 60
    assert len(refused) == 145 and all(int(r.headers["Retry-After"]) > 0 for r in refused)
    assert sum("handoff" in kinds(response) for response in answered) == 10
    assert sum("limit" in kinds(response) for response in answered) == 50
    # Someone else, from elsewhere, still reaches the team.
    real = await send_from(app, "198.51.100.23", VIOLENCE)
    assert real.status_code == 200 and "handoff" in kinds(real)
    opened = await cases_opened(conversation)
    assert len(opened) == settings.chat_cases_per_hour_per_address + 1 == 11
    assert opened[-1] == (True, real.json()["session"])


async def test_one_session_is_limited_and_told_when_to_send_again_in_its_language(
    conversation: Conversation, settings: Settings
) -> None:
    """One session sent 10,000 messages at 78 a second, each stored three times."""
    clock = FrozenClock()
    app = limited_chat(conversation, settings, clock)
    token = (await send_from(app, "203.0.113.9", "/start", language="tr")).json()["session"]
    statuses = [(await send_from(app, "203.0.113.9", "/help", token=token)).status_code for _ in range(25)]
    assert statuses == [200] * 20 + [429] * 5  # the first message, which started the session, is not counted
    refused = await send_from(app, "203.0.113.9", "/help", token=token, language="tr")
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "3"
    assert refused.json()["detail"] == say.too_fast(texts("tr"), 3).plain_text
    assert refused.json()["session"] == token
    # Urgent while over the limit: the emergency numbers, but no case.
    urgent = await send_from(app, "203.0.113.9", VIOLENCE, token=token)
    assert urgent.status_code == 429 and kinds(urgent)[0] == "emergency" and kinds(urgent)[-1] == "limit"
    assert await cases_opened(conversation) == []
    clock.now += 3  # one more message a minute later than the twentieth
    assert (await send_from(app, "203.0.113.9", "/help", token=token)).status_code == 200
    async with conversation.database.session() as session:
        stored = await session.scalar(
            select(func.count()).select_from(Message).where(Message.direction == "in")
        )
    assert stored == 22


async def test_over_the_daily_cap_nothing_is_stored_but_safety_and_delete_still_work(
    database: Database, content_dir: Path
) -> None:
    conversation = build_conversation(database, content_dir, messages_per_day=10)
    chat = Chat(conversation, user="busy")
    await chat.press("lang:de")
    await chat.press("place:stadt_osnabrueck")
    for number in range(10):
        assert [reply.kind for reply in await chat.send(f"registration de question {number}")] == ["answer"]
    over = await chat.send("registration de question 11")
    assert [reply.kind for reply in over] == ["limit"]
    assert "112" in over[0].text
    urgent = await chat.send("emergency de question 1")
    assert urgent[0].kind == "emergency" and urgent[-1].kind == "limit"
    assert await cases_opened(conversation) == []
    assert [reply.kind for reply in await chat.send("/delete")] == ["delete_question"]
    async with database.session() as session:
        texts_in = (await session.execute(select(Message.text).where(Message.direction == "in"))).scalars()
        assert [text for text in texts_in if "question" in text] == [
            f"registration de question {number}" for number in range(10)
        ]
    await conversation.understander.aclose()


async def test_the_sessions_of_one_address_share_its_limit(
    conversation: Conversation, content_dir: Path
) -> None:
    settings = Settings(CONTENT_DIR=content_dir, CHAT_MESSAGES_PER_MINUTE_PER_ADDRESS=10)
    app = limited_chat(conversation, settings, FrozenClock())
    tokens = [(await send_from(app, "203.0.113.5", "/start")).json()["session"] for _ in range(3)]
    statuses = [
        (await send_from(app, "203.0.113.5", "/help", token=token)).status_code for token in tokens * 3
    ]
    assert statuses == [200] * 7 + [429] * 2  # 3 + 7 = the address's 10 a minute
    assert (await send_from(app, "198.51.100.5", "/help")).status_code == 200  # another address
