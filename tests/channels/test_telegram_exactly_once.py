"""Every message gets exactly one answer: duplicates, restarts in the middle, 429 and 5xx from the
Bot API, a database that hiccups. On SQLite and on PostgreSQL (the production database)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.channels.telegram import stop_application
from bot.conversation import outbox
from bot.conversation.core import Conversation
from bot.conversation.messages import Delivery, Incoming
from bot.storage.database import Database
from bot.storage.models import OutboxEntry
from tests.channels.conftest import Starter
from tests.support.bot_api import BotApiServer

FAST = {"outbox_interval": 0.2}  # the outbox loop retries quickly in tests


@pytest.fixture
async def db(database: Database) -> AsyncIterator[Database]:
    """These tests run on SQLite and PostgreSQL (see tests/conftest.py)."""
    yield database


async def undelivered(database: Database) -> int:
    async with database.session() as session:
        query = select(func.count()).select_from(OutboxEntry).where(OutboxEntry.delivered_at.is_(None))
        return int((await session.execute(query)).scalar_one())


def sends_to(server: BotApiServer, chat_id: int) -> list[int]:
    """The status of each sendMessage to the chat, in order."""
    return [c.status for c in server.calls_of("sendMessage") if str(c.params.get("chat_id")) == str(chat_id)]


async def test_an_update_delivered_again_after_a_restart_is_not_answered_again(
    bot_api: BotApiServer, start_telegram: Starter, conversation: Conversation
) -> None:
    bot_api.lose_confirmations = True  # the worker dies before Telegram hears that it got the update
    first = await start_telegram()
    update = bot_api.send_text(5001, "/help")
    await bot_api.replies(5001, 1)
    await stop_application(first)
    await start_telegram()
    await bot_api.wait_for_call("getUpdates", predicate=lambda c: bool(c.result))
    await bot_api.no_more_replies(5001, within=1.0)
    assert bot_api.times_delivered(update) == 2  # the second worker really got it again
    assert sends_to(bot_api, 5001) == [200]
    assert await undelivered(conversation.database) == 0


async def test_a_restart_after_the_core_committed_but_before_the_reply_was_sent(
    bot_api: BotApiServer, start_telegram: Starter, conversation: Conversation
) -> None:
    first = await start_telegram(outbox_interval=3600)  # this worker will not get to retry
    bot_api.fail("sendMessage", times=1, status=500)
    bot_api.send_text(5002, "/privacy")
    await bot_api.wait_for_call("sendMessage", predicate=lambda c: c.status == 500)
    await stop_application(first)
    assert await undelivered(conversation.database) == 1  # committed, not sent: waiting in the outbox

    await start_telegram(**FAST)
    [reply] = await bot_api.replies(5002, 1)
    assert "90" in reply.text  # the privacy notice (retention days)
    await bot_api.no_more_replies(5002, within=1.0)
    assert sends_to(bot_api, 5002) == [500, 200]
    assert await undelivered(conversation.database) == 0


async def test_a_restart_before_confirming_and_before_sending_still_answers_once(
    bot_api: BotApiServer, start_telegram: Starter, conversation: Conversation
) -> None:
    """The update comes again (never confirmed) *and* its reply waits in the outbox: the new
    worker's outbox loop and its handling of the redelivered update both find the same reply."""
    bot_api.lose_confirmations = True
    first = await start_telegram(outbox_interval=3600)
    bot_api.fail("sendMessage", times=1, status=500)
    update = bot_api.send_text(5003, "/privacy")
    await bot_api.wait_for_call("sendMessage", predicate=lambda c: c.status == 500)
    await stop_application(first)

    await start_telegram(**FAST)
    await bot_api.replies(5003, 1)
    await bot_api.no_more_replies(5003, within=1.5)
    assert bot_api.times_delivered(update) == 2
    assert sends_to(bot_api, 5003) == [500, 200]


async def test_429_is_waited_out_and_the_reply_arrives_once(
    bot_api: BotApiServer, start_telegram: Starter
) -> None:
    await start_telegram(**FAST)
    bot_api.fail("sendMessage", times=2, status=429, retry_after=1)
    bot_api.send_text(5004, "/help")
    await bot_api.replies(5004, 1, timeout=10)
    await bot_api.no_more_replies(5004)
    assert sends_to(bot_api, 5004) == [429, 429, 200]


async def test_429_beyond_the_rate_limiters_patience_leaves_the_reply_to_the_outbox(
    bot_api: BotApiServer, start_telegram: Starter, conversation: Conversation
) -> None:
    await start_telegram(**FAST)
    bot_api.fail("sendMessage", times=4, status=429, retry_after=1)  # the rate limiter retries 3 times
    bot_api.send_text(5005, "/help")
    await bot_api.replies(5005, 1, timeout=15)
    await bot_api.no_more_replies(5005)
    assert sends_to(bot_api, 5005) == [429, 429, 429, 429, 200]
    assert await undelivered(conversation.database) == 0


