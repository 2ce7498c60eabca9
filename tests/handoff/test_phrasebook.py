"""A German-speaking counsellor and a Farsi-speaking user, over HTTP and through the conversation core:
the triage card says in German what the person asked and was told, a phrase goes out in Farsi with
the German original on a button, and only the person it was sent to can open that original."""

from __future__ import annotations

import re
import shutil
from dataclasses import replace
from html import unescape
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from bot.conversation.messages import Reply
from bot.handoff.console import SHORT_LIMIT, Console, TopicSummary
from bot.server.services import Services
from bot.settings import PROJECT_ROOT
from bot.storage.database import Database
from bot.storage.models import Case, CaseEvent, OutboxEntry
from tests.conftest import write_content
from tests.handoff.conftest import add_staff, logged_in
from tests.support.chat import Chat, actions

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

FETCH = {"X-Console-Fetch": "1"}
FARSI_QUESTION = "registration fa question 3"


@pytest.fixture
def content_dir(tmp_path: Path) -> Path:
    """The test content with the real phrasebook."""
    directory = write_content(tmp_path / "content")
    shutil.copytree(PROJECT_ROOT / "content" / "phrases", directory / "phrases")
    return directory


async def farsi_user_asks_for_a_person(services: Services, user: str = "farsi-1") -> Chat:
    """Chooses Farsi and Stadt Osnabrück, asks about registration, then presses "talk to a person"."""
    chat = Chat(services.conversation, user=user, hint="fa", channel="web")
    await chat.press("lang:fa")
    await chat.press("place:stadt_osnabrueck")
    [answer] = await chat.send(FARSI_QUESTION)
    assert answer.kind == "answer" and "human" in actions(answer)
    [opened] = await chat.press("human")
    assert opened.kind == "handoff"
    return chat


async def only_case(database: Database) -> Case:
    async with database.session() as session:
        return (await session.execute(select(Case))).scalar_one()


def visible_text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


async def test_the_triage_card_says_in_german_what_was_asked_and_answered(
    services: Services, client: httpx.AsyncClient, database: Database
) -> None:
    await farsi_user_asks_for_a_person(services)
    case = await only_case(database)
    assert case.topics == ""  # "talk to a person" under an answer: the case itself names no topic
    await add_staff(database, "anna", languages="de")
    await logged_in(client)
    page = (await client.get(f"/staff/cases/{case.id}")).text
    card = visible_text(page[page.index('<dl class="triage">') : page.index("</dl>")])
    assert f"Frage der Person {FARSI_QUESTION} Persisch" in card
    # The matched topic, in German: its title and its short answer.
    assert "Erkanntes Thema registration title de registration short in de." in card
    # What the bot told the person: described in German, its topic in German, the wording on request.
    assert "Letzte Antwort des Bots Antwort aus einem Thema: registration title de" in card
    assert "Wortlaut (Persisch)" in card and "registration short in fa." in card  # what it read first
    history = page[page.index('<section class="card history">') :]
    assert "Antwort aus einem Thema" in history
    for internal in ("ask_place", "fallback", "handoff", "language_picker"):
        assert f"· {internal}" not in history  # no internal names (issue #25, item 10)


async def test_preview_shows_the_phrase_in_german_and_in_farsi(
    services: Services, client: httpx.AsyncClient, database: Database
) -> None:
    await farsi_user_asks_for_a_person(services)
    case = await only_case(database)
    await add_staff(database, "anna", languages="de")
    csrf = await logged_in(client)
    url = f"/staff/cases/{case.id}/phrase"
    assert (await client.post(f"/staff/cases/{case.id}/claim", data={"csrf": csrf})).status_code == 303
    page = (await client.get(f"/staff/cases/{case.id}")).text
    assert (
        'data-slots="date:date time:time place:place">Ihr Termin ist am {date} um {time}. Ort: {place}'
        in page
    )

    missing = await client.get(
        url, params={"phrase": "appointment_at", "slot_date": "2027-01-13"}, headers=FETCH
    )
    assert missing.json() == {"error": "Bitte „time“ ausfüllen."}
    filled = await client.get(
        url,
        params={
            "phrase": "appointment_at",
            "slot_date": "2027-01-13",
            "slot_time": "09:30",
            "slot_place": "office_city",
        },
        headers=FETCH,
    )
    preview = filled.json()
    assert (preview["language"], preview["language_name"], preview["fallback"]) == ("fa", "Persisch", False)
    assert preview["german"].startswith(
        "Ihr Termin ist am 13. Januar 2027 um 09:30. Ort: City Office\n\n📍 City Office"
    )
    assert preview["for_user"].startswith("وقت ملاقات شما ")
    assert "ژانویهٔ" in preview["for_user"] and "City Office" in preview["for_user"]
    unknown = await client.get(url, params={"phrase": "no_such_phrase"}, headers=FETCH)
    assert unknown.json() == {"error": "Diesen Satzbaustein gibt es nicht (mehr)."}
    anonymous = await httpx.AsyncClient(transport=client._transport, base_url="http://testserver").get(
        url, params={"phrase": "hello"}, headers=FETCH
    )
    assert anonymous.status_code == 401


