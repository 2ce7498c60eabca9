"""The web chat against a visitor who does not use the page: every request gets a clear 4xx or an
answer, never a 500, and one visitor cannot flood, impersonate or collide with another."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from bot.conversation.core import Conversation
from bot.settings import Settings
from bot.web.chat import SESSION_HEADER, mount_chat
from bot.web.guard import protect
from tests.support.chat import Chat


@pytest.fixture
def settings(content_dir: Path) -> Settings:
    return Settings(CONTENT_DIR=content_dir)


@pytest.fixture
async def client(conversation: Conversation, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    mount_chat(app, conversation, conversation.database)
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
