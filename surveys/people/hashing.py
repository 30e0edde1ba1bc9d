"""Password hashing off the event loop.

argon2id is slow on purpose (tens of milliseconds of CPU and 64 MiB each). Run on the event loop, a
burst of sign-ins stalls every other request of the process (a fault run measured `/healthz` at 3.4 s
during 30 parallel sign-ins). So hashing and verifying run in a thread pool of one thread per core the
process may use, at most four (64 MiB each), and at most `MAX_IN_FLIGHT` of them may run or wait at
once: one more is refused at once (`HashingBusy`, answered 503 with `Retry-After`) rather than queued
without bound.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from surveys.core.cores import usable_cores

T = TypeVar("T")

# argon2id with the library's defaults (RFC 9106 low-memory profile): slow for an attacker, about
# 50 ms for a sign-in.
_hasher = PasswordHasher()

# The most hashes run at once. Each takes 64 MiB, so not one per core of the host: one per core this
# process may use (a container or `taskset` may give it fewer than the machine has), and at most
# `MOST_WORKERS`, which a commune's busiest morning of sign-ins does not need more of.
MOST_WORKERS = 4


def pool_size() -> int:
    """Threads of the hashing pool: a core each, at most `MOST_WORKERS`."""
    return min(MOST_WORKERS, usable_cores())


WORKERS = pool_size()
# Running plus waiting: enough for a room of volunteers signing in together, few enough that a flood
# waits seconds, not minutes (argon2's memory is taken only by the WORKERS running).
MAX_IN_FLIGHT = 4 * WORKERS
# Seconds a refused caller is told to wait: a few hashes' time.
RETRY_AFTER_SECONDS = 5

_pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="argon2")
_lock = threading.Lock()
_in_flight = 0
# Set while this task holds a place, so a sign-in that took one up front does not take a second.
_holding: ContextVar[bool] = ContextVar("holding_hashing_slot", default=False)


class HashingBusy(Exception):
    """Too many password checks at once; try again in `RETRY_AFTER_SECONDS`."""


@contextmanager
def hashing_slot() -> Iterator[None]:
    """Hold one of the `MAX_IN_FLIGHT` places for a hash or a verification; `HashingBusy` when none is
    free. A threading lock, not an asyncio one: the app, the CLI and the tests may run several loops."""
    global _in_flight
    if _holding.get():
        yield
        return
    with _lock:
        if _in_flight >= MAX_IN_FLIGHT:
            raise HashingBusy()
        _in_flight += 1
    held = _holding.set(True)
    try:
        yield
    finally:
        _holding.reset(held)
        with _lock:
            _in_flight -= 1


async def _off_loop(work: Callable[[], T]) -> T:
    with hashing_slot():
        return await asyncio.get_running_loop().run_in_executor(_pool, work)


async def hash_password(password: str) -> str:
    """A slow, salted hash of the password (argon2id), computed off the event loop."""
    return await _off_loop(lambda: _hasher.hash(password))


def hash_password_now(password: str) -> str:
    """The same hash, on the calling thread: for start-up and the command line, where no loop waits."""
    return _hasher.hash(password)


async def verify_password(password_hash: str, password: str) -> bool:
    """Whether `password` matches `password_hash`, checked off the event loop."""

    def verify() -> bool:
        try:
            return bool(_hasher.verify(password_hash, password))
        except (VerificationError, InvalidHashError):
            return False

    return await _off_loop(verify)
