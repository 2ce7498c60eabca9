"""`make bench`: how fast the whole bot is, compared with raw Rasa, in one run on the same machine.

Phases, in this order, with the same question mix and the same number of simulated users:
1. rasa_raw  — N clients `POST /model/parse` straight to Rasa (the floor: the NLU alone).
2. bot       — N Telegram users write to the loopback Bot API; the bot process (long polling,
               python-telegram-bot → conversation core → Rasa → database → outbox → sendMessage)
               answers. Latency: update injected → the first message of its reply arrived at the
               Bot API (each reply is attributed to its update through the outbox, see `attribute`).
3. ask_jsonl — `wegweiser ask --jsonl` with Rasa up (issue 4: >= 50 lines/s).
4. degraded  — Rasa stopped: the circuit breaker is open and the in-process matcher answers.
               Throughput with N users; p50 with one user (with N users every closed-loop latency is
               mostly queueing, N / throughput, whatever the bot does).
Plus one-user latencies of rasa_raw and bot (the per-message overhead without queueing).

Writes bench/results.json (the issue's keys, plus "ask_jsonl", "details" and "meta") and
bench/results.md. Exit code 0 even when a target is missed: the table says so.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp

from bench.common import (
    BENCH_DIR,
    VAR,
    BotWorker,
    Question,
    RasaServer,
    TimedBotApi,
    cpu_seconds,
    outbox_entries,
    percentile,
    reply_pieces,
    rss_mb,
    user_scripts,
)
from bot.channels.telegram import split_text
from bot.settings import PROJECT_ROOT
from bot.storage import migrate
from bot.storage.database import Database
from bot.understanding.training import for_rasa

REPLY_TIMEOUT = 120.0  # seconds a simulated user waits for an answer before counting it as lost


@dataclass
class Phase:
    name: str
    users: int
    latencies_ms: list[float] = field(default_factory=list)
    messages: int = 0
    seconds: float = 0.0
    failures: int = 0
    notes: dict[str, Any] = field(default_factory=dict)

    @property
    def throughput(self) -> float:
        return self.messages / self.seconds if self.seconds else 0.0

    def p(self, q: float) -> float:
        return round(percentile(self.latencies_ms, q), 1)

    def summary(self) -> dict[str, Any]:
        return {
            "users": self.users,
            "messages": self.messages,
            "seconds": round(self.seconds, 2),
            "failures": self.failures,
            "p50_ms": self.p(50),
            "p95_ms": self.p(95),
            "p99_ms": self.p(99),
            "throughput_msgs_per_s": round(self.throughput, 1),
            **self.notes,
        }


class CpuMeter:
    """CPU time that named processes spend during one phase, per message: what the phase costs each
    of them, however busy the machine is."""

    def __init__(self, **pids: int) -> None:
        self.pids = pids
        self.before = {name: cpu_seconds(pid) for name, pid in pids.items()}

    def per_message(self, messages: int) -> dict[str, float]:
        return {
            f"{name}_cpu_ms_per_message": round((cpu_seconds(pid) - self.before[name]) * 1000 / messages, 1)
            for name, pid in self.pids.items()
        }


# --- raw Rasa --------------------------------------------------------------------------------------------


async def rasa_raw(url: str, scripts: list[list[Question]], name: str = "rasa_raw") -> Phase:
    """Each client sends its questions one after another, as a user waits for each answer; the
    text is normalised exactly as the bot's client does (training.for_rasa).

    The clients use aiohttp, as the bot's Rasa client does. (httpx, used here before, spent
    ~11 ms of this process's CPU per request with 200 connections, on the same two cores as Rasa:
    the phase measured the client more than Rasa, at a fifth of Rasa's real throughput.)"""
    phase = Phase(name, len(scripts))
    connector = aiohttp.TCPConnector(limit=len(scripts))
    timeout = aiohttp.ClientTimeout(total=REPLY_TIMEOUT)
    async with aiohttp.ClientSession(url, connector=connector, timeout=timeout) as client:

        async def client_loop(script: list[Question]) -> None:
            for question in script:
                started = time.monotonic()
                try:
                    async with client.post(
                        "/model/parse", json={"text": for_rasa(question.text)}
                    ) as response:
                        response.raise_for_status()
                        await response.read()
                except (aiohttp.ClientError, TimeoutError):
                    phase.failures += 1
                    continue
                phase.latencies_ms.append((time.monotonic() - started) * 1000)
                phase.messages += 1

        started = time.monotonic()
        await asyncio.gather(*(client_loop(script) for script in scripts))
        phase.seconds = time.monotonic() - started
    return phase


