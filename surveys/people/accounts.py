"""Users, passwords and sessions: who is signed in, and as what."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from piccolo.engine.postgres import PostgresEngine

from surveys.core import clock
from surveys.core.db import (
    LOCK_SIGNIN_ADDRESS,
    LOCK_SIGNIN_LOGIN,
    beside_row,
    current_engine,
    fetch,
    serialise_on,
    short_statements,
    write_transaction,
)
from surveys.core.settings import Settings
from surveys.people.hashing import (
    hash_password,
    hashing_slot,
    verify_password,
)
from surveys.tables import AuthSession, SignInFailure, User, UserVillage

ROLES: tuple[str, ...] = (
    "volunteer", "village_head", "ward_officer", "province_officer", "national_officer", "admin",
)  # fmt: skip

# Verified against when the login is unknown, so a wrong login costs the same time as a wrong password:
# the hash of a password nobody has, made with phocap's own cost (a test holds that it still is), written
# here rather than hashed at import, which cost every process that imports the app 50-800 ms.
_DUMMY_HASH = (
    "$argon2id$v=19$m=65536,t=3,p=4$8iK+4y8sKUBHBhe7AHlR+g$MNhSHLTZEvYJlO0i6wgL6vu6nmwBFpaxMCY22CnJerw"
)

# A session's last-seen time is written at most this often, so reading pages does not write each time.
_TOUCH_EVERY = timedelta(minutes=5)


@dataclass(frozen=True)
class Actor:
    """The signed-in user as the rest of phocap sees them."""

    id: int
    login: str
    display_name: str
    role: str
    ward_id: int | None
    province_id: int | None
    village_ids: frozenset[int]
    locale: str
    ward_code: str | None = None
    must_change_password: bool = False
    # What the user's ward calls its villages (a code of `messages.VILLAGE_WORDS`); "thon" without a ward.
    village_word: str = "thon"


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def check_credentials(login: str, password: str) -> int | None:
    """The id of the active user with this login and password, else None."""
    row = (
        await User.select(User.id, User.password_hash)
        .where((User.login == login.strip().lower()) & (User.active.eq(True)))
        .first()
    )
    matches = await verify_password(row["password_hash"] if row else _DUMMY_HASH, password)
    return int(row["id"]) if row and matches else None


@dataclass(frozen=True)
class SignInLimits:
    """How many failed sign-ins, counted over `window`, lock an account or a client address (ASVS 5.0
    V6.3.1). A lock lasts until the oldest counted failure leaves the window; attempts while locked are
    refused without looking at the password and are not counted, so the lock does not grow."""

    per_login: int
    per_address: int
    window: timedelta

    @classmethod
    def of(cls, settings: Settings) -> SignInLimits:
        """The limits the settings ask for."""
        return cls(
            per_login=settings.signin_max_failures,
            per_address=settings.signin_max_failures_per_address,
            window=timedelta(minutes=settings.signin_lock_minutes),
        )


class TooManyAttempts(Exception):
    """Sign-in refused for a while after too many failures; `retry_after` says how long."""

    def __init__(self, retry_after: timedelta) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


def minutes_to_wait(retry_after: timedelta) -> int:
    """Whole minutes to wait, rounded up (never 0)."""
    return max(1, -(-int(retry_after.total_seconds()) // 60))


async def sign_in(login: str, password: str, client_addr: str, limits: SignInLimits) -> int | None:
    """The id of the active user with this login and password, None when wrong; `TooManyAttempts`
    when the login or the address has failed too often lately, even with the right password;
    `HashingBusy` (before anything is counted) when this process is already checking as many
    passwords as it may.

    The attempt is counted as a failure *before* the password is checked, in one transaction that
    looks at the counts and adds to them under a lock: so N parallel attempts can never get past the
    limit (a fault run had 30 parallel guesses all checked), and a success takes its count back."""
    login = login.strip().lower()[:50]
    client_addr = client_addr[:64]
    at = clock.now()
    with hashing_slot():
        failure_id = await _count_attempt(login, client_addr, at, limits)
        user_id = await check_credentials(login, password)
    if user_id is not None:
        await SignInFailure.delete().where((SignInFailure.login == login) | (SignInFailure.id == failure_id))
    return user_id


async def _count_attempt(login: str, client_addr: str, at: datetime, limits: SignInLimits) -> int:
    """Check the login's and the address's recent failures and count this attempt as one, atomically;
    returns the id of the failure row (deleted again on success)."""
    async with write_transaction():
        # Under IMMEDIATE on SQLite, a lock per login then per address on PostgreSQL: a second attempt
        # reads the counts only once the first has added to them.
        await serialise_on(LOCK_SIGNIN_LOGIN, login)
        await serialise_on(LOCK_SIGNIN_ADDRESS, client_addr)
        for where, limit in (
            (SignInFailure.login == login, limits.per_login),
            (SignInFailure.client_addr == client_addr, limits.per_address),
        ):
            recent = (
                await SignInFailure.select(SignInFailure.failed_at)
                .where(where & (SignInFailure.failed_at > at - limits.window))
                .order_by(SignInFailure.failed_at, ascending=False)
                .limit(limit)
            )
            if len(recent) >= limit:
                raise TooManyAttempts(recent[-1]["failed_at"] + limits.window - at)
        inserted = await SignInFailure.insert(
            SignInFailure(login=login, client_addr=client_addr, failed_at=at)
        )
    return int(inserted[0]["id"])


async def open_session(user_id: int, kind: str, lifetime: timedelta) -> str:
    """Start a session (kind `web` or `api`) and return its secret token; only its hash is stored."""
    token = secrets.token_urlsafe(32)
    now = clock.now()
    async with write_transaction():
        await AuthSession.insert(
            AuthSession(
                token_hash=_token_hash(token),
                user=user_id,
                kind=kind,
                created_at=now,
                last_seen_at=now,
                expires_at=now + lifetime,
            )
        )
    return token


async def close_session(token: str) -> None:
    """End the session of this token on the server."""
    await AuthSession.delete().where(AuthSession.token_hash == _token_hash(token))


async def actor_for_token(token: str, kind: str, idle: timedelta) -> Actor | None:
    """The active user of a live session token, or None (unknown, expired, idle too long, deactivated)."""
    actor, _ = await actor_for_token_beside(token, kind, idle)
    return actor


async def actor_for_token_beside(
    token: str, kind: str, idle: timedelta, beside: str = "", *args: Any
) -> tuple[Actor | None, dict[str, Any] | None]:
    """`actor_for_token`, and in the same statement `beside` (a SELECT of at most one row, its columns
    named `surveys.core.db.BESIDE` + name, `{}` for `args`): a read the request needs anyway, a round trip less on
    PostgreSQL. Its row (names without `BESIDE`; None: no row) only with an active user: nothing is read for
    a visitor without one."""
    if not token:
        return None, None
    now = clock.now()
    # Every signed-in request starts here: one statement written once (the session, its user, the
    # user's ward and villages), not a select with joins that Piccolo builds again on each request and
    # a second one for the villages (issue 16).
    with short_statements():
        rows = await fetch(
            _session_sql(isinstance(current_engine(), PostgresEngine), beside),
            *args,
            _token_hash(token),
            kind,
        )
    row = rows[0] if rows else None
    if row is None or row["expires_at"] <= now or row["last_seen_at"] + idle <= now:
        return None, None
    if now - row["last_seen_at"] > _TOUCH_EVERY:
        await AuthSession.update({AuthSession.last_seen_at: now}).where(AuthSession.id == row["id"])
    villages = [int(v) for v in (row["village_ids"] or "").split(",") if v]
    return await _actor(row, prefix="user.", villages=villages), beside_row(row)


@cache
def _session_sql(postgres: bool, beside: str = "") -> str:
    user = ", ".join(
        f'u.{c._meta.db_column_name} AS "user.{c._meta.name}"'
        for c in User._meta.columns
        if c._meta.name != "password_hash"
    )
    villages = "string_agg(CAST(village AS TEXT), ',')" if postgres else "group_concat(village)"
    also, joined = (", b.*", f" LEFT JOIN ({beside}) b ON TRUE") if beside else ("", "")
    # Names from the tables' definitions only; the values are parameters.
    return f"""SELECT s.id AS id, s.last_seen_at AS last_seen_at, s.expires_at AS expires_at, {user},
        w.code AS ward_code, w.village_word AS village_word,
        (SELECT {villages} FROM user_village uv WHERE uv."user" = u.id) AS village_ids{also}
        FROM auth_session s JOIN app_user u ON u.id = s."user" LEFT JOIN ward w ON w.id = u.ward{joined}
        WHERE s.token_hash = {{}} AND s.kind = {{}} AND u.active = TRUE LIMIT 1"""  # noqa: S608


async def actor_by_id(user_id: int) -> Actor | None:
    """The active user with this id."""
    row = (
        await User.select(
            *User.all_columns(exclude=[User.password_hash]),
            User.ward._.code.as_alias("ward_code"),
            User.ward._.village_word.as_alias("village_word"),
        )
        .where((User.id == user_id) & (User.active.eq(True)))
        .first()
    )
    return await _actor(row, prefix="") if row else None


async def _actor(row: dict[str, Any], prefix: str, villages: list[int] | None = None) -> Actor:
    """The actor of a user's row (its columns named `prefix` + name) and its villages (read if not given)."""
    user_id = int(row[f"{prefix}id"])
    if villages is None:
        villages = [
            int(v["village"])
            for v in await UserVillage.select(UserVillage.village).where(UserVillage.user == user_id)
        ]
    return Actor(
        id=user_id,
        login=row[f"{prefix}login"],
        display_name=row[f"{prefix}display_name"],
        role=row[f"{prefix}role"],
        ward_id=row[f"{prefix}ward"],
        province_id=row[f"{prefix}province"],
        village_ids=frozenset(villages),
        locale=row[f"{prefix}locale"],
        ward_code=row["ward_code"],
        must_change_password=bool(row[f"{prefix}must_change_password"]),
        village_word=row["village_word"] or "thon",
    )


