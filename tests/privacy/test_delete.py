"""/delete does what its reply promises: "everything stored about you has been deleted".

It kept the user's id (for Telegram the chat id) in `users` for up to 90 days and in the outbox
for two days, and the deleted texts stayed in the SQLite file and its write-ahead log until a
checkpoint.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select, text

from bot.storage.database import Database, is_sqlite
from bot.storage.models import Base, ProcessedUpdate
from tests.support.chat import Chat, build_conversation

CHAT_ID = "987654321"
SECRET = "Geheimwort-Olena-4711"


async def everything_stored(database: Database) -> str:
    """Every row of every table, as text."""
    rows = []
    async with database.session() as session:
        for table in Base.metadata.sorted_tables:
            rows += [repr(tuple(row)) for row in (await session.execute(select(table))).all()]
    return "\n".join(rows)


async def a_conversation_then_delete(database: Database, content_dir: Path) -> Chat:
    chat = Chat(build_conversation(database, content_dir), user=CHAT_ID, channel="telegram")
    await chat.press("lang:de")
    await chat.press("place:stadt_osnabrueck")
    await chat.send(f"Wo kann ich mich anmelden? {SECRET}")  # not understood: also on the editors' list
    await chat.send(f"Was heißt {SECRET}?")
    await chat.send("/human")
    await chat.send(f"Bitte helfen Sie mir, {SECRET}")  # into the case
    assert SECRET in await everything_stored(database) and CHAT_ID in await everything_stored(database)
    await chat.send("/delete")
    [done] = await chat.press("delete:yes", key="telegram:4242")  # delivered, as the channel does
    assert done.kind == "deleted"
    return chat


async def test_after_delete_nothing_names_the_user_or_holds_their_words(
    database: Database, content_dir: Path
) -> None:
    chat = await a_conversation_then_delete(database, content_dir)
    stored = await everything_stored(database)
    assert CHAT_ID not in stored and SECRET not in stored
    # Of the keys of the user's updates, only the confirmation's is left (it guards against Telegram
    # sending that update again, and goes with the others after two days).
    async with database.session() as session:
        assert (await session.execute(select(ProcessedUpdate.key))).scalars().all() == ["telegram:4242"]
    # Writing again starts from the beginning.
    [picker] = await chat.send("/start")
    assert picker.kind == "language_picker"
    assert CHAT_ID in await everything_stored(database)
    await chat.conversation.understander.aclose()


async def test_after_delete_the_words_are_not_in_the_sqlite_files_either(
    database: Database, content_dir: Path
) -> None:
    if not is_sqlite(database.url):
        return  # PostgreSQL's files are the server's business (VACUUM)
    async with database.engine.connect() as connection:
        assert (await connection.execute(text("PRAGMA secure_delete"))).scalar_one() == 1
    chat = await a_conversation_then_delete(database, content_dir)
    path = Path(str(database.engine.url.database))
    on_disk = b"".join(
        file.read_bytes() for file in (path, path.with_name(path.name + "-wal")) if file.exists()
    )
    assert SECRET.encode() not in on_disk
    assert CHAT_ID.encode() not in on_disk
    await chat.conversation.understander.aclose()