async def test_a_phrase_reaches_the_user_in_farsi_with_the_german_on_a_button(
    services: Services, client: httpx.AsyncClient, database: Database
) -> None:
    chat = await farsi_user_asks_for_a_person(services)
    case = await only_case(database)
    await add_staff(database, "anna", languages="de")
    csrf = await logged_in(client)
    base = f"/staff/cases/{case.id}"
    assert (await client.post(f"{base}/claim", data={"csrf": csrf})).status_code == 303
    refused = await client.post(f"{base}/phrase", data={"csrf": csrf, "phrase": "call_you_on"})
    assert refused.status_code == 409 and "Bitte „weekday“ ausfüllen." in refused.text
    sent = await client.post(
        f"{base}/phrase", data={"csrf": csrf, "phrase": "call_you_on", "slot_weekday": "wed"}
    )
    assert sent.status_code == 303

    async with database.session() as session:
        [payload] = (
            (await session.execute(select(OutboxEntry.payload).where(OutboxEntry.delivered_at.is_(None))))
            .scalars()
            .all()
        )  # the one reply waiting: the phrase
        event = (await session.execute(select(CaseEvent).where(CaseEvent.kind == "staff_reply"))).scalar_one()
    reply = Reply.from_json(payload)
    assert reply.kind == "staff" and reply.rtl and reply.language == "fa"
    assert reply.plain_text == "💬 پیام از طرف تیم ما\n\u200fروز چهارشنبه با شما تماس می‌گیریم."
    assert [(b.label, b.action) for row in reply.buttons for b in row] == [
        ("نمایش متن اصلی به آلمانی", f"original:{event.id}")
    ]
    assert event.text == "Wir rufen Sie am Mittwoch an."  # the case keeps what staff read
    page = (await client.get(base)).text
    assert "Wir rufen Sie am Mittwoch an." in page

    # The user taps "show original": the German, to show at a counter.
    [original] = await chat.press(f"original:{event.id}")
    assert original.kind == "original" and not original.rtl
    assert original.plain_text == (
        "Deutsch · همین پیام به آلمانی، مثلاً برای نشان دادن در یک اداره:\n\nWir rufen Sie am Mittwoch an."
    )
    # Anyone else pressing it (or a forged button) learns nothing.
    stranger = Chat(services.conversation, user="someone-else", hint="de", channel="web")
    await stranger.press("lang:de")
    for forged in (f"original:{event.id}", "original:99999999999", "original:x"):
        [stale] = await stranger.press(forged)
        assert stale.kind == "stale_button"


def test_the_card_shows_a_topics_short_answer_in_german(services: Services) -> None:
    console = Console(services)
    content = services.content.current
    assert console.topic_summary("registration") == TopicSummary(
        "registration", "registration title de", "registration short in de."
    )
    topic = content.topics["registration"]
    german = replace(topic.translations["de"], short="<b>Erst</b> " + "x" * 500)
    changed = replace(topic, translations={**topic.translations, "de": german})
    services.content.current = replace(content, topics={**content.topics, "registration": changed})
    summary = console.topic_summary("registration")
    assert summary is not None and summary.short == "Erst " + "x" * (SHORT_LIMIT - 6) + "…"
    assert console.topic_summary("no_such_topic") is None
