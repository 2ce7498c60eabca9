"""`make soak`: the whole bot under steady load while things break, then a strict account.

Users write to the loopback Bot API for --minutes; the bot process (bench/worker.py: long polling,
conversation core, Rasa client, PostgreSQL) answers. Meanwhile:
- the Bot API answers sendMessage with 429 (retry_after) and 500, and getUpdates with 500, at random;
- Rasa is killed (SIGKILL) and, once the circuit breaker is open, started again;
- PostgreSQL is restarted (`pg_ctlcluster --skip-systemctl-redirect <version> main restart`).

Then injection stops, the bot gets time to send what waits in its outbox, and the soak asserts:
1. every user message got exactly one reply. A reply is the list of messages the core stored for the
   update in its outbox (usually one message; an answer to a place question or an emergency has two
   or three). Per chat, the messages the Bot API accepted must be exactly the stored ones (as a
   multiset of texts, each long one as the pieces Telegram's limit cuts it into): a stored message
   missing is a lost reply, one accepted twice is a duplicate; and every injected update has a
   processed_updates row and at least one stored reply, all marked delivered;
2. no process crashed: the bot worker ran throughout and exits 0 on SIGTERM; the restarted Rasa and
   PostgreSQL are up at the end;
3. the circuit breaker opened while Rasa was down and closed again after it came back (the worker
   samples the breaker every 0.2 s; its log says "NLU degraded" / "NLU recovered");
4. nothing written to the database was lost: every row committed before the PostgreSQL restart is
   still there, and the conversation log has one incoming message per injected update.
Writes var/bench/soak-results.json (or --out); exit code 1 when an assertion fails.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import subprocess
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import asyncpg
import uvicorn
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bench.common import (
    VAR,
    BotWorker,
    Question,
    RasaServer,
    TimedBotApi,
    free_port,
    outbox_entries,
    processed_keys,
    questions,
)
from bot.channels.telegram import split_text
from bot.storage import migrate
from bot.storage.database import Database
from bot.storage.models import Message, OutboxEntry, User
from tests.support.serving import QuietServer, listening_socket

DEFAULT_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/wegweiser_soak"
REPLY_TIMEOUT = 120.0  # a user waits this long for an answer before writing again anyway
DRAIN_TIMEOUT = 120.0  # after the load: time for the outbox to empty (a claim expires after 30 s)


# --- what can be killed ---------------------------------------------------------------------------------


class Nlu(Protocol):
    url: str

    def start(self) -> None: ...
    def kill(self) -> None: ...
    def stop(self) -> None: ...
    def alive(self) -> bool: ...


class StubRasa:
    """A stand-in for Rasa that starts in milliseconds (for the CI test of the harness): it answers
    `POST /model/parse` with a confident "greet" and `GET /status` with a model, on a fixed port, and
    can be killed and started again like the real one. Runs in its own thread with its own loop."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server: QuietServer | None = None
        self._thread: Any = None

    def _app(self) -> Starlette:
        async def parse(request: Request) -> JSONResponse:
            await request.body()
            intent = {"name": "greet", "confidence": 0.99}
            return JSONResponse({"intent": intent, "intent_ranking": [intent], "entities": []})

        async def status(request: Request) -> JSONResponse:
            return JSONResponse({"model_file": "stub.tar.gz"})

        return Starlette(
            routes=[Route("/model/parse", parse, methods=["POST"]), Route("/status", status, methods=["GET"])]
        )

    def start(self) -> None:
        import threading

        sock = listening_socket(self.port)
        config = uvicorn.Config(self._app(), log_config=None, access_log=False, lifespan="off")
        server = QuietServer(config)
        self._server = server
        self._thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[sock])), daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.01)

    def kill(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
            self._server.force_exit = True
            self._thread.join(timeout=10)
            self._server = None

    stop = kill

    def alive(self) -> bool:
        return self._server is not None and self._thread.is_alive()


# --- the database ------------------------------------------------------------------------------------------


def _admin_dsn(url: str) -> tuple[str, str]:
    parsed = make_url(url)
    admin = f"postgresql://{parsed.username or 'postgres'}@{parsed.host}:{parsed.port or 5432}/postgres"
    if parsed.password:
        admin = admin.replace("@", f":{parsed.password}@", 1)
    return admin, str(parsed.database)


async def fresh_postgres(url: str) -> None:
    admin, name = _admin_dsn(url)
    connection = await asyncpg.connect(admin)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


def restart_postgres() -> float:
    """Restart the local cluster the way an operator would; returns how long it took."""
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    started = time.monotonic()
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"],
        check=True,
        capture_output=True,
    )
    return time.monotonic() - started


