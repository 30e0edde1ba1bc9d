"""The database connection: engines from a URL, binding, migrations, write transactions."""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager, nullcontext, redirect_stdout
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache, lru_cache
from io import StringIO
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from piccolo.apps.migrations.commands.base import BaseMigrationManager
from piccolo.apps.migrations.commands.forwards import run_forwards
from piccolo.apps.migrations.tables import Migration
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType
from piccolo.table import Table

from surveys.core.outages import database_unreachable, outages
from surveys.core.pg_request import RequestPostgresEngine, RequestTransaction
from surveys.core.replicas import ReplicaEngine, ReplicaRoutingEngine
from surveys.core.settings import private_folder
from surveys.core.sqlite_writer import TurnTakingSQLiteEngine
from surveys.core.sqlite_writer import short_statements as short_statements
from surveys.core.statements import statement

log = logging.getLogger(__name__)

# Piccolo finds its configuration (the engine, the app registry) through this variable.
os.environ.setdefault("PICCOLO_CONF", "surveys.piccolo_conf")

# Seconds a SQLite writer waits for another writer's lock before giving up.
SQLITE_BUSY_TIMEOUT = 15


class DatabaseNotMigrated(RuntimeError):
    """The database lacks migrations; the message says which command applies them."""


def engine_for_url(url: str, replica_urls: Sequence[str] = ()) -> Engine[Any]:
    """A Piccolo engine for `sqlite:///path` or `postgresql://…`; on PostgreSQL, with read replicas at
    `replica_urls` (surveys/core/replicas.py). SQLite has none and ignores them."""
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        path = url.removeprefix("sqlite:///") if url.startswith("sqlite:///") else parsed.path
        # The database holds a commune's personal data: a folder only its owner enters (when phocap
        # makes it), a file only its owner reads.
        private_folder(Path(path).parent)
        if replica_urls:
            log.warning("DATABASE_REPLICA_URL is ignored: SQLite has no read replicas")
        # Writes of one process take turns before they reach SQLite (surveys/core/sqlite_writer.py).
        return TurnTakingSQLiteEngine(path=path, timeout=SQLITE_BUSY_TIMEOUT)
    if parsed.scheme in {"postgres", "postgresql"}:
        config = {"dsn": _postgresql(url)}
        if replica_urls:
            replicas = {f"replica{n}": ReplicaEngine(_postgresql(u)) for n, u in enumerate(replica_urls, 1)}
            return ReplicaRoutingEngine(config=config, replicas=replicas)
        # One connection per request, not a pool checkout per query (surveys/core/pg_request.py).
        return RequestPostgresEngine(config=config)
    raise ValueError(f"DATABASE_URL must start with sqlite:/// or postgresql:// (got {parsed.scheme!r})")


def _postgresql(url: str) -> str:
    if not url.startswith(("postgres://", "postgresql://")):
        raise ValueError("DATABASE_REPLICA_URL must name postgresql:// servers")
    return url.replace("postgres://", "postgresql://", 1)


_engine: Engine[Any] | None = None


def bind(engine: Engine[Any]) -> None:
    """Make `engine` the database of every table and of Piccolo's migration machinery (which reads it
    through `surveys.piccolo_conf.DB`)."""
    from surveys.tables import ALL_TABLES

    global _engine
    if isinstance(_engine, TurnTakingSQLiteEngine) and _engine is not engine:
        _engine.close()  # its kept-open connections and their threads
    _engine = engine
    tables: list[type[Table]] = [*ALL_TABLES, Migration]
    for table in tables:
        table._meta.db = engine
    if isinstance(engine, SQLiteEngine):
        _prepare_sqlite(engine.path)


def current_engine() -> Engine[Any]:
    """The engine bound by `bind`, or, before any, the one `DATABASE_URL` names (made on first use, so
    importing phocap touches no file)."""
    global _engine
    if _engine is None:
        from surveys.core.settings import get_settings

        settings = get_settings()
        _engine = engine_for_url(settings.resolved_database_url, settings.replica_urls)
    return _engine


