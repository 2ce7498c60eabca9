"""End to end on Telegram with machine translation: a Ukrainian user asks for a person, staff read
the message in German and answer in German, the user gets the answer in Ukrainian, marked, and taps
for the German original.

Everything real over loopback HTTP: python-telegram-bot long-polling the loopback Bot API, the
conversation core, the console (through its ASGI app), a LibreTranslate server, SQLite.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from bot.conversation import replies as say
from bot.conversation.messages import plain_text
from bot.handoff import cases
from bot.i18n import texts
from bot.server.services import Services
from bot.storage.database import Database
from bot.storage.models import Case
from tests.handoff.conftest import add_staff, logged_in, with_telegram
from tests.support.bot_api import BotApiServer
from tests.support.libretranslate import LibreTranslateServer, fake_translation

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

CHAT = 7002
REPLY_TIMEOUT = 15.0  # generous: the machine may be busy; what is measured here is arrival, not speed


@pytest.fixture
async def libretranslate() -> AsyncIterator[LibreTranslateServer]:
    async with LibreTranslateServer().running() as server:
        yield server


@pytest.fixture
async def services(
    database: Database, content_dir: Path, bot_api: BotApiServer, libretranslate: LibreTranslateServer
) -> AsyncIterator[Services]:
    async with with_telegram(database, content_dir, bot_api, TRANSLATE_URL=libretranslate.url) as built:
        yield built


async def test_telegram_user_gets_the_answer_translated_and_the_original_on_tap(
    client: httpx.AsyncClient, database: Database, bot_api: BotApiServer
) -> None:
    t = texts("uk")
    await add_staff(database, "anna", languages="de")
    bot_api.send_command(CHAT, "/human", language_code="uk")
    await bot_api.replies(CHAT, 1, timeout=REPLY_TIMEOUT)  # a person will answer
    bot_api.send_text(CHAT, "Мені потрібна довідка", language_code="uk")
    await bot_api.replies(CHAT, 1, timeout=REPLY_TIMEOUT)  # passed on to the team
    async with database.session() as session:
        case = (await session.execute(select(Case))).scalar_one()

    csrf = await logged_in(client)
    base = f"/staff/cases/{case.id}"
    page = (await client.get(base)).text
    assert fake_translation("Мені потрібна довідка", "uk", "de") in page
    assert (await client.post(f"{base}/claim", data={"csrf": csrf})).status_code == 303
    german = "Bitte bringen Sie den Pass & die Meldebescheinigung mit."
    sent = await client.post(f"{base}/reply", data={"csrf": csrf, "text": german, "translate": "1"})
    assert sent.status_code == 303

    [answer] = await bot_api.replies(CHAT, 1, timeout=REPLY_TIMEOUT)
    heading = plain_text(texts("uk").gettext(cases.FROM_THE_TEAM))
    assert answer.text.startswith(f"💬 {heading}\n{fake_translation(german, 'de', 'uk')}")
    assert t.gettext("Machine translation from German. It may contain mistakes.") in answer.text
    assert answer.labels == [t.gettext("Show the German original")]

    bot_api.press(CHAT, t.gettext("Show the German original"), message=answer, language_code="uk")
    [original] = await bot_api.replies(CHAT, 1, timeout=REPLY_TIMEOUT)
    assert original.html == say.original(t, german).text
    assert original.text.endswith(german)
