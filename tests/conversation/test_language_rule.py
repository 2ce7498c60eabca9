"""Which language the bot answers in: the language a person clearly writes beats the phone's.

The channel's hint (the browser's Accept-Language, Telegram's language_code) is only a guess at the
person's language; a first message clearly written in another language sets that language, and
once a language is set (chosen or written) another one is only offered, named in itself. A place
name, an office word or a word or two never change anything (issue #25, item 2).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from bot.conversation.core import Conversation
from bot.i18n import normalize_language, texts
from bot.storage.models import Case, User
from tests.conftest import write_content_with_city_spellings
from tests.support.chat import Chat, actions

# A question in each of our languages, each typed on a phone set to another (a close one where
# there is one: those are the pairs statistics confuse).
FIRST_MESSAGES = [
    ("de", "en-US", "Wo kann ich hier einen Deutschkurs für Erwachsene finden?"),
    ("en", "de-DE", "Where can I find a German course for adults here?"),
    ("uk", "ru-RU", "Де мені знайти курси німецької мови для дорослих?"),
    ("ru", "uk-UA", "Где мне найти курсы немецкого языка для взрослых?"),
    ("ar", "fa-IR", "أين أجد دورة لغة ألمانية للكبار في المدينة؟"),
    ("fa", "ar", "کجا می‌توانم کلاس زبان آلمانی برای بزرگسالان پیدا کنم؟"),
    ("tr", "de-DE", "Yetişkinler için Almanca kursunu nerede bulabilirim?"),
    ("ku", "en-GB", "Ez li ku dikarim kursa almanî ji bo mezinan bibînim?"),
]
LANGUAGES = [language for language, _, _ in FIRST_MESSAGES]
# Place names alone, in the spellings people type (one the content does not list: "اسنابروک"),
# and words too few or too common to tell a language by.
NEVER_SWITCH = [
    "Оснабрюк",
    "в Оснабрюку",
    "اسنابروک",
    "أوسنابروك",
    "Osnabrück",
    "Ankum",
    "ok",
    "Hilfe",
    "danke",
    "Termin?",
    "Jobcenter Anmeldung",
    "112",
    "👍",
]


@pytest.fixture
def content_dir(tmp_path: Path) -> Path:
    return write_content_with_city_spellings(tmp_path / "content")


async def stored_language(conversation: Conversation, user: str = "chat-1") -> str | None:
    async with conversation.database.session() as session:
        return await session.scalar(select(User.language).where(User.external_id == user))


@pytest.mark.parametrize(("language", "hint", "text"), FIRST_MESSAGES, ids=LANGUAGES)
async def test_a_first_message_clearly_in_another_language_sets_it(
    chat: Chat, conversation: Conversation, language: str, hint: str, text: str
) -> None:
    chat.hint = hint
    replies = await chat.send(text)
    assert replies and {reply.language for reply in replies} == {language}, [r.plain_text for r in replies]
    assert "language_offer" not in [reply.kind for reply in replies]
    assert await stored_language(conversation) == language
    [help_] = await chat.send("/help")  # what follows stays in it
    assert help_.language == language


@pytest.mark.parametrize(("language", "hint", "text"), FIRST_MESSAGES, ids=LANGUAGES)
async def test_after_a_choice_another_language_is_offered_in_itself(
    chat: Chat, language: str, hint: str, text: str
) -> None:
    chosen = normalize_language(hint)
    await chat.press(f"lang:{chosen}")
    *answered, offer = await chat.send(text)
    assert answered and {reply.language for reply in answered} == {chosen}
    assert offer.kind == "language_offer" and offer.language == language
    assert texts(language).native_name() in offer.text and actions(offer) == [f"lang:{language}"]


@pytest.mark.parametrize("language", LANGUAGES)
async def test_place_names_and_a_word_or_two_never_switch(conversation: Conversation, language: str) -> None:
    for number, text in enumerate(NEVER_SWITCH):
        chat = Chat(conversation, user=f"person-{number}", hint=language)
        first = await chat.send(text)
        assert {reply.language for reply in first} == {language}, text
        assert await stored_language(conversation, chat.user) is None, text
        await chat.press(f"lang:{language}")
        chosen = await chat.send(text)
        assert "language_offer" not in [reply.kind for reply in chosen], text
        assert {reply.language for reply in chosen} == {language}, text


async def test_turkish_typed_on_a_german_phone_gets_turkish_numbers_and_a_turkish_case(
    chat: Chat, conversation: Conversation
) -> None:
    chat.hint = "de-DE"
    replies = await chat.send("Merhaba, acil yardım lazım, kocam beni dövüyor")
    assert replies[0].kind == "emergency" and "112" in replies[0].text and replies[0].language == "tr"
    async with conversation.database.session() as session:
        case = (await session.execute(select(Case))).scalar_one()
    assert case.urgent and case.language == "tr"  # the console's language tag


async def test_a_ukrainian_writing_a_sentence_without_ukrainian_letters_is_not_offered_russian(
    chat: Chat,
) -> None:
    chat.hint = "uk-UA"
    await chat.press("lang:uk")
    replies = await chat.send("Я живу в Оснабрюку")
    assert "language_offer" not in [reply.kind for reply in replies]
    assert {reply.language for reply in replies} == {"uk"}
