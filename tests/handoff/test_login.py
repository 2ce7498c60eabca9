"""Logging in to the console under attack: hash checks hold no database connection, and a client
that keeps guessing is made to wait."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, update

from bot.handoff import staff
from bot.server.services import Services
from bot.storage.database import Database
from bot.storage.models import LoginAttempt
from tests.handoff.conftest import PASSWORD, add_staff, log_in

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
