"""The case operations behind the console: queue, claim, reply, note, close, canned answers, deletion."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy import update as sql_update

from bot.content.store import ContentStore
from bot.conversation.messages import Reply
from bot.handoff import cases, staff
from bot.handoff.cases import CaseError, QueueFilter
from bot.storage.database import Database
from bot.storage.models import AuditEntry, Case, CaseEvent, OutboxEntry, User
from tests.handoff.conftest import add_case, add_cases, add_staff

EARLY = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


async def outbox(database: Database) -> list[tuple[str, Reply]]:
    async with database.session() as session:
        rows = (await session.execute(select(OutboxEntry).order_by(OutboxEntry.id))).scalars().all()
        return [(row.channel, Reply.from_json(row.payload)) for row in rows]


async def queue_ids(database: Database, **filters: str) -> list[int]:
    async with database.session() as session:
        found = await cases.queue(
            session,
            QueueFilter.parse(**{"status": "active", "language": "", "region": "", "urgency": "", **filters}),
        )
        return [item.case.id for item in found.items]


async def test_queue_urgent_first_then_longest_waiting(database: Database) -> None:
    newer = await add_case(database, opened_at=EARLY + timedelta(hours=2))
    older = await add_case(database, opened_at=EARLY)
    urgent = await add_case(database, urgent=True, opened_at=EARLY + timedelta(hours=5))
    assert await queue_ids(database) == [urgent.id, older.id, newer.id]


async def test_queue_filters(database: Database) -> None:
    ukrainian = await add_case(database, language="uk-UA", region="stadt_osnabrueck")
    arabic = await add_case(database, language="ar", region="sg_bersenbrueck", urgent=True)
    anna = await add_staff(database)
    async with database.session() as session, session.begin():
        assert await cases.claim_case(session, arabic.id, anna)
    assert await queue_ids(database, language="uk") == [ukrainian.id]  # 'uk' matches 'uk-UA'
    assert await queue_ids(database, language="ar") == [arabic.id]
    assert await queue_ids(database, region="sg_bersenbrueck") == [arabic.id]
    assert await queue_ids(database, urgency="urgent") == [arabic.id]
    assert await queue_ids(database, urgency="normal") == [ukrainian.id]
    assert await queue_ids(database, status="open") == [ukrainian.id]
    assert await queue_ids(database, status="claimed") == [arabic.id]
    assert await queue_ids(database, status="closed") == []


@pytest.mark.parametrize(
    "filters",
    [
        {"language": "x' OR '1'='1"},
        {"language": "%"},
        {"language": "_k"},
        {"region": "'; DROP TABLE cases; --"},
        {"region": "stadt_osnabrueck' OR 1=1 --"},
        {"status": "open' OR 1=1 --", "language": '" OR ""="'},
        {"urgency": "1 OR 1=1"},
    ],
)
async def test_sql_metacharacters_in_filters_are_just_text(
    database: Database, filters: dict[str, str]
) -> None:
    case = await add_case(database, language="uk-UA", urgent=True)
    found = await queue_ids(database, **filters)
    # Unknown status/urgency values fall back to the defaults; anything else matches nothing.
    expected = [case.id] if set(filters) <= {"status", "urgency"} else []
    assert found == expected
    async with database.session() as session:
        assert (await session.execute(select(func.count()).select_from(Case))).scalar_one() == 1


async def test_claim_only_once_and_release(database: Database) -> None:
    case = await add_case(database)
    anna, ben = await add_staff(database, "anna"), await add_staff(database, "ben")
    async with database.session() as session, session.begin():
        assert await cases.claim_case(session, case.id, anna)
    async with database.session() as session, session.begin():
        assert not await cases.claim_case(session, case.id, ben)
    async with database.session() as session, session.begin():
        with pytest.raises(CaseError):
            await cases.release_case(session, case.id, ben)  # not theirs
    async with database.session() as session, session.begin():
        await cases.release_case(session, case.id, anna)
    async with database.session() as session, session.begin():
        assert await cases.claim_case(session, case.id, ben)
        found = await cases.triage(session, case.id)
        assert found is not None and found.claimed_by == "ben" and found.case.status == "claimed"
        assert [e.text for e in found.thread if e.kind == "status"] == ["claimed", "released", "claimed"]
        actions = [
            tuple(row) for row in (await session.execute(select(AuditEntry.actor, AuditEntry.action))).all()
        ]
    assert ("anna", "claim") in actions and ("anna", "release") in actions and ("ben", "claim") in actions


async def test_reply_needs_the_claim_and_goes_to_the_outbox_escaped(database: Database) -> None:
    case = await add_case(database, language="uk-UA", channel="web")
    anna, ben = await add_staff(database, "anna"), await add_staff(database, "ben")
    text = 'Kommen Sie <b>morgen</b> & bringen Sie "Pass" mit'
    async with database.session() as session, session.begin():
        with pytest.raises(CaseError, match="übernehmen"):
            await cases.reply(session, case.id, anna, text)
        assert await cases.claim_case(session, case.id, anna)
    async with database.session() as session, session.begin():
        with pytest.raises(CaseError, match="übernehmen"):
            await cases.reply(session, case.id, ben, text)  # anna holds it
        await cases.reply(session, case.id, anna, text)
    [(channel, reply)] = await outbox(database)
    assert channel == "web"
    assert reply.kind == "staff" and reply.language == "uk" and not reply.rtl
    # Under a heading in the user's language that says a person wrote it (issue #25, item 10)
    assert reply.text == (
        "💬 <b>Повідомлення від нашої команди</b>\n"
        'Kommen Sie &lt;b&gt;morgen&lt;/b&gt; &amp; bringen Sie "Pass" mit'
    )
    assert reply.plain_text == "💬 Повідомлення від нашої команди\n" + text  # exactly what staff wrote
    assert reply.buttons == ()  # free text has no German original to show
    async with database.session() as session:
        stored = (
            await session.execute(select(CaseEvent).where(CaseEvent.kind == "staff_reply"))
        ).scalar_one()
    assert stored.text == text and stored.author_id == anna.id


async def test_a_reply_to_a_person_who_never_chose_a_language_follows_the_case(database: Database) -> None:
    """The bot answered them in Arabic (their phone's or their message's language) without storing a
    choice; a staff reply in German must not turn their chat into a German, left-to-right page."""
    case = await add_case(database, language="ar", channel="web")
    async with database.session() as session, session.begin():
        await session.execute(sql_update(User).values(language=None))
    anna = await add_staff(database)
    async with database.session() as session, session.begin():
        assert await cases.claim_case(session, case.id, anna)
        await cases.reply(session, case.id, anna, "Bitte bringen Sie Ihren Pass mit.")
        await cases.close_case(session, case.id, anna, "answered")
    [(_, staff), (_, rating)] = await outbox(database)
    assert (staff.language, staff.rtl) == ("ar", True)
    assert (rating.language, rating.rtl) == ("ar", True)
    assert any("\u0600" <= letter <= "\u06ff" for letter in rating.text)  # asked in Arabic


async def test_reply_in_a_right_to_left_language_is_marked_so(database: Database) -> None:
    case = await add_case(database, language="ar")
    anna = await add_staff(database)
    async with database.session() as session, session.begin():
        assert await cases.claim_case(session, case.id, anna)
        await cases.reply(session, case.id, anna, "مرحبا")
    [(_, reply)] = await outbox(database)
    assert reply.rtl and reply.language == "ar"


async def test_empty_or_too_long_reply_is_refused(database: Database) -> None:
    case = await add_case(database)
    anna = await add_staff(database)
    async with database.session() as session, session.begin():
        assert await cases.claim_case(session, case.id, anna)
        with pytest.raises(CaseError, match="leer"):
            await cases.reply(session, case.id, anna, "   ")
        with pytest.raises(CaseError, match="zu lang"):
            await cases.reply(session, case.id, anna, "<" * 1500)  # 1500 characters, 6000 escaped
    assert await outbox(database) == []


async def test_notes_are_never_sent(database: Database) -> None:
    case = await add_case(database)
    anna = await add_staff(database)
    async with database.session() as session, session.begin():
        await cases.add_note(session, case.id, anna, "Rückruf beim Jobcenter angefragt")
    assert await outbox(database) == []
    async with database.session() as session:
        found = await cases.triage(session, case.id)
    assert found is not None
    assert [(e.kind, e.author) for e in found.thread][-1] == ("note", "anna")


async def test_close_asks_the_user_for_a_rating_in_their_language(database: Database) -> None:
    case = await add_case(database, language="de")
    anna = await add_staff(database)
    async with database.session() as session, session.begin():
        assert await cases.claim_case(session, case.id, anna)
        with pytest.raises(CaseError):
            await cases.close_case(session, case.id, anna, "nonsense")
        await cases.close_case(session, case.id, anna, "answered")
    [(_, question)] = await outbox(database)
    assert question.kind == "rating" and question.language == "de"
    assert [[(b.label, b.action) for b in row] for row in question.buttons] == [
        [(str(n), f"rate:{case.id}:{n}") for n in range(1, 6)]
    ]
    async with database.session() as session, session.begin():
        stored = await session.get(Case, case.id)
        assert stored is not None and stored.status == "closed" and stored.outcome == "answered"
        user = await session.get(User, stored.user_id)
        assert user is not None
        assert await cases.rate(session, user, case.id, 4)  # what the core does with the button
    async with database.session() as session:
        assert (await session.get(Case, case.id)).rating == 4  # type: ignore[union-attr]


async def test_rating_question_uses_the_user_language_catalog(database: Database) -> None:
    anna = await add_staff(database)
    case = await add_case(database, language="en")
    async with database.session() as session, session.begin():
        assert await cases.claim_case(session, case.id, anna)
        await cases.close_case(session, case.id, anna, "referred")
    [(_, question)] = await outbox(database)
    assert question.text.startswith("Our team has closed your request.")


async def test_canned_answer_is_the_topic_in_the_user_language_as_plain_text(
    database: Database, content_dir: object
) -> None:
    content = ContentStore(content_dir).current  # type: ignore[arg-type]
    case = await add_case(database, language="uk-UA", region="stadt_osnabrueck")
    text = cases.canned_answer(content, "registration", case)
    # The short answer with the place for the user's region, as the bot's first message has it.
    assert text.startswith("registration title uk\nregistration short in uk.")
    assert "City Office" in text and "0541 323-0" in text
    assert "registration answer in uk." not in text and "example.org/source" not in text
    assert "<" not in text
    with pytest.raises(CaseError):
        cases.canned_answer(content, "no-such-topic", case)


async def test_a_user_who_deleted_their_data_leaves_a_deleted_case(database: Database) -> None:
    case = await add_case(database, said=("meine Adresse ist Hauptstraße 1",))
    anna = await add_staff(database)
    async with database.session() as session, session.begin():
        assert await cases.claim_case(session, case.id, anna)
    async with database.session() as session, session.begin():
        user = (await session.execute(select(User))).scalar_one()
        await cases.forget_user(session, user)
        await session.delete(user)
    async with database.session() as session, session.begin():
        found = await cases.triage(session, case.id)
        assert found is not None and found.case.status == "deleted" and found.user is None
        assert not any(e.kind == "user_message" for e in found.thread)
        with pytest.raises(CaseError, match="gelöscht"):
            await cases.reply(session, case.id, anna, "Hallo?")
        with pytest.raises(CaseError, match="gelöscht"):
            await cases.add_note(session, case.id, anna, "notiz")
    assert await queue_ids(database) == []
    assert await queue_ids(database, status="deleted") == [case.id]


async def test_removing_an_account_puts_its_cases_back_in_the_queue(database: Database) -> None:
    case = await add_case(database)
    anna = await add_staff(database)
    async with database.session() as session, session.begin():
        assert await cases.claim_case(session, case.id, anna)
    async with database.session() as session, session.begin():
        await staff.remove_account(session, "anna")
    async with database.session() as session:
        found = await cases.triage(session, case.id)
    assert found is not None and found.case.status == "open" and found.case.claimed_by is None
    assert [e.text for e in found.thread if e.kind == "status"] == ["claimed", "released"]


async def test_queue_pages_keep_every_open_urgent_case_on_the_first(database: Database) -> None:
    waiting = await add_cases(database, 120, opened_at=EARLY)
    urgent = await add_cases(database, 3, urgent=True, opened_at=EARLY + timedelta(hours=1))
    shown: list[int] = []
    async with database.session() as session:
        for page in (1, 2, 3, 4):
            found = await cases.queue(session, QueueFilter(), page=page)
            assert (found.total, found.urgent, found.pages) == (123, 3, 3)
            if page <= 3:
                assert found.page == page
                shown += [item.case.id for item in found.items]
            else:
                assert found.page == 3  # past the end: the last page
        first = await cases.queue(session, QueueFilter(), page=1)
    assert [item.case.id for item in first.items][:3] == [case.id for case in urgent]
    assert len(first.items) == cases.QUEUE_PAGE_SIZE
    assert shown == [case.id for case in urgent] + [case.id for case in waiting]  # each once, in order


async def test_more_urgent_cases_than_a_page_are_all_on_the_first(database: Database) -> None:
    flood = await add_cases(database, cases.QUEUE_PAGE_SIZE + 5, urgent=True, opened_at=EARLY)
    real = await add_case(database, urgent=True)
    await add_cases(database, 3)
    async with database.session() as session:
        first = await cases.queue(session, QueueFilter())
        second = await cases.queue(session, QueueFilter(), page=2)
    assert [item.case.id for item in first.items] == [case.id for case in flood] + [real.id]
    assert len(second.items) == 3 and first.pages == 2
