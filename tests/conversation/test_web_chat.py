"""The web chat: its API over real HTTP, and the page in a real headless Chromium."""

from __future__ import annotations

import uuid

import httpx
import pytest
from playwright.async_api import Page, expect
from sqlalchemy import select

from bot.conversation import outbox
from bot.conversation.core import Conversation
from bot.conversation.messages import Reply
from bot.storage.models import User
from bot.web.chat import SESSION_HEADER
from tests.support.browser import browser_context, page, serve_app  # noqa: F401


async def post(
    client: httpx.AsyncClient, kind: str, text: str, message_id: str | None = None
) -> httpx.Response:
    """Send as the page does: with the session token the server gave (kept in the client's headers)."""
    body = {"id": message_id or uuid.uuid4().hex, "kind": kind, "text": text}
    response = await client.post("/api/chat/send", json=body, headers={"Accept-Language": "tr-TR,tr;q=0.9"})
    if response.status_code == 200:
        client.headers[SESSION_HEADER] = response.json()["session"]
    return response


async def test_the_api_runs_the_conversation(web_chat: str) -> None:
    async with httpx.AsyncClient(base_url=web_chat) as client:
        picker = (await post(client, "command", "/start")).json()["replies"]
        assert picker[0]["kind"] == "language_picker"
        assert picker[0]["buttons"][0][0] == {"label": "Türkçe", "action": "lang:tr", "url": None}
        replies = (await post(client, "button", "lang:tr")).json()["replies"]
        assert [r["kind"] for r in replies] == ["welcome", "place_question"]
        assert all(r["language"] == "tr" for r in replies)


async def test_a_resent_message_is_answered_once(web_chat: str) -> None:
    async with httpx.AsyncClient(base_url=web_chat) as client:
        await post(client, "command", "/start")
        first = (await post(client, "command", "/help", "f" * 32)).json()["replies"]
        again = (await post(client, "command", "/help", "f" * 32)).json()["replies"]
    assert len(first) == 1 and again == []


async def test_bad_requests_get_a_clear_error_and_change_nothing(
    web_chat: str, conversation: Conversation
) -> None:
    async with httpx.AsyncClient(base_url=web_chat) as client:
        for body, headers in (
            ({"id": uuid.uuid4().hex, "kind": "text", "text": "hallo"}, {SESSION_HEADER: "short"}),
            ({"id": "short", "kind": "text", "text": "hallo"}, {}),
            ({"id": uuid.uuid4().hex, "kind": "sql", "text": "hallo"}, {}),
            ({"id": uuid.uuid4().hex, "kind": "text", "text": "x" * 20_001}, {}),
            ({"kind": "text", "text": "hallo"}, {}),
        ):
            response = await client.post("/api/chat/send", json=body, headers=headers)
            assert response.status_code == 422, body
        assert (
            await client.get("/api/chat/updates", headers={SESSION_HEADER: "'; DROP TABLE users;--"})
        ).status_code == 422
    async with conversation.database.session() as session:
        assert (await session.execute(select(User))).first() is None


async def test_staff_replies_arrive_by_polling(web_chat: str, conversation: Conversation) -> None:
    async with httpx.AsyncClient(base_url=web_chat) as client:
        await post(client, "command", "/human")
        async with conversation.database.session() as session, session.begin():
            user = (await session.execute(select(User).where(User.channel == "web"))).scalar_one()
            await outbox.enqueue(session, user, [Reply(text="Hallo, hier ist Frau K.", kind="staff")])
        first = (await client.get("/api/chat/updates")).json()["replies"]
        second = (await client.get("/api/chat/updates")).json()["replies"]
    assert [r["text"] for r in first] == ["Hallo, hier ist Frau K."] and second == []


async def test_the_session_token_comes_from_the_server_and_never_goes_in_a_url(
    web_chat: str, conversation: Conversation
) -> None:
    async with httpx.AsyncClient(base_url=web_chat) as client:
        first = await post(client, "command", "/human")
        token = first.json()["session"]
        assert len(token) == 43 and client.headers[SESSION_HEADER] == token
        # A token the server never issued is replaced by one it does, so a client cannot pick its id.
        chosen = "x" * 43
        other = await client.post(
            "/api/chat/send",
            json={"id": uuid.uuid4().hex, "kind": "command", "text": "/help"},
            headers={SESSION_HEADER: chosen},
        )
        assert other.json()["session"] not in (chosen, token)
        async with conversation.database.session() as session, session.begin():
            user = (await session.execute(select(User).where(User.external_id == token))).scalar_one()
            await outbox.enqueue(session, user, [Reply(text="Hallo, hier ist Frau K.", kind="staff")])
        # The query parameter of before reads nothing any more; the header does.
        del client.headers[SESSION_HEADER]
        in_url = await client.get("/api/chat/updates", params={"session": token})
        assert in_url.status_code == 401
        in_header = await client.get("/api/chat/updates", headers={SESSION_HEADER: token})
    assert [r["text"] for r in in_header.json()["replies"]] == ["Hallo, hier ist Frau K."]


