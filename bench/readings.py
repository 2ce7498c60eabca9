"""Do the bot's readings stay the same? A check for changes that must only make the bot cheaper.

    python -m bench.readings dump before.json [--rasa] [--concurrency N]  # 500 evaluation questions
    python -m bench.readings compare before.json after.json

`dump` reads a fixed list of 500 texts (drawn with a fixed seed from nlu/data/evaluation/*.yml)
through `Understander.serving`, as the bot does, and writes each `Understanding` (intent, topic,
confidence, ranking, the n-gram ranking, place, source and the semantic net's crisis reading).
Without `--rasa` the matcher answers (degraded mode); with it, a Rasa server on the trained model.
`compare` exits 1 when an intent, topic, place or source differs or a number by more than 1e-5.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
from pathlib import Path
from typing import Any

from bot.settings import PROJECT_ROOT
from bot.understanding.model import Understanding
from bot.understanding.training import conversation_examples

EVALUATION = PROJECT_ROOT / "nlu" / "data" / "evaluation"
TEXTS = 500
TOLERANCE = 1e-5


def texts(count: int = TEXTS) -> list[tuple[str, str]]:
    """(text, language): the same `count` evaluation questions every time."""
    pool = [
        (example.text, example.language)
        for path in sorted(EVALUATION.glob("*.yml"))
        for example in conversation_examples(path)
    ]
    return random.Random(23).sample(pool, count)


def as_json(found: Understanding) -> dict[str, Any]:
    return {
        "intent": found.intent,
        "topic": found.topic,
        "confidence": found.confidence,
        "ranking": [list(pair) for pair in found.ranking],
        "ngram_ranking": [list(pair) for pair in found.ngram_ranking],
        "place": found.place,
        "source": found.source,
        "crisis": None if found.crisis is None else [found.crisis.emergency, found.crisis.violence],
    }


async def read_all(rasa_url: str | None, concurrency: int = 1) -> list[dict[str, Any]]:
    from bot.content.loader import load
    from bot.understanding.understand import Understander

    understander = Understander.serving(load(PROJECT_ROOT / "content"), rasa_url=rasa_url)
    limit = asyncio.Semaphore(concurrency)

    async def read(text: str, language: str) -> dict[str, Any]:
        async with limit:
            found = await understander.understand(text, language=language)
        return {"text": text, "language": language, **as_json(found)}

    try:
        started = time.process_time()
        readings = await asyncio.gather(*(read(text, language) for text, language in texts()))
        cpu_ms = (time.process_time() - started) * 1000 / len(readings)
        print(f"{len(readings)} readings ({concurrency} at a time), {cpu_ms:.1f} ms CPU each")
        return readings
    finally:
        await understander.aclose()


def dump(path: Path, *, rasa: bool, concurrency: int = 1) -> None:
    server = None
    if rasa:
        from bench.common import VAR, RasaServer

        VAR.mkdir(parents=True, exist_ok=True)
        server = RasaServer(VAR / "rasa-readings.log")
        server.start()
    try:
        readings = asyncio.run(read_all(server.url if server is not None else None, concurrency))
    finally:
        if server is not None:
            server.stop()
    path.write_text(json.dumps(readings, ensure_ascii=False, indent=1) + "\n")


def differences(before: Any, after: Any, where: str = "") -> list[str]:
    if isinstance(before, float) and isinstance(after, float):
        return [f"{where}: {before!r} -> {after!r}"] if abs(before - after) > TOLERANCE else []
    if isinstance(before, list) and isinstance(after, list):
        if len(before) != len(after):
            return [f"{where}: {len(before)} items -> {len(after)}"]
        return [
            d
            for i, (b, a) in enumerate(zip(before, after, strict=True))
            for d in differences(b, a, f"{where}[{i}]")
        ]
    if isinstance(before, dict) and isinstance(after, dict):
        if before.keys() != after.keys():
            return [f"{where}: keys {sorted(before)} -> {sorted(after)}"]
        return [d for key in before for d in differences(before[key], after[key], f"{where}.{key}")]
    return [] if before == after else [f"{where}: {before!r} -> {after!r}"]


def compare(before_path: Path, after_path: Path) -> int:
    before = json.loads(before_path.read_text())
    after = json.loads(after_path.read_text())
    found = differences(before, after)
    worst = max(
        (
            abs(b - a)
            for old, new in zip(before, after, strict=False)
            for b, a in [
                (old["confidence"], new["confidence"]),
                *zip(old["crisis"] or [], new["crisis"] or [], strict=False),
            ]
        ),
        default=0.0,
    )
    for line in found[:20]:
        print(line)
    print(
        f"{len(before)} readings compared: {len(found)} differences (tolerance {TOLERANCE}); "
        f"largest change of a confidence or crisis probability {worst:.2e}"
    )
    return 1 if found else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    dumping = commands.add_parser("dump")
    dumping.add_argument("out", type=Path)
    dumping.add_argument("--rasa", action="store_true", help="read with a Rasa server (else the matcher)")
    dumping.add_argument("--concurrency", type=int, default=1, help="messages read at once (default 1)")
    comparing = commands.add_parser("compare")
    comparing.add_argument("before", type=Path)
    comparing.add_argument("after", type=Path)
    arguments = parser.parse_args()
    if arguments.command == "dump":
        dump(arguments.out, rasa=arguments.rasa, concurrency=arguments.concurrency)
        return 0
    return compare(arguments.before, arguments.after)


if __name__ == "__main__":
    sys.exit(main())
