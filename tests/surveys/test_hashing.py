"""Passwords are hashed and checked off the event loop: a burst of sign-ins must not stall the other
requests of the process (a fault run measured `/healthz` at 3.4 s during 30 parallel sign-ins)."""

from __future__ import annotations

import asyncio

from surveys.people.hashing import hash_password, verify_password


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
