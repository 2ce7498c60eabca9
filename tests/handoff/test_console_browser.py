"""The console in a real headless Chromium: log in, a new case appears by itself, claim, reply."""

from __future__ import annotations

import re
import time

import pytest
from fastapi import FastAPI
from playwright.async_api import Page, expect
from sqlalchemy import select

from bot.conversation.messages import Reply
from bot.handoff import cases
from bot.storage.database import Database
from bot.storage.models import Case, OutboxEntry
from tests.handoff.conftest import PASSWORD, add_case, add_staff
from tests.support.browser import serve_app

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]

HOSTILE = "<script>window.hacked = 1</script>Hilfe bei der Anmeldung"
APPEARS_WITHIN_MS = 2000


async def test_log_in_see_a_new_case_claim_and_reply(page: Page, app: FastAPI, database: Database) -> None:
    await add_staff(database, "anna", languages="de,uk")
    async with serve_app(app) as base:
        await page.goto(f"{base}/staff")
        assert page.url == f"{base}/staff/login"  # anonymous: sent to the login
        await page.get_by_label("Benutzername").fill("anna")
        await page.get_by_label("Passwort").fill(PASSWORD)
        await page.get_by_role("button", name="Anmelden").click()
        await expect(page.get_by_role("heading", name="Warteschlange")).to_be_visible()
        await expect(page.get_by_text("Keine Fälle für diese Auswahl.")).to_be_visible()

        # The conversation core opens a case: the queue shows it without a reload.
        case = await add_case(database, said=(HOSTILE,), language="uk-UA", urgent=True)
        started = time.monotonic()
        row = page.locator(f'tr[data-case="{case.id}"]')
        await expect(row).to_be_visible(timeout=APPEARS_WITHIN_MS)
        assert time.monotonic() - started < APPEARS_WITHIN_MS / 1000
        await expect(row).to_have_class("case urgent my-language waiting")
        await expect(row.locator(".preview")).to_have_text(HOSTILE)  # shown as text …
        assert await page.evaluate("window.hacked") is None  # … never run

        await row.get_by_role("link", name=f"#{case.id}").click()
        await expect(page.get_by_role("heading", name=f"Fall #{case.id}")).to_be_visible()
        await expect(page.locator(".entry.kind-user_message .text")).to_have_text(HOSTILE)
        await page.get_by_role("button", name="Fall übernehmen").click()
        await expect(page.locator("#live .status")).to_contain_text("in Bearbeitung – anna")

        # A canned answer, in the user's language, with one click: the case's topic comes chosen.
        await expect(page.get_by_label("Textbaustein")).to_have_value("registration")
        await page.get_by_label("Textbaustein").select_option(label="registration title de")
        await page.get_by_role("button", name="Einfügen").click()
        await expect(page.locator("#reply-text")).to_have_value(
            re.compile(r"^registration title uk\nregistration short in uk\.")
        )
        await page.locator("#reply-text").fill("Kommen Sie bitte am Montag <vormittags>.")
        await page.get_by_role("button", name="Antwort senden").click()
        await expect(page.locator(".entry.kind-staff_reply .text")).to_have_text(
            "Kommen Sie bitte am Montag <vormittags>."
        )

        # The user writes again: the case page shows it without a reload.
        async with database.session() as session, session.begin():
            stored = await session.get(Case, case.id)
            assert stored is not None
            await cases.add_event(session, stored, "user_message", "Дякую! Danke!")
        await expect(page.get_by_text("Дякую! Danke!")).to_be_visible(timeout=APPEARS_WITHIN_MS)

    # The reply waits in the outbox for the user's channel, escaped for Telegram's HTML.
    async with database.session() as session:
        entries = (await session.execute(select(OutboxEntry))).scalars().all()
    assert [(e.channel, e.user_id) for e in entries] == [("telegram", case.user_id)]
    reply = Reply.from_json(entries[0].payload)
    assert reply.kind == "staff" and reply.language == "uk"  # the person's language, as the chat reads it
    assert (
        reply.text
        == "💬 <b>Повідомлення від нашої команди</b>\nKommen Sie bitte am Montag &lt;vormittags&gt;."
    )


async def test_a_case_without_a_topic_offers_no_canned_answer_until_one_is_chosen(
    page: Page, app: FastAPI, database: Database
) -> None:
    await add_staff(database, "anna", languages="de,uk")
    case = await add_case(database, topics=())
    async with serve_app(app) as base:
        await page.goto(f"{base}/staff/login")
        await page.get_by_label("Benutzername").fill("anna")
        await page.get_by_label("Passwort").fill(PASSWORD)
        await page.get_by_role("button", name="Anmelden").click()
        await page.goto(f"{base}/staff/cases/{case.id}")
        await page.get_by_role("button", name="Fall übernehmen").click()
        chooser = page.get_by_label("Textbaustein")
        await expect(chooser).to_have_value("")  # not the alphabetically first topic
        await page.get_by_role("button", name="Einfügen").click()
        await expect(chooser).to_be_focused()
        await expect(page.locator("#reply-text")).to_have_value("")
