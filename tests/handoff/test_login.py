"""Logging in to the console under attack: hash checks hold no database connection; a client that
keeps guessing waits longer and longer; nobody can lock out a staff member or tell which usernames
exist; a flood of failed logins is a few counted rows in the audit log."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event, select, update

from bot.handoff import staff
from bot.server.services import Services
from bot.storage.database import Database
from bot.storage.models import AuditEntry, LoginAttempt, StaffAccount
from tests.handoff.conftest import PASSWORD, add_staff, log_in, logged_in

ATTACKER = "203.0.113.66"
OFFICE = "198.51.100.7"


@asynccontextmanager
async def from_address(app: FastAPI, address: str) -> AsyncIterator[httpx.AsyncClient]:
    """A browser at `address`."""
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def time_passes(database: Database, seconds: float) -> None:
    """Every recorded login attempt is `seconds` older."""
    async with database.session() as session, session.begin():
        for attempts in (await session.execute(select(LoginAttempt))).scalars():
            attempts.last_at -= timedelta(seconds=seconds)


@pytest.fixture(autouse=True)
def clock_stands_still(monkeypatch: pytest.MonkeyPatch) -> None:
    """Logins see one moment; time passes only when a test says so (`time_passes`)."""
    moment = datetime.now(UTC)
    monkeypatch.setattr(staff, "_now", lambda: moment)


@pytest.fixture
def password_checks(monkeypatch: pytest.MonkeyPatch, services: Services) -> list[int]:
    """The password hash checks: how many database connections the application held during each."""
    checks: list[int] = []
    real = staff._verify

    def verify(password_hash: str, password: str) -> bool:
        held = services.database.engine.pool.checkedout()  # type: ignore[attr-defined]
        checks.append(held)
        return real(password_hash, password)

    monkeypatch.setattr(staff, "_verify", verify)
    return checks


async def test_no_database_connection_is_held_while_a_password_is_checked(
    app: FastAPI, database: Database, password_checks: list[int]
) -> None:
    await add_staff(database)
    async with from_address(app, OFFICE) as browser:
        statuses = [
            (await log_in(browser, username, password)).status_code
            for username, password in (
                ("anna", PASSWORD),
                ("niemand", "irgendwas-langes"),
                ("anna", "falsch-falsch"),
            )
        ]
    assert statuses == [303, 401, 401]
    assert password_checks == [0, 0, 0]  # database connections held during each check


async def test_a_guessing_client_is_made_to_wait_longer_and_longer(
    app: FastAPI, database: Database, password_checks: list[int]
) -> None:
    await add_staff(database, "anna")
    await add_staff(database, "ben")
    async with from_address(app, ATTACKER) as attacker, from_address(app, OFFICE) as office:
        for n in range(staff.FREE_ATTEMPTS):
            assert (await log_in(attacker, "ben" if n % 2 else "anna", f"rate-mal-{n:04}")).status_code == 401
        refused = await log_in(attacker, "anna", PASSWORD)  # even the right password now waits
        assert refused.status_code == 429 and refused.headers["retry-after"] == "1"
        assert "Zu viele Anmeldeversuche. Bitte in 1 Sekunden noch einmal versuchen." in refused.text
        assert len(password_checks) == staff.FREE_ATTEMPTS  # refused without a hash check

        assert (await log_in(office, "anna")).status_code == 303  # anyone else logs in as ever

        for waited in (1, 2, 4, 8):
            await time_passes(database, waited)
            assert (await log_in(attacker, "anna", f"rate-mal-{waited:04}")).status_code == 401
            again = await log_in(attacker, "anna", PASSWORD)
            assert (again.status_code, again.headers["retry-after"]) == (429, str(2 * waited))
        async with database.session() as session, session.begin():
            await session.execute(update(LoginAttempt).values(failures=60))
        longest = await log_in(attacker, "anna", PASSWORD)
        assert longest.headers["retry-after"] == str(int(staff.CLIENT_WAIT_MAX.total_seconds()))
        assert len(password_checks) == staff.FREE_ATTEMPTS + 1 + 4


async def test_nobody_can_lock_out_a_named_staff_member(
    app: FastAPI, database: Database, password_checks: list[int]
) -> None:
    await add_staff(database, "anna")
    # Someone guesses anna's password from address after address, for hours.
    for hour in range(3):
        for n in range(10):
            async with from_address(app, f"203.0.113.{10 * hour + n}") as attacker:
                await log_in(attacker, "anna", f"rate-mal-{n:04}")
            await time_passes(database, 60)
    # anna, at the office, with the right password: at most a short wait, then she is in.
    async with from_address(app, OFFICE) as office:
        first = await log_in(office, "anna")
        if first.status_code == 429:
            assert int(first.headers["retry-after"]) <= staff.USER_WAIT_MAX.total_seconds()
            await time_passes(database, staff.USER_WAIT_MAX.total_seconds())
            first = await log_in(office, "anna")
        assert first.status_code == 303
        assert (await office.get("/staff")).status_code == 200
    # Her successful login clears the count for her name: the next guesses start from the beginning.
    async with database.session() as session:
        keys = set((await session.execute(select(LoginAttempt.key))).scalars())
    assert staff.user_key("anna") not in keys and f"client:{OFFICE}" not in keys


async def test_the_waits_for_a_username_stay_short_and_grow(app: FastAPI, database: Database) -> None:
    await add_staff(database, "anna")
    waits = []
    for n in range(staff.FREE_ATTEMPTS + 8):
        async with from_address(app, f"203.0.113.{n}") as attacker:
            answer = await log_in(attacker, "anna", "rate-mal-0000")
            if answer.status_code == 429:
                waits.append(int(answer.headers["retry-after"]))
                await time_passes(database, waits[-1])
                answer = await log_in(attacker, "anna", "rate-mal-0000")
            assert answer.status_code == 401
    assert waits == [1, 2, 4, 8, 16, 30, 30, 30]


def _same_page(html: str) -> str:
    return re.sub(r'name="csrf" value="[^"]+"', 'name="csrf" value=""', html)


async def test_an_unknown_username_gets_the_same_answers_after_the_same_work(
    app: FastAPI, services: Services, database: Database, password_checks: list[int]
) -> None:
    await add_staff(database, "anna")
    statements: list[str] = []

    def count(conn: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(statement)

    engine = services.database.engine.sync_engine
    seen: dict[str, tuple[list[tuple[int, str, str]], int, int]] = {}
    for username, address in (("anna", "203.0.113.1"), ("niemand", "203.0.113.2")):
        statements.clear()
        checks_before = len(password_checks)
        answers = []
        async with from_address(app, address) as guesser:
            for _ in range(staff.FREE_ATTEMPTS + 2):
                await guesser.get("/staff/login")
                event.listen(engine, "before_cursor_execute", count)
                try:
                    answer = await log_in(guesser, username, "rate-mal-0000")
                finally:
                    event.remove(engine, "before_cursor_execute", count)
                answers.append(
                    (answer.status_code, answer.headers.get("retry-after", ""), _same_page(answer.text))
                )
        seen[username] = (answers, len(password_checks) - checks_before, len(statements))
    assert seen["anna"] == seen["niemand"]
    answers, hash_checks, _ = seen["anna"]
    assert [status for status, _, _ in answers] == [401] * staff.FREE_ATTEMPTS + [429, 429]
    assert hash_checks == staff.FREE_ATTEMPTS  # a dummy hash for the unknown name, every time
    assert "gesperrt" not in answers[-1][2]
    async with database.session() as session:
        stored = " ".join((await session.execute(select(LoginAttempt.key))).scalars())
        stored += " ".join((await session.execute(select(AuditEntry.target))).scalars())
    assert "niemand" not in stored  # what a stranger typed is not kept


async def test_a_flood_of_failed_logins_is_a_few_counted_rows_in_the_audit_log(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    await add_staff(database, "ada", role="admin")
    await add_staff(database, "anna")
    async with from_address(app, ATTACKER) as attacker:
        for n in range(200):
            await log_in(attacker, "anna", f"rate-mal-{n:04}")
    async with database.session() as session:
        rows = (
            await session.execute(
                select(AuditEntry.action, AuditEntry.target, AuditEntry.client, AuditEntry.count)
                .where(AuditEntry.action.like("login%"))
                .order_by(AuditEntry.id)
            )
        ).all()
    assert [tuple(row) for row in rows] == [
        ("login_failed", "staff:anna", ATTACKER, staff.FREE_ATTEMPTS),
        ("login_waiting", "staff:anna", ATTACKER, 200 - staff.FREE_ATTEMPTS),
    ]
    await logged_in(client, "ada")
    audit = (await client.get("/staff/audit")).text
    assert f"×{200 - staff.FREE_ATTEMPTS}" in audit and "staff_add" in audit  # nothing pushed out


async def test_the_audit_log_pages(client: httpx.AsyncClient, database: Database) -> None:
    await add_staff(database, "ada", role="admin")  # staff_add
    async with database.session() as session, session.begin():
        account = (await session.execute(select(StaffAccount))).scalar_one()
        for n in range(250):
            await staff.audit(session, account, "note", f"case:{n}")
    await logged_in(client, "ada")  # login
    first = await client.get("/staff/audit")
    assert "252 Einträge · Seite 1 von 3" in first.text and "case:249" in first.text
    assert 'href="/staff/audit?page=2" rel="next"' in first.text
    last = await client.get("/staff/audit", params={"page": "3"})
    assert "staff_add" in last.text and "case:249" not in last.text
    assert (await client.get("/staff/audit", params={"page": "x"})).status_code == 200


async def test_parallel_logins_of_one_person_all_get_in(app: FastAPI, database: Database) -> None:
    """A double click on "Anmelden": one login clears the counts while the other counts its attempt."""
    await add_staff(database, "anna")

    async def log_in_from_the_office() -> int:
        async with from_address(app, OFFICE) as office:
            return (await log_in(office, "anna")).status_code

    assert await asyncio.gather(*(log_in_from_the_office() for _ in range(4))) == [303] * 4
