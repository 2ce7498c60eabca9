"""End to end: a Telegram user asks for a person, staff answer in the console (real Chromium), the
answer arrives at the loopback Bot API, and the user's rating after close is stored.

Everything real: python-telegram-bot long-polling the loopback Bot API, the conversation core, the
web server with the console, SQLite.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi import FastAPI
from playwright.async_api import Page, expect
from sqlalchemy import select

from bot.conversation import replies as say
from bot.handoff import cases
from bot.i18n import texts
from bot.office_hours import parse_office_hours
from bot.server.services import Services
from bot.settings import PROJECT_ROOT
from bot.storage.database import Database
from bot.storage.models import Case
from tests.conftest import write_content
from tests.handoff.conftest import PASSWORD, add_staff, with_telegram
from tests.support.bot_api import BotApiServer
from tests.support.browser import serve_app

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]

CHAT = 7001
STAFF_HOURS = "mon-sun 00:00-24:00"  # so what the bot says about waiting does not depend on the time
ALWAYS = parse_office_hours(STAFF_HOURS)
REPLY_TIMEOUT = 15.0  # generous: the machine may be busy; what is measured here is arrival, not speed


@pytest.fixture
def content_dir(tmp_path: Path) -> Path:
    """The test content with the real phrasebook."""
    directory = write_content(tmp_path / "content")
    shutil.copytree(PROJECT_ROOT / "content" / "phrases", directory / "phrases")
    return directory


@pytest.fixture
async def services(database: Database, content_dir: Path, bot_api: BotApiServer) -> AsyncIterator[Services]:
    """As `wegweiser run` builds them, with Telegram pointed at the loopback Bot API."""
    async with with_telegram(database, content_dir, bot_api, STAFF_HOURS=STAFF_HOURS) as built:
        yield built


async def test_telegram_user_gets_the_staff_answer_and_rates_it(
    page: Page, app: FastAPI, database: Database, bot_api: BotApiServer
) -> None:
    t = texts("uk")
    await add_staff(database, "anna", languages="de,uk")
    async with serve_app(app) as base:
        await page.goto(f"{base}/staff/login")
        await page.get_by_label("Benutzername").fill("anna")
        await page.get_by_label("Passwort").fill(PASSWORD)
        await page.get_by_role("button", name="Anmelden").click()
        await expect(page.get_by_text("Keine Fälle für diese Auswahl.")).to_be_visible()

        # The user asks for a person on Telegram and is told a person will answer.
        bot_api.send_command(CHAT, "/human", language_code="uk")
        [opened] = await bot_api.replies(CHAT, 1, timeout=REPLY_TIMEOUT)
        assert opened.html == say.handoff_opened(t, ALWAYS, datetime.now(UTC)).text
        bot_api.send_text(CHAT, "Мені потрібна <b>довідка</b>", language_code="uk")
        [forwarded] = await bot_api.replies(CHAT, 1, timeout=REPLY_TIMEOUT)
        assert forwarded.html == say.forwarded(t, ALWAYS, datetime.now(UTC)).text

        started = time.monotonic()
        row = page.locator("tr.case").first
        await expect(row).to_be_visible(timeout=2000)
        assert time.monotonic() - started < 2
        await expect(row.locator(".preview")).to_have_text("Мені потрібна <b>довідка</b>")
        await row.get_by_role("link").click()
        await page.get_by_role("button", name="Fall übernehmen").click()
        await page.locator("#reply-text").fill(
            "Добрий день! Kommen Sie am Montag <9 Uhr> & bringen Sie den Pass."
        )
        await page.get_by_role("button", name="Antwort senden").click()

        # The answer reaches the user's Telegram chat, exactly as written.
        [answer] = await bot_api.replies(CHAT, 1, timeout=REPLY_TIMEOUT)
        assert answer.text == (
            "💬 Повідомлення від нашої команди\nДобрий день! Kommen Sie am Montag <9 Uhr> & bringen Sie den Pass."
        )

        # While the case is open, what the user writes goes to the console; the bot answers what it
        # knows, if anything, and ends with a note that the team has the message.
        bot_api.send_text(CHAT, "Дякую, а який документ?", language_code="uk")
        while not (await bot_api.replies(CHAT, 1, timeout=REPLY_TIMEOUT))[0].html.startswith("✓ "):
            pass
        await expect(page.get_by_text("Дякую, а який документ?")).to_be_visible(timeout=2000)

        await page.get_by_label("Abschließen mit Ergebnis").select_option("answered")
        await page.get_by_role("button", name="Abschließen").click()
        [question] = await bot_api.replies(CHAT, 1, timeout=REPLY_TIMEOUT)
        assert question.labels == ["1", "2", "3", "4", "5"]
        bot_api.press(CHAT, "4", message=question, language_code="uk")
        [thanks] = await bot_api.replies(CHAT, 1, timeout=REPLY_TIMEOUT)
        assert thanks.html == say.rating_thanks(t).text

        async with database.session() as session:
            case = (await session.execute(select(Case))).scalar_one()
        assert (case.status, case.outcome, case.rating, case.language) == ("closed", "answered", 4, "uk")
        await page.reload()
        await expect(page.get_by_text("Bewertung durch die Person: 4 von 5")).to_be_visible()


async def test_telegram_user_taps_for_the_german_original_of_a_phrase(
    services: Services, database: Database, bot_api: BotApiServer
) -> None:
    bot_api.send_command(CHAT, "/human", language_code="uk")
    await bot_api.replies(CHAT, 1, timeout=REPLY_TIMEOUT)
    anna = await add_staff(database, "anna", languages="de")
    async with database.session() as session, session.begin():
        case = (await session.execute(select(Case))).scalar_one()
        assert await cases.claim_case(session, case.id, anna)
        await cases.reply_with_phrase(
            session, services.content.current, case.id, anna, "call_you_on", {"weekday": "fri"}
        )
    [phrase] = await bot_api.replies(CHAT, 1, timeout=REPLY_TIMEOUT)
    assert phrase.text == "💬 Повідомлення від нашої команди\nМи Вам зателефонуємо. День: пʼятниця."
    assert phrase.labels == ["Показати німецький оригінал"]
    bot_api.press(CHAT, "Показати німецький оригінал", message=phrase, language_code="uk")
    [original] = await bot_api.replies(CHAT, 1, timeout=REPLY_TIMEOUT)
    assert original.text == (
        "Deutsch · Те саме повідомлення німецькою, наприклад, щоб показати в установі:\n\n"
        "Wir rufen Sie am Freitag an."
    )
