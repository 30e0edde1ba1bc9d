"""Passwords are hashed and checked off the event loop: a burst of sign-ins must not stall the other
requests of the process (a fault run measured `/healthz` at 3.4 s during 30 parallel sign-ins)."""

from __future__ import annotations

import asyncio
import os

import pytest

from surveys.core.db import current_engine
from surveys.people import hashing, staff
from surveys.people.hashing import hash_password, verify_password
from surveys.people.schemas import AccountCreate
from surveys.tables import User
from tests.factories import World


async def test_other_requests_go_on_while_a_password_is_checked() -> None:
    stored = await hash_password("dong-lua-chin-vang")
    checking = asyncio.Event()
    turns = 0

    async def another_request() -> None:
        nonlocal turns
        while not checking.is_set():
            turns += 1
            await asyncio.sleep(0)

    other = asyncio.create_task(another_request())
    # On the event loop, argon2 would run to its end before the other task got a single turn.
    assert await verify_password(stored, "dong-lua-chin-vang") is True
    checking.set()
    await other
    assert turns > 0
    assert await verify_password(stored, "wrong-guess") is False
    assert await verify_password("not-a-hash", "dong-lua-chin-vang") is False


def test_the_hashing_pool_has_a_thread_per_core_the_process_may_use_at_most_four(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A container given one core of a 64-core host hashes one password at a time (64 MiB), not 64."""
    monkeypatch.setattr(os, "cpu_count", lambda: 64)
    monkeypatch.setattr(os, "process_cpu_count", lambda: 1, raising=False)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {3}, raising=False)
    assert hashing.pool_size() == 1
    monkeypatch.setattr(os, "process_cpu_count", lambda: 2, raising=False)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {2, 3}, raising=False)
    assert hashing.pool_size() == 2
    monkeypatch.setattr(os, "process_cpu_count", lambda: 64, raising=False)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(64)), raising=False)
    assert hashing.pool_size() == 4
    assert hashing._pool._max_workers == hashing.WORKERS <= 4


async def test_creating_an_account_or_resetting_a_password_hashes_before_the_write_begins(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On SQLite every writer waits for the one in its transaction: argon2's ~50 ms are spent before."""
    hashed_inside: list[bool] = []
    real_hash = staff.hash_password

    async def watched_hash(password: str) -> str:
        hashed_inside.append(current_engine().transaction_exists())
        return await real_hash(password)

    monkeypatch.setattr(staff, "hash_password", watched_hash)
    officer = world.users["ward"]
    new = AccountCreate(
        login="tinh.nguyen", display_name="Nguyễn Văn Tình", role="volunteer", password="Lua-chin-vang-2026"
    )
    user_id = await staff.create_account(world.wards["pq"], new, officer)
    await staff.reset_password(user_id, "Mua-gat-thang-10", officer)
    assert hashed_inside == [False, False]
    stored = await User.select(User.password_hash).where(User.id == user_id).first()
    assert stored is not None and await verify_password(stored["password_hash"], "Mua-gat-thang-10")


async def test_an_unknown_login_is_checked_against_a_hash_of_phocaps_own_cost() -> None:
    """The stand-in hash an unknown login is checked against is written in the code, not made at import:
    it must cost what a real account's check costs (the same argon2 parameters), or a wrong login would
    answer faster than a wrong password and tell which logins exist."""
    from surveys.people import accounts

    assert not hashing._hasher.check_needs_rehash(accounts._DUMMY_HASH)
    assert await verify_password(accounts._DUMMY_HASH, "phocap-no-such-user")
    assert not await verify_password(accounts._DUMMY_HASH, "password")
