"""The database: migrations applied by command, refused when missing, SQLite in WAL mode, writes left for
a transaction's next statement."""

from __future__ import annotations

import asyncio
import sqlite3
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest

from surveys.core.db import (
    DatabaseNotMigrated,
    bind,
    engine_for_url,
    ensure_migrated,
    migrate,
    pending_migrations,
    write_later,
    write_transaction,
)
from surveys.tables import AuditEntry, SignInFailure
from tests.conftest import POSTGRES_URL


@pytest.mark.skipif(bool(POSTGRES_URL), reason="creates its own SQLite file")
async def test_an_unmigrated_database_is_refused_with_the_command_to_run(tmp_path: Path) -> None:
    bind(engine_for_url(f"sqlite:///{tmp_path / 'new.sqlite3'}"))
    with pytest.raises(DatabaseNotMigrated, match="phocap migrate"):
        await ensure_migrated()
    applied = await migrate()
    assert applied and await pending_migrations() == []
    await ensure_migrated()
    assert await migrate() == []


@pytest.mark.skipif(bool(POSTGRES_URL), reason="SQLite only")
async def test_sqlite_runs_in_wal_mode(database_url: str) -> None:
    path = database_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_an_unknown_database_url_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="DATABASE_URL"):
        engine_for_url("mysql://localhost/db")


@pytest.mark.skipif(bool(POSTGRES_URL), reason="SQLite only")
async def test_forty_writers_of_one_process_take_turns_and_none_meets_database_is_locked(
    database_url: str,
) -> None:
    # No busy timeout at all: a writer that reached SQLite while another was in it would fail at once
    # with "database is locked" (a fault run saw 11 of 900 requests fail so). Taking turns, none does.
    engine = engine_for_url(database_url)
    engine.connection_kwargs["timeout"] = 0
    bind(engine)

    async def in_a_transaction(n: int) -> None:
        async with write_transaction():
            await SignInFailure.insert(SignInFailure(login=f"tx-{n}", client_addr="a"))
            await asyncio.sleep(0)  # another task's turn comes while this transaction is open
            await SignInFailure.insert(SignInFailure(login=f"tx-{n}-again", client_addr="a"))

    async def on_its_own(n: int) -> None:
        await SignInFailure.insert(SignInFailure(login=f"single-{n}", client_addr="b"))

    await asyncio.gather(*(in_a_transaction(n) for n in range(20)), *(on_its_own(n) for n in range(20)))
    assert await SignInFailure.count().where(SignInFailure.client_addr == "a") == 40
    assert await SignInFailure.count().where(SignInFailure.client_addr == "b") == 20


@pytest.mark.skipif(bool(POSTGRES_URL), reason="SQLite only")
async def test_parallel_transactions_of_any_kind_and_reads_never_meet_database_is_locked(
    database_url: str,
) -> None:
    # A deferred transaction may write as well: it takes the one write connection in its turn too,
    # while reads go on beside it. Without a busy timeout any meeting inside SQLite would fail at once.
    engine = engine_for_url(database_url)
    engine.connection_kwargs["timeout"] = 0
    bind(engine)
    # One connection open first, as a running server has: the first to open a WAL database sets up its
    # shared index, and others opening at that very moment are told "locked" (a busy timeout waits it
    # out; with none, this test failed once in a CI run for a reason that has nothing to do with writers).
    await SignInFailure.count()

    async def deferred(n: int) -> None:
        async with engine.transaction():
            await SignInFailure.insert(SignInFailure(login=f"deferred-{n}", client_addr="c"))
            await asyncio.sleep(0)
            await SignInFailure.insert(SignInFailure(login=f"deferred-{n}-again", client_addr="c"))

    async def nested(n: int) -> None:
        async with write_transaction(), write_transaction():
            await SignInFailure.insert(SignInFailure(login=f"nested-{n}", client_addr="d"))

    async def reads() -> int:
        return await SignInFailure.count()

    # A task group: one failure stops the others, which would otherwise write into the next test's database.
    async with asyncio.TaskGroup() as tasks:
        for write in (deferred, nested):
            for n in range(15):
                tasks.create_task(write(n))
        counts = [tasks.create_task(reads()) for _ in range(15)]
    assert all(isinstance(count.result(), int) for count in counts)
    assert await SignInFailure.count().where(SignInFailure.client_addr == "c") == 30
    assert await SignInFailure.count().where(SignInFailure.client_addr == "d") == 15