def _prepare_sqlite(path: str) -> None:
    # Owner only (0600), before SQLite opens it: SQLite gives its -wal and -shm files the same mode.
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    os.chmod(path, 0o600)
    # WAL lets readers go on while one writer writes; the mode is stored in the file.
    with sqlite3.connect(path, timeout=SQLITE_BUSY_TIMEOUT) as conn:
        conn.execute("PRAGMA journal_mode=WAL")


def request_scope() -> AbstractAsyncContextManager[None]:
    """Around one web request: on PostgreSQL its queries share one connection, taken at the first and
    given back at the end; on SQLite the process's kept-open connections serve it, nothing to do."""
    engine = current_engine()
    if isinstance(engine, RequestPostgresEngine):
        return engine.request_scope()
    return nullcontext()


def write_transaction() -> Any:
    """A transaction for work that writes: IMMEDIATE on SQLite, so a writer takes the lock up front
    instead of failing half-way when another writer got there first."""
    engine = current_engine()
    if isinstance(engine, SQLiteEngine):
        return engine.transaction(transaction_type=TransactionType.immediate)
    return engine.transaction()


# Advisory lock spaces (PostgreSQL): one per kind of thing locked, so keys of two kinds never clash.
LOCK_SIGNIN_LOGIN = 1
LOCK_SIGNIN_ADDRESS = 2
LOCK_VILLAGE_CODES = 3
LOCK_VILLAGE_COUNTS = 4
LOCK_REPORT_SUBMISSIONS = 5


async def serialise_on(space: int, key: str | int, shared: bool = False) -> None:
    """Inside a write transaction, wait until no other transaction holds (space, key), and hold it until
    this one ends; `shared`: only until none holds it alone, and holders that share it do not wait for
    each other. On SQLite an IMMEDIATE transaction already excludes every other writer: nothing to do.
    Callers taking several keys take them in one fixed order, so two cannot wait for each other."""
    if isinstance(current_engine(), PostgresEngine):
        await fetch(f"SELECT {_hold_call(shared)}", space, str(key))


@dataclass(frozen=True)
class Hold:
    """One key to hold until the transaction ends, as `serialise_on(space, key, shared)` does."""

    space: int
    key: str | int
    shared: bool = False


async def hold(holds: Sequence[Hold]) -> None:
    """Take these keys in their order (`serialise_on`, a statement each on PostgreSQL)."""
    for h in holds:
        await serialise_on(h.space, h.key, h.shared)


def _hold_call(shared: bool) -> str:
    function = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
    return f"{function}({{}}, hashtext({{}}))"


# The columns of a read made in another read's statement are named with this first (`beside_row`).
BESIDE = "beside."


def beside_row(row: dict[str, Any]) -> dict[str, Any] | None:
    """The columns of `row` read beside it (named `BESIDE` + name), by name; None when that read found
    nothing (a LEFT JOIN of no row gives every column as NULL)."""
    found = {name: row[key] for key, name in _beside_names(tuple(row))}
    return found if any(v is not None for v in found.values()) else None