# --- the bot -------------------------------------------------------------------------------------------------


async def bot_users(
    server: TimedBotApi, database: Database, scripts: list[list[Question]], first_chat: int, name: str
) -> Phase:
    """Each user writes a question, waits for the bot's whole answer, writes the next.

    "Whole": once the first message of the answer arrived, the core has committed all of it to the
    outbox, so the number of messages to wait for is read from there (a few answers take two or
    three messages: a place question and the answer, an emergency card and the hand-off notice).
    """
    phase = Phase(name, len(scripts))
    phase.notes["first_chat"] = first_chat

    async def user(chat: int, script: list[Question]) -> None:
        for question in script:
            before = server.count(chat)
            key = server.inject_text(chat, question.text, question.language)
            if await server.wait_for(chat, before + 1, REPLY_TIMEOUT) and await server.wait_for(
                chat, before + await reply_pieces(database, key), REPLY_TIMEOUT
            ):
                phase.messages += 1
            else:
                phase.failures += 1
                return

    started = time.monotonic()
    await asyncio.gather(*(user(first_chat + index, script) for index, script in enumerate(scripts)))
    phase.seconds = time.monotonic() - started
    return phase


async def attribute(server: TimedBotApi, database_url: str, phase: Phase) -> None:
    """Latency of each update: injected → arrival of the first message of the reply the core stored
    for it. The outbox holds, per chat and in order, each reply with the update it answers; without
    faults the Bot API received exactly that sequence (a reply longer than Telegram allows is sent in
    pieces, as bot.channels.telegram.split_text cuts it). A chat whose sequence differs is counted in
    `unattributed` and left out rather than guessed."""
    chats = range(phase.notes["first_chat"], phase.notes["first_chat"] + phase.users)
    by_chat = defaultdict(list)
    for entry in await outbox_entries(database_url):
        if entry.chat in chats:
            by_chat[entry.chat].append(entry)
    injected = {
        f"telegram:{update_id}": at for update_id, (chat, at) in server.injected.items() if chat in chats
    }
    first_ms: list[float] = []
    complete_ms: list[float] = []
    unattributed = 0
    multi = 0
    for chat in chats:
        expected = [(entry.update_key, piece) for entry in by_chat[chat] for piece in split_text(entry.html)]
        sent = [message.html for message in server.sent(chat)]
        times = server.arrived[chat]
        if [piece for _, piece in expected] != sent:
            unattributed += 1
            continue
        arrivals: dict[str, list[float]] = defaultdict(list)
        for (key, _), at in zip(expected, times, strict=True):
            if key is not None:
                arrivals[key].append(at)
        for key, moments in arrivals.items():
            if key in injected:
                first_ms.append((moments[0] - injected[key]) * 1000)
                complete_ms.append((moments[-1] - injected[key]) * 1000)
                multi += len(moments) > 1
    phase.latencies_ms = first_ms
    phase.notes.update(
        unattributed_chats=unattributed,
        replies_of_several_messages=multi,
        complete_reply_p50_ms=round(percentile(complete_ms, 50), 1),
        complete_reply_p99_ms=round(percentile(complete_ms, 99), 1),
    )


# --- wegweiser ask --jsonl ------------------------------------------------------------------------------------


