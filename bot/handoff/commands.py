"""`wegweiser staff add|list|remove|password`: staff accounts for the console, for operators.

The password is read from standard input: typed without echo (twice) at a terminal, else the
first line (`printf '%s\\n' "$PW" | wegweiser staff add anna …`). Errors: one line, exit code 2.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.content.model import LANGUAGES
from bot.handoff import staff
from bot.settings import load_settings
from bot.storage.database import Database

T = TypeVar("T")


class CommandError(Exception):
    """One line for the operator; exit code 2."""


def read_password() -> str:
    if sys.stdin.isatty():
        password = getpass.getpass("Password: ")
        if getpass.getpass("Repeat password: ") != password:
            raise CommandError("the two passwords differ")
    else:
        line = sys.stdin.readline()
        if not line:
            raise CommandError("no password on standard input")
        password = line.rstrip("\r\n")
    try:
        password.encode("utf-8")  # bytes that are not UTF-8 arrive as lone surrogates and cannot be hashed
    except UnicodeEncodeError:
        raise CommandError(
            "the password is not UTF-8 text (check the terminal's or file's encoding)"
        ) from None
    return password


def _in_database(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    settings = load_settings()

    async def run() -> T:
        database = Database(settings.database_url)
        try:
            async with database.session() as session, session.begin():
                return await work(session)
        finally:
            await database.dispose()

    try:
        return asyncio.run(run())
    except (SQLAlchemyError, OSError) as error:
        raise CommandError(
            f"the database is not usable ({type(error).__name__}); "
            "start it, check DATABASE_URL and run 'wegweiser db upgrade'"
        ) from None


def _fail(error: Exception) -> int:
    print(f"wegweiser: {error}", file=sys.stderr)
    return 2


def _add(args: argparse.Namespace) -> int:
    try:
        # Check what can be checked before asking for a password.
        if args.role not in staff.ROLES:
            raise staff.StaffError(f"unknown role {args.role!r} (use {', '.join(staff.ROLES)})")
        staff.parse_languages(args.languages)
        password = read_password()

        async def add(session: AsyncSession) -> None:
            await staff.create_account(
                session, args.username, password, role=args.role, languages=args.languages
            )

        _in_database(add)
    except (staff.StaffError, CommandError) as error:
        return _fail(error)
    print(f"staff account {args.username} ({args.role}) added")
    return 0


def _list(args: argparse.Namespace) -> int:
    async def rows(session: AsyncSession) -> list[tuple[str, str, str]]:
        return [
            (account.username, account.role, account.languages or "-")
            for account in await staff.list_accounts(session)
        ]

    try:
        accounts = _in_database(rows)
    except CommandError as error:
        return _fail(error)
    if not accounts:
        print("no staff accounts; add one with 'wegweiser staff add USERNAME --role staff --languages de'")
        return 0
    width = max(len(name) for name, *_ in accounts)
    for name, role, languages in accounts:
        print(f"{name:<{width}}  {role:<6}  {languages}")
    return 0


def _remove(args: argparse.Namespace) -> int:
    async def remove(session: AsyncSession) -> None:
        await staff.remove_account(session, args.username)

    try:
        _in_database(remove)
    except (staff.StaffError, CommandError) as error:
        return _fail(error)
    print(f"staff account {args.username} removed")
    return 0


def _password(args: argparse.Namespace) -> int:
    try:
        password = read_password()

        async def change(session: AsyncSession) -> None:
            await staff.set_password(session, args.username, password)

        _in_database(change)
    except (staff.StaffError, CommandError) as error:
        return _fail(error)
    print(f"password of {args.username} changed; its sessions ended and its next login need not wait")
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("staff", help="staff accounts for the staff console (/staff)")
    commands = parser.add_subparsers(dest="staff_command", required=True, metavar="ACTION")
    add = commands.add_parser("add", help="add an account; the password is read from standard input")
    add.add_argument("username")
    add.add_argument("--role", required=True, help=f"one of {', '.join(staff.ROLES)}")
    add.add_argument(
        "--languages",
        default="",
        help=f"languages the person answers in, e.g. de,en ({', '.join(LANGUAGES)})",
    )
    add.set_defaults(handler=_add)
    listing = commands.add_parser("list", help="list the accounts")
    listing.set_defaults(handler=_list)
    remove = commands.add_parser("remove", help="remove an account (the audit log keeps its name)")
    remove.add_argument("username")
    remove.set_defaults(handler=_remove)
    password = commands.add_parser(
        "password", help="set a new password (from standard input); ends the account's sessions"
    )
    password.add_argument("username")
    password.set_defaults(handler=_password)