@lru_cache(maxsize=256)
def _beside_names(columns: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """Of a statement's columns, those read beside it, each with its name without `BESIDE`: worked out
    once for each statement (each visit reads ~80 columns, ~40 of them beside others)."""
    return tuple((c, c.removeprefix(BESIDE)) for c in columns if c.startswith(BESIDE))


@dataclass(frozen=True)
class Beside:
    """A read of one row (or none) that can go in another read's statement instead of a round trip of its
    own (`surveys.core.changes.households_changing`): its SQL (`{}` for `args`), the columns it gives, and
    what it was read for (`key`), checked by whoever uses the row."""

    sql: str
    args: tuple[Any, ...]
    columns: tuple[str, ...]
    key: Any


async def hold_households(household_ids: Sequence[int], holds: Sequence[Hold]) -> None:
    """`lock_households` and then `hold(holds)`, where nothing they return is needed: on PostgreSQL one
    statement, with one key at most, which a write transaction sends with its BEGIN as one round trip
    (`run_without_rows`); the key is taken once the households are held, as when apart. On SQLite an
    IMMEDIATE transaction already excludes every other writer: nothing to send."""
    ids = sorted({int(i) for i in household_ids})
    engine = current_engine()
    if not isinstance(engine, PostgresEngine):
        return
    if len(holds) > 1 or not ids:
        await lock_households(ids)
        await hold(holds)
        return
    places = ", ".join("{}" for _ in ids)
    held = f"SELECT id FROM household WHERE id IN ({places}) ORDER BY id FOR UPDATE"  # noqa: S608
    if not holds:
        await run_without_rows(held, *ids)
        return
    (h,) = holds
    # Materialised, and counted before the key is taken: the households are held first, in id order.
    key = _hold_call(h.shared)
    sql = f"WITH held AS MATERIALIZED ({held}) SELECT {key} FROM (SELECT count(*) FROM held) AS c"  # noqa: S608
    await run_without_rows(sql, *ids, h.space, str(h.key))


async def run_without_rows(sql: str, *args: Any) -> None:
    """A statement whose rows nobody reads (`{}` for `args`): a PostgreSQL write transaction's first goes
    with its BEGIN as one round trip (`surveys.core.pg_request.RequestPostgresEngine.run_without_rows`)."""
    engine = current_engine()
    if isinstance(engine, RequestPostgresEngine):
        await engine.run_without_rows(statement(sql, *args))
    else:
        await engine.run_querystring(statement(sql, *args))


async def lock_households(household_ids: Sequence[int]) -> dict[int, int]:
    """Inside a write transaction, before it reads what it will change: hold these households until it
    ends, so two writers of one household take turns and each reads what the other wrote (PostgreSQL:
    `SELECT … FOR UPDATE`, in the order of their ids, so two writers of the same two households cannot
    wait for each other). Returns each existing household's village. On SQLite an IMMEDIATE transaction
    already excludes every other writer."""
    ids = sorted({int(i) for i in household_ids})
    if not ids:
        return {}
    lock = " ORDER BY id FOR UPDATE" if isinstance(current_engine(), PostgresEngine) else ""
    places = ", ".join("{}" for _ in ids)
    # Only placeholders are formatted in; every id is a parameter.
    sql = f"SELECT id, village FROM household WHERE id IN ({places}){lock}"  # noqa: S608
    return {int(r["id"]): int(r["village"]) for r in await fetch(sql, *ids)}


async def fetch(sql: str, *args: Any) -> list[dict[str, Any]]:
    """Run a statement written as SQL (`{}` for `args`, parameters) on the bound engine; its rows as
    dicts. What `Table.raw` runs, without the query Piccolo builds around it (`statement`)."""
    engine = current_engine()
    rows = await engine.run_querystring(statement(sql, *args))
    return engine.transform_response_to_dicts(rows) if rows else []


async def write_later(sql: str, *args: Any) -> None:
    """Inside a write transaction, a write whose result nobody reads (an audit entry, an addition to a
    count): it goes with the transaction's next statement, at the latest its COMMIT, instead of a hop or a
    round trip of its own (surveys/core/sqlite_writer.py, surveys/core/pg_request.py); outside a
    transaction it runs now. `sql` takes `{}` for `args`."""
    engine = current_engine()
    querystring = statement(sql, *args)
    if isinstance(engine, TurnTakingSQLiteEngine | RequestPostgresEngine):
        await engine.run_later(querystring)
    else:
        await engine.run_querystring(querystring)


def timestamp_param() -> str:
    """A query placeholder for a timestamp where nothing around it says its type (a VALUES list):
    PostgreSQL needs the cast, SQLite keeps timestamps as ISO text and must not get one."""
    return "CAST({} AS TIMESTAMPTZ)" if isinstance(current_engine(), PostgresEngine) else "{}"


@cache
def _known_migrations() -> tuple[tuple[str, str], ...]:
    """Every migration of every app, as (app, id) in order: read from the migration folders once per
    process (Piccolo's reading of them puts each folder on `sys.path` again every time)."""
    manager = BaseMigrationManager()
    found: list[tuple[str, str]] = []
    for module in manager.get_app_modules():
        config = module.APP_CONFIG
        modules = manager.get_migration_modules(config.resolved_migrations_folder_path)
        found += [(config.app_name, migration_id) for migration_id in manager.get_migration_ids(modules)]
    return tuple(found)


async def pending_migrations() -> list[str]:
    """Ids of the migrations not yet applied to the bound database."""
    known = _known_migrations()
    # Two questions in one transaction, where Piccolo's check asks once per migration (40 and more): on
    # PostgreSQL without a pool, as the tests' apps run, each would also open a connection of its own.
    async with current_engine().transaction():
        if not await Migration.table_exists():
            return [migration_id for _, migration_id in known]
        rows = await Migration.select(Migration.app_name, Migration.name)
    applied = {(row["app_name"], row["name"]) for row in rows}
    return [migration_id for app, migration_id in known if (app, migration_id) not in applied]


async def migrate() -> list[str]:
    """Apply every pending migration; returns the ids applied."""
    pending = await pending_migrations()
    if pending:
        # Piccolo reports progress with print(); keep it out of the server's output.
        with redirect_stdout(StringIO()) as out:
            result = await run_forwards(app_name="all", migration_id="all", fake=False)
        if not result.success:
            raise RuntimeError(f"Migration failed: {result.message}\n{out.getvalue()}")
        log.info("applied migrations: %s", ", ".join(pending))
    return pending


async def ensure_migrated() -> None:
    """Refuse to go on with an unmigrated database, saying what to run."""
    pending = await pending_migrations()
    if pending:
        raise DatabaseNotMigrated(
            f"The database has {len(pending)} migration(s) not applied ({', '.join(pending)}). "
            "Run `phocap migrate` first."
        )


async def database_ok() -> bool:
    """Whether the database answers a trivial query."""
    try:
        await current_engine().run_ddl("SELECT 1")
    except Exception as exc:  # any failure means "unreachable" to a health check
        if database_unreachable(exc):
            outages.report(exc)  # once a minute, not a traceback per probe
        else:
            log.warning("database health check failed", exc_info=True)
        return False
    return True


async def open_pool(engine: Engine[Any], size: int) -> None:
    """Start a connection pool of `size` where the engine has one (PostgreSQL); 0 means none. Each read
    replica gets one too, connecting only when first used: a replica that is down must not stop the
    start-up (its reads go to the primary meanwhile)."""
    if isinstance(engine, PostgresEngine) and size > 0:
        await engine.start_connection_pool(min_size=1, max_size=size)
        for replica in engine.extra_nodes.values():
            await replica.start_connection_pool(min_size=0, max_size=size)


async def close_pool(engine: Engine[Any]) -> None:
    """Close the pools opened by `open_pool` (PostgreSQL, replicas included), or the kept-open
    connections (SQLite)."""
    if isinstance(engine, PostgresEngine):
        for replica in engine.extra_nodes.values():
            if replica.pool is not None:
                await replica.close_connection_pool()
        if engine.pool is not None:
            await engine.close_connection_pool()
    if isinstance(engine, TurnTakingSQLiteEngine):
        engine.close()


async def bulk_insert(table: type[Table], columns: list[str], rows: list[tuple[Any, ...]]) -> None:
    """Insert many rows with the driver's `executemany`, inside the current write transaction: the
    Table objects Piccolo's own insert builds per row cost far more than the database's work."""
    transaction = current_engine().current_transaction.get()
    if transaction is None:
        raise RuntimeError("bulk_insert runs inside write_transaction()")
    names = ", ".join(f'"{c}"' for c in columns)
    if isinstance(current_engine(), PostgresEngine):
        marks = ", ".join(f"${n}" for n in range(1, len(columns) + 1))
    else:
        marks = ", ".join("?" for _ in columns)
        rows = [tuple(_sqlite_value(v) for v in row) for row in rows]
    # Table and column names come from the code; every value is a parameter.
    sql = f'INSERT INTO "{table._meta.tablename}" ({names}) VALUES ({marks})'  # noqa: S608
    if isinstance(transaction, RequestTransaction):
        await transaction.flush()  # its BEGIN (and the writes left) first
    await transaction.connection.executemany(sql, rows)


def _sqlite_value(value: Any) -> Any:
    # As Piccolo stores them: timestamps as ISO text in UTC, booleans as integers.
    if isinstance(value, datetime):
        return str(value.astimezone(UTC))
    return value
