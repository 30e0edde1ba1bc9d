"""Counting every row a request writes, by triggers on every table of phocap (test databases only): the
access matrix checks that a refused request wrote nothing with one query, where reading every table
before and after took ~240 queries a case.

`counted_writes(url)` puts a counter table and the triggers in the database for the length of the block
and yields a function that reads the count. A row inserted, deleted or updated counts, an update even
when it writes the values the row had, except a session's last-seen time (`UNCOUNTED`), which any
signed-in request may touch."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import asyncpg

from surveys.tables import ALL_TABLES, AuthSession

COUNTER = "phocap_test_writes"
UNCOUNTED = {AuthSession._meta.tablename: {AuthSession.last_seen_at._meta.db_column_name}}


def _tables() -> list[tuple[str, list[str]]]:
    """Each table and the columns whose update counts."""
    found = []
    for table in ALL_TABLES:
        name = table._meta.tablename
        skip = UNCOUNTED.get(name, set())
        found.append(
            (
                name,
                [c._meta.db_column_name for c in table._meta.columns if c._meta.db_column_name not in skip],
            )
        )
    return found


def _quoted(names: list[str]) -> str:
    return ", ".join(f'"{n}"' for n in names)


def _sqlite_script() -> str:
    lines = [
        "CREATE TABLE phocap_test_writes (n INTEGER NOT NULL)",
        "INSERT INTO phocap_test_writes VALUES (0)",
    ]
    bump = "BEGIN UPDATE phocap_test_writes SET n = n + 1; END"
    for name, columns in _tables():
        lines.append(f'CREATE TRIGGER "{COUNTER}_{name}_i" AFTER INSERT ON "{name}" {bump}')
        lines.append(f'CREATE TRIGGER "{COUNTER}_{name}_d" AFTER DELETE ON "{name}" {bump}')
        lines.append(
            f'CREATE TRIGGER "{COUNTER}_{name}_u" AFTER UPDATE OF {_quoted(columns)} ON "{name}" {bump}'
        )
    # One transaction: each statement alone would commit (and re-read the schema) on its own, ~25 ms
    # a test for the 81 triggers, against ~4 ms together.
    return "BEGIN;\n" + ";\n".join(lines) + ";\nCOMMIT;"


def _postgres_script() -> str:
    lines = [
        "CREATE TABLE phocap_test_writes (n bigint NOT NULL)",
        "INSERT INTO phocap_test_writes VALUES (0)",
        "CREATE FUNCTION phocap_test_writes_bump() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN UPDATE phocap_test_writes SET n = n + 1; RETURN NULL; END $$",
    ]
    for name, columns in _tables():
        bump = f'ON "{name}" FOR EACH ROW EXECUTE FUNCTION {COUNTER}_bump()'
        lines.append(f'CREATE TRIGGER "{COUNTER}_id" AFTER INSERT OR DELETE {bump}')
        lines.append(f'CREATE TRIGGER "{COUNTER}_u" AFTER UPDATE OF {_quoted(columns)} {bump}')
    return ";\n".join(lines) + ";"


def _postgres_undo() -> str:
    lines = [
        f'DROP TRIGGER IF EXISTS "{COUNTER}_{k}" ON "{name}"' for name, _ in _tables() for k in ("id", "u")
    ]
    lines += [f"DROP FUNCTION IF EXISTS {COUNTER}_bump()", f"DROP TABLE IF EXISTS {COUNTER}"]
    return ";\n".join(lines) + ";"


@asynccontextmanager
async def counted_writes(url: str) -> AsyncIterator[Callable[[], Awaitable[int]]]:
    """Count the rows written to the database at `url` (a test's own) while the block runs."""
    if url.startswith("sqlite:///"):
        path = url.removeprefix("sqlite:///")
        with sqlite3.connect(path) as connection:
            connection.executescript(_sqlite_script())
        connection.close()

        async def sqlite_count() -> int:
            with sqlite3.connect(path) as reader:
                (count,) = reader.execute("SELECT n FROM phocap_test_writes").fetchone()
            reader.close()
            return int(count)

        yield sqlite_count
        return
    connection = await asyncpg.connect(url)
    try:
        await connection.execute(_postgres_undo() + _postgres_script())

        async def postgres_count() -> int:
            return int(await connection.fetchval("SELECT n FROM phocap_test_writes"))

        yield postgres_count
    finally:
        await connection.execute(_postgres_undo())
        await connection.close()
