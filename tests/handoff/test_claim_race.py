"""Two people press "claim" at the same moment: exactly one gets the case (PostgreSQL, real concurrency)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from bot.handoff import cases
from bot.storage.database import Database
from bot.storage.models import Case, CaseEvent, StaffAccount
from tests.handoff.conftest import add_case, add_staff

pytestmark = [pytest.mark.postgres, pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)]


async def test_the_second_claimer_waits_for_the_first_and_then_loses(database: Database) -> None:
    case = await add_case(database)
    anna, ben = await add_staff(database, "anna"), await add_staff(database, "ben")
    first, second = database.session(), database.session()
    try:
        await first.begin()
        assert await cases.claim_case(first, case.id, anna)  # row locked, not yet committed
        await second.begin()
        racing = asyncio.create_task(cases.claim_case(second, case.id, ben))
        await asyncio.sleep(0.3)
        assert not racing.done(), "the second UPDATE must wait for the first transaction"
        await first.commit()
        assert await asyncio.wait_for(racing, 5) is False
        await second.commit()
    finally:
        await first.close()
        await second.close()
    async with database.session() as session:
        stored = await session.get(Case, case.id)
        assert stored is not None and stored.status == "claimed" and stored.claimed_by == anna.id
        claims = (await session.execute(select(CaseEvent).where(CaseEvent.text == "claimed"))).scalars().all()
        assert [event.author_id for event in claims] == [anna.id]


async def test_many_concurrent_claimers_exactly_one_wins(database: Database) -> None:
    case = await add_case(database)
    people = [await add_staff(database, f"person{n}") for n in range(8)]
    start = asyncio.Event()

    async def claim(person: StaffAccount) -> bool:
        async with database.session() as session, session.begin():
            await session.connection()  # each on its own connection before the start signal
            await start.wait()
            return await cases.claim_case(session, case.id, person)

    attempts = [asyncio.create_task(claim(person)) for person in people]
    await asyncio.sleep(0.2)
    start.set()
    results = await asyncio.gather(*attempts)
    assert results.count(True) == 1
    winner = people[results.index(True)]
    async with database.session() as session:
        stored = await session.get(Case, case.id)
        assert stored is not None and stored.claimed_by == winner.id
        claims = (await session.execute(select(CaseEvent).where(CaseEvent.text == "claimed"))).scalars().all()
        assert len(claims) == 1
