"""Staff accounts: argon2 password hashes, logins that wait after failures, and the audit log.

One unit of work each: the caller passes its session and commits. (Not `authenticate`: it opens
two, so that no database connection is held while a password hash is checked.)
"""

from __future__ import annotations

import asyncio
import hashlib
import math
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal, TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, func, select, update
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
    """A new password; also ends the account's sessions and clears the wait before its next login."""
    account = await find(session, username)
    if account is None:
        raise StaffError(f"there is no staff account {username!r}")
    account.password_hash = hash_password(password)
    account.session_secret = new_session_secret()
    await session.execute(delete(LoginAttempt).where(LoginAttempt.key == user_key(username)))
    await audit(session, None, "staff_password", f"staff:{username}", actor="cli")


# Logins wait after failures, per client address and per username typed (whether or not the account
# exists), never locked: the first FREE_ATTEMPTS attempts not followed by a successful login go at
# once, each further one only after a wait that doubles (1 s, 2 s, 4 s, ...) up to CLIENT_WAIT_MAX
# for the client and USER_WAIT_MAX for the username. So a guessing client soon waits long, while
# whoever tries a staff member's name from many addresses makes the real person (from a new client,
# with the right password) wait at most USER_WAIT_MAX. Attempts silent for FORGET_ATTEMPTS_AFTER
# are forgotten (and purged by the retention job).
FREE_ATTEMPTS = 5
CLIENT_WAIT_MAX = timedelta(minutes=15)
USER_WAIT_MAX = timedelta(seconds=30)
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


def user_key(username: str) -> str:
    """The login attempts' key for a username typed: a digest, so that what strangers type (at times
    a password, in the wrong field) is not stored."""
    return "user:" + hashlib.sha256(username.casefold().encode()).hexdigest()[:40]


async def _attempts(session: AsyncSession, key: str, now: datetime) -> LoginAttempt:
    """The attempts counted for `key`, locked until the unit of work ends, so parallel attempts queue.
    One upsert: it finds the row or makes it even while a successful login deletes it."""
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    upsert = insert(LoginAttempt).values(key=key, failures=0, last_at=now)
    attempts = (
        await session.scalars(
            upsert.on_conflict_do_update(
                index_elements=[LoginAttempt.key], set_={"key": upsert.excluded.key}
            ).returning(LoginAttempt),
            execution_options={"populate_existing": True},
        )
    ).one()
    if _stored(attempts.last_at) < now - FORGET_ATTEMPTS_AFTER:
        attempts.failures = 0
    return attempts


async def _count_attempt(session: AsyncSession, keys: dict[str, timedelta], now: datetime) -> int:
    """Count an attempt for each key (a key with its longest wait); or, while one of them must
    still wait, count nothing and return the seconds left."""
    rows = [(await _attempts(session, key, now), longest) for key, longest in keys.items()]
    seconds_left = 0.0
    for attempts, longest in rows:
        wait = wait_after(attempts.failures, longest)
        if wait:
            seconds_left = max(seconds_left, (_stored(attempts.last_at) + wait - now).total_seconds())
    if seconds_left > 0:
        return math.ceil(seconds_left)
    for attempts, _ in rows:
        attempts.failures += 1
        attempts.last_at = max(now, _stored(attempts.last_at))  # a parallel attempt may have come later
    return 0


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class LoginResult:
    account: StaffAccount | None
    retry_after: int = 0  # seconds; not 0: refused without looking at the password