async def test_5xx_from_the_bot_api_is_retried_by_the_outbox(
    bot_api: BotApiServer, start_telegram: Starter
) -> None:
    await start_telegram(**FAST)
    bot_api.fail("sendMessage", times=2, status=500)
    bot_api.fail("getUpdates", times=1, status=502)  # polling recovers too
    bot_api.send_text(5006, "/help")
    await bot_api.replies(5006, 1, timeout=10)
    await bot_api.no_more_replies(5006)
    assert sends_to(bot_api, 5006) == [500, 200] or sends_to(bot_api, 5006) == [500, 500, 200]
    assert sends_to(bot_api, 5006)[-1] == 200 and sends_to(bot_api, 5006).count(200) == 1


async def test_a_user_who_blocked_the_bot_does_not_block_the_queue(
    bot_api: BotApiServer, start_telegram: Starter, conversation: Conversation
) -> None:
    await start_telegram(**FAST)
    bot_api.fail("sendMessage", times=1, status=403)
    bot_api.send_text(5007, "/help")
    await bot_api.wait_for_call("sendMessage", predicate=lambda c: c.status == 403)
    await asyncio.sleep(1.0)  # several outbox rounds
    assert sends_to(bot_api, 5007) == [403]  # dropped, not retried
    assert await undelivered(conversation.database) == 0
    bot_api.send_text(5008, "/help")  # everyone else is still answered
    await bot_api.replies(5008, 1)


async def test_a_database_hiccup_while_handling_is_retried(
    bot_api: BotApiServer, start_telegram: Starter, conversation: Conversation
) -> None:
    class Hiccup:
        """The real core, whose database fails the first time (as while PostgreSQL restarts)."""

        def __init__(self) -> None:
            self.database = conversation.database
            self.failures = 0

        async def handle(self, incoming: Incoming) -> list[Delivery]:
            if not self.failures:
                self.failures += 1
                raise ConnectionResetError("the database went away")
            return await conversation.handle(incoming)

    hiccup = Hiccup()
    await start_telegram(hiccup, **FAST)  # type: ignore[arg-type]
    bot_api.send_text(5009, "/help")
    await bot_api.replies(5009, 1)
    await bot_api.no_more_replies(5009)
    assert hiccup.failures == 1


async def test_many_users_under_random_faults_each_get_exactly_one_reply_per_message(
    bot_api: BotApiServer, start_telegram: Starter, conversation: Conversation
) -> None:
    """A small soak: 12 users, 3 messages each, while a fifth of sendMessage calls fail (429 or
    500) and some getUpdates calls fail."""
    await start_telegram(**FAST)
    bot_api.fail("sendMessage", fraction=0.1, status=429, retry_after=1, seed=1)
    bot_api.fail("sendMessage", fraction=0.1, status=500, seed=2)
    bot_api.fail("getUpdates", fraction=0.1, status=500, seed=3)
    users = range(6001, 6013)
    for round_ in range(3):
        for user in users:
            bot_api.send_text(user, "/help" if round_ != 1 else "/privacy", language_code="uk")
        await asyncio.sleep(0.05)
    for user in users:
        await bot_api.replies(user, 3, timeout=30)
    await asyncio.sleep(1.0)
    for user in users:
        await bot_api.no_more_replies(user, within=0)
    assert await undelivered(conversation.database) == 0
    assert sum(f.triggered for f in bot_api._faults) > 0  # faults really happened


async def test_the_lease_hands_a_reply_of_a_dead_worker_to_another(
    bot_api: BotApiServer,
    start_telegram: Starter,
    conversation: Conversation,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A worker that claimed a reply and died before sending it (no release): once the claim's
    lease ran out, another worker's outbox loop sends it."""
    monkeypatch.setattr(outbox, "LEASE", timedelta(seconds=1))
    await start_telegram(**FAST)
    # What a dead worker leaves behind: a committed, claimed, unsent reply.
    stranded = await conversation.handle(
        Incoming("telegram", "5010", "command", "/help", "de", "telegram:99999")
    )
    assert stranded
    [reply] = await bot_api.replies(5010, 1, timeout=5)
    assert reply.text.startswith(stranded[0].reply.plain_text[:20])
    await bot_api.no_more_replies(5010)


async def test_a_redelivered_update_does_not_resend_a_reply_another_worker_is_sending(
    bot_api: BotApiServer, start_telegram: Starter, conversation: Conversation
) -> None:
    """Worker B's outbox loop has claimed the reply a dead worker left and is sending it (Telegram
    is slow) when Telegram delivers the unconfirmed update again: the reply must not go out twice."""
    bot_api.lose_confirmations = True
    first = await start_telegram(outbox_interval=3600)
    bot_api.fail("sendMessage", times=1, status=500)
    update = bot_api.send_text(5011, "/privacy")
    await bot_api.wait_for_call("sendMessage", predicate=lambda c: c.status == 500)
    await stop_application(first)

    bot_api.delay("sendMessage", 1.5)  # the outbox loop's send is still under way …
    await start_telegram(**FAST)  # … when the update arrives again
    await bot_api.replies(5011, 1, timeout=10)
    bot_api.delay("sendMessage", None)
    await bot_api.no_more_replies(5011, within=2.0)
    assert bot_api.times_delivered(update) == 2
    assert sends_to(bot_api, 5011) == [500, 200]
