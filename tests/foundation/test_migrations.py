"""Every schema change is a migration: upgrade on an empty database of both kinds gives the models' schema."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import inspect, select

from bot.cli import main
from bot.storage import migrate
from bot.storage.database import Database
from bot.storage.models import Base, Message, User


async def _tables(database: Database) -> set[str]:
    async with database.engine.connect() as connection:
        return set(await connection.run_sync(lambda c: inspect(c).get_table_names()))


async def test_upgrade_creates_every_model_table(database: Database) -> None:
    assert set(Base.metadata.tables) <= await _tables(database)


async def test_migrated_schema_matches_models(database: Database) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    def diff(connection):  # type: ignore[no-untyped-def]
        return compare_metadata(MigrationContext.configure(connection), Base.metadata)

    async with database.engine.connect() as connection:
        assert await connection.run_sync(diff) == []


def test_downgrade_to_base_and_up_again(database_url: str) -> None:
    # Synchronous on purpose: Alembic runs its own event loop, as `wegweiser db upgrade` does.
    async def tables_now() -> set[str]:
        database = Database(database_url)
        try:
            return await _tables(database)
        finally:
            await database.dispose()

    migrate.downgrade(database_url, "base")
    assert asyncio.run(tables_now()) <= {"alembic_version"}
    migrate.upgrade(database_url)
    assert set(Base.metadata.tables) <= asyncio.run(tables_now())


async def test_one_unit_of_work_round_trip_and_cascade(database: Database) -> None:
    async with database.session() as session, session.begin():
        user = User(channel="telegram", external_id="42", language="uk-UA", region="melle")
        session.add(user)
        await session.flush()
        session.add(Message(user_id=user.id, direction="in", text="Де зробити Anmeldung?"))
    async with database.session() as session, session.begin():
        stored = (await session.execute(select(User))).scalar_one()
        assert stored.language == "uk-UA"  # a full BCP 47 tag fits
        await session.delete(stored)
    async with database.session() as session:
        assert (await session.execute(select(Message))).first() is None


def test_a_file_that_is_no_database_is_one_line_and_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("not a database\n" * 100)
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{notes}")
    assert main(["db", "upgrade"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert err.startswith(
        "wegweiser: database migration failed (DatabaseError: (sqlite3.DatabaseError) file is not"
    )