def ask_jsonl(rasa_url: str, questions: list[Question]) -> dict[str, Any]:
    """Lines per second of `wegweiser ask --jsonl`, process start to last line (startup included)."""
    lines = "".join(
        json.dumps({"text": question.text, "lang": question.language}, ensure_ascii=False) + "\n"
        for question in questions
    )
    environment = {**os.environ, "RASA_URL": rasa_url}
    started = time.monotonic()
    result = subprocess.run(
        [str(PROJECT_ROOT / ".venv" / "bin" / "wegweiser"), "ask", "--jsonl"],
        input=lines.encode(),
        capture_output=True,
        env=environment,
        cwd=PROJECT_ROOT,
        check=False,
    )
    seconds = time.monotonic() - started
    out = result.stdout.decode().splitlines()
    return {
        "lines": len(questions),
        "answered": len(out),
        "seconds": round(seconds, 2),
        "lines_per_s": round(len(out) / seconds, 1),
        "degraded": "degraded" in result.stderr.decode(),
        "exit_code": result.returncode,
    }


# --- the run ---------------------------------------------------------------------------------------------------


def prepare_database(url: str | None) -> str:
    """A fresh SQLite file by default; a given database is migrated and shared (chat ids of a run
    are new, so earlier runs' rows do not count)."""
    VAR.mkdir(parents=True, exist_ok=True)
    if url is None:
        path = VAR / "bench.db"
        for stale in (path, path.with_name("bench.db-wal"), path.with_name("bench.db-shm")):
            stale.unlink(missing_ok=True)
        url = f"sqlite+aiosqlite:///{path}"
    migrate.upgrade(url)
    return url


# Issue #23's budgets, which replaced issue #7's ratios to raw Rasa (bench/README.md says why): one
# user's p50 within 30 ms of a raw Rasa parse (with Rasa and degraded), 30 messages/s with 200 users
# (Telegram's own send limit per bot: more buys nothing there), the bot's peak RSS with the
# embedding model of the semantic safety net.
ONE_USER_MARGIN_MS = 30
THROUGHPUT_FLOOR = 30.0
RSS_LIMIT_MB = 300


def judge(results: dict[str, Any]) -> list[tuple[str, str, str, bool]]:
    bot, details = results["bot"], results["details"]
    raw_one, bot_one, degraded_one = (
        details["rasa_raw_one_user"],
        details["bot_one_user"],
        details["degraded"],
    )
    one_user_limit = raw_one["p50_ms"] + ONE_USER_MARGIN_MS
    return [
        (
            "bot p50, one user",
            f"{bot_one['p50_ms']} ms",
            f"<= raw Rasa p50 + {ONE_USER_MARGIN_MS} ms = {one_user_limit:.1f} ms",
            bot_one["p50_ms"] <= one_user_limit,
        ),
        (
            "degraded p50, one user",
            f"{degraded_one['p50_ms']} ms",
            f"<= raw Rasa p50 + {ONE_USER_MARGIN_MS} ms = {one_user_limit:.1f} ms",
            degraded_one["p50_ms"] <= one_user_limit,
        ),
        (
            f"bot throughput, {results['meta']['users']} users",
            f"{bot['throughput_msgs_per_s']} msg/s",
            f">= {THROUGHPUT_FLOOR:.0f} msg/s",
            bot["throughput_msgs_per_s"] >= THROUGHPUT_FLOOR,
        ),
        (
            "bot process RSS (peak)",
            f"{bot['rss_mb']} MB",
            f"<= {RSS_LIMIT_MB} MB",
            bot["rss_mb"] <= RSS_LIMIT_MB,
        ),
        (
            "wegweiser ask --jsonl",
            f"{results['ask_jsonl']['lines_per_s']} lines/s",
            ">= 50 lines/s",
            results["ask_jsonl"]["lines_per_s"] >= 50 and not results["ask_jsonl"]["degraded"],
        ),
    ]


