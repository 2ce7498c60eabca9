"""Machine translation for staff (TRANSLATE_URL), against a LibreTranslate server on loopback.

Staff read each user message with a German translation beside it; a free-text reply goes out in the
user's language, marked as machine-translated, with the German original a button away. A language
the service does not offer, a slow or refusing service: the original goes out and staff are told.
Unset, nothing is sent anywhere.
"""

from __future__ import annotations

import contextlib
import re
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from playwright.async_api import Page, expect
from sqlalchemy import select

from bot.conversation import replies as say
from bot.conversation.messages import Reply
from bot.handoff import cases, translations
from bot.i18n import texts
from bot.server.services import Services
from bot.settings import Settings
from bot.storage.database import Database
from bot.storage.models import Case, CaseEvent, OutboxEntry
from bot.translation.client import Translator
from bot.web.app import create_web_app
from bot.web.chat import SESSION_HEADER
from tests.handoff.conftest import PASSWORD, SECRET, add_case, add_staff, logged_in
from tests.support.browser import serve_app
from tests.support.chat import Chat, buttons
from tests.support.libretranslate import LibreTranslateServer, fake_translation

MARK = "maschinell übersetzt"
NOT_OFFERED_KURMANJI = "Für Kurmandschi gibt es keine maschinelle Übersetzung – bitte Textbausteine nutzen."


@pytest.fixture
async def libretranslate() -> AsyncIterator[LibreTranslateServer]:
    async with LibreTranslateServer().running() as server:
        yield server


def build_services(database: Database, content_dir: Path, **translation: Any) -> Services:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, DATABASE_URL=database.url, CONTENT_DIR=content_dir, SECRET_KEY=SECRET, **translation
    )
    return Services.build(settings, use_rasa=False)


@pytest.fixture
async def services(
    database: Database, content_dir: Path, libretranslate: LibreTranslateServer
) -> AsyncIterator[Services]:
    """The application's services with TRANSLATE_URL pointing at the loopback server."""
    built = build_services(
        database, content_dir, TRANSLATE_URL=libretranslate.url, TRANSLATE_TIMEOUT_SECONDS=2
    )
    yield built
    await built.close()


