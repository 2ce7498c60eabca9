"""The web chat against a visitor who does not use the page: every request gets a clear 4xx or an
answer, never a 500, and one visitor cannot flood, impersonate or collide with another."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from bot.conversation.core import Conversation
from bot.web.chat import SESSION_HEADER, mount_chat
from bot.web.guard import protect
from tests.support.chat import Chat


@pytest.fixture
async def client(conversation: Conversation) -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    mount_chat(app, conversation, conversation.database)
    protect(app)
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
