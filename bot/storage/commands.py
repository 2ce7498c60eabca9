"""`wegweiser db …`: migrations for operators."""

from __future__ import annotations

import argparse
import sys

from bot.settings import load_settings
from bot.storage import migrate


def _upgrade(args: argparse.Namespace) -> int:
    settings = load_settings()
    try:
        migrate.upgrade(settings.database_url, args.revision)
    except Exception as error:  # driver errors differ per database; the operator needs one line
        first_line = next(iter(str(error).splitlines()), "")  # SQLAlchemy adds a "Background" line
        print(
            f"wegweiser: database migration failed ({type(error).__name__}: {first_line}): "
            "check that DATABASE_URL points at a running database",
            file=sys.stderr,
        )
        return 2
    print(f"database at revision {args.revision}")
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    db = subparsers.add_parser("db", help="database migrations")
    commands = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    upgrade = commands.add_parser("upgrade", help="migrate the database to the newest schema")
    upgrade.add_argument("revision", nargs="?", default="head")
    upgrade.set_defaults(handler=_upgrade)
