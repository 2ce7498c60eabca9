"""Transcripts through the conversation core (the channels only translate to and from it)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy import update as update_

from bot.conversation import outbox
from bot.conversation.core import Conversation
from bot.conversation.messages import MAX_TEXT, Incoming
from bot.settings import PROJECT_ROOT
from bot.storage.database import Database
from bot.storage.models import Case, CaseEvent, Feedback, Message, OutboxEntry, UnansweredQuestion, User
from bot.understanding.model import CrisisReading, Understanding
from bot.understanding.policy import THRESHOLDS
from tests.support.chat import Chat, actions, build_conversation, buttons


async def stored_user(conversation: Conversation, external_id: str = "chat-1") -> User | None:
    async with conversation.database.session() as session:
        return (
            await session.execute(select(User).where(User.external_id == external_id))
        ).scalar_one_or_none()


async def count(conversation: Conversation, model: type, *where: object) -> int:
    async with conversation.database.session() as session:
        return int(
            (await session.execute(select(func.count()).select_from(model).where(*where))).scalar_one()
        )


async def test_start_language_place_then_a_question_in_ukrainian(
    chat: Chat, conversation: Conversation
) -> None:
    chat.hint = "uk-UA"
    [picker] = await chat.send("/start")
    assert picker.kind == "language_picker"
    labels = [label for label, _ in buttons(picker)]
    assert labels[0] == "українська"  # Telegram's language_code first
    assert {"Deutsch", "English", "русский", "العربية", "Türkçe", "فارسی"} <= set(labels)
    assert actions(picker)[0] == "lang:uk"

    welcome, place = await chat.press("lang:uk")
    assert welcome.kind == "welcome" and "/delete" in welcome.text
    assert place.kind == "place_question"
    assert actions(place)[:2] == ["place:stadt_osnabrueck", "place:sg_bersenbrueck"]

    [saved] = await chat.press("place:stadt_osnabrueck")
    assert "Stadt Osnabrück" in saved.text

    [card] = await chat.send("registration uk question 4")
    assert card.kind == "answer"
    assert "registration title uk" in card.text and "City Office" in card.text
    assert "District Office" not in card.text
    assert (
        ("topic:emergency" in actions(card))
        and "fb:1:registration" in actions(card)
        and "human" in actions(card)
    )
    user = await stored_user(conversation)
    assert user is not None and (user.language, user.region) == ("uk", "stadt_osnabrueck")


async def test_place_dependent_question_asks_the_place_first_then_answers(chat: Chat) -> None:
    [question] = await chat.send("registration de question 7")
    assert question.kind == "place_question"
    saved, card = await chat.send("Ich wohne in Ankum")
    assert saved.kind == "place_saved" and "Bersenbrück" in saved.text
    assert card.kind == "answer" and "District Office" in card.text and "City Office" not in card.text


async def test_a_question_written_with_the_place_is_answered_with_it(chat: Chat) -> None:
    await chat.send("/start")
    _, asked = await chat.press("lang:de")
    assert asked.kind == "place_question"
    saved, card = await chat.send("Ich wohne in Ankum, registration de question 4")
    assert saved.kind == "place_saved" and "Bersenbrück" in saved.text
    assert card.kind == "answer" and "District Office" in card.text


async def test_a_question_instead_of_the_place_is_kept_and_the_place_asked_again(chat: Chat) -> None:
    await chat.send("/start")
    await chat.press("lang:de")
    [asked] = await chat.send("registration de question 4")
    assert asked.kind == "place_question"  # not "I do not know that place"
    saved, card = await chat.send("Ankum")
    assert saved.kind == "place_saved" and card.kind == "answer" and "District Office" in card.text


async def test_an_emergency_written_with_the_place_gets_the_numbers_first(
    chat: Chat, conversation: Conversation
) -> None:
    await chat.send("/start")
    await chat.press("lang:de")
    first, *_ = await chat.send("Ich wohne in Ankum, mein Mann schlägt mich")
    assert first.kind == "emergency" and "112" in first.text
    assert await count(conversation, Case, Case.urgent.is_(True)) == 1
    user = await stored_user(conversation)
    assert user is not None and user.region == "sg_bersenbrueck"


async def test_moving_away_saves_the_new_place_without_asking_again(
    chat: Chat, conversation: Conversation
) -> None:
    await chat.send("/place")
    await chat.send("Osnabrück")
    [saved] = await chat.send("Ich bin nach Ankum umgezogen")
    assert saved.kind == "place_saved" and "Bersenbrück" in saved.text
    user = await stored_user(conversation)
    assert user is not None and (user.region, user.state) == ("sg_bersenbrueck", None)


async def test_a_move_with_a_question_saves_the_place_and_offers_the_topic(chat: Chat) -> None:
    await chat.send("/place")
    await chat.send("Osnabrück")
    saved, offered = await chat.send("Ich bin nach Ankum umgezogen, registration de question")
    assert saved.kind == "place_saved" and "Bersenbrück" in saved.text
    assert offered.kind == "clarify" and "topic:registration" in actions(offered)


async def test_a_misspelt_place_is_recognised(chat: Chat) -> None:
    await chat.send("/place")
    [saved] = await chat.send("osnabruk")
    assert saved.kind == "place_saved" and "Stadt Osnabrück" in saved.text


async def test_an_unknown_place_is_asked_again(chat: Chat) -> None:
    await chat.send("/place")
    [again] = await chat.send("Hamburg")
    assert again.kind == "place_unknown"
    assert "place:stadt_osnabrueck" in actions(again)


async def test_a_story_instead_of_the_place_gets_an_honest_answer_not_an_unknown_place(chat: Chat) -> None:
    await chat.send("/start")
    _, asked = await chat.press("lang:de")
    assert asked.kind == "place_question"
    [reply] = await chat.send("Ich habe einen Brief vom Amt bekommen und verstehe nicht, was ich tun soll")
    assert reply.kind == "fallback"  # "I do not know the answer …", with a person and the topics
    assert "human" in actions(reply)
    await chat.send("/place")
    [again] = await chat.send("Wohne in Hamburg")  # short: a place, just not one of ours
    assert again.kind == "place_unknown"


async def test_emergency_numbers_come_first_and_open_an_urgent_case(
    chat: Chat, conversation: Conversation
) -> None:
    replies = await chat.send("Hilfe, meine Wohnung brennt!")
    assert replies[0].kind == "emergency" and "112" in replies[0].text
    assert replies[-1].kind == "handoff"
    assert "clarify" not in [reply.kind for reply in replies]  # the text says it: nothing else offered
    assert await count(conversation, Case, Case.urgent.is_(True), Case.status == "open") == 1


async def test_an_unsure_urgent_reading_offers_what_else_it_may_be_under_the_numbers(
    chat: Chat, conversation: Conversation
) -> None:
    # The matcher reads registration (0.55) with emergency close behind (0.45): urgent wins, and the
    # other topic is offered after the numbers, so a false alarm still leads to the answer.
    replies = await chat.send("emergency registration")
    assert [reply.kind for reply in replies] == ["emergency", "clarify", "handoff"]
    assert "112" in replies[0].text
    assert replies[1].text.startswith("Kein Notfall?") and actions(replies[1]) == ["topic:registration"]
    assert await count(conversation, Case, Case.urgent.is_(True), Case.status == "open") == 1
    [asked] = await chat.press("topic:registration")
    assert asked.kind == "place_question"


async def test_a_likely_topic_is_answered_and_what_else_it_may_be_is_a_tap_away(
    chat: Chat, conversation: Conversation, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A long message whose top topic is likely but not sure: it is answered (no "did you mean"
    # first), and the runner-up is offered under the answer in case the guess was wrong.
    likely = THRESHOLDS["rasa"].likely + 0.05
    # (The test content has two topics: the runner-up is the emergency topic, below its urgent threshold.)
    reading = Understanding(
        "registration", "registration", likely, (("registration", likely), ("emergency", 0.2)), None, "rasa"
    )

    async def understand(text: str, *, language: str) -> Understanding:
        return reading

    await chat.send("/place")
    await chat.press("place:stadt_osnabrueck")
    monkeypatch.setattr(conversation.understander, "understand", understand)
    card, instead = await chat.send("Wir sind letzte Woche angekommen und wohnen jetzt bei meinem Bruder …")
    assert card.kind == "answer" and "registration title de" in card.text
    assert "topic:emergency" not in actions(card)  # the related topics give way to the runner-ups
    assert instead.kind == "clarify" and actions(instead) == ["topic:emergency"]
    assert instead.text.startswith("Nicht das, was Sie gefragt haben?")
    [numbers] = await chat.press("topic:emergency")
    assert numbers.kind == "emergency" and "112" in numbers.text
    assert await count(conversation, Case) == 0


async def test_help_asked_after_violence_that_is_over_is_answered_without_the_alarm(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Issue #23: counselling asked after violence long past got the emergency card and an urgent case.
    conversation = build_conversation(database, PROJECT_ROOT / "content")
    chat = Chat(conversation, hint="en")
    # Rasa reads violence protection, the semantic net reads no danger now (as they do: test_crisis).
    reading = Understanding(
        "violence_protection",
        "violence_protection",
        0.97,
        (("violence_protection", 0.97), ("psychosocial_support", 0.02)),
        None,
        "rasa",
        crisis=CrisisReading(0.02, 0.04),
    )

    async def understand(text: str, *, language: str) -> Understanding:
        return reading

    monkeypatch.setattr(conversation.understander, "understand", understand)
    try:
        await chat.send("/start")
        await chat.press("lang:en")
        await chat.press("place:stadt_osnabrueck")
        card, *rest = await chat.send(
            "My ex hit me back home. I am safe now. Is there counselling for women?"
        )
        assert card.kind == "answer" and "116 016" in card.text
        assert card.text.index("110") < card.text.index("116 016")  # the police first, still
        assert "human" in actions(card) and [reply.kind for reply in rest] == []
        assert await count(conversation, Case) == 0
        # The same reading of a message that does not say the danger is over: the alarm.
        replies = await chat.send("My ex hit me back home. Is there counselling for women?")
        assert replies[0].kind == "emergency" and "112" in replies[0].text
        assert await count(conversation, Case, Case.urgent.is_(True), Case.status == "open") == 1
    finally:
        await conversation.understander.aclose()


async def test_while_a_case_is_open_messages_go_to_the_case(chat: Chat, conversation: Conversation) -> None:
    [opened] = await chat.send("/human")
    assert opened.kind == "handoff"
    [ack] = await chat.send("Ich möchte lieber mit jemandem sprechen")
    assert ack.kind == "forwarded"
    assert await count(conversation, CaseEvent, CaseEvent.kind == "user_message") == 1
    # ... but an emergency still gets the numbers at once
    replies = await chat.send("Hilfe, Feuer!")
    assert replies[0].kind == "emergency" and replies[-1].kind == "forwarded"
    assert await count(conversation, Case, Case.urgent.is_(True)) == 1


async def test_while_a_case_is_open_the_bot_still_answers_what_it_knows(
    chat: Chat, conversation: Conversation, clock: object
) -> None:
    from datetime import UTC, datetime

    clock.now = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)  # type: ignore[attr-defined]  # a Saturday
    await chat.press("place:stadt_osnabrueck")
    await chat.send("/human")
    card, note = await chat.send("registration de question 2")
    assert card.kind == "answer" and "City Office" in card.text
    assert note.kind == "forwarded" and "bleibt offen" in note.text and "30. November 2026" in note.text
    assert await count(conversation, CaseEvent, CaseEvent.kind == "user_message") == 1  # staff see it
    assert await count(conversation, Case, Case.status == "open") == 1
    # The question the bot cannot answer is left to the team, not met with "I do not know".
    [ack] = await chat.send("xylophon quwkz")
    assert ack.kind == "forwarded" and "bleibt offen" not in ack.text
    assert await count(conversation, Case) == 1


async def test_no_thanks_to_a_person_is_not_answered_you_are_welcome(chat: Chat) -> None:
    chat.hint = "en"
    await chat.press("place:stadt_osnabrueck")
    await chat.send("registration en question 3")
    await chat.press("fb:0:registration")
    [answer] = await chat.press("noop")
    assert "welcome" not in answer.text and "/menu" in answer.text


async def test_outside_staff_hours_the_user_learns_when_the_team_is_back(chat: Chat, clock: object) -> None:
    from datetime import UTC, datetime

    clock.now = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)  # type: ignore[attr-defined]  # a Saturday
    chat.hint = "en"
    [opened] = await chat.send("/human")
    assert "not working right now" in opened.text and "November 30, 2026" in opened.text


async def test_two_misses_in_a_row_offer_a_person_and_open_a_case(
    chat: Chat, conversation: Conversation
) -> None:
    [first] = await chat.send("xylophon quwkz")
    assert first.kind == "fallback" and "human" in actions(first)
    second = await chat.send("zebu pfmmk")
    assert [r.kind for r in second] == ["fallback", "handoff"]
    assert await count(conversation, Case, Case.reason == "failed_twice") == 1
    assert await count(conversation, UnansweredQuestion, UnansweredQuestion.reason == "fallback") == 2


async def test_not_helpful_records_the_question_and_offers_a_person(
    chat: Chat, conversation: Conversation
) -> None:
    await chat.press("place:stadt_osnabrueck")
    await chat.send("registration de question 3")
    [offer] = await chat.press("fb:0:registration")
    assert offer.kind == "offer_person"
    async with conversation.database.session() as session:
        missed = (await session.execute(select(UnansweredQuestion))).scalar_one()
    assert (missed.reason, missed.nearest_topic, missed.text) == (
        "not_helpful",
        "registration",
        "registration de question 3",
    )
    [opened] = await chat.press("human")
    assert opened.kind == "handoff"
    assert await count(conversation, Case, Case.reason == "not_helpful") == 1
    assert await count(conversation, Feedback, Feedback.helpful.is_(False)) == 1


async def test_delete_removes_everything_at_once_after_confirmation(
    chat: Chat, conversation: Conversation
) -> None:
    await chat.press("lang:de")
    await chat.press("place:stadt_osnabrueck")
    await chat.send("registration de question 3")
    await chat.send("/human")
    [question] = await chat.send("/delete")
    assert actions(question) == ["delete:yes", "delete:no"]
    [done] = await chat.press("delete:yes")
    assert done.kind == "deleted"
    assert await count(conversation, Message) == 0
    assert await count(conversation, CaseEvent) == 0
    assert await count(conversation, Case, Case.status == "deleted", Case.user_id.is_(None)) == 1
    # The bare row that carried the reply went once it was delivered (tests/privacy/test_delete.py).
    assert await stored_user(conversation) is None


async def test_delete_needs_the_confirmation(chat: Chat, conversation: Conversation) -> None:
    await chat.send("registration de question 3")
    [refused] = await chat.press("delete:yes")  # no /delete before: a stale or forged button
    assert refused.kind == "stale_button"
    await chat.send("/delete")
    [kept] = await chat.press("delete:no")
    assert kept.kind == "kept"
    assert await count(conversation, Message) > 0


async def test_a_redelivered_update_is_answered_once(chat: Chat, conversation: Conversation) -> None:
    first = await chat.send("/help", key="telegram:77")
    again = await chat.send("/help", key="telegram:77")
    assert len(first) == 1 and again == []
    assert await count(conversation, OutboxEntry) == 1


async def test_a_restart_between_commit_and_send_sends_the_reply_once(conversation: Conversation) -> None:
    update = Incoming(channel="telegram", user="42", kind="command", text="/help", key="telegram:5")
    lost = await conversation.handle(update)  # committed and claimed, then the worker died before sending
    # Within the lease nobody takes it over: the claim may belong to a worker that is still sending.
    assert await conversation.handle(update) == []
    async with conversation.database.session() as session, session.begin():
        await session.execute(
            update_(OutboxEntry).values(claimed_at=outbox.now() - outbox.LEASE - timedelta(seconds=1))
        )
    redelivered = await conversation.handle(update)  # Telegram delivers the update again, the lease is over
    assert [d.id for d in redelivered] == [d.id for d in lost]
    await outbox.mark_delivered(conversation.database, [d.id for d in redelivered])
    assert await conversation.handle(update) == []


async def test_menu_browses_categories_and_topics(chat: Chat) -> None:
    [areas] = await chat.send("/menu")
    assert actions(areas) == ["cat:arrival:0", "cat:health:0"]
    [page] = await chat.press("cat:arrival:0")
    assert "topic:registration" in actions(page) and "menu" in actions(page)
    [asked] = await chat.press("topic:registration")
    assert asked.kind == "place_question"


async def test_tampered_buttons_get_a_clear_answer(chat: Chat) -> None:
    for forged in (
        "topic:nope",
        "cat:arrival:x",
        "lang:xx",
        "rate:1:9",
        "place:'; DROP TABLE users;--",
        "fb:2:x",
        "???",
    ):
        [answer] = await chat.press(forged)
        assert answer.kind == "stale_button", forged


async def test_what_the_bot_cannot_read_gets_a_polite_reply(chat: Chat) -> None:
    for what in ("voice", "photo", "sticker", "document", "location", "edited", "something-new"):
        [answer] = await chat.sends_unsupported(what)
        assert answer.kind == "unsupported" and answer.text
    [long] = await chat.send("a" * (MAX_TEXT + 1))
    assert long.kind == "too_long" and str(MAX_TEXT) in long.text
    [blank] = await chat.send("   ")
    assert blank.kind == "empty"


async def test_writing_in_another_language_offers_to_switch(chat: Chat) -> None:
    await chat.press("lang:de")
    replies = await chat.send("Где мне найти курсы немецкого языка для взрослых?")
    assert replies[-1].kind == "language_offer"
    assert actions(replies[-1]) == ["lang:ru"] and replies[-1].language == "ru"


async def test_arabic_replies_are_marked_right_to_left(chat: Chat) -> None:
    await chat.press("lang:ar")
    [card] = await chat.press("topic:emergency")
    assert card.rtl and card.language == "ar"
    assert all(line.startswith("\u200f") for line in card.text.split("\n"))


async def test_writing_again_soon_after_a_closed_case_reopens_it(
    chat: Chat, conversation: Conversation, clock: object
) -> None:
    from datetime import timedelta

    from sqlalchemy import update

    await chat.send("/human")
    async with conversation.database.session() as session, session.begin():
        await session.execute(update(Case).values(status="closed", closed_at=clock.now, outcome="answered"))  # type: ignore[attr-defined]
    [thanks] = await chat.send("danke")  # smalltalk does not reopen
    assert thanks.kind == "smalltalk"
    clock.now += timedelta(days=2)  # type: ignore[attr-defined]
    asked, ack = await chat.send("registration de question 9")  # answered, and the case reopened
    assert asked.kind == "place_question" and ack.kind == "forwarded"
    assert await count(conversation, Case, Case.status == "open") == 1
    clock.now += timedelta(days=5)  # type: ignore[attr-defined]
    async with conversation.database.session() as session, session.begin():
        await session.execute(update(Case).values(status="closed", closed_at=clock.now - timedelta(days=4)))  # type: ignore[attr-defined]
    [asked] = await chat.send("registration de question 9")  # too long ago: the bot answers again
    assert asked.kind == "place_question"
