"""The staff console over HTTP: login, sessions, CSRF, what each page shows, and that nothing leaks."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from sqlalchemy import func, select, update

from bot.conversation.messages import Reply
from bot.handoff import cases, staff
from bot.handoff.console import staff_router
from bot.server.services import Services
from bot.storage.database import Database
from bot.storage.models import (
    Case,
    CaseEvent,
    Message,
    OutboxEntry,
    User,
)
from tests.handoff.conftest import (
    PASSWORD,
    add_case,
    add_cases,
    add_staff,
    loaded_from_database,
    log_in,
    logged_in,
)

SCRIPT = "<script>alert('x')</script>"


def staff_routes(services: Services) -> list[tuple[str, str]]:
    """Every route of the console, as `create_web_app` includes them."""
    return sorted(
        (method, route.path)
        for route in staff_router(services).routes
        if isinstance(route, APIRoute)
        for method in route.methods
    )


PUBLIC = {("GET", "/staff/login"), ("POST", "/staff/login"), ("GET", "/staff/static/{name}")}


async def test_every_page_and_action_refuses_an_anonymous_request(
    services: Services, client: httpx.AsyncClient, database: Database
) -> None:
    case = await add_case(database, said=("geheime Nachricht",))
    routes = staff_routes(services)
    assert len(routes) >= 14  # queue, fragments, case, actions, audit, problems, logout, …
    for method, path in routes:
        if (method, path) in PUBLIC:
            continue
        url = path.replace("{case_id}", str(case.id))
        if method == "GET":
            page = await client.get(url)
            assert page.status_code == 303 and page.headers["location"] == "/staff/login", url
            fetched = await client.get(url, headers={"X-Console-Fetch": "1"})
            assert fetched.status_code == 401, url
            assert "geheime" not in page.text + fetched.text
        else:
            response = await client.post(url, data={"text": "hallo", "outcome": "answered", "csrf": "x"})
            assert response.status_code == 401, (method, url)
    # A forged or foreign cookie is no better than none.
    client.cookies.set("wegweiser_staff", "eyJpZCI6MX0.forged.signature", path="/staff")
    assert (await client.get(f"/staff/cases/{case.id}")).status_code == 303
    async with database.session() as session:
        stored = await session.get(Case, case.id)
        assert stored is not None and stored.status == "open"
        assert (await session.execute(select(func.count()).select_from(OutboxEntry))).scalar_one() == 0


async def test_login_logout_and_the_old_cookie_stops_working(
    client: httpx.AsyncClient, database: Database
) -> None:
    await add_staff(database)
    assert (await client.get("/staff")).status_code == 303
    csrf = await logged_in(client)
    cookie = client.cookies.get("wegweiser_staff")
    assert cookie
    assert (await client.post("/staff/logout", data={"csrf": csrf})).status_code == 303
    assert (await client.get("/staff")).status_code == 303
    client.cookies.set("wegweiser_staff", cookie, path="/staff")  # replaying the old cookie
    assert (await client.get("/staff")).status_code == 303


async def test_wrong_password_is_refused(client: httpx.AsyncClient, database: Database) -> None:
    await add_staff(database)
    response = await log_in(client, password="falsch-falsch")
    assert response.status_code == 401 and "falsch" in response.text
    assert "wegweiser_staff" not in response.cookies
    response = await log_in(client, username="niemand")
    assert response.status_code == 401


async def test_login_without_the_form_token_is_refused(client: httpx.AsyncClient, database: Database) -> None:
    await add_staff(database)
    response = await client.post("/staff/login", data={"username": "anna", "password": PASSWORD})
    assert response.status_code == 403 and "wegweiser_staff" not in response.cookies
    await client.get("/staff/login")
    response = await client.post(
        "/staff/login", data={"username": "anna", "password": PASSWORD, "csrf": "guess"}
    )
    assert response.status_code == 403 and "wegweiser_staff" not in response.cookies


async def test_a_post_without_or_with_a_wrong_csrf_token_is_rejected(
    client: httpx.AsyncClient, database: Database
) -> None:
    await add_staff(database)
    case = await add_case(database)
    csrf = await logged_in(client)
    for data in ({}, {"csrf": "falsch"}, {"csrf": csrf[:-1]}):
        response = await client.post(f"/staff/cases/{case.id}/claim", data=data)
        assert response.status_code == 403, data
        response = await client.post(f"/staff/cases/{case.id}/note", data={"text": "n", **data})
        assert response.status_code == 403, data
    assert (await client.post("/staff/logout", data={})).status_code == 403
    async with database.session() as session:
        stored = await session.get(Case, case.id)
        assert stored is not None and stored.status == "open"
        assert (await session.execute(select(func.count()).select_from(CaseEvent))).scalar_one() == 1
    # … and with the right one it works.
    assert (await client.post(f"/staff/cases/{case.id}/claim", data={"csrf": csrf})).status_code == 303
    assert (
        await client.post(f"/staff/cases/{case.id}/claim", headers={"X-CSRF-Token": csrf})
    ).status_code == 409


async def test_a_script_in_a_user_message_is_shown_as_text(
    client: httpx.AsyncClient, database: Database
) -> None:
    await add_staff(database)
    case = await add_case(database, said=(SCRIPT,), language="uk-UA")
    async with database.session() as session, session.begin():
        session.add(
            Message(user_id=case.user_id, direction="in", text=f"<img src=x onerror=alert(1)>{SCRIPT}")
        )
        session.add(
            Message(user_id=case.user_id, direction="out", text="<b>Antwort</b>", topic="registration")
        )
    await logged_in(client)
    escaped = "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"
    for url, headers in (
        ("/staff", {}),
        ("/staff/queue", {"X-Console-Fetch": "1"}),
        (f"/staff/cases/{case.id}", {}),
        (f"/staff/cases/{case.id}/live", {"X-Console-Fetch": "1"}),
    ):
        page = await client.get(url, headers=headers)
        assert page.status_code == 200, url
        assert SCRIPT not in page.text and "<img" not in page.text, url
        assert escaped in page.text, url
    case_page = await client.get(f"/staff/cases/{case.id}")
    assert "&lt;img src=x onerror=alert(1)&gt;" in case_page.text
    assert "script-src 'self'" in case_page.headers["content-security-policy"]


async def test_triage_card(client: httpx.AsyncClient, database: Database) -> None:
    await add_staff(database, languages="uk")
    case = await add_case(database, said=("Де зробити Anmeldung?",), language="uk-UA", urgent=True)
    async with database.session() as session, session.begin():
        session.add(Message(user_id=case.user_id, direction="in", text="Anmeldung"))
        session.add(
            Message(
                user_id=case.user_id,
                direction="out",
                text="<b>registration title uk</b>",
                topic="registration",
            )
        )
    await logged_in(client)
    card = (await client.get(f"/staff/cases/{case.id}")).text
    for shown in (
        "Ukrainisch",  # the language, in German
        "Stadt Osnabrück",  # the region's name
        "registration title de",  # the topic's German title
        "Де зробити Anmeldung?",  # what the user wrote
        "dringend",
        "wartet seit",
        "Ihre Sprache",  # staff who speak it see it highlighted
    ):
        assert shown in card, shown
    queue = (await client.get("/staff")).text
    assert re.search(rf'class="case urgent my-language[^"]*" data-case="{case.id}"', queue)


async def test_queue_filters_over_http_including_sql_metacharacters(
    client: httpx.AsyncClient, database: Database
) -> None:
    await add_staff(database)
    ukrainian = await add_case(database, language="uk-UA", said=("eins",))
    await add_case(database, language="ar", said=("zwei",))
    await logged_in(client)

    def shown(html: str) -> set[int]:
        return {int(n) for n in re.findall(r'data-case="(\d+)"', html)}

    assert len(shown((await client.get("/staff")).text)) == 2
    assert shown((await client.get("/staff", params={"language": "uk"})).text) == {ukrainian.id}
    for hostile in ("' OR '1'='1", "uk' --", "%", "'; DROP TABLE cases; --"):
        for name in ("language", "region"):
            page = await client.get("/staff/queue", params={name: hostile}, headers={"X-Console-Fetch": "1"})
            assert page.status_code == 200 and shown(page.text) == set(), (name, hostile)
    assert len(shown((await client.get("/staff", params={"status": "' OR 1=1 --"})).text)) == 2


async def test_claim_reply_note_close_over_http(client: httpx.AsyncClient, database: Database) -> None:
    await add_staff(database)
    case = await add_case(database, language="uk-UA")
    csrf = await logged_in(client)
    base = f"/staff/cases/{case.id}"
    assert (await client.post(f"{base}/reply", data={"csrf": csrf, "text": "zu früh"})).status_code == 409
    assert (await client.post(f"{base}/claim", data={"csrf": csrf})).status_code == 303
    assert (
        await client.post(f"{base}/reply", data={"csrf": csrf, "text": "Hallo <Welt>"})
    ).status_code == 303
    assert (await client.post(f"{base}/note", data={"csrf": csrf, "text": "nur intern"})).status_code == 303
    canned = await client.get(
        f"{base}/canned", params={"topic": "registration"}, headers={"X-Console-Fetch": "1"}
    )
    assert canned.status_code == 200 and canned.json()["text"].startswith("registration title uk")
    missing = await client.post(f"{base}/close", data={"csrf": csrf, "outcome": ""})
    assert missing.status_code == 409 and "Ergebnis" in missing.text
    assert (await client.post(f"{base}/close", data={"csrf": csrf, "outcome": "answered"})).status_code == 303
    async with database.session() as session:
        payloads = (
            (await session.execute(select(OutboxEntry.payload).order_by(OutboxEntry.id))).scalars().all()
        )
    replies = [Reply.from_json(payload) for payload in payloads]
    assert [(r.kind, r.text) for r in replies] == [  # the note was not sent
        ("staff", "💬 <b>Повідомлення від нашої команди</b>\nHallo &lt;Welt&gt;"),
        ("rating", replies[1].text),
    ]
    page = (await client.get(base)).text
    assert "nur intern" in page and "Beantwortet" in page


async def test_second_claimer_is_told_who_has_it(app: FastAPI, database: Database) -> None:
    await add_staff(database, "anna")
    await add_staff(database, "ben")
    case = await add_case(database)
    transport = httpx.ASGITransport(app=app)
    async with (
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as anna,
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as ben,
    ):
        anna_csrf, ben_csrf = await logged_in(anna, "anna"), await logged_in(ben, "ben")
        assert (await anna.post(f"/staff/cases/{case.id}/claim", data={"csrf": anna_csrf})).status_code == 303
        lost = await ben.post(f"/staff/cases/{case.id}/claim", data={"csrf": ben_csrf})
        assert lost.status_code == 409 and "anna hat ihn übernommen" in lost.text
        # ben may not reply to or close anna's case
        assert (
            await ben.post(f"/staff/cases/{case.id}/reply", data={"csrf": ben_csrf, "text": "x"})
        ).status_code == 409


async def test_deleted_case_is_shown_as_deleted_by_the_user(
    client: httpx.AsyncClient, database: Database
) -> None:
    from bot.handoff import cases

    await add_staff(database)
    case = await add_case(database, said=("private Sache",))
    async with database.session() as session, session.begin():
        user = (await session.execute(select(User))).scalar_one()
        await cases.forget_user(session, user)
        await session.delete(user)
    csrf = await logged_in(client)
    page = await client.get(f"/staff/cases/{case.id}")
    assert "vom Nutzer gelöscht" in page.text and "private Sache" not in page.text
    assert 'id="claim"' not in page.text
    listing = await client.get("/staff", params={"status": "deleted"})
    assert "vom Nutzer gelöscht" in listing.text
    assert (await client.post(f"/staff/cases/{case.id}/claim", data={"csrf": csrf})).status_code == 409


async def test_roles_gate_the_audit_log_and_content_problems(
    client: httpx.AsyncClient, database: Database
) -> None:
    await add_staff(database, "anna", role="staff")
    await add_staff(database, "erik", role="editor")
    await add_staff(database, "ada", role="admin")
    await logged_in(client, "anna")
    assert (await client.get("/staff/audit")).status_code == 403
    assert (await client.get("/staff/problems")).status_code == 403
    client.cookies.clear()
    await logged_in(client, "erik")
    assert (await client.get("/staff/problems")).status_code == 200
    assert (await client.get("/staff/audit")).status_code == 403
    client.cookies.clear()
    await logged_in(client, "ada")
    audit = await client.get("/staff/audit")
    assert audit.status_code == 200
    assert "erik" in audit.text and "login" in audit.text and "staff_add" in audit.text


async def test_content_problems_page_lists_what_the_running_bot_found(
    client: httpx.AsyncClient, database: Database, services: object
) -> None:
    from bot.content.loader import Problem

    await add_staff(database, "erik", role="editor")
    services.content.problems = [  # type: ignore[attr-defined]
        Problem("topics/registration.yaml", 7, "<b>title</b> missing", "warning")
    ]
    await logged_in(client, "erik")
    page = (await client.get("/staff/problems")).text
    assert "topics/registration.yaml" in page and "&lt;b&gt;title&lt;/b&gt; missing" in page


async def test_static_files_and_nothing_else(client: httpx.AsyncClient) -> None:
    assert (await client.get("/staff/static/console.js")).status_code == 200
    assert (await client.get("/staff/static/console.css")).status_code == 200
    assert (await client.get("/staff/static/..%2Fconsole.py")).status_code == 404
    assert (await client.get("/staff/static/base.html")).status_code == 404


def test_without_secret_key_one_key_per_process_is_generated_and_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from types import SimpleNamespace

    from pydantic import SecretStr

    from bot.handoff import console

    unset = SimpleNamespace(settings=SimpleNamespace(secret_key=None))
    configured = SimpleNamespace(settings=SimpleNamespace(secret_key=SecretStr("k" * 40)))
    console._generated_key.cache_clear()
    with caplog.at_level("WARNING"):
        first = console.secret_key(unset)  # type: ignore[arg-type]
        assert console.secret_key(unset) == first and len(first) >= 32  # type: ignore[arg-type]
        assert console.secret_key(configured) == "k" * 40  # type: ignore[arg-type]
    assert sum("SECRET_KEY is not set" in record.getMessage() for record in caplog.records) == 1


async def test_a_removed_accounts_cookie_does_not_open_the_next_accounts_session(
    client: httpx.AsyncClient, database: Database
) -> None:
    await add_staff(database, "anna", role="admin")
    await add_staff(database, "dave", role="staff")
    await logged_in(client, "dave")
    daves_cookie = client.cookies.get("wegweiser_staff")
    assert daves_cookie and (await client.get("/staff/audit")).status_code == 403

    # dave leaves; erin, an admin, is added next (SQLite hands her dave's row id).
    async with database.session() as session, session.begin():
        await staff.remove_account(session, "dave")
    await add_staff(database, "erin", role="admin")

    client.cookies.clear()
    client.cookies.set("wegweiser_staff", daves_cookie, path="/staff")
    assert (await client.get("/staff/audit")).status_code == 303  # to the login, not erin's audit log
    assert (await client.get("/staff/queue", headers={"X-Console-Fetch": "1"})).status_code == 401


async def test_a_flood_of_urgent_cases_neither_hides_a_real_one_nor_goes_unnoticed(
    client: httpx.AsyncClient, database: Database
) -> None:
    await add_staff(database)
    # 205 scripted web chat sessions, each with a violence message, a few minutes before …
    await add_cases(
        database,
        205,
        said=("Er schlägt mich",),
        urgent=True,
        channel="web",
        opened_at=datetime.now(UTC) - timedelta(minutes=3),
    )
    # … then a person who really needs help.
    real = await add_case(database, said=("Bitte helfen Sie, mein Kind ist verletzt",), urgent=True)
    await logged_in(client)

    for page in (
        await client.get("/staff"),
        await client.get("/staff/queue", headers={"X-Console-Fetch": "1"}),
    ):
        assert f'data-case="{real.id}"' in page.text
        assert "206 Fälle in dieser Auswahl, davon 206 dringend und offen" in page.text
        assert (
            "Auffällig viele neue Fälle: 206 in den letzten 10 Minuten (206 dringend, 205 aus dem Web-Chat)"
            in page.text
        )
    # On a quiet day there is no banner.
    async with database.session() as session, session.begin():
        await session.execute(update(Case).values(opened_at=datetime.now(UTC) - timedelta(hours=1)))
    quiet = await client.get("/staff")
    assert "Auffällig" not in quiet.text and "neu in den letzten 10 Minuten: 0" in quiet.text


async def test_the_queue_pages_over_http(client: httpx.AsyncClient, database: Database) -> None:
    await add_staff(database)
    await add_cases(database, 60, language="ar")
    await logged_in(client)

    def shown(html: str) -> list[str]:
        return re.findall(r'data-case="(\d+)"', html)

    first = await client.get("/staff", params={"language": "ar"})
    assert len(shown(first.text)) == 50 and "Seite 1 von 2" in first.text
    assert 'href="/staff?language=ar&amp;page=2" rel="next"' in first.text
    second = await client.get("/staff", params={"language": "ar", "page": "2"})
    assert len(shown(second.text)) == 10 and not set(shown(first.text)) & set(shown(second.text))
    assert 'data-poll="/staff/queue?language=ar&amp;page=2"' in second.text  # it keeps its page
    for hostile in ("abc", "-1", "0", "99999999999999999999", "2' OR 1=1"):
        page = await client.get("/staff", params={"page": hostile})
        assert page.status_code == 200 and len(shown(page.text)) in (10, 50), hostile


async def test_two_thousand_messages_in_a_case_do_not_weigh_down_the_queue_or_the_case_page(
    client: httpx.AsyncClient, database: Database
) -> None:
    await add_staff(database)
    case = await add_case(database, said=())
    async with database.session() as session, session.begin():
        session.add_all(
            CaseEvent(case_id=case.id, kind="user_message", text=f"Nachricht {n:04} " + "x" * 4000)
            for n in range(2000)
        )
    await logged_in(client)

    with loaded_from_database() as queue_load:
        queue = await client.get("/staff/queue", headers={"X-Console-Fetch": "1"})
    assert "Nachricht 1999" in queue.text
    assert queue_load.chars < 1000  # the start of the last message, not 8 MB of thread

    with loaded_from_database() as case_load:
        page = await client.get(f"/staff/cases/{case.id}/live", headers={"X-Console-Fetch": "1"})
    assert "Nachricht 1999" in page.text and "Nachricht 1949" not in page.text
    assert page.text.count('class="entry kind-user_message"') == cases.THREAD_PAGE
    assert len(page.content) < 300_000 and case_load.chars < 300_000
    assert "1950 ältere Einträge" in page.text

    older_link = re.search(r'href="(/staff/cases/\d+\?before=\d+)">ältere laden', page.text)
    assert older_link
    older = await client.get(older_link.group(1))
    assert "Nachricht 1949" in older.text and "Nachricht 1950" not in older.text
    assert "1900 ältere Einträge" in older.text and "zu den neuesten Einträgen" in older.text
    assert f'data-poll="/staff/cases/{case.id}/live?before=' in older.text


OVERRIDES = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
INVISIBLE = "\u200b\u2060\ufeff"


async def test_direction_overrides_and_invisible_characters_do_not_reach_the_console(
    client: httpx.AsyncClient, database: Database
) -> None:
    # "Termin am \u202e...": the override would show the rest reversed, and spill into what follows.
    sneaky = "Termin am \u202emorgen\u202c um 9\u200b Uhr \u2067دعوة\u2069\ufeff"
    persian = "می\u200cخواهم"  # the zero-width non-joiner belongs to the word
    await add_staff(database)
    case = await add_case(database, said=(persian, sneaky), language="fa")
    async with database.session() as session, session.begin():
        session.add(Message(user_id=case.user_id, direction="in", text=sneaky))
    await logged_in(client)
    for url in ("/staff", "/staff/queue", f"/staff/cases/{case.id}", f"/staff/cases/{case.id}/live"):
        page = (await client.get(url, headers={"X-Console-Fetch": "1"})).text
        assert not set(page) & set(OVERRIDES + INVISIBLE), (
            url,
            [hex(ord(c)) for c in set(page) & set(OVERRIDES + INVISIBLE)],
        )
        assert "Termin am morgen um 9 Uhr دعوة" in page or persian in page, url
    case_page = (await client.get(f"/staff/cases/{case.id}")).text
    assert persian in case_page
    texts = re.findall(r'<div class="text"[^>]*>', case_page)
    assert texts and all('dir="auto"' in tag for tag in texts)
    assert '<td class="preview" dir="auto">' in (await client.get("/staff")).text


@pytest.mark.parametrize(("topics", "chosen"), [(("registration",), "registration"), ((), "")])
async def test_the_canned_answer_list_starts_at_the_cases_topic_or_at_none(
    client: httpx.AsyncClient, database: Database, topics: tuple[str, ...], chosen: str
) -> None:
    await add_staff(database)
    case = await add_case(database, topics=topics)
    csrf = await logged_in(client)
    await client.post(f"/staff/cases/{case.id}/claim", data={"csrf": csrf})
    page = (await client.get(f"/staff/cases/{case.id}")).text
    select_list = page[page.index('<select id="canned-topic">') :]
    select_list = select_list[: select_list.index("</select>")]
    assert re.findall(r'<option value="([^"]*)" selected>', select_list) == [chosen]
