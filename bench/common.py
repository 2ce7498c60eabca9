"""What the benchmark (bench/run.py) and the soak (bench/soak.py) share.

- the question mix: the independent evaluation questions (nlu/data/evaluation/*.yml) and the content
  base's example questions, in all eight languages;
- `TimedBotApi`: the loopback Bot API of tests/support/bot_api.py, recording when each reply arrived;
- `BotWorker`: the bot side (python-telegram-bot Application + conversation core) in a process of its
  own (bench/worker.py), so its memory is its own; it reports its state in a JSON file;
- `RasaServer`: `rasa run --enable-api` with the trained model on a free port;
- reading the outbox back to attribute every message the Bot API received to the update that caused it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot.channels.telegram import split_text
from bot.content.loader import load
from bot.content.model import LANGUAGES
from bot.conversation.messages import Reply
from bot.settings import PROJECT_ROOT
from bot.storage.database import Database
from bot.storage.models import OutboxEntry, ProcessedUpdate, User
from bot.understanding import service
from bot.understanding.training import conversation_examples, topic_examples
from tests.support.bot_api import TOKEN, BotApiServer, JSONDict
from tests.support.serving import free_port

BENCH_DIR = Path(__file__).resolve().parent
VAR = PROJECT_ROOT / "var" / "bench"
EVALUATION = PROJECT_ROOT / "nlu" / "data" / "evaluation"


# --- questions -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Question:
    text: str
    language: str
    intent: str


def questions(content_dir: Path = PROJECT_ROOT / "content") -> dict[str, list[Question]]:
    """Per language: the newcomer-style evaluation questions, the out-of-scope ones and the content's
    example questions (what editors wrote as the ways people ask)."""
    found: dict[str, list[Question]] = defaultdict(list)
    examples = list(topic_examples(load(content_dir)))
    for path in sorted(EVALUATION.glob("*.yml")):
        examples += conversation_examples(path)
    for example in examples:
        text = example.plain_text.strip()
        if text:
            found[example.language].append(Question(text, example.language, example.intent))
    missing = [language for language in LANGUAGES if not found[language]]
    if missing:
        raise SystemExit(f"no questions for {missing}")
    return dict(found)


def user_scripts(users: int, per_user: int, *, seed: int = 7) -> list[list[Question]]:
    """What each simulated user asks: one language per user (languages in turn, so all eight are
    equally represented), questions drawn at random from that language's pool."""
    pool = questions()
    rng = random.Random(seed)
    languages = sorted(pool)
    return [
        [rng.choice(pool[languages[index % len(languages)]]) for _ in range(per_user)]
        for index in range(users)
    ]


# --- numbers ---------------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100), linear interpolation; NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def rss_mb(pid: int) -> tuple[float, float]:
    """(current, peak) resident memory of a process in MB, from /proc."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) / 1024
    return values.get("VmRSS", float("nan")), values.get("VmHWM", float("nan"))


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process has used so far: what it costs, however busy the machine."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# --- the Bot API on loopback, with arrival times ------------------------------------------------------


class TimedBotApi(BotApiServer):
    """The loopback Bot API (tests/support/bot_api.py), plus: when each message to a chat arrived,
    and when each update was injected."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.arrived: defaultdict[int, list[float]] = defaultdict(list)  # chat -> times of its messages
        self.injected: dict[int, tuple[int, float]] = {}  # update_id -> (chat, time)
        # One event per waiting chat: a message wakes only its own user. (Waiting on the server's
        # one condition woke every simulated user for every message, and that harness work took CPU
        # from the bot under test on the same machine.)
        self._arrival: dict[int, asyncio.Event] = {}

    async def _send_message(self, params: Any) -> JSONDict:
        raw = await super()._send_message(params)
        chat = int(raw["chat"]["id"])
        self.arrived[chat].append(time.monotonic())
        if chat in self._arrival:
            self._arrival[chat].set()
        return raw

    def inject_text(self, chat_id: int, text: str, language: str) -> str:
        """A user writes `text`; returns the update's key as the core stores it."""
        update = self.send_text(chat_id, text, language_code=language)
        self.injected[update["update_id"]] = (chat_id, time.monotonic())
        return f"telegram:{update['update_id']}"

    def count(self, chat_id: int) -> int:
        return len(self.arrived[chat_id])

    async def wait_for(self, chat_id: int, count: int, timeout: float) -> bool:  # noqa: ASYNC109
        """Wait until the chat has received at least `count` messages; False on timeout."""
        deadline = time.monotonic() + timeout
        arrival = self._arrival.setdefault(chat_id, asyncio.Event())
        try:
            while len(self.arrived[chat_id]) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                arrival.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(arrival.wait(), remaining)
        finally:
            del self._arrival[chat_id]
        return True


