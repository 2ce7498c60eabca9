"""The bot side of the benchmark and the soak, in a process of its own: `python -m bench.worker …`.

It is `wegweiser run`'s Telegram part and nothing else: the conversation core (database, content,
Rasa client with its circuit breaker, matcher) and python-telegram-bot's Application built by
`bot.channels.telegram.build_application`, long polling the Bot API at --bot-api-url. Every
--interval seconds it writes its state to --stats (JSON): its pid and memory, the circuit breaker's
state and every change of it, and the NLU counters. SIGTERM stops it cleanly (exit code 0).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import time
from pathlib import Path
from typing import Any

from bot.channels.telegram import build_application, start_application, stop_application
from bot.logs import configure_logging
from bot.server.services import Services
from bot.settings import Settings


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bot-api-url", required=True)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--rasa-url", help="none: matcher only")
    parser.add_argument("--stats", type=Path, required=True)
    parser.add_argument("--interval", type=float, default=0.2)
    parser.add_argument("--max-messages-per-second", type=float, default=10_000.0)
    parser.add_argument("--outbox-interval", type=float, default=1.0)
    parser.add_argument("--log-level", default="INFO")
    parser.add_argument("--breaker-cooldown", type=float, help="seconds; default: the product's")
    return parser.parse_args()


def memory() -> dict[str, float]:
    values = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) / 1024
    return {"rss_mb": values.get("VmRSS", 0.0), "peak_rss_mb": values.get("VmHWM", 0.0)}


class Reporter:
    """Samples the breaker often (so a short open period is seen) and writes the stats file."""

    def __init__(self, services: Services, path: Path) -> None:
        self.services = services
        self.path = path
        self.started = time.time()
        self.transitions: list[tuple[float, str]] = []
        self.running = False

    def snapshot(self) -> dict[str, Any]:
        understander = self.services.understander
        client = understander.client
        state = client.state if client is not None else "none"
        if not self.transitions or self.transitions[-1][1] != state:
            self.transitions.append((round(time.time() - self.started, 3), state))
        return {
            "pid": os.getpid(),
            "running": self.running,
            **memory(),
            "breaker": {
                "state": state,
                "times_opened": client.breaker.times_opened if client is not None else 0,
                "transitions": self.transitions,
            },
            "client": vars(client.stats) if client is not None else {},
            "understander": {
                "by_source": dict(understander.stats.by_source),
                "degraded_periods": understander.stats.degraded_periods,
                "degraded": understander.degraded,
            },
        }

    def write(self) -> None:
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps(self.snapshot()))
        temporary.replace(self.path)  # readers never see half a file

    async def run(self, interval: float) -> None:
        while True:
            self.write()
            await asyncio.sleep(interval)


async def main(arguments: argparse.Namespace) -> None:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        TELEGRAM_BOT_TOKEN=os.environ["TELEGRAM_BOT_TOKEN"],
        TELEGRAM_API_BASE_URL=arguments.bot_api_url,
        DATABASE_URL=arguments.database_url,
        LOG_LEVEL=arguments.log_level,
        # A benchmark user writes hundreds of messages in minutes: the daily cap per user would turn
        # the measured work into refusals (and the soak's "every message stored" check would fail).
        USER_MESSAGES_PER_DAY=100_000,
        **({"RASA_URL": arguments.rasa_url} if arguments.rasa_url else {}),
    )
    configure_logging(settings.log_level)
    services = Services.build(settings, use_rasa=arguments.rasa_url is not None)
    client = services.understander.client
    if arguments.breaker_cooldown is not None and client is not None:
        client.breaker.cooldown = arguments.breaker_cooldown
    reporter = Reporter(services, arguments.stats)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    application = build_application(
        settings,
        services.conversation,
        max_messages_per_second=arguments.max_messages_per_second,
        outbox_interval=arguments.outbox_interval,
    )
    reporting = asyncio.create_task(reporter.run(arguments.interval))
    try:
        await start_application(application, settings)
        reporter.running = True
        await stop.wait()
        await stop_application(application)
    finally:
        reporter.running = False
        reporting.cancel()
        reporter.write()
        await services.close()


if __name__ == "__main__":
    asyncio.run(main(parse_arguments()))