async def postgres_up(url: str) -> bool:
    admin, _ = _admin_dsn(url)
    try:
        connection = await asyncpg.connect(admin, timeout=5)
    except (OSError, asyncpg.PostgresError):
        return False
    await connection.close()
    return True


@dataclass
class Snapshot:
    processed: set[str]
    outbox_ids: set[int]
    messages: int


async def snapshot(database: Database) -> Snapshot:
    async with database.session() as session:
        outbox_ids = set((await session.execute(select(OutboxEntry.id))).scalars())
        messages = (await session.execute(select(func.count()).select_from(Message))).scalar_one()
    return Snapshot(await processed_keys(database.url), outbox_ids, messages)


async def incoming_per_chat(database: Database) -> Counter[int]:
    async with database.session() as session:
        rows = (
            await session.execute(
                select(User.external_id, func.count())
                .join(Message, Message.user_id == User.id)
                .where(Message.direction == "in", User.channel == "telegram")
                .group_by(User.external_id)
            )
        ).all()
    return Counter({int(chat): count for chat, count in rows})


# --- the run ---------------------------------------------------------------------------------------------------


@dataclass
class Options:
    seconds: float = 180.0
    users: int = 20
    database_url: str | None = None  # None: DEFAULT_POSTGRES, created fresh
    stub_rasa: bool = False
    restart_postgres: bool = True
    kill_rasa: bool = True
    fault_fraction: float = 0.05
    breaker_cooldown: float | None = None  # None: the product's default
    think: tuple[float, float] = (0.2, 1.0)
    work_dir: Path = VAR / "soak"
    seed: int = 11


@dataclass
class Report:
    checks: dict[str, bool] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)
    events: list[tuple[float, str]] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(self.checks.values())

    def to_json(self) -> dict[str, Any]:
        return {"passed": self.passed, "checks": self.checks, "facts": self.facts, "events": self.events}


