"""Short statements on SQLite (`surveys.core.db.short_statements`): run in the event loop's thread, with
no hop to a connection's thread, except what may wait (a BEGIN another process's lock refuses, a write
that commits itself), which still hops. A COMMIT runs there too, and waits, off the loop, for the sync
of the WAL that puts it on disk (group commit: `surveys.core.sqlite_writer._WalSync`)."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future
from typing import Any

import pytest

from surveys.core.db import current_engine, short_statements, write_later, write_transaction
from surveys.core.sqlite_writer import Connection, _WalSync
from surveys.tables import SignInFailure
from tests.conftest import POSTGRES_URL

pytestmark = pytest.mark.skipif(bool(POSTGRES_URL), reason="SQLite only")


@pytest.fixture
def threads_of(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, bool]]]:
    """Each statement SQLite runs from here: its first word, and whether it ran in the loop's thread."""
    seen: list[tuple[str, bool]] = []
    loop_thread = threading.get_ident()
    fetch, catch_up = Connection._fetch, Connection._catch_up

    def fetched(self: Connection, sql: str, args: Any) -> Any:
        seen.append((sql.split()[0].upper(), threading.get_ident() == loop_thread))
        return fetch(self, sql, args)

    def caught_up(self: Connection, begin: str | None, later: list[Any]) -> None:
        seen.extend((sql.split()[0].upper(), threading.get_ident() == loop_thread) for sql, _ in later)
        catch_up(self, begin, later)

    def synced(self: _WalSync) -> None:
        seen.append(("SYNC", threading.get_ident() == loop_thread))
        sync_now(self)

    sync_now = _WalSync._sync_now
    monkeypatch.setattr(Connection, "_fetch", fetched)
    monkeypatch.setattr(Connection, "_catch_up", caught_up)
    monkeypatch.setattr(_WalSync, "_sync_now", synced)
    yield seen


async def test_short_statements_run_in_the_loops_thread_and_what_may_wait_hops(
    database_url: str, threads_of: list[tuple[str, bool]]
) -> None:
    await SignInFailure.count()
    assert threads_of == [("SELECT", False)], "a read outside the block hops"
    threads_of.clear()
    with short_statements():
        await SignInFailure.count()
        async with write_transaction():
            await SignInFailure.insert(SignInFailure(login="in-a-transaction", client_addr="s"))
            await write_later("INSERT INTO sign_in_failure (login, client_addr, failed_at) VALUES ({}, {}, {})",
                              "left-for-later", "s", "2026-12-06 10:00:00")  # fmt: skip
            await SignInFailure.count()
        await SignInFailure.insert(SignInFailure(login="on-its-own", client_addr="s"))
    assert threads_of == [
        ("SELECT", True),  # a read
        ("INSERT", True),  # the transaction's statements, its BEGIN with the first
        ("INSERT", True),  # the write left for later, with the next statement
        ("SELECT", True),
        ("COMMIT", True),  # the WAL written, not yet synced
        ("SYNC", False),  # and synced off the loop before the transaction ends
        ("INSERT", False),  # a write outside a transaction commits itself: off the loop
        ("SYNC", False),
    ]
    logins = {r["login"] for r in await SignInFailure.select(SignInFailure.login)}
    assert logins == {"in-a-transaction", "left-for-later", "on-its-own"}


async def test_a_short_transaction_waits_off_the_loop_for_another_processs_lock(
    database_url: str, threads_of: list[tuple[str, bool]]
) -> None:
    await SignInFailure.count()  # the database opened, as in a running server
    # Another process (the scheduler, the command line) holds the write lock.
    other = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    threads_of.clear()

    async def visit() -> None:
        with short_statements():
            async with write_transaction():
                await SignInFailure.insert(SignInFailure(login="after-the-other", client_addr="w"))

    writer = asyncio.create_task(visit())
    # Meanwhile the event loop serves the rest: it ticks on while the write waits for the lock.
    ticks, started = 0, time.monotonic()
    while time.monotonic() - started < 0.4:
        await asyncio.sleep(0.01)
        ticks += 1
    assert not writer.done()
    assert ticks >= 20
    other.execute("COMMIT")
    other.close()
    await asyncio.wait_for(writer, timeout=10)
    assert await SignInFailure.count().where(SignInFailure.login == "after-the-other") == 1
    # Refused at once in the loop's thread, the BEGIN and the statement went on their hop and waited there.
    assert ("INSERT", False) in threads_of


async def test_a_short_statement_waits_for_a_hop_still_running_on_its_connection(database_url: str) -> None:
    # A request cancelled while its statement ran in the connection's thread leaves that hop running:
    # the next statement must not use the connection beside it.
    engine: Any = current_engine()
    connection = engine.loop_connections().write_connection()
    running: Future[Any] = Future()
    connection._hop = running
    assert connection.run_now("SELECT 1 AS one", []) is None
    running.set_result([])
    assert connection.run_now("SELECT 1 AS one", []) == [{"one": 1}]


async def test_a_write_on_its_own_waits_for_another_processs_lock_and_then_lands(database_url: str) -> None:
    # The write connection keeps no busy timeout for what runs in the loop's thread: a write that commits
    # itself (in its hop) still waits for another process's write lock instead of failing at once.
    await SignInFailure.count()
    other = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    writer = asyncio.create_task(SignInFailure.insert(SignInFailure(login="waited", client_addr="w")).run())
    await asyncio.sleep(0.3)
    assert not writer.done()
    other.execute("COMMIT")
    other.close()
    await asyncio.wait_for(writer, timeout=10)
    assert await SignInFailure.count().where(SignInFailure.login == "waited") == 1
