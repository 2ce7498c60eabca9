"""`wegweiser content check|status`: the editors' tools."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path

from bot.content.loader import check, due_for_review
from bot.content.model import LANGUAGES, ContentBase
from bot.settings import PROJECT_ROOT


def _directory(args: argparse.Namespace) -> Path | None:
    """The content folder to read, or None when it is none (said on stderr)."""
    directory = Path(args.directory) if args.directory else PROJECT_ROOT / "content"
    if not (directory / "topics").is_dir():
        print(f"wegweiser: {directory} is not a content folder (no topics/ in it)", file=sys.stderr)
        return None
    return directory


def _check(args: argparse.Namespace) -> int:
    if (directory := _directory(args)) is None:
        return 2
    content, problems = check(directory)
    for problem in problems:
        print(problem)
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    print(f"{errors} error(s), {warnings} warning(s)", file=sys.stderr)
    return 1 if content is None else 0


def status_report(content: ContentBase, today: date) -> dict[str, object]:
    return {
        "topics": {
            topic_id: {language: topic.translation_state(language) for language in LANGUAGES}
            for topic_id, topic in sorted(content.topics.items())
        },
        "phrases": {
            phrase_id: {language: phrase.translation_state(language) for language in LANGUAGES}
            for phrase_id, phrase in sorted(content.phrases.items())
        },
        "due_for_review": sorted(
            [t.id for t in content.topics.values() if due_for_review(t.verified_on, today)]
            + [p.id for p in content.places.values() if due_for_review(p.verified_on, today)]
        ),
    }


def _print_states(heading: str, states_by_id: dict[str, dict[str, str]]) -> None:
    width = max(len(heading), *(len(key) for key in states_by_id)) if states_by_id else 10
    print(f"{heading:<{width}}  " + "  ".join(f"{lang:<12}" for lang in LANGUAGES))
    for key, states in states_by_id.items():
        print(f"{key:<{width}}  " + "  ".join(f"{states[lang]:<12}" for lang in LANGUAGES))


def _print_missing(states_by_id: dict[str, dict[str, str]]) -> None:
    """One line per language: how many phrases have no current translation (missing or outdated)."""
    for language in LANGUAGES:
        lacking = [k for k, states in states_by_id.items() if states[language] in ("missing", "outdated")]
        if lacking:
            print(f"phrases without a current {language} text: {len(lacking)} ({', '.join(lacking)})")
    print(f"phrases: {len(states_by_id)}")


def _status(args: argparse.Namespace) -> int:
    if (directory := _directory(args)) is None:
        return 2
    content, problems = check(directory)
    if content is None:
        for problem in problems:
            print(problem, file=sys.stderr)
        print(
            "wegweiser: the content has errors; run 'wegweiser content check' and fix them", file=sys.stderr
        )
        return 1
    report = status_report(content, date.today())
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return 0
    topics: dict[str, dict[str, str]] = report["topics"]  # type: ignore[assignment]
    phrases: dict[str, dict[str, str]] = report["phrases"]  # type: ignore[assignment]
    _print_states("topic", topics)
    if phrases:
        print()
        _print_states("phrase", phrases)
        _print_missing(phrases)
    due = report["due_for_review"]
    print(f"due for review: {', '.join(due) if due else 'none'}")  # type: ignore[arg-type]
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    content = subparsers.add_parser("content", help="check the content base and its translations")
    commands = content.add_subparsers(dest="content_command", required=True, metavar="ACTION")
    check_parser = commands.add_parser(
        "check", help="validate content; prints file:line: problem, exit 1 on errors"
    )
    check_parser.add_argument("directory", nargs="?", help="content folder (default: ./content)")
    check_parser.set_defaults(handler=_check)
    status = commands.add_parser(
        "status", help="translation state per topic, phrase and language; what is due for review"
    )
    status.add_argument("directory", nargs="?", help="content folder (default: ./content)")
    status.add_argument("--json", action="store_true", help="machine-readable output")
    status.set_defaults(handler=_status)
