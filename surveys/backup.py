"""Backups of the embedded SQLite database: a consistent copy while the app runs (SQLite's online backup
API), and a restore that checks the file before it replaces anything. PostgreSQL is backed up with its
own tools (`pg_dump`, see SECURITY.md)."""

from __future__ import annotations

import contextlib
import importlib
import pkgutil
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from surveys.core.clock import now

SQLITE_HEADER = b"SQLite format 3\x00"
# Tables a phocap database has; a file without them is some other database.
REQUIRED_TABLES = ("household", "member", "visit", "app_user", "migration")


class BackupError(Exception):
    """The file is not a sound phocap backup, or the database is not SQLite."""


@dataclass(frozen=True)
class BackupInfo:
    """What a checked backup holds."""

    path: Path
    households: int
    migrations: int
    pending_migrations: int


def sqlite_path(database_url: str) -> Path:
    """The file of a `sqlite:///` database URL; BackupError for any other database."""
    if not database_url.startswith("sqlite:///"):
        raise BackupError(
            "phocap backup copies the embedded SQLite database; for PostgreSQL use pg_dump "
            "(SECURITY.md, 'Backups')."
        )
    return Path(database_url.removeprefix("sqlite:///"))


@contextlib.contextmanager
def _connect(path: Path, readonly: bool = False) -> Iterator[sqlite3.Connection]:
    uri = f"file:{path}?mode=ro" if readonly else f"file:{path}"
    connection = sqlite3.connect(uri, uri=True, timeout=30)
    try:
        yield connection
    finally:
        connection.close()


def backup(database_url: str, target: Path) -> BackupInfo:
    """Copy the live database to `target` (a new file) as one consistent snapshot, then check the copy.
    Writers go on meanwhile: in WAL mode they do not wait for the copy."""
    source = sqlite_path(database_url)
    if target.exists():
        raise BackupError(f"{target} exists already; choose a new file")
    if not source.exists():
        raise BackupError(f"no database at {source}")
    target.parent.mkdir(parents=True, exist_ok=True)
    with _connect(source) as live, _connect(target) as copy:
        live.backup(copy)  # all pages in one step: a snapshot of one moment
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
    target.chmod(0o600)  # it holds the same personal data as the database
    return check(target)


def default_target(data_dir: str) -> Path:
    """`<data dir>/backups/phocap-<UTC time>.sqlite3`."""
    return Path(data_dir) / "backups" / f"phocap-{now():%Y%m%d-%H%M%S}.sqlite3"


def check(path: Path) -> BackupInfo:
    """Check that `path` is a sound phocap database: SQLite, intact, phocap's tables, migrations this
    version knows. Raises BackupError saying what is wrong."""
    if not path.is_file():
        raise BackupError(f"no file at {path}")
    with path.open("rb") as file:
        if file.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
            raise BackupError(f"{path} is not a SQLite database")
    try:
        with _connect(path, readonly=True) as connection:
            result = connection.execute("PRAGMA integrity_check").fetchone()[0]
            if result != "ok":
                raise BackupError(f"{path} is damaged: {result}")
            tables = {r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            missing = [t for t in REQUIRED_TABLES if t not in tables]
            if missing:
                raise BackupError(f"{path} is not a phocap database (no {', '.join(missing)} table)")
            applied = {r[0] for r in connection.execute("SELECT name FROM migration")}
            households = connection.execute("SELECT count(*) FROM household").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} cannot be read: {exc}") from exc
    known = known_migrations()
    unknown = applied - known
    if unknown:
        raise BackupError(f"{path} comes from a newer phocap (migrations {', '.join(sorted(unknown))})")
    return BackupInfo(path, int(households), len(applied), len(known - applied))


def known_migrations() -> set[str]:
    """The ids of the migrations this version of phocap has."""
    from surveys import piccolo_migrations

    ids = set()
    for module in pkgutil.iter_modules(piccolo_migrations.__path__):
        ids.add(importlib.import_module(f"surveys.piccolo_migrations.{module.name}").ID)
    return ids


def restore(backup_file: Path, database_url: str) -> tuple[BackupInfo, Path | None]:
    """Replace the database with a checked backup; the database as it was is kept beside it first.
    Returns the backup's info and where the previous database was saved (None if there was none).
    Stop the app first: its open connections would keep reading the old pages."""
    info = check(backup_file)
    live = sqlite_path(database_url)
    saved = None
    if live.exists():
        saved = live.with_name(f"{live.stem}-before-restore-{now():%Y%m%d-%H%M%S}.sqlite3")
        backup(database_url, saved)
    live.parent.mkdir(parents=True, exist_ok=True)
    with _connect(backup_file, readonly=True) as source, _connect(live) as target:
        source.backup(target)
        target.execute("PRAGMA journal_mode=WAL")
    return info, saved
