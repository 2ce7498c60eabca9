"""`wegweiser staff add|list|remove|password`: accounts for the console, errors as one line and exit 2."""

from __future__ import annotations

import asyncio
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from bot.cli import main
from bot.storage import migrate
from bot.storage.database import Database
from bot.storage.models import AuditEntry, StaffAccount

SECRET_PASSWORD = "ein-langes-passwort-7"


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """A migrated SQLite database (the commands run their own event loop, so these tests are sync)."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'wegweiser.db'}"
    migrate.upgrade(url)
    return url


@pytest.fixture
def environment(database_url: str, content_dir: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    values = {"DATABASE_URL": database_url, "CONTENT_DIR": str(content_dir)}
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


def run(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *argv: str, stdin: str = ""
) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(["staff", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def accounts(database_url: str) -> list[StaffAccount]:
    async def load() -> list[StaffAccount]:
        database = Database(database_url)
        try:
            async with database.session() as session:
                return list((await session.execute(select(StaffAccount).order_by(StaffAccount.id))).scalars())
        finally:
            await database.dispose()

    return asyncio.run(load())


def audit_actions(database_url: str) -> list[tuple[str, str, str]]:
    async def load() -> list[tuple[str, str, str]]:
        database = Database(database_url)
        try:
            async with database.session() as session:
                rows = await session.execute(select(AuditEntry.actor, AuditEntry.action, AuditEntry.target))
                return [(actor, action, target) for actor, action, target in rows.all()]
        finally:
            await database.dispose()

    return asyncio.run(load())


def test_add_list_password_remove(
    environment: dict[str, str],
    database_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    code, out, err = run(
        capsys,
        monkeypatch,
        "add",
        "anna",
        "--role",
        "editor",
        "--languages",
        "de, uk",
        stdin=SECRET_PASSWORD + "\n",
    )
    assert (code, err) == (0, "")
    assert out == "staff account anna (editor) added\n"
    [anna] = accounts(database_url)
    assert (anna.username, anna.role, anna.languages) == ("anna", "editor", "de,uk")
    assert anna.password_hash.startswith("$argon2id$") and SECRET_PASSWORD not in anna.password_hash
    assert PasswordHasher().verify(anna.password_hash, SECRET_PASSWORD)

    code, out, _ = run(capsys, monkeypatch, "list")
    assert code == 0 and out.split() == ["anna", "editor", "de,uk"]

    code, out, _ = run(capsys, monkeypatch, "password", "anna", stdin="ein-anderes-passwort\n")
    assert code == 0
    [changed] = accounts(database_url)
    assert PasswordHasher().verify(changed.password_hash, "ein-anderes-passwort")
    assert changed.session_secret != anna.session_secret  # open sessions end

    code, out, _ = run(capsys, monkeypatch, "remove", "anna")
    assert (code, out) == (0, "staff account anna removed\n")
    assert accounts(database_url) == []
    code, out, _ = run(capsys, monkeypatch, "list")
    assert code == 0 and out.startswith("no staff accounts")
    assert [action for _, action, _ in audit_actions(database_url)] == [
        "staff_add",
        "staff_password",
        "staff_remove",
    ]


@pytest.mark.parametrize(
    ("argv", "stdin", "problem"),
    [
        (("add", "anna", "--role", "boss"), SECRET_PASSWORD, "unknown role 'boss'"),
        (
            ("add", "anna", "--role", "staff", "--languages", "de,xx"),
            SECRET_PASSWORD,
            "unknown language 'xx'",
        ),
        (("add", "anna", "--role", "staff"), "kurz", "at least 10 characters"),
        (("add", "anna", "--role", "staff"), "", "no password on standard input"),
        # the bytes 0xff 0xfe on a UTF-8 stdin, as Python reads them (surrogateescape)
        (
            ("add", "anna", "--role", "staff"),
            "\udcff\udcfe" + SECRET_PASSWORD,
            "the password is not UTF-8 text",
        ),
        (("add", "bad name!", "--role", "staff"), SECRET_PASSWORD, "a username is"),
        (("remove", "nobody"), "", "there is no staff account 'nobody'"),
        (("password", "nobody"), SECRET_PASSWORD, "there is no staff account 'nobody'"),
    ],
)
def test_errors_are_one_line_and_exit_code_2(
    environment: dict[str, str],
    database_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    argv: tuple[str, ...],
    stdin: str,
    problem: str,
) -> None:
    code, out, err = run(capsys, monkeypatch, *argv, stdin=stdin + "\n" if stdin else "")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("wegweiser: ") and problem in err, err
    assert accounts(database_url) == []


def test_a_username_is_taken_once(
    environment: dict[str, str],
    database_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert run(capsys, monkeypatch, "add", "anna", "--role", "staff", stdin=SECRET_PASSWORD)[0] == 0
    code, _, err = run(capsys, monkeypatch, "add", "anna", "--role", "admin", stdin=SECRET_PASSWORD)
    assert code == 2 and err == "wegweiser: a staff account 'anna' exists already\n"
    assert [a.role for a in accounts(database_url)] == ["staff"]


def test_an_unmigrated_database_is_one_line(
    tmp_path: Path, content_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}")
    monkeypatch.setenv("CONTENT_DIR", str(content_dir))
    code, _, err = run(capsys, monkeypatch, "list")
    assert code == 2 and err.count("\n") == 1 and "wegweiser db upgrade" in err


def test_the_installed_command_reads_the_password_from_stdin_and_never_prints_it(
    environment: dict[str, str], database_url: str
) -> None:
    wegweiser = Path(sys.executable).parent / "wegweiser"
    env = {**os.environ, **environment}
    added = subprocess.run(
        [str(wegweiser), "staff", "add", "ben", "--role", "staff", "--languages", "ar,fa"],
        input=SECRET_PASSWORD + "\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert added.returncode == 0, added.stderr
    listed = subprocess.run(
        [str(wegweiser), "staff", "list"], capture_output=True, text=True, env=env, timeout=60, check=False
    )
    assert listed.returncode == 0 and listed.stdout.split() == ["ben", "staff", "ar,fa"]
    assert SECRET_PASSWORD not in added.stdout + added.stderr + listed.stdout + listed.stderr