def markdown(results: dict[str, Any]) -> str:
    meta, details = results["meta"], results["details"]
    lines = [
        "# Benchmark results",
        "",
        f"{meta['date']} · {meta['users']} users × {meta['messages_per_user']} questions · "
        f"{meta['cpus']} CPUs · database {meta['database']} · written by `make bench` (bench/run.py)",
        "",
        "| Metric | Measured | Target | |",
        "|---|---|---|---|",
    ]
    for metric, measured, target, passed in judge(results):
        lines.append(f"| {metric} | {measured} | {target} | {'pass' if passed else '**FAIL**'} |")
    lines += [
        "",
        "| Phase | users | messages | p50 ms | p95 ms | p99 ms | msg/s |",
        "|---|---|---|---|---|---|---|",
    ]
    for name in ("rasa_raw", "bot", "degraded_loaded", "rasa_raw_one_user", "bot_one_user", "degraded"):
        phase = details[name]
        lines.append(
            f"| {name} | {phase['users']} | {phase['messages']} | {phase['p50_ms']} | {phase['p95_ms']} "
            f"| {phase['p99_ms']} | {phase['throughput_msgs_per_s']} |"
        )
    ratios = results["ratios"]
    raw_one, bot_one = details["rasa_raw_one_user"], details["bot_one_user"]
    lines += [
        "",
        f"Ratios: bot p50 / raw Rasa p50 = {ratios['p50_bot_over_rasa']}, "
        f"bot throughput / raw Rasa throughput = {ratios['throughput_bot_over_rasa']}.",
        "",
        # With N closed-loop users every latency is mostly queueing (N / throughput); the p50 budget is
        # judged on one user, which shows the cost of the path itself.
        f"For reading, not a target: with {meta['users']} users, bot p50 {details['bot']['p50_ms']} ms "
        f"against raw Rasa's {details['rasa_raw']['p50_ms']} ms (one user: {bot_one['p50_ms']} against "
        f"{raw_one['p50_ms']} ms).",
        "",
        "CPU time per message (independent of how busy the machine is): Rasa "
        f"{details['rasa_raw'].get('rasa_cpu_ms_per_message')} ms per parse; bot process "
        f"{details['bot'].get('bot_cpu_ms_per_message')} ms with Rasa, "
        f"{details['degraded_loaded'].get('bot_cpu_ms_per_message')} ms degraded; this load generator "
        f"{details['rasa_raw'].get('harness_cpu_ms_per_message')} ms per raw parse and "
        f"{details['bot'].get('harness_cpu_ms_per_message')} ms per bot message (the Bot API server). "
        f"Load average at the end: {meta['load_average_at_end']}.",
        "",
    ]
    return "\n".join(lines)