@pytest.mark.skipif(bool(POSTGRES_URL), reason="SQLite only")
async def test_a_failed_transaction_rolls_back_and_the_next_one_goes_on(database_url: str) -> None:
    with pytest.raises(RuntimeError):
        async with write_transaction():
            await SignInFailure.insert(SignInFailure(login="undone", client_addr="e"))
            raise RuntimeError("half-way")
    async with write_transaction():
        await SignInFailure.insert(SignInFailure(login="done", client_addr="e"))
    assert [r["login"] for r in await SignInFailure.select(SignInFailure.login)] == ["done"]


@pytest.mark.skipif(bool(POSTGRES_URL), reason="creates its own SQLite file")
async def test_the_sqlite_database_and_its_folder_are_the_owners_only(tmp_path: Path) -> None:
    data = tmp_path / "data"
    bind(engine_for_url(f"sqlite:///{data / 'phocap.sqlite3'}"))
    await migrate()
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    files = sorted(p.name for p in data.iterdir())
    assert "phocap.sqlite3" in files
    # The database, and its WAL and shared-memory files while they exist: read and written by the owner.
    assert {p.name: stat.S_IMODE(p.stat().st_mode) for p in data.iterdir()} == {name: 0o600 for name in files}


# A write whose result nobody reads (`write_later`): on SQLite sent with its transaction's next statement.
_FAILURE = "INSERT INTO sign_in_failure (login, client_addr, failed_at) VALUES ({}, {}, {})"


async def test_a_write_left_for_later_is_read_in_its_transaction_and_undone_with_it(
    database_url: str,
) -> None:
    async with write_transaction():
        await write_later(_FAILURE, "kept", "f", datetime.now(UTC))
        # The transaction's next statement sees it.
        assert await SignInFailure.count().where(SignInFailure.client_addr == "f") == 1
        await write_later(_FAILURE, "kept-at-commit", "f", datetime.now(UTC))
    with pytest.raises(RuntimeError):
        async with write_transaction():
            await write_later(_FAILURE, "undone", "f", datetime.now(UTC))
            raise RuntimeError("half-way")
    # Outside a transaction it is written at once.
    await write_later(_FAILURE, "alone", "f", datetime.now(UTC))
    logins = await SignInFailure.select(SignInFailure.login).order_by(SignInFailure.id)
    assert [r["login"] for r in logins] == ["kept", "kept-at-commit", "alone"]


async def test_a_write_left_for_later_that_fails_fails_its_whole_transaction(database_url: str) -> None:
    with pytest.raises(Exception, match=r"(?i)not[ -]null"):
        async with write_transaction():
            await SignInFailure.insert(SignInFailure(login="before", client_addr="g"))
            await write_later(_FAILURE, None, "g", datetime.now(UTC))  # login may not be NULL
    assert await SignInFailure.count() == 0
    # The write connection is whole again: the next transaction goes on.
    async with write_transaction():
        await write_later(_FAILURE, "after", "g", datetime.now(UTC))
    assert [r["login"] for r in await SignInFailure.select(SignInFailure.login)] == ["after"]


_BUMP = "UPDATE sign_in_failure SET client_addr = client_addr || {} WHERE login = {}"
_AUDIT = 'INSERT INTO audit_entry (at, "user", action, entity, entity_id, details, client_addr) VALUES ({}, NULL, {}, {}, NULL, {}, {})'


async def test_writes_left_for_later_of_one_row_and_of_several_tables_all_land_in_their_order(
    database_url: str,
) -> None:
    # On PostgreSQL the writes left go as one statement when their tables differ; two of one table do
    # not (one statement writes a row once, and its parts do not see each other's rows): the row is
    # inserted, then changed twice, each change seeing the one before.
    async with write_transaction():
        await write_later(_FAILURE, "one", "a", datetime.now(UTC))
        await write_later(_AUDIT, datetime.now(UTC), "test.first", "test", "{}", "")
        await write_later(_BUMP, "b", "one")
        await write_later(_BUMP, "c", "one")
        await write_later(_AUDIT, datetime.now(UTC), "test.second", "test", "{}", "")
    rows = await SignInFailure.select(SignInFailure.login, SignInFailure.client_addr)
    assert [(r["login"], r["client_addr"]) for r in rows] == [("one", "abc")]
    actions = await AuditEntry.select(AuditEntry.action).order_by(AuditEntry.id)
    assert [r["action"] for r in actions] == ["test.first", "test.second"]


async def test_a_transaction_that_sends_nothing_commits_and_the_next_one_goes_on(database_url: str) -> None:
    async with write_transaction():
        pass
    with pytest.raises(RuntimeError):
        async with write_transaction():
            raise RuntimeError("before any statement")
    async with write_transaction():
        await SignInFailure.insert(SignInFailure(login="next", client_addr="h"))
    assert await SignInFailure.count() == 1
