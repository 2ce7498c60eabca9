"""`wegweiser report unanswered | usage`: the content gaps and the topics in use, per language."""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
from typing import Any

from bot.content.model import LANGUAGES
from bot.reports.queries import unanswered, usage
from bot.settings import load_settings
from bot.storage.database import Database, DatabaseUnavailable

# What a visitor wrote must not steer the operator's terminal: escape sequences (ESC, CSI) could
# rewrite the screen or the window title, direction overrides reorder the table around them.
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
MAX_DAYS = 3650  # as far back as RETENTION_DAYS can keep anything; more days overflow the date arithmetic


def register(subparsers: Any) -> None:
    report = subparsers.add_parser("report", help="reports for editors: unanswered questions, topic usage")
    kinds = report.add_subparsers(dest="report", metavar="REPORT", required=True)
    for name, text in (
        ("unanswered", "questions the bot could not answer or that got 'not helpful', by language and topic"),
        ("usage", "answers given, topics x languages"),
    ):
        parser = kinds.add_parser(name, help=text)
        parser.add_argument(
            "--days", type=int, default=30, help=f"how far back (default 30 days, at most {MAX_DAYS})"
        )
        parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
        parser.set_defaults(handler=_report)


def _report(args: argparse.Namespace) -> int:
    if not 1 <= args.days <= MAX_DAYS:
        print(f"wegweiser: report: --days must be between 1 and {MAX_DAYS}", file=sys.stderr)
        return 2
    settings = load_settings()

    async def run() -> int:
        database = Database(settings.database_url)
        try:
            await database.check()
            if args.report == "unanswered":
                gaps = await unanswered(database, args.days)
                print(
                    json.dumps([vars(g) for g in gaps], ensure_ascii=False, indent=2)
                    if args.json
                    else _gap_table(gaps, args.days)
                )
            else:
                table = await usage(database, args.days)
                print(
                    json.dumps(table, ensure_ascii=False, indent=2)
                    if args.json
                    else _usage_table(table, args.days)
                )
            return 0
        except DatabaseUnavailable as error:
            print(f"wegweiser: {error}", file=sys.stderr)
            return 2
        finally:
            await database.dispose()

    return asyncio.run(run())


def _gap_table(gaps: list[Any], days: int) -> str:
    if not gaps:
        return f"No unanswered questions in the last {days} days."
    lines = [f"Unanswered or not helpful, last {days} days (most first):", ""]
    lines.append(f"{'lang':<5} {'nearest topic':<32} {'count':>5} {'not helpful':>11}  examples")
    for gap in gaps:
        examples = " | ".join(
            _CONTROLS.sub("\ufffd", sample.replace("\n", " "))[:60] for sample in gap.samples
        )
        lines.append(
            f"{gap.language:<5} {gap.nearest_topic or '-':<32} {gap.count:>5} {gap.not_helpful:>11}  {examples}"
        )
    return "\n".join(lines)


def _usage_table(table: dict[str, dict[str, int]], days: int) -> str:
    if not table:
        return f"No answers given in the last {days} days."
    languages = [lang for lang in LANGUAGES if any(lang in row for row in table.values())]
    header = f"{'topic':<32}" + "".join(f"{lang:>6}" for lang in languages) + f"{'all':>7}"
    lines = [f"Answers given, last {days} days:", "", header]
    for topic, row in sorted(table.items(), key=lambda item: -sum(item[1].values())):
        lines.append(
            f"{topic:<32}"
            + "".join(f"{row.get(lang, 0):>6}" for lang in languages)
            + f"{sum(row.values()):>7}"
        )
    return "\n".join(lines)
