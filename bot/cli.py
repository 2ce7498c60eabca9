"""The `wegweiser` command: thin wiring; each feature module registers its own subcommands."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

# Feature modules, each with `register(subparsers)`. Order is the order of `wegweiser --help`.
COMMAND_MODULES = (
    "bot.server.commands",  # run, serve
    "bot.storage.commands",  # db upgrade / current
    "bot.content.commands",  # content check / status
    "bot.understanding.commands",  # nlu train / serve / evaluate
    "bot.handoff.commands",  # staff add / list / remove / password
    "bot.conversation.commands",  # ask, chat
    "bot.reports.commands",  # report unanswered / usage
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wegweiser",
        description="Wegweiser: multilingual orientation chat bot for newcomers in Osnabrück.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        result = args.handler(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # Whoever read the output has gone (`wegweiser report usage | head`): stop quietly, and keep
        # the interpreter's last flush at exit from failing on the same pipe (see Python's signal docs).
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())
