"""Staff accounts: argon2 password hashes, login with lockout, and the audit log.

One unit of work each: the caller passes its session and commits.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal, TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.content.model import LANGUAGES
from bot.storage.database import Database
from bot.storage.models import AuditEntry, Case, CaseEvent, LoginAttempt, StaffAccount, new_session_secret

T = TypeVar("T")

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


# Logins, throttled per client address: the first FREE_ATTEMPTS attempts that are not followed by a
# successful login go at once, each further one only after a wait that doubles (1 s, 2 s, 4 s, ...)
# up to CLIENT_WAIT_MAX. A client silent for FORGET_ATTEMPTS_AFTER starts again from nothing.
FREE_ATTEMPTS = 5
CLIENT_WAIT_MAX = timedelta(minutes=15)
FORGET_ATTEMPTS_AFTER = timedelta(hours=24)

# argon2 takes tens of milliseconds of CPU and 64 MB on purpose. The checks run on threads of their
# own, at most this many at once, and never while a database connection is held: with SQLite there
# is only one, and four parallel logins holding it through their hash checks stalled the whole app.
PASSWORD_CHECKS_AT_ONCE = 2
_password_checks = ThreadPoolExecutor(PASSWORD_CHECKS_AT_ONCE, thread_name_prefix="password-check")


async def _in_password_thread(work: Callable[[], T]) -> T:
    return await asyncio.get_running_loop().run_in_executor(_password_checks, work)


def wait_after(failures: int, longest: timedelta) -> timedelta:
    """How long to wait after `failures` uncleared attempts before the next one."""
    if failures < FREE_ATTEMPTS:
        return timedelta(0)
    return min(longest, timedelta(seconds=2 ** min(failures - FREE_ATTEMPTS, 30)))


def _stored(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)  # SQLite: naive UTC


async def _count_attempt(session: AsyncSession, key: str, longest: timedelta, now: datetime) -> int:
    """Count an attempt for `key`; or, while it must still wait, count nothing and return the
    seconds left. The row stays locked until the unit of work ends, so parallel attempts queue."""
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    await session.execute(
        insert(LoginAttempt).values(key=key, failures=0, last_at=now).on_conflict_do_nothing()
    )
    attempts = (
        await session.execute(
            select(LoginAttempt)
            .where(LoginAttempt.key == key)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).scalar_one()
    if _stored(attempts.last_at) < now - FORGET_ATTEMPTS_AFTER:
        attempts.failures = 0
    wait = wait_after(attempts.failures, longest)
    ready_at = _stored(attempts.last_at) + wait
    if wait and ready_at > now:
        return math.ceil((ready_at - now).total_seconds())
    attempts.failures += 1
    attempts.last_at = max(now, _stored(attempts.last_at))  # a parallel attempt may have come later
    return 0


@dataclass(frozen=True)
class LoginResult:
    account: StaffAccount | None
    retry_after: int = 0  # seconds; not 0: refused without looking at the password
    locked_until: datetime | None = None


async def authenticate(
    database: Database, username: str, password: str, *, client: str, now: datetime | None = None
) -> LoginResult:
    """The account when the password is right, the account not locked and the client not throttled.

    Three steps, so that no database connection is held while the password hash is checked: a unit
    of work that counts the attempt and reads the account, the check on a thread of its own, a unit
    of work that records the outcome. Every wrong password counts; the MAX_FAILED_LOGINS-th locks
    the account for LOCKOUT (while locked, even the right password is refused). Success resets the
    counts.
    """
    now = now or datetime.now(UTC)
    client_key = f"client:{client}"[:80]
    async with database.session() as session, session.begin():
        wait = await _count_attempt(session, client_key, CLIENT_WAIT_MAX, now)
        if wait:
            return LoginResult(None, retry_after=wait)
        account = await find(session, username)
        if account is not None:
            locked_until = account.locked_until and _stored(account.locked_until)
            if locked_until is not None and locked_until > now:
                await audit(session, account, "login_locked", f"staff:{account.username}")
                return LoginResult(None, locked_until=locked_until)
        staff_id, known_hash = (account.id, account.password_hash) if account else (None, _DUMMY_HASH)

    right = await _in_password_thread(lambda: _verify(known_hash, password)) and staff_id is not None
    new_hash = None
    if right and _hasher.check_needs_rehash(known_hash):
        new_hash = await _in_password_thread(lambda: _hasher.hash(password))

    async with database.session() as session, session.begin():
        account = await session.get(StaffAccount, staff_id) if staff_id is not None else None
        if account is None:
            return LoginResult(None)
        # The account could have changed its password while the hash was checked.
        if right and account.password_hash == known_hash:
            account.failed_logins, account.locked_until = 0, None
            account.password_hash = new_hash or account.password_hash
            await session.execute(delete(LoginAttempt).where(LoginAttempt.key == client_key))
            await audit(session, account, "login", f"staff:{account.username}")
            return LoginResult(account)
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
            return LoginResult(None, locked_until=until)
        return LoginResult(None)


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