async def test_after_a_reload_a_session_reads_its_own_conversation_and_nothing_else(web_chat: str) -> None:
    async with httpx.AsyncClient(base_url=web_chat) as alice, httpx.AsyncClient(base_url=web_chat) as bob:
        await post(alice, "command", "/start")
        await post(alice, "button", "lang:tr")
        await post(alice, "button", "place:stadt_osnabrueck")
        await post(alice, "text", "registration tr question 5")
        await post(bob, "command", "/start")
        await post(bob, "text", "Bobs eigene Frage")
        await post(bob, "command", "/human")
        history = (await alice.get("/api/chat/history")).json()
        assert [line["text"] for line in history["messages"] if line["mine"]] == [
            "registration tr question 5"
        ]
        kinds = [line["reply"]["kind"] for line in history["messages"] if not line["mine"]]
        assert kinds == ["language_picker", "welcome", "place_question", "place_saved", "answer"]
        # ... with their buttons, which work as before the reload
        restored = {line["reply"]["kind"]: line["reply"] for line in history["messages"] if not line["mine"]}
        actions = {kind: [b["action"] for row in r["buttons"] for b in row] for kind, r in restored.items()}
        assert (
            "lang:tr" in actions["language_picker"] and "place:sg_bersenbrueck" in actions["place_question"]
        )
        assert "fb:0:registration" in actions["answer"] and actions["welcome"] == []
        assert history["language"] == "tr" and history["case_open"] is False
        assert "Bobs eigene Frage" not in str(history)
        bobs = (await bob.get("/api/chat/history")).json()
        assert bobs["case_open"] is True
        # Without a token, or with one the server never issued: nothing.
        unknown = await alice.get("/api/chat/history", headers={SESSION_HEADER: "x" * 43})
        assert unknown.status_code == 404
        del alice.headers[SESSION_HEADER]
        assert (await alice.get("/api/chat/history")).status_code == 401


@pytest.mark.browser
async def test_the_page_in_chromium(web_chat: str, page: Page, conversation: Conversation) -> None:  # noqa: F811
    await page.goto(web_chat + "/")
    await expect(page.locator("li.bot.language_picker")).to_be_visible()
    await page.get_by_role("button", name="Deutsch").click()
    await expect(page.locator("li.bot.place_question")).to_be_visible()
    await page.get_by_role("button", name="Stadt Osnabrück").click()
    await expect(page.locator("li.bot.place_saved")).to_be_visible()
    await page.fill("#text", "registration de question 5")
    await page.keyboard.press("Enter")
    card = page.locator("li.bot.answer")
    await expect(card).to_contain_text("registration title de")
    await expect(card).to_contain_text("City Office")
    assert await card.locator("b").count() >= 1  # markup rendered, not shown as tags
    # A script in the user's own message is shown as text, never run.
    await page.fill("#text", "<img src=x onerror=\"document.title='owned'\">")
    await page.keyboard.press("Enter")
    await expect(page.locator("li.user").last).to_contain_text("<img src=x")
    assert await page.title() != "owned"
    # A staff reply shows up without reloading.
    async with conversation.database.session() as session, session.begin():
        user = (await session.execute(select(User).where(User.channel == "web"))).scalar_one()
        await outbox.enqueue(session, user, [Reply(text="<b>Team:</b> Wir melden uns.", kind="staff")])
    await expect(page.locator("li.bot.staff")).to_contain_text("Team: Wir melden uns.", timeout=8000)


@pytest.mark.browser
async def test_arabic_is_laid_out_right_to_left(web_chat: str, page: Page) -> None:  # noqa: F811
    await page.goto(web_chat + "/")
    await page.get_by_role("button", name="العربية").click()
    await expect(page.locator("li.bot.welcome")).to_have_attribute("lang", "ar")
    direction = await page.locator("li.bot.welcome").evaluate("item => getComputedStyle(item).direction")
    assert direction == "rtl"
