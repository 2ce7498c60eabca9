"""The soak harness (bench/soak.py) works: a few seconds of users writing while the Bot API answers
429 and 500 at random and the NLU is killed and started again, then the full account.

The NLU here is the harness's stub (it starts in milliseconds; the real Rasa is for `make soak`), and
the database SQLite; PostgreSQL is not restarted from a test, other tests use it. No timing is
asserted: speed targets live only in the benchmark.
"""

from __future__ import annotations

from pathlib import Path

from bench.soak import Options, Soak


async def test_soak_harness_accounts_for_every_message_through_faults(tmp_path: Path) -> None:
    options = Options(
        seconds=8.0,
        users=4,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'soak.db'}",
        stub_rasa=True,
        restart_postgres=False,
        fault_fraction=0.2,
        breaker_cooldown=0.5,
        think=(0.05, 0.2),
        work_dir=tmp_path,
    )

    report = await Soak(options).run()
    print(report.to_json())

    facts = report.facts
    assert facts["user_messages"] >= options.users, facts
    assert sum(facts["bot_api_faults"].values()) >= 1, facts  # faults really fired
    assert facts["breaker"]["times_opened"] >= 1, facts
    assert report.checks == {
        "every message got exactly one reply (none lost, none duplicated)": True,
        "circuit breaker opened and closed again": True,
        "the database holds every user message and every reply": True,
        "no process crashed": True,
    }, report.to_json()
