"""Staff accounts: argon2 password hashes, login with lockout, and the audit log.

One unit of work each: the caller passes its session and commits.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.content.model import LANGUAGES
from bot.storage.models import AuditEntry, Case, CaseEvent, StaffAccount, new_session_secret

ROLES = ("staff", "editor", "admin")
Role = Literal["staff", "editor", "admin"]
# What each role may do beyond working on cases.
EDITOR_ROLES = ("editor", "admin")  # see content problems
ADMIN_ROLES = ("admin",)  # see the audit log

MIN_PASSWORD_LENGTH = 10
MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)

_hasher = PasswordHasher()
# Verified against when the username is unknown, so a login takes as long either way.
_DUMMY_HASH = _hasher.hash("not a password of anyone")


class StaffError(ValueError):
    """A request about staff accounts that cannot be done; the message says why."""


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise StaffError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    return _hasher.hash(password)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def parse_languages(text: str) -> str:
    """'de, en' -> 'de,en'; every code must be one of the bot's languages."""
    codes = [code.strip().lower() for code in text.split(",") if code.strip()]
    unknown = [code for code in codes if code not in LANGUAGES]
    if unknown:
        raise StaffError(f"unknown language {unknown[0]!r} (use {', '.join(LANGUAGES)})")
    return ",".join(dict.fromkeys(codes))


def languages_of(account: StaffAccount) -> tuple[str, ...]:
    return tuple(code for code in account.languages.split(",") if code)


async def find(session: AsyncSession, username: str) -> StaffAccount | None:
    return (
        await session.execute(select(StaffAccount).where(StaffAccount.username == username))
    ).scalar_one_or_none()


async def create_account(
    session: AsyncSession, username: str, password: str, *, role: str, languages: str
) -> StaffAccount:
    if role not in ROLES:
        raise StaffError(f"unknown role {role!r} (use {', '.join(ROLES)})")
    if not username or len(username) > 64 or not username.replace(".", "").replace("-", "").isalnum():
        raise StaffError("a username is 1-64 letters, digits, '.' or '-'")
    if await find(session, username) is not None:
        raise StaffError(f"a staff account {username!r} exists already")
    account = StaffAccount(
        username=username,
        password_hash=hash_password(password),
        role=role,
        languages=parse_languages(languages),
        failed_logins=0,
    )
    session.add(account)
    await session.flush()
    await audit(session, None, "staff_add", f"staff:{username}", actor="cli")
    return account


async def list_accounts(session: AsyncSession) -> Sequence[StaffAccount]:
    return (await session.execute(select(StaffAccount).order_by(StaffAccount.username))).scalars().all()


async def remove_account(session: AsyncSession, username: str) -> None:
    """Remove an account; the cases it held go back to the queue."""
    account = await find(session, username)
    if account is None:
        raise StaffError(f"there is no staff account {username!r}")
    held = (
        await session.execute(
            update(Case)
            .where(Case.claimed_by == account.id, Case.status == "claimed")
            .values(status="open", claimed_by=None, claimed_at=None)
            .returning(Case.id)
            .execution_options(synchronize_session=False)
        )
    ).scalars()
    session.add_all(CaseEvent(case_id=case_id, kind="status", text="released") for case_id in held)
    await session.delete(account)
    await audit(session, None, "staff_remove", f"staff:{username}", actor="cli")
    await session.flush()


async def set_password(session: AsyncSession, username: str, password: str) -> None:
    """A new password; also unlocks the account and ends its sessions."""
    account = await find(session, username)
    if account is None:
        raise StaffError(f"there is no staff account {username!r}")
    account.password_hash = hash_password(password)
    account.failed_logins, account.locked_until = 0, None
    account.session_secret = new_session_secret()
    await audit(session, None, "staff_password", f"staff:{username}", actor="cli")


@dataclass(frozen=True)
class LoginResult:
    account: StaffAccount | None
    locked_until: datetime | None = None


async def authenticate(
    session: AsyncSession, username: str, password: str, *, now: datetime | None = None
) -> LoginResult:
    """The account when the password is right and the account not locked.

    Every wrong password counts; the MAX_FAILED_LOGINS-th locks the account for LOCKOUT (while
    locked, even the right password is refused). Success resets the count.
    """
    now = now or datetime.now(UTC)
    account = await find(session, username)
    if account is None:
        await asyncio.to_thread(_verify, _DUMMY_HASH, password)
        return LoginResult(None)
    locked_until = account.locked_until
    if locked_until is not None and locked_until.tzinfo is None:  # SQLite returns naive datetimes
        locked_until = locked_until.replace(tzinfo=UTC)
    if locked_until is not None and locked_until > now:
        await audit(session, account, "login_locked", f"staff:{account.username}")
        return LoginResult(None, locked_until)
    # argon2 takes tens of milliseconds of CPU on purpose: not on the event loop.
    if not await asyncio.to_thread(_verify, account.password_hash, password):
        # One statement, so two wrong passwords at once both count.
        failed = (
            await session.execute(
                update(StaffAccount)
                .where(StaffAccount.id == account.id)
                .values(failed_logins=StaffAccount.failed_logins + 1)
                .returning(StaffAccount.failed_logins)
            )
        ).scalar_one()
        await audit(session, account, "login_failed", f"staff:{account.username}")
        if failed >= MAX_FAILED_LOGINS:
            until = now + LOCKOUT
            await session.execute(
                update(StaffAccount)
                .where(StaffAccount.id == account.id)
                .values(locked_until=until, failed_logins=0)
            )
            await audit(session, account, "locked", f"staff:{account.username}")
            return LoginResult(None, until)
        return LoginResult(None)
    account.failed_logins, account.locked_until = 0, None
    if _hasher.check_needs_rehash(account.password_hash):
        account.password_hash = _hasher.hash(password)
    await audit(session, account, "login", f"staff:{account.username}")
    return LoginResult(account)


async def end_sessions(session: AsyncSession, account: StaffAccount) -> None:
    """Logout: every cookie issued so far for this account stops working."""
    await session.execute(
        update(StaffAccount).where(StaffAccount.id == account.id).values(session_secret=new_session_secret())
    )
    await audit(session, account, "logout", f"staff:{account.username}")


async def audit(
    session: AsyncSession, account: StaffAccount | None, action: str, target: str = "", *, actor: str = ""
) -> None:
    """Who did what to what, and when."""
    session.add(
        AuditEntry(
            staff_id=account.id if account else None,
            actor=(account.username if account else actor)[:64],
            action=action[:32],
            target=target[:64],
        )
    )
    await session.flush()


async def audit_log(session: AsyncSession, *, limit: int = 500) -> Sequence[AuditEntry]:
    return (
        (await session.execute(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)))
        .scalars()
        .all()
    )
