"""Dialogues through the real python-telegram-bot Application and the real conversation core, over
real HTTP against the loopback Bot API, in all eight languages; plus what Telegram etiquette says
to answer (private chats: everything) and to ignore (groups unless addressed, other bots)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.channels.telegram import TelegramApplication, channel_of
from bot.content.model import LANGUAGES
from bot.content.store import ContentStore
from bot.conversation import replies as say
from bot.conversation.core import LOCAL_TIME, command_menu
from bot.conversation.messages import MAX_TEXT, Button, Delivery, Reply
from bot.i18n import texts
from tests.channels.transcript import Media, Press, converse
from tests.support.bot_api import BotApiServer, SentMessage
from tests.support.chat import TUESDAY_MORNING

pytestmark = pytest.mark.usefixtures("telegram")

BOT = "@wegweiser_test_bot"


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_whole_conversation_in_each_language(
    bot_api: BotApiServer, content_dir: Path, language: str
) -> None:
    t = texts(language)
    content = ContentStore(content_dir).current
    city = content.region("stadt_osnabrueck")
    assert city is not None
    now = TUESDAY_MORNING.astimezone(LOCAL_TIME)
    [card] = say.answer(content, content.topics["registration"], t, city, now)
    more = say.more(content, content.topics["registration"], t, city, now)

    def hinted_language_first(message: SentMessage) -> bool:
        return message.labels[0] == t.native_name()

    await converse(
        bot_api,
        2000 + LANGUAGES.index(language),
        [
            ("/start", [(say.language_picker(language), hinted_language_first)]),
            (Press(t.native_name()), [say.welcome(t, 90), say.place_question(t, content)]),
            (Press("Stadt Osnabrück"), [say.place_saved(t, city)]),
            # The short answer first; its "More" button (callback data more:<topic>) shows the rest.
            (f"registration {language} question 4", [(card, f"registration short in {language}.")]),
            (Press("➕ " + t.gettext("More details")), [(more, f"registration answer in {language}.")]),
            (Press(data="fb:1:registration"), [say.feedback_thanks(t)]),
            (Media("voice"), [say.unsupported("voice", t)]),
            ("/help", [say.help_text(t)]),
        ],
        language_code=language,
    )


async def test_the_command_menu_is_set_in_each_language_and_by_default(bot_api: BotApiServer) -> None:
    for language in LANGUAGES:
        menu = bot_api.commands["default", language]
        assert [(c["command"], c["description"]) for c in menu] == command_menu(language)
    assert [c["command"] for c in bot_api.commands["default", ""]] == [c for c, _ in command_menu("en")]


@pytest.mark.parametrize(
    ("kind", "what"),
    [
        ("voice", "voice"),
        ("audio", "audio"),
        ("video", "video"),
        ("video_note", "video"),
        ("animation", "video"),
        ("photo", "photo"),
        ("sticker", "sticker"),
        ("document", "document"),
        ("location", "location"),
        ("venue", "location"),
        ("contact", "contact"),
        ("poll", "other"),
        ("dice", "other"),
    ],
)
async def test_what_the_bot_cannot_read_gets_a_polite_answer(
    bot_api: BotApiServer, kind: str, what: str
) -> None:
    await converse(bot_api, 3001, [(Media(kind), [say.unsupported(what, texts("tr"))])], language_code="tr")


async def test_an_edited_message_gets_a_polite_answer(bot_api: BotApiServer) -> None:
    t = texts("fa")
    asked = bot_api.send_text(3002, "/help", language_code="fa")
    await bot_api.replies(3002, 1)
    bot_api.edit_text(asked, "/privacy")
    [answer] = await bot_api.replies(3002, 1)
    assert answer.text == say.unsupported("edited", t).plain_text
    await bot_api.no_more_replies(3002)


async def test_an_over_long_message_is_passed_on_and_the_core_answers(bot_api: BotApiServer) -> None:
    await converse(
        bot_api, 3003, [("Frage " * 1000, [say.too_long(texts("de"), MAX_TEXT)])], language_code="de"
    )


async def test_a_language_code_we_do_not_speak_gets_english(bot_api: BotApiServer) -> None:
    await converse(bot_api, 3004, [("/help", [say.help_text(texts("en"))])], language_code="pt-BR")


async def test_callback_queries_are_answered_and_stale_buttons_explained(bot_api: BotApiServer) -> None:
    t = texts("ru")
    bot_api.send_text(3005, "/start", language_code="ru")
    [picker] = await bot_api.replies(3005, 1)
    press = bot_api.press_data(3005, "nonsense:42", message=picker, language_code="ru")
    [stale] = await bot_api.replies(3005, 1)
    assert stale.text == say.stale_button(t).plain_text
    answered = await bot_api.wait_for_call("answerCallbackQuery")
    assert answered[0].params["callback_query_id"] == press["callback_query"]["id"]


async def test_a_more_button_for_a_topic_that_does_not_exist_is_a_stale_button(bot_api: BotApiServer) -> None:
    bot_api.send_text(3006, "/start", language_code="de")
    [picker] = await bot_api.replies(3006, 1)
    for tampered in ("more:no_such_topic", "more:", "more:registration:x"):
        bot_api.press_data(3006, tampered, message=picker, language_code="de")
        [stale] = await bot_api.replies(3006, 1)
        assert stale.text == say.stale_button(texts("de")).plain_text


async def test_messages_from_other_bots_are_ignored(bot_api: BotApiServer) -> None:
    bot_api.send_text(3006, "/start", from_bot=True)
    bot_api.send_text(3006, "registration de question 1", from_bot=True)
    await bot_api.no_more_replies(3006, within=0.5)
    assert not bot_api.calls_of("sendMessage")


class TestGroups:
    """In a group the bot answers only when addressed: /command@bot, @bot, or a reply to it."""

    GROUP = -1001234

    async def test_unaddressed_messages_commands_and_media_are_ignored(self, bot_api: BotApiServer) -> None:
        bot_api.send_group_text(self.GROUP, "registration de question 1")
        bot_api.send_group_text(self.GROUP, "/help")  # may be meant for any bot in the group
        bot_api.send_group_text(self.GROUP, "/help@some_other_bot")
        bot_api.send_group_text(self.GROUP, "frag @someone_else")
        bot_api.push(
            {
                "message": {
                    "message_id": 90,
                    "date": 0,
                    "chat": {"id": self.GROUP, "type": "supergroup", "title": "Neu in Osnabrück"},
                    "from": {"id": 77, "is_bot": False, "first_name": "Neu"},
                    "new_chat_members": [{"id": 77, "is_bot": False, "first_name": "Neu"}],
                }
            }
        )
        await bot_api.no_more_replies(self.GROUP, within=0.6)
        assert not bot_api.calls_of("sendMessage")

    async def test_a_command_with_the_bot_name_is_answered(self, bot_api: BotApiServer) -> None:
        bot_api.send_group_text(self.GROUP, f"/help{BOT}")
        [answer] = await bot_api.replies(self.GROUP, 1)
        assert answer.text == say.help_text(texts("de")).plain_text

    async def test_a_mention_is_answered_without_the_mention(
        self, bot_api: BotApiServer, content_dir: Path
    ) -> None:
        content = ContentStore(content_dir).current
        bot_api.send_group_text(self.GROUP, f"{BOT} registration de question 3")
        [answer] = await bot_api.replies(self.GROUP, 1)
        expected = say.place_question(texts("de"), content, content.topics["registration"])
        assert answer.text == expected.plain_text  # the topic was understood: the mention was removed

    async def test_a_reply_to_the_bot_is_answered(self, bot_api: BotApiServer) -> None:
        bot_api.send_group_text(self.GROUP, f"/help{BOT}")
        [help_message] = await bot_api.replies(self.GROUP, 1)
        bot_api.send_group_text(
            self.GROUP, "/privacy", reply_to=help_message
        )  # no @bot: addressed by the reply
        bot_api.send_group_text(self.GROUP, "und was ist mit mir?")  # not a reply: ignored
        [answer] = await bot_api.replies(self.GROUP, 1)
        assert answer.text == say.privacy(texts("de"), 90).plain_text
        await bot_api.no_more_replies(self.GROUP)

    async def test_an_edit_in_a_group_is_ignored(self, bot_api: BotApiServer) -> None:
        sent = bot_api.send_group_text(self.GROUP, f"/help{BOT}")
        await bot_api.replies(self.GROUP, 1)
        bot_api.edit_text(sent, f"/privacy{BOT}")
        await bot_api.no_more_replies(self.GROUP)


class TestSending:
    """Reply -> sendMessage: HTML, inline keyboards with callback and url buttons, Telegram's limits."""

    async def test_url_and_callback_buttons(
        self, bot_api: BotApiServer, telegram: TelegramApplication
    ) -> None:
        reply = Reply(
            "<b>Termin</b> buchen",
            buttons=((Button("Online buchen", url="https://example.org/book"), Button("Menü", "menu")),),
        )
        await channel_of(telegram).send(Delivery(0, "telegram", "4001", reply))
        [sent] = await bot_api.replies(4001, 1)
        assert sent.text == "Termin buchen" and sent.parse_mode == "HTML"
        assert sent.buttons == [
            [
                {"text": "Online buchen", "url": "https://example.org/book"},
                {"text": "Menü", "callback_data": "menu"},
            ]
        ]

    async def test_markup_telegram_refuses_is_sent_as_plain_text(
        self, bot_api: BotApiServer, telegram: TelegramApplication
    ) -> None:
        await channel_of(telegram).send(
            Delivery(0, "telegram", "4002", Reply("<blink>Öffnungszeiten</blink> 9–12"))
        )
        [sent] = await bot_api.replies(4002, 1)
        assert sent.text == "Öffnungszeiten 9–12" and sent.parse_mode is None
        assert [c.status for c in bot_api.calls_of("sendMessage")] == [400, 200]

    async def test_a_reply_over_telegrams_limit_arrives_in_pieces(
        self, bot_api: BotApiServer, telegram: TelegramApplication
    ) -> None:
        lines = [f"<b>Zeile {n}</b> " + "x" * 90 for n in range(70)]  # about 7 500 characters
        reply = Reply("\n".join(lines), buttons=((Button("Menü", "menu"),),))
        await channel_of(telegram).send(Delivery(0, "telegram", "4003", reply))
        first, second = await bot_api.replies(4003, 2)
        assert (first.text + "\n" + second.text).splitlines() == [
            line.replace("<b>", "").replace("</b>", "") for line in lines
        ]
        assert not first.buttons and second.labels == ["Menü"]
