"""`phocap backup` and `phocap restore` on the embedded SQLite database: a consistent copy while writes go
on, and a restore that refuses any file that is not a sound phocap database."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from server.cli import main
from surveys.backup import BackupError, BackupInfo, backup, check, restore
from surveys.core.db import bind, engine_for_url
from surveys.core.settings import Settings, get_settings
from surveys.tables import Household, Member
from tests.conftest import POSTGRES_URL
from tests.factories import World

pytestmark = pytest.mark.skipif(bool(POSTGRES_URL), reason="PostgreSQL is backed up with pg_dump")


class PairWriter(threading.Thread):
    """Writes audit entries two at a time, each pair in one transaction, until stopped: a copy of one
    moment has only whole pairs."""

    def __init__(self, path: Path) -> None:
        super().__init__(daemon=True)
        self.path, self.stop, self.pairs = path, threading.Event(), 0

    def run(self) -> None:
        connection = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        while not self.stop.is_set():
            connection.execute("BEGIN IMMEDIATE")
            for _ in range(2):
                connection.execute(
                    "INSERT INTO audit_entry (at, action, entity, entity_id, details, client_addr)"
                    " VALUES (datetime('now'), 'test.pair', 'pair', ?, '{}', '')",
                    (self.pairs,),
                )
                time.sleep(0.0005)  # a copy taken between the two rows would show half a pair
            connection.execute("COMMIT")
            self.pairs += 1
        connection.close()


def _pairs(path: Path) -> Counter[int]:
    with sqlite3.connect(path) as connection:
        rows = connection.execute("SELECT entity_id FROM audit_entry WHERE action = 'test.pair'")
        return Counter(r[0] for r in rows)


def _backups_under_writes(database_url: str, tmp_path: Path) -> list[BackupInfo]:
    """Three backups taken while pairs are being written; checked for whole pairs only."""
    writer = PairWriter(Path(database_url.removeprefix("sqlite:///")))
    writer.start()
    while writer.pairs < 50:
        time.sleep(0.01)
    copies = [backup(database_url, tmp_path / f"copy-{i}.sqlite3") for i in range(3)]
    last = max(_pairs(copies[-1].path))
    while writer.pairs < last + 50:
        time.sleep(0.01)  # writes go on after the copies
    writer.stop.set()
    writer.join()
    for copy in copies:
        pairs = _pairs(copy.path)
        assert pairs and set(pairs.values()) == {2}, "a copy holds half a transaction"
        assert copy.households == 4 and copy.pending_migrations == 0
        assert not Path(f"{copy.path}-wal").exists()
    assert max(_pairs(copies[0].path)) < last < writer.pairs - 1, "the copies were not taken during writes"
    return copies


async def test_a_backup_taken_under_writes_restores_to_a_consistent_database(
    world: World, settings: Settings, tmp_path: Path
) -> None:
    copies = _backups_under_writes(settings.resolved_database_url, tmp_path)

    restored_url = f"sqlite:///{tmp_path / 'restored' / 'phocap.sqlite3'}"
    info, saved = restore(copies[-1].path, restored_url)
    assert saved is None and info.households == 4
    bind(engine_for_url(restored_url))
    assert await Household.count() == 4
    assert await Member.count().where(Member.full_name == "Nguyễn Văn An") == 1
    assert _pairs(tmp_path / "restored" / "phocap.sqlite3") == _pairs(copies[-1].path)


def _broken_files(tmp_path: Path, good: Path) -> dict[str, Path]:
    text = tmp_path / "notes.sqlite3"
    text.write_text("not a database")
    other = tmp_path / "other.sqlite3"
    with sqlite3.connect(other) as connection:
        connection.execute("CREATE TABLE t (x)")
    damaged = tmp_path / "damaged.sqlite3"
    content = bytearray(good.read_bytes())
    for offset in range(4096, len(content), 4096):  # every page after the first, scribbled on
        content[offset + 8 : offset + 40] = b"\xff" * 32
    damaged.write_bytes(bytes(content))
    newer = tmp_path / "newer.sqlite3"
    newer.write_bytes(good.read_bytes())
    with sqlite3.connect(newer) as connection:
        connection.execute(
            "INSERT INTO migration (name, app_name, ran_on) VALUES ('2099-01-01T00:00:00:000000', 'phocap', '2099-01-01')"
        )
    return {
        "text": text,
        "other": other,
        "damaged": damaged,
        "newer": newer,
        "missing": tmp_path / "nothing.sqlite3",
    }


async def test_restore_checks_the_file_before_it_replaces_anything(
    world: World, settings: Settings, tmp_path: Path
) -> None:
    _check_restore_refusals(settings.resolved_database_url, tmp_path)


def _check_restore_refusals(database_url: str, tmp_path: Path) -> None:
    good = backup(database_url, tmp_path / "good.sqlite3").path
    live = Path(database_url.removeprefix("sqlite:///"))
    before = live.read_bytes()
    messages = {
        "text": "is not a SQLite database",
        "other": "is not a phocap database",
        "damaged": "is damaged|cannot be read",
        "newer": "comes from a newer phocap",
        "missing": "no file at",
    }
    for name, path in _broken_files(tmp_path, good).items():
        with pytest.raises(BackupError, match=messages[name]):
            restore(path, database_url)
    assert live.read_bytes() == before
    assert not list(live.parent.glob("*before-restore*"))
    assert check(good).households == 4


def test_backup_refuses_postgresql_and_an_existing_file(tmp_path: Path) -> None:
    with pytest.raises(BackupError, match="pg_dump"):
        backup("postgresql://phocap@localhost/phocap", tmp_path / "x.sqlite3")
    existing = tmp_path / "x.sqlite3"
    existing.write_text("keep me")
    with pytest.raises(BackupError, match="exists already"):
        backup(f"sqlite:///{tmp_path / 'db.sqlite3'}", existing)


async def test_the_commands(world: World, settings: Settings, tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setenv("DATABASE_URL", settings.resolved_database_url)
    monkeypatch.setenv("PHOCAP_DATA_DIR", settings.data_dir)
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        made = runner.invoke(main, ["backup"])
        assert made.exit_code == 0, made.output
        assert "4 households" in made.output
        copy = next((Path(settings.data_dir) / "backups").glob("phocap-*.sqlite3"))
        assert copy.stat().st_mode & 0o077 == 0  # personal data: readable by its owner only
        refused = runner.invoke(main, ["restore", str(tmp_path / "nothing.sqlite3"), "--yes"])
        assert refused.exit_code == 1 and "no file at" in refused.output
        asked = runner.invoke(main, ["restore", str(copy)], input="n\n")
        assert asked.exit_code == 1 and "Replace the current database" in asked.output
        done = runner.invoke(main, ["restore", str(copy), "--yes"])
        assert done.exit_code == 0 and "The previous database is saved as" in done.output
    finally:
        get_settings.cache_clear()