async def run(arguments: argparse.Namespace) -> dict[str, Any]:
    database_url = await asyncio.to_thread(prepare_database, arguments.database_url)
    users, per_user = arguments.users, arguments.messages_per_user
    scripts = user_scripts(users, per_user, seed=1)
    warm = user_scripts(16, 2, seed=2)
    one_user = user_scripts(1, arguments.one_user_messages, seed=3)
    rasa = RasaServer(VAR / "rasa.log")
    print(f"starting Rasa on {rasa.url} …", flush=True)
    await asyncio.to_thread(rasa.start)
    details: dict[str, Any] = {}
    database = Database(database_url)  # to read how many messages each answer has
    async with TimedBotApi() as server:
        worker = BotWorker(
            server.base_url,
            database_url,
            rasa.url,
            log=VAR / "worker.log",
            stats=VAR / "worker-stats.json",
        )
        worker.start()
        try:
            await worker.ready()
            print("warming up …", flush=True)
            await rasa_raw(rasa.url, warm, "warm")
            await bot_users(server, database, warm, 1_000_000, "warm")

            assert rasa.process is not None
            rasa_pid = rasa.process.pid
            print(f"rasa_raw: {users} clients × {per_user} …", flush=True)
            cpu = CpuMeter(rasa=rasa_pid, harness=os.getpid())
            raw = await rasa_raw(rasa.url, scripts)
            raw.notes.update(cpu.per_message(raw.messages))
            print(f"bot: {users} users × {per_user} …", flush=True)
            cpu = CpuMeter(rasa=rasa_pid, harness=os.getpid(), bot=worker.pid)
            bot = await bot_users(server, database, scripts, 2_000_000, "bot")
            bot.notes.update(cpu.per_message(bot.messages))
            await attribute(server, database_url, bot)
            bot.notes["rss_mb_after"], bot.notes["peak_rss_mb"] = (round(v, 1) for v in rss_mb(worker.pid))
            print("one user each …", flush=True)
            raw_one = await rasa_raw(rasa.url, one_user, "rasa_raw_one_user")
            bot_one = await bot_users(server, database, one_user, 3_000_000, "bot_one_user")
            await attribute(server, database_url, bot_one)
            print("wegweiser ask --jsonl …", flush=True)
            ask = await asyncio.to_thread(
                ask_jsonl, rasa.url, [q for script in user_scripts(100, 5, seed=4) for q in script]
            )

            print("stopping Rasa: degraded mode …", flush=True)
            await asyncio.to_thread(rasa.stop)
            await bot_users(server, database, warm, 4_000_000, "warm")
            breaker = worker.read_stats().get("breaker", {})
            cpu = CpuMeter(bot=worker.pid)
            degraded_loaded = await bot_users(server, database, scripts, 5_000_000, "degraded_loaded")
            degraded_loaded.notes.update(cpu.per_message(degraded_loaded.messages))
            await attribute(server, database_url, degraded_loaded)
            degraded_one = await bot_users(server, database, one_user, 6_000_000, "degraded")
            await attribute(server, database_url, degraded_one)
            bot.notes["peak_rss_mb_whole_run"] = round(rss_mb(worker.pid)[1], 1)
            sources = worker.read_stats().get("understander", {}).get("by_source", {})
        finally:
            exit_code = await asyncio.to_thread(worker.stop)
            await asyncio.to_thread(rasa.stop)
            await database.dispose()
    for phase in (raw, bot, raw_one, bot_one, degraded_loaded, degraded_one):
        details[phase.name] = phase.summary()
    details["breaker_during_degraded"] = breaker
    details["readings_by_source"] = sources
    details["worker_exit_code"] = exit_code
    rss = bot.notes["peak_rss_mb"]
    results: dict[str, Any] = {
        "bot": {
            "p50_ms": bot.p(50),
            "p95_ms": bot.p(95),
            "p99_ms": bot.p(99),
            "throughput_msgs_per_s": round(bot.throughput, 1),
            "rss_mb": rss,
        },
        "rasa_raw": {
            "p50_ms": raw.p(50),
            "p99_ms": raw.p(99),
            "throughput_msgs_per_s": round(raw.throughput, 1),
        },
        "degraded": {
            "p50_ms": degraded_one.p(50),
            "throughput_msgs_per_s": round(degraded_loaded.throughput, 1),
        },
        "ratios": {
            "p50_bot_over_rasa": round(bot.p(50) / raw.p(50), 2),
            "throughput_bot_over_rasa": round(bot.throughput / raw.throughput, 2),
        },
        "ask_jsonl": ask,
        "details": details,
        "meta": {
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "users": users,
            "messages_per_user": per_user,
            "cpus": os.cpu_count(),
            "load_average_at_end": [round(value, 2) for value in os.getloadavg()],
            "python": platform.python_version(),
            "database": "postgresql" if database_url.startswith("postgresql") else "sqlite",
            "telegram_rate_limit_msgs_per_s": 10_000,
        },
    }
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--users", type=int, default=200, help="simulated users at once (default 200)")
    parser.add_argument(
        "--messages-per-user", type=int, default=5, help="questions each user asks (default 5)"
    )
    parser.add_argument("--one-user-messages", type=int, default=60, help="questions of the one-user runs")
    parser.add_argument("--database-url", help="default: a fresh SQLite file var/bench/bench.db")
    parser.add_argument("--out", type=Path, default=BENCH_DIR, help="where results.json and results.md go")
    arguments = parser.parse_args()
    results = asyncio.run(run(arguments))
    arguments.out.mkdir(parents=True, exist_ok=True)
    (arguments.out / "results.json").write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    table = markdown(results)
    (arguments.out / "results.md").write_text(table)
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