class Soak:
    def __init__(self, options: Options) -> None:
        self.options = options
        self.report = Report()
        self.started = time.monotonic()
        self.rng = random.Random(options.seed)
        self.pool = [q for language_questions in questions().values() for q in language_questions]
        self.sent_updates: defaultdict[int, list[str]] = defaultdict(list)  # chat -> update keys
        self.unanswered_in_time = 0
        self.worker_died_at: float | None = None
        self.rasa_died_unplanned = False
        self.rasa_planned_down = False
        self.bot_api_faults: list[Any] = []
        self.before_restart: Snapshot | None = None

    def event(self, what: str) -> None:
        at = round(time.monotonic() - self.started, 1)
        self.report.events.append((at, what))
        print(f"[{at:7.1f} s] {what}", flush=True)

    async def user(self, server: TimedBotApi, chat: int, stop: asyncio.Event) -> None:
        while not stop.is_set():
            question: Question = self.rng.choice(self.pool)
            before = server.count(chat)
            self.sent_updates[chat].append(server.inject_text(chat, question.text, question.language))
            if not await server.wait_for(chat, before + 1, REPLY_TIMEOUT):
                self.unanswered_in_time += 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.rng.uniform(*self.options.think))

    async def watch(self, worker: BotWorker, nlu: Nlu, stop: asyncio.Event) -> None:
        while not stop.is_set():
            if self.worker_died_at is None and not worker.alive():
                self.worker_died_at = time.monotonic() - self.started
                self.event("the bot worker DIED")
            if not self.rasa_planned_down and not nlu.alive() and not self.rasa_died_unplanned:
                self.rasa_died_unplanned = True
                self.event("Rasa DIED without being killed")
            await asyncio.sleep(0.5)

    async def wait_breaker(self, worker: BotWorker, state: str, timeout: float) -> bool:  # noqa: ASYNC109
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if worker.read_stats().get("breaker", {}).get("state") == state:
                return True
            await asyncio.sleep(0.2)
        return False

    async def faults(self, worker: BotWorker, nlu: Nlu, database_url: str, database: Database) -> None:
        """The schedule of faults, spread over the run."""
        options = self.options
        if options.kill_rasa:
            await asyncio.sleep(options.seconds * 0.15)
            self.rasa_planned_down = True
            await asyncio.to_thread(nlu.kill)
            self.event("Rasa killed (SIGKILL)")
            opened = await self.wait_breaker(worker, "open", timeout=30)
            self.event(f"circuit breaker {'open' if opened else 'NOT open within 30 s'}")
            await asyncio.sleep(min(5.0, options.seconds * 0.05))
            self.event("starting Rasa again …")
            await asyncio.to_thread(nlu.start)
            self.rasa_planned_down = False
            self.event("Rasa answers again")
            closed = await self.wait_breaker(worker, "closed", timeout=60)
            self.event(f"circuit breaker {'closed' if closed else 'NOT closed within 60 s'}")
        if options.restart_postgres and database_url.startswith("postgresql"):
            await asyncio.sleep(max(0.0, self.started + options.seconds * 0.6 - time.monotonic()))
            self.before_restart = before = await snapshot(database)
            self.event("restarting PostgreSQL …")
            took = await asyncio.to_thread(restart_postgres)
            self.event(f"PostgreSQL restarted ({took:.1f} s)")
            self.report.facts["postgres_restart_seconds"] = round(took, 1)
            self.report.facts["rows_committed_before_restart"] = {
                "processed_updates": len(before.processed),
                "outbox": len(before.outbox_ids),
                "messages": before.messages,
            }

    async def drain(self, server: TimedBotApi, database_url: str) -> bool:
        """Wait until every injected update is processed and all stored replies were accepted."""
        deadline = time.monotonic() + DRAIN_TIMEOUT
        injected = {key for keys in self.sent_updates.values() for key in keys}
        while time.monotonic() < deadline:
            with contextlib.suppress(Exception):  # the database may still be coming back
                entries = await outbox_entries(database_url)
                expected = Counter(entry.chat for entry in entries for _ in split_text(entry.html))
                received = sum(server.count(chat) for chat in self.sent_updates)
                if (
                    injected <= await processed_keys(database_url)
                    and all(entry.delivered for entry in entries)
                    and received >= sum(expected[chat] for chat in self.sent_updates)
                ):
                    return True
            await asyncio.sleep(1.0)
        return False

    async def account(self, server: TimedBotApi, database: Database, worker: BotWorker) -> None:
        """The assertions (see the module's docstring)."""
        checks, facts = self.report.checks, self.report.facts
        entries = await outbox_entries(database.url)
        processed = await processed_keys(database.url)
        injected = [key for keys in self.sent_updates.values() for key in keys]
        by_update: defaultdict[str, list[Any]] = defaultdict(list)
        expected: defaultdict[int, Counter[str]] = defaultdict(Counter)
        for entry in entries:
            if entry.update_key is not None:
                by_update[entry.update_key].append(entry)
            for piece in split_text(entry.html):
                expected[entry.chat][piece] += 1
        lost = duplicated = 0
        for chat in self.sent_updates:
            received = Counter(message.html for message in server.sent(chat))
            lost += sum((expected[chat] - received).values())
            duplicated += sum((received - expected[chat]).values())
        unprocessed = [key for key in injected if key not in processed]
        unanswered = [key for key in injected if not by_update.get(key)]
        undelivered = [entry.id for entry in entries if not entry.delivered]
        sizes = Counter(len(by_update[key]) for key in injected)
        facts.update(
            user_messages=len(injected),
            users=len(self.sent_updates),
            bot_messages_accepted=sum(server.count(chat) for chat in self.sent_updates),
            replies_by_number_of_messages={str(size): count for size, count in sorted(sizes.items())},
            lost_messages=lost,
            duplicated_messages=duplicated,
            updates_not_processed=len(unprocessed),
            updates_without_reply=len(unanswered),
            replies_never_delivered=len(undelivered),
            users_waiting_longer_than_timeout=self.unanswered_in_time,
        )
        checks["every message got exactly one reply (none lost, none duplicated)"] = (
            bool(injected)
            and lost == duplicated == 0
            and not unprocessed
            and not unanswered
            and not undelivered
        )
        # Faults that fired.
        facts["bot_api_faults"] = {
            f"{fault.method} {fault.status}": fault.triggered for fault in self.bot_api_faults
        }
        statuses = Counter((call.method, call.status) for call in server.calls if call.status != 200)
        facts["bot_api_error_answers"] = {f"{method} {status}": n for (method, status), n in statuses.items()}
        # The breaker.
        stats = worker.read_stats()
        breaker = stats.get("breaker", {})
        facts["breaker"] = breaker
        facts["nlu_readings_by_source"] = stats.get("understander", {}).get("by_source", {})
        log = worker.log.read_text(errors="replace") if worker.log.exists() else ""
        facts["log_nlu_degraded"] = log.count("NLU degraded")
        facts["log_nlu_recovered"] = log.count("NLU recovered")
        facts["log_errors"] = log.count('"level": "ERROR"')
        states = [state for _, state in breaker.get("transitions", [])]
        reopened_then_closed = "open" in states and "closed" in states[states.index("open") :]
        if self.options.kill_rasa:
            checks["circuit breaker opened and closed again"] = (
                breaker.get("times_opened", 0) >= 1
                and reopened_then_closed
                and breaker.get("state") == "closed"
                and facts["log_nlu_recovered"] >= 1
            )
        # Durability across the PostgreSQL restart, and the conversation log.
        now = await snapshot(database)
        before = self.before_restart
        if before is not None:
            checks["nothing committed before the PostgreSQL restart was lost"] = (
                before.processed <= now.processed
                and before.outbox_ids <= now.outbox_ids
                and now.messages >= before.messages
            )
        incoming = await incoming_per_chat(database)
        missing_log = sum(
            max(0, len(keys) - incoming.get(chat, 0)) for chat, keys in self.sent_updates.items()
        )
        facts["user_messages_missing_from_conversation_log"] = missing_log
        checks["the database holds every user message and every reply"] = missing_log == 0 and len(
            now.outbox_ids
        ) >= len(entries)

    async def run(self) -> Report:
        options = self.options
        options.work_dir.mkdir(parents=True, exist_ok=True)
        database_url = options.database_url or DEFAULT_POSTGRES
        if database_url.startswith("postgresql") and options.database_url is None:
            await fresh_postgres(database_url)
        await asyncio.to_thread(migrate.upgrade, database_url)
        self.report.facts["database"] = "postgresql" if database_url.startswith("postgresql") else "sqlite"
        nlu: Nlu = StubRasa() if options.stub_rasa else RasaServer(options.work_dir / "rasa.log")
        self.event(f"starting {'a stub' if options.stub_rasa else 'Rasa'} NLU at {nlu.url} …")
        await asyncio.to_thread(nlu.start)
        database = Database(database_url)
        stop = asyncio.Event()
        try:
            async with TimedBotApi() as server:
                worker = BotWorker(
                    server.base_url,
                    database_url,
                    nlu.url,
                    log=options.work_dir / "worker.log",
                    stats=options.work_dir / "worker-stats.json",
                    max_messages_per_second=30.0,  # Telegram's real limit: the soak is no speed test
                    extra_args=["--breaker-cooldown", str(options.breaker_cooldown)]
                    if options.breaker_cooldown
                    else [],
                )
                worker.log.unlink(missing_ok=True)
                worker.start()
                try:
                    await worker.ready()
                    self.event(f"bot worker ready (pid {worker.pid}); {options.users} users start writing")
                    fraction = options.fault_fraction
                    self.bot_api_faults = [
                        server.fail("sendMessage", fraction=fraction, status=429, retry_after=1, seed=1),
                        server.fail("sendMessage", fraction=fraction / 2, status=500, seed=2),
                        server.fail("getUpdates", fraction=fraction / 2, status=500, seed=3),
                    ]
                    watcher = asyncio.create_task(self.watch(worker, nlu, stop))
                    users = [
                        asyncio.create_task(self.user(server, 7_000_000 + index, stop))
                        for index in range(options.users)
                    ]
                    faults = asyncio.create_task(self.faults(worker, nlu, database_url, database))
                    await asyncio.sleep(options.seconds)
                    await faults  # a fault still in progress (Rasa starting) ends first
                    stop.set()
                    await asyncio.gather(*users, watcher)
                    server.clear_faults()
                    self.event("load stopped; waiting for the outbox to drain …")
                    drained = await self.drain(server, database_url)
                    self.event("drained" if drained else f"NOT drained within {DRAIN_TIMEOUT:.0f} s")
                    await asyncio.sleep(2.0)  # a late duplicate would arrive now
                    alive_at_end = worker.alive()
                finally:
                    exit_code = await asyncio.to_thread(worker.stop)
                self.event(f"bot worker stopped (exit code {exit_code})")
                await self.account(server, database, worker)
            checks = self.report.checks
            checks["no process crashed"] = (
                self.worker_died_at is None
                and alive_at_end
                and exit_code == 0
                and nlu.alive()
                and not self.rasa_died_unplanned
                and (not database_url.startswith("postgresql") or await postgres_up(database_url))
            )
            self.report.facts["worker_exit_code"] = exit_code
            self.report.facts["nlu_starts"] = getattr(nlu, "starts", None)
        finally:
            await database.dispose()
            await asyncio.to_thread(nlu.stop)
        return self.report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--minutes", type=float, default=3.0, help="how long users write (default 3)")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--database-url", help=f"default: {DEFAULT_POSTGRES}, created fresh")
    parser.add_argument("--no-postgres-restart", action="store_true")
    parser.add_argument("--fault-fraction", type=float, default=0.05, help="share of 429s (500s: half)")
    parser.add_argument("--out", type=Path, default=VAR / "soak-results.json")
    arguments = parser.parse_args()
    options = Options(
        seconds=arguments.minutes * 60,
        users=arguments.users,
        database_url=arguments.database_url,
        restart_postgres=not arguments.no_postgres_restart,
        fault_fraction=arguments.fault_fraction,
    )
    report = asyncio.run(Soak(options).run())
    arguments.out.parent.mkdir(parents=True, exist_ok=True)
    arguments.out.write_text(json.dumps(report.to_json(), indent=2, ensure_ascii=False, default=str) + "\n")
    print(json.dumps(report.facts, indent=2, ensure_ascii=False, default=str))
    for check, passed in report.checks.items():
        print(f"{'PASS' if passed else 'FAIL'}  {check}")
    print(f"soak {'passed' if report.passed else 'FAILED'}; details in {arguments.out}")
    return 0 if report.passed else 1


if __name__ == "__main__":
    sys.exit(main())