async def set_locale(user_id: int, locale: str) -> None:
    """Remember the user's interface language."""
    await User.update({User.locale: locale}).where(User.id == user_id)


async def purge_expired_sessions(idle: timedelta, signin_window: timedelta) -> int:
    """Delete sessions past their lifetime or idle too long, and failed sign-ins older than the
    throttling window; returns how many sessions."""
    now = clock.now()
    await SignInFailure.delete().where(SignInFailure.failed_at <= now - signin_window)
    stale = (AuthSession.expires_at <= now) | (AuthSession.last_seen_at <= now - idle)
    count = await AuthSession.count().where(stale)
    if count:
        await AuthSession.delete().where(stale)
    return int(count)


async def create_user(
    login: str,
    password: str,
    role: str,
    display_name: str,
    ward_id: int | None = None,
    province_id: int | None = None,
    village_ids: tuple[int, ...] = (),
) -> int:
    """Create a user (or reset an existing login's password, role and villages); returns the id."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    login = login.strip().lower()
    values: dict[Any, Any] = {
        User.display_name: display_name,
        User.password_hash: await hash_password(password),
        User.role: role,
        User.ward: ward_id,
        User.province: province_id,
        User.active: True,
    }
    async with write_transaction():
        existing = await User.select(User.id).where(User.login == login).first()
        if existing:
            user_id = int(existing["id"])
            await User.update(values).where(User.id == user_id)
            await UserVillage.delete().where(UserVillage.user == user_id)
        else:
            row = User({User.login: login, **values})
            inserted = await User.insert(row)
            user_id = int(inserted[0]["id"])
        if village_ids:
            await UserVillage.insert(*[UserVillage(user=user_id, village=v) for v in village_ids])
    return user_id
