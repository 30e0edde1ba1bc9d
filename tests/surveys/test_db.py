"""The database: migrations applied by command, refused when missing, SQLite in WAL mode."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from surveys.core.db import (
    DatabaseNotMigrated,
    bind,
    engine_for_url,
    ensure_migrated,
    migrate,
    pending_migrations,
)
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
