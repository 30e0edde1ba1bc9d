"""Group commit on SQLite (`surveys.core.sqlite_writer._WalSync`): a COMMIT of the write connection is
answered only once an fdatasync of the WAL begun after it has ended, as SQLite's `synchronous = FULL`
does inside every COMMIT, and the commits made while one sync runs share the next."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from surveys.core import sqlite_writer
from surveys.core.db import current_engine, short_statements, write_transaction
from surveys.core.sqlite_writer import Connection, TurnTakingSQLiteEngine, _WalSync
from surveys.tables import SignInFailure
from tests.conftest import POSTGRES_URL

pytestmark = pytest.mark.skipif(bool(POSTGRES_URL), reason="SQLite only")


@pytest.fixture
def events(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """What happens, in order: each COMMIT run, each fdatasync of the WAL begun and ended (slowed down,
    so commits meet one running), each checkpoint."""
    seen: list[str] = []
    lock = threading.Lock()
    fetch, fdatasync = Connection._fetch, os.fdatasync

    def fetched(self: Connection, sql: str, args: Any) -> Any:
        if sql.split()[0].upper() == "COMMIT":
            with lock:
                seen.append("commit")
        return fetch(self, sql, args)

    def synced(descriptor: int) -> None:
        assert os.readlink(f"/proc/self/fd/{descriptor}").endswith("-wal")
        with lock:
            seen.append("sync begun")
        time.sleep(0.15)
        fdatasync(descriptor)
        with lock:
            seen.append("sync ended")

    monkeypatch.setattr(Connection, "_fetch", fetched)
    monkeypatch.setattr(sqlite_writer.os, "fdatasync", synced)
    yield seen


async def _write(login: str, seen: list[str]) -> None:
    with short_statements():
        async with write_transaction():
            await SignInFailure.insert(SignInFailure(login=login, client_addr="g"))
    seen.append(f"answered {login}")


async def test_a_commit_is_answered_only_after_a_sync_of_the_wal_begun_after_it(
    database_url: str, events: list[str]
) -> None:
    await _write("first", events)
    assert events == ["commit", "sync begun", "sync ended", "answered first"]
    # The write connection writes the WAL at COMMIT and leaves its sync (and checkpoints) to phocap.
    writer = current_engine().loop_connections().write_connection()  # type: ignore[attr-defined]
    settings = writer._connection().execute("PRAGMA synchronous").fetchone()
    assert settings == {"synchronous": 1}  # NORMAL
    assert writer._connection().execute("PRAGMA wal_autocheckpoint").fetchone() == {"wal_autocheckpoint": 0}


async def test_commits_made_while_a_sync_runs_share_the_next_and_none_is_answered_before_its_own(
    database_url: str, events: list[str]
) -> None:
    await SignInFailure.count()  # the database opened, as in a running server
    started = time.monotonic()
    await asyncio.gather(*(_write(f"volunteer {i}", events) for i in range(20)))
    elapsed = time.monotonic() - started
    assert await SignInFailure.count() == 20
    syncs = events.count("sync begun")
    # The first commit's sync; the 19 others committed while it ran and share the next (each sync waits
    # 0.15 s here: 20 syncs one after another would take 3 s).
    assert syncs <= 3, events
    assert elapsed < 2, events
    # Every answer comes after a sync that began after its commit: the n-th commit (in the order the
    # write turn gave) is answered after the end of a sync begun after it.
    commits = [i for i, e in enumerate(events) if e == "commit"]
    for n, commit in enumerate(commits):
        answered = [i for i, e in enumerate(events) if e.startswith("answered")][n]
        begun_after = [i for i, e in enumerate(events) if e == "sync begun" and i > commit]
        assert begun_after, events
        ended = events.index("sync ended", begun_after[0])
        assert ended < answered, events


async def test_a_write_outside_a_transaction_is_synced_before_it_returns(
    database_url: str, events: list[str]
) -> None:
    await SignInFailure.insert(SignInFailure(login="alone", client_addr="g"))
    assert events == ["sync begun", "sync ended"]


async def test_the_wal_is_checkpointed_by_the_sync_thread_once_it_grows(
    database_url: str, events: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    checkpoints: list[bool] = []
    checkpoint = _WalSync._checkpoint
    loop_thread = threading.get_ident()

    def checkpointed(self: _WalSync) -> None:
        checkpoints.append(threading.get_ident() == loop_thread)
        checkpoint(self)

    monkeypatch.setattr(_WalSync, "_checkpoint", checkpointed)
    await _write("small", events)
    assert checkpoints == []
    monkeypatch.setattr(sqlite_writer, "CHECKPOINT_BYTES", 0)
    await _write("past the limit", events)
    assert checkpoints == [False]
    # What was checkpointed is in the database file: a copy of the file alone (no WAL beside it) has it.
    path = Path(database_url.removeprefix("sqlite:///"))
    copy = path.with_name("copy.sqlite3")
    copy.write_bytes(path.read_bytes())  # noqa: ASYNC240 (a test's small file)
    logins = {r[0] for r in sqlite3.connect(copy).execute("SELECT login FROM sign_in_failure")}
    assert {"small", "past the limit"} <= logins


async def test_without_wal_every_commit_syncs_as_sqlites_default(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE note (text TEXT)")
    engine = TurnTakingSQLiteEngine(path=str(path))
    async with engine.transaction():
        await engine._run("INSERT INTO note VALUES (?)", ["kept"])
    writer = engine.loop_connections().write_connection()
    assert writer.sync is None
    assert writer._connection().execute("PRAGMA synchronous").fetchone() == {"synchronous": 2}  # FULL
    engine.close()
    assert sqlite3.connect(path).execute("SELECT text FROM note").fetchall() == [("kept",)]