async def authenticate(
    database: Database, username: str, password: str, *, client: str, now: datetime | None = None
) -> LoginResult:
    """The account when the password is right and neither the client nor the username must wait.

    Three steps, so that no database connection is held while the password hash is checked: a unit
    of work that counts the attempt and reads the account, the check on a thread of its own, a unit
    of work that records the outcome. An unknown username gets the same answers after the same
    work (a hash check against a dummy hash, the same statements), so answers and timing do not
    tell which accounts exist. Success clears the client's and the username's counts.
    """
    now = now or _now()
    keys = {f"client:{client}"[:80]: CLIENT_WAIT_MAX, user_key(username): USER_WAIT_MAX}
    async with database.session() as session, session.begin():
        account = await find(session, username)
        target = f"staff:{account.username}" if account else "staff:?"  # never what a stranger typed
        wait = await _count_attempt(session, keys, now)
        if wait:
            await audit_repeated(session, "login_waiting", target, client, now)
            return LoginResult(None, retry_after=wait)
        staff_id, known_hash = (account.id, account.password_hash) if account else (0, _DUMMY_HASH)

    right = await _in_password_thread(lambda: _verify(known_hash, password))
    new_hash = None
    if right and _hasher.check_needs_rehash(known_hash):
        new_hash = await _in_password_thread(lambda: _hasher.hash(password))

    async with database.session() as session, session.begin():
        # (For an unknown username: the same look-up, of an id no account has.)
        account = await session.get(StaffAccount, staff_id)
        # The account could have been removed, or its password changed, during the check.
        if right and account is not None and account.password_hash == known_hash:
            account.password_hash = new_hash or account.password_hash
            await session.execute(delete(LoginAttempt).where(LoginAttempt.key.in_(keys)))
            await audit(session, account, "login", f"staff:{account.username}", client=client)
            return LoginResult(account)
        await audit_repeated(session, "login_failed", target, client, now)
        return LoginResult(None)


async def end_sessions(session: AsyncSession, account: StaffAccount) -> None:
    """Logout: every cookie issued so far for this account stops working."""
    await session.execute(
        update(StaffAccount).where(StaffAccount.id == account.id).values(session_secret=new_session_secret())
    )
    await audit(session, account, "logout", f"staff:{account.username}")


async def audit(
    session: AsyncSession,
    account: StaffAccount | None,
    action: str,
    target: str = "",
    *,
    actor: str = "",
    client: str = "",
) -> None:
    """Who did what to what, and when."""
    session.add(
        AuditEntry(
            staff_id=account.id if account else None,
            actor=(account.username if account else actor)[:64],
            action=action[:32],
            target=target[:64],
            client=client[:64],
        )
    )
    await session.flush()


# Repeated anonymous events count up in one row per action, target, client and this long.
AUDIT_REPEATS_WITHIN = timedelta(hours=1)


async def audit_repeated(
    session: AsyncSession, action: str, target: str, client: str, now: datetime | None = None
) -> None:
    """An anonymous event that an attacker can repeat at will (a failed or waiting login): one
    row per action, target, client and AUDIT_REPEATS_WITHIN with a count, so that two hundred of
    them do not push everything else out of the audit log."""
    now = now or datetime.now(UTC)
    same = (
        AuditEntry.action == action[:32],
        AuditEntry.target == target[:64],
        AuditEntry.client == client[:64],
        AuditEntry.created_at >= now - AUDIT_REPEATS_WITHIN,
    )
    latest = select(func.max(AuditEntry.id)).where(*same).scalar_subquery()
    counted = (
        await session.execute(
            update(AuditEntry)
            .where(AuditEntry.id == latest)
            .values(count=AuditEntry.count + 1, last_at=now)
            .returning(AuditEntry.id)
            .execution_options(synchronize_session=False)
        )
    ).first()
    if counted is None:
        session.add(
            AuditEntry(
                action=action[:32], target=target[:64], client=client[:64], created_at=now, last_at=now
            )
        )
        await session.flush()


AUDIT_PAGE_SIZE = 100


@dataclass(frozen=True)
class AuditPage:
    entries: Sequence[AuditEntry]  # newest first
    total: int
    page: int  # 1-based
    pages: int


async def audit_log(session: AsyncSession, *, page: int = 1, page_size: int = AUDIT_PAGE_SIZE) -> AuditPage:
    total = (await session.execute(select(func.count()).select_from(AuditEntry))).scalar_one()
    pages = max(1, -(-total // page_size))
    page = min(max(page, 1), pages)
    entries = (
        (
            await session.execute(
                select(AuditEntry)
                .order_by(
                    func.coalesce(AuditEntry.last_at, AuditEntry.created_at).desc(), AuditEntry.id.desc()
                )
                .offset((page - 1) * page_size)
                .limit(page_size)
            )
        )
        .scalars()
        .all()
    )
    return AuditPage(entries, total, page, pages)
