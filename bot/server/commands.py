"""`wegweiser run`: start everything."""

from __future__ import annotations

import argparse

from bot.settings import load_settings


def _run(args: argparse.Namespace) -> int:
    # Imported here: the Telegram and web stacks take a second or two to import, which every other
    # command (`wegweiser ask` among them) would pay for nothing.
    from bot.server.run import run

    return run(load_settings(), start_nlu=not args.no_nlu)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "run", help="start the NLU server, the web server and the Telegram channel"
    )
    parser.add_argument(
        "--no-nlu", action="store_true", help="do not start a Rasa server (one already runs at RASA_URL)"
    )
    parser.set_defaults(handler=_run)