@contextlib.asynccontextmanager
async def console(
    database: Database, content_dir: Path, **translation: Any
) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the web app built with these translation settings (and no others)."""
    services = build_services(database, content_dir, **translation)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=create_web_app(services)), base_url="http://testserver"
        ) as client:
            yield client
    finally:
        await services.close()


async def outbox(database: Database) -> list[Reply]:
    async with database.session() as session:
        payloads = (await session.execute(select(OutboxEntry.payload).order_by(OutboxEntry.id))).scalars()
        return [Reply.from_json(payload) for payload in payloads]


async def claimed_case(client: httpx.AsyncClient, database: Database, **case: Any) -> tuple[str, str]:
    """A case of a Telegram user, claimed by anna, who is logged in: its URL and her CSRF token."""
    await add_staff(database)
    found = await add_case(database, **case)
    csrf = await logged_in(client)
    base = f"/staff/cases/{found.id}"
    assert (await client.post(f"{base}/claim", data={"csrf": csrf})).status_code == 303
    return base, csrf


async def test_user_messages_are_shown_with_a_german_translation_made_once(
    client: httpx.AsyncClient, database: Database, libretranslate: LibreTranslateServer
) -> None:
    said = ("Мені потрібна довідка", "Де мій <b>паспорт</b>?")
    base, _ = await claimed_case(client, database, said=said, language="uk-UA")
    page = (await client.get(base)).text
    for text in said:
        translated = fake_translation(text, "uk", "de").replace("<", "&lt;").replace(">", "&gt;")
        assert translated in page
    assert page.count(MARK) >= len(said)
    assert [(body["source"], body["target"], body["q"]) for body in libretranslate.translations()] == [
        ("uk", "de", text) for text in said
    ]
    # Reloads and the live fragment show the stored translation; nothing is translated again.
    await client.get(base)
    live = await client.get(f"{base}/live", headers={"X-Console-Fetch": "1"})
    assert fake_translation(said[0], "uk", "de") in live.text
    assert len(libretranslate.translations()) == len(said)
    async with database.session() as session:
        stored = (
            await session.execute(select(CaseEvent.translation).where(CaseEvent.kind == "user_message"))
        ).scalars()
        assert sorted(stored) == sorted(fake_translation(text, "uk", "de") for text in said)


async def test_a_translation_goes_with_its_message(
    client: httpx.AsyncClient, database: Database, services: Services
) -> None:
    base, _ = await claimed_case(client, database, said=("Мені потрібна довідка",), external_id="chat-9")
    assert fake_translation("Мені потрібна довідка", "uk", "de") in (await client.get(base)).text
    user = Chat(services.conversation, user="chat-9", channel="telegram", hint="uk")
    await user.send("/delete")
    await user.press("delete:yes")
    async with database.session() as session:
        left = (await session.execute(select(CaseEvent.text, CaseEvent.translation))).all()
    assert all(translation is None and "довідка" not in text for text, translation in left)
    page = (await client.get(base)).text
    assert "довідка" not in page and "[uk→de]" not in page


async def test_staff_reply_reaches_the_user_translated_with_the_original_on_tap(
    client: httpx.AsyncClient, database: Database, services: Services, libretranslate: LibreTranslateServer
) -> None:
    t = texts("uk")
    base, csrf = await claimed_case(client, database, language="uk", external_id="chat-1")
    form = (await client.get(base)).text
    assert 'name="translate"' in form and "checked" in form
    german = "Kommen Sie am Montag <9 Uhr> & bringen Sie den Pass."
    sent = await client.post(f"{base}/reply", data={"csrf": csrf, "text": german, "translate": "1"})
    assert sent.status_code == 303
    assert libretranslate.translations()[-1] == {
        "q": german,
        "source": "de",
        "target": "uk",
        "format": "text",
    }

    [answer] = await outbox(database)
    async with database.session() as session:
        event = (await session.execute(select(CaseEvent).where(CaseEvent.kind == "staff_reply"))).scalar_one()
    assert (event.text, event.translation) == (german, fake_translation(german, "de", "uk"))
    marked = say.machine_translated(
        t, "[de→uk] Kommen Sie am Montag &lt;9 Uhr&gt; &amp; bringen Sie den Pass.", event.id
    )
    # Under the heading every message from our team has.
    assert (answer.text, answer.buttons) == (cases.from_the_team(t, marked.text), marked.buttons)
    assert "Машинний переклад з німецької" in answer.text
    assert buttons(answer) == [("Показати німецький оригінал", f"original:{event.id}")]

    # The user taps the button and reads what staff wrote.
    user = Chat(services.conversation, user="chat-1", channel="telegram", hint="uk")
    [original] = await user.press(f"original:{event.id}")
    assert original == say.original(t, german)
    assert "Kommen Sie am Montag &lt;9 Uhr&gt; &amp; bringen Sie den Pass." in original.text
    # Someone else's button (or a tampered one) shows nothing.
    stranger = Chat(services.conversation, user="chat-2", channel="telegram", hint="uk")
    assert [r.kind for r in await stranger.press(f"original:{event.id}")] == ["stale_button"]
    assert [r.kind for r in await user.press("original:99999999999")] == ["stale_button"]

    # Staff see what was sent, marked.
    page = (await client.get(base)).text
    assert "so gesendet, maschinell übersetzt" in page and "[de→uk] Kommen Sie am Montag" in page


async def test_a_reply_staff_do_not_want_translated_goes_out_as_written(
    client: httpx.AsyncClient, database: Database, libretranslate: LibreTranslateServer
) -> None:
    base, csrf = await claimed_case(client, database, language="uk", said=())
    text = "Добрий день! Ось текст українською."  # e.g. a Textbaustein in the user's language
    assert (await client.post(f"{base}/reply", data={"csrf": csrf, "text": text})).status_code == 303
    as_sent = cases.from_the_team(texts("uk"), text)
    assert [(r.kind, r.text, r.buttons) for r in await outbox(database)] == [("staff", as_sent, ())]
    assert libretranslate.translations() == []


async def test_a_language_the_service_does_not_offer_is_said_plainly(
    client: httpx.AsyncClient, database: Database, libretranslate: LibreTranslateServer
) -> None:
    base, csrf = await claimed_case(client, database, language="ku", said=("Ez alîkariyê dixwazim",))
    page = (await client.get(base)).text
    assert NOT_OFFERED_KURMANJI in page and "Ez alîkariyê dixwazim" in page
    german = "Bitte kommen Sie morgen vorbei."
    assert (
        await client.post(f"{base}/reply", data={"csrf": csrf, "text": german, "translate": "1"})
    ).status_code == 303
    assert libretranslate.translations() == []  # not even asked: /languages said so
    as_sent = cases.from_the_team(texts("ku"), german)
    assert [(r.kind, r.text, r.buttons) for r in await outbox(database)] == [("staff", as_sent, ())]
    page = (await client.get(base)).text
    assert "Nicht übersetzt: Für Kurmandschi gibt es keine maschinelle Übersetzung" in page


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_slow_service_never_holds_a_reply_back(
    database: Database, content_dir: Path, libretranslate: LibreTranslateServer
) -> None:
    libretranslate.delay = 3.0  # beyond the timeout
    slow = {"TRANSLATE_URL": libretranslate.url, "TRANSLATE_TIMEOUT_SECONDS": 0.3}
    async with console(database, content_dir, **slow) as client:
        base, csrf = await claimed_case(client, database, language="uk", said=("Мені потрібна довідка",))
        page = (await client.get(base)).text
        assert "Мені потрібна довідка" in page and translations.THREAD_NOTES["unavailable"] in page
        german = "Kommen Sie am Montag."
        sent = await client.post(f"{base}/reply", data={"csrf": csrf, "text": german, "translate": "1"})
        assert sent.status_code == 303
        assert [(r.kind, r.text, r.buttons) for r in await outbox(database)] == [
            ("staff", cases.from_the_team(texts("uk"), german), ())
        ]
        page = (await client.get(base)).text
        assert "Nicht übersetzt: Der Übersetzungsdienst hat nicht rechtzeitig geantwortet" in page


async def test_without_the_setting_nothing_is_sent_anywhere(
    database: Database, content_dir: Path, libretranslate: LibreTranslateServer
) -> None:
    async with console(database, content_dir) as client:  # TRANSLATE_URL unset; a server is there anyway
        base, csrf = await claimed_case(client, database, language="uk", said=("Мені потрібна довідка",))
        page = (await client.get(base)).text
        assert MARK not in page and 'name="translate"' not in page
        german = "Kommen Sie am Montag."
        await client.post(f"{base}/reply", data={"csrf": csrf, "text": german, "translate": "1"})
        assert [(r.kind, r.text) for r in await outbox(database)] == [
            ("staff", cases.from_the_team(texts("uk"), german))
        ]
    assert libretranslate.calls == []


# --- the client on its own ------------------------------------------------------------------------


async def test_client_sends_the_key_and_asks_for_the_languages_once() -> None:
    async with LibreTranslateServer(api_key="schluessel").running() as server:
        translator = Translator(server.url, api_key="schluessel")
        try:
            done = [
                await translator.translate(text, source="tr", target="de") for text in ("Merhaba", "Evet")
            ]
        finally:
            await translator.aclose()
        assert [d.text for d in done] == ["[tr→de] Merhaba", "[tr→de] Evet"]
        assert [call.path for call in server.calls] == ["/languages", "/translate", "/translate"]
        assert {body["api_key"] for body in server.translations()} == {"schluessel"}


async def test_client_failures_are_answers_not_exceptions() -> None:
    async with LibreTranslateServer(api_key="richtig").running() as server:
        refused = Translator(server.url, api_key="falsch")
        try:
            wrong_key = await refused.translate("Merhaba", source="tr", target="de")
        finally:
            await refused.aclose()
        url = server.url
    assert (wrong_key.text, wrong_key.reason, wrong_key.detail) == (None, "unavailable", "HTTP 403")
    gone = Translator(url)  # nothing listens there any more
    try:
        down = await gone.translate("Merhaba", source="tr", target="de")
        many = await gone.translate_all(["a", "b"], source="tr", target="de")
    finally:
        await gone.aclose()
    assert (down.text, down.reason) == (None, "unavailable")
    assert [(m.text, m.reason) for m in many] == [(None, "unavailable")] * 2


async def test_client_says_which_of_our_languages_are_offered(libretranslate: LibreTranslateServer) -> None:
    translator = Translator(libretranslate.url)
    try:
        offered = {
            code: await translator.offers(code, "de") for code in ("uk", "ru", "ar", "tr", "fa", "en", "ku")
        }
        kurmanji = await translator.translate("Silav", source="ku", target="de")
    finally:
        await translator.aclose()
    assert offered == {"uk": True, "ru": True, "ar": True, "tr": True, "fa": True, "en": True, "ku": False}
    assert (kurmanji.text, kurmanji.reason) == (None, "not_offered")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_reply_refused_is_not_sent_to_the_service_either(
    client: httpx.AsyncClient, database: Database, libretranslate: LibreTranslateServer
) -> None:
    await add_staff(database)
    found = await add_case(database, language="uk", said=())
    csrf = await logged_in(client)
    refused = await client.post(
        f"/staff/cases/{found.id}/reply", data={"csrf": csrf, "text": "Hallo", "translate": "1"}
    )
    assert refused.status_code == 409 and "zuerst übernehmen" in refused.text
    assert libretranslate.translations() == [] and await outbox(database) == []


@pytest.mark.browser
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_console_in_a_browser_with_machine_translation(
    page: Page, app: FastAPI, database: Database, libretranslate: LibreTranslateServer
) -> None:
    await add_staff(database, "anna", languages="de")
    found = await add_case(database, said=("Мені потрібна довідка",), language="uk-UA")
    async with serve_app(app) as base:
        await page.goto(f"{base}/staff/login")
        await page.get_by_label("Benutzername").fill("anna")
        await page.get_by_label("Passwort").fill(PASSWORD)
        await page.get_by_role("button", name="Anmelden").click()
        await page.goto(f"{base}/staff/cases/{found.id}")
        message = page.locator(".entry.kind-user_message")
        await expect(message.locator(".text").first).to_have_text("Мені потрібна довідка")
        await expect(message.locator(".translation")).to_have_text(
            f"{MARK} {fake_translation('Мені потрібна довідка', 'uk', 'de')}"
        )
        await page.get_by_role("button", name="Fall übernehmen").click()
        translate = page.get_by_label(re.compile("Maschinell übersetzen"))
        await expect(translate).to_be_checked()
        # A Textbaustein is in the user's language already: inserting one unticks the box.
        await page.get_by_role("button", name="Einfügen").click()
        await expect(page.locator("#reply-text")).to_have_value(re.compile("registration title uk"))
        await expect(translate).not_to_be_checked()
        await page.locator("#reply-text").fill("Kommen Sie bitte am Montag.")
        await translate.check()
        await page.get_by_role("button", name="Antwort senden").click()
        await expect(page.locator(".entry.kind-staff_reply .translation")).to_have_text(
            f"so gesendet, {MARK} [de→uk] Kommen Sie bitte am Montag."
        )
    [answer] = await outbox(database)
    assert answer.text.startswith(cases.from_the_team(texts("uk"), "[de→uk] Kommen Sie bitte am Montag."))
    assert [label for label, _ in buttons(answer)] == ["Показати німецький оригінал"]


async def test_client_asks_for_the_languages_once_for_many_texts(
    libretranslate: LibreTranslateServer,
) -> None:
    translator = Translator(libretranslate.url)
    try:
        done = await translator.translate_all(["bir", "iki", "üç"], source="tr", target="de")
    finally:
        await translator.aclose()
    assert [d.text for d in done] == [fake_translation(text, "tr", "de") for text in ("bir", "iki", "üç")]
    assert [call.path for call in libretranslate.calls].count("/languages") == 1


async def test_web_chat_user_gets_the_answer_translated_and_the_original_on_tap(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    t = texts("uk")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as chat:

        async def send(kind: str, text: str) -> list[dict[str, Any]]:
            body = {"id": uuid.uuid4().hex, "kind": kind, "text": text}
            response = await chat.post("/api/chat/send", json=body, headers={"Accept-Language": "uk"})
            assert response.status_code == 200, response.text
            chat.headers[SESSION_HEADER] = response.json()["session"]
            replies: list[dict[str, Any]] = response.json()["replies"]
            return replies

        await send("button", "lang:uk")
        await send("command", "/human")
        await send("text", "Мені потрібна довідка")
        await add_staff(database)
        async with database.session() as session:
            case = (await session.execute(select(Case))).scalar_one()
        csrf = await logged_in(client)
        base = f"/staff/cases/{case.id}"
        assert (await client.post(f"{base}/claim", data={"csrf": csrf})).status_code == 303
        german = "Kommen Sie bitte am Montag."
        await client.post(f"{base}/reply", data={"csrf": csrf, "text": german, "translate": "1"})

        [answer] = (await chat.get("/api/chat/updates")).json()["replies"]
        assert answer["text"].startswith(
            cases.from_the_team(texts("uk"), fake_translation(german, "de", "uk"))
        )
        [[show]] = answer["buttons"]
        assert show["label"] == t.gettext("Show the German original")
        [original] = await send("button", show["action"])
        assert original["kind"] == "original" and original["text"] == say.original(t, german).text