# --- the bot side, in its own process ---------------------------------------------------------------


@dataclass
class BotWorker:
    """bench/worker.py as a child process: the Telegram Application and the conversation core."""

    bot_api_url: str
    database_url: str
    rasa_url: str | None
    log: Path
    stats: Path
    max_messages_per_second: float = 10_000.0
    process: subprocess.Popen[bytes] | None = None
    extra_args: list[str] = field(default_factory=list)

    def start(self) -> None:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        self.stats.unlink(missing_ok=True)
        command = [
            # BENCH_WORKER_CMD: another entry point for the worker, e.g. one wrapped for profiling
            sys.executable, *(os.environ.get("BENCH_WORKER_CMD", "-m bench.worker").split()),
            "--bot-api-url", self.bot_api_url,
            "--database-url", self.database_url,
            "--stats", str(self.stats),
            "--max-messages-per-second", str(self.max_messages_per_second),
            *(["--rasa-url", self.rasa_url] if self.rasa_url else []),
            *self.extra_args,
        ]  # fmt: skip
        environment = {**os.environ, "TELEGRAM_BOT_TOKEN": TOKEN, "PYTHONUNBUFFERED": "1"}
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                command, cwd=PROJECT_ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT
            )

    async def ready(self, timeout: float = 120.0) -> dict[str, Any]:  # noqa: ASYNC109
        """Wait until the worker polls for updates (it says so in its stats file)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"bot worker exited with {self.process.returncode}; see {self.log}")
            state = self.read_stats()
            if state.get("running"):
                return state
            await asyncio.sleep(0.1)
        raise RuntimeError(f"bot worker not ready within {timeout:.0f} s; see {self.log}")

    def read_stats(self) -> dict[str, Any]:
        try:
            data = json.loads(self.stats.read_text())
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout: float = 30.0) -> int:
        """SIGTERM (the worker stops cleanly: finishes what it fetched, sends its replies); its exit code."""
        if self.process is None:
            return 0
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                return -9
        return self.process.returncode


# --- Rasa ---------------------------------------------------------------------------------------------


class RasaServer:
    """The project's trained model (trained first if the content or NLU data changed) served by
    `rasa run --enable-api` on a free loopback port, with its own log under var/bench/."""

    def __init__(self, log: Path, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.project = service.NluProject.default()
        self.model: Path | None = None
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> None:
        if self.model is None:
            self.model = service.train_model(self.project, load(PROJECT_ROOT / "content"), progress=print)
        self.process = service.start_rasa(self.project, self.model, self.url, log=self.log)
        self.starts += 1

    def kill(self) -> None:
        """SIGKILL, no grace: as if it crashed."""
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.process is not None:
            service.stop_server(self.process)

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None


# --- reading back what the core decided ------------------------------------------------------------------


@dataclass(frozen=True)
class Stored:
    """One outbox entry: a reply the core decided to send, and what caused it."""

    id: int
    chat: int
    update_key: str | None
    html: str
    delivered: bool


async def outbox_entries(database_url: str) -> list[Stored]:
    database = Database(database_url)
    try:
        async with database.session() as session:
            rows = (
                await session.execute(
                    select(
                        OutboxEntry.id,
                        User.external_id,
                        OutboxEntry.update_key,
                        OutboxEntry.payload,
                        OutboxEntry.delivered_at,
                    )
                    .join(User, User.id == OutboxEntry.user_id)
                    .where(OutboxEntry.channel == "telegram")
                    .order_by(OutboxEntry.id)
                )
            ).all()
    finally:
        await database.dispose()
    return [
        Stored(id_, int(chat), key, Reply.from_json(payload).text, delivered is not None)
        for id_, chat, key, payload, delivered in rows
    ]


async def reply_pieces(database: Database, update_key: str) -> int:
    """How many sendMessage calls the replies the core stored for an update take (a reply longer
    than Telegram allows goes out in pieces)."""
    async with database.session() as session:
        payloads = (
            await session.execute(select(OutboxEntry.payload).where(OutboxEntry.update_key == update_key))
        ).scalars()
        return sum(len(split_text(Reply.from_json(payload).text)) for payload in payloads)


async def processed_keys(database_url: str) -> set[str]:
    database = Database(database_url)
    try:
        async with database.session() as session:
            return set((await session.execute(select(ProcessedUpdate.key))).scalars())
    finally:
        await database.dispose()
