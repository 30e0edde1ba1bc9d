"""What a hop to a SQLite connection's thread costs against the statement itself, with phocap's own
connection (`surveys/core/sqlite_writer.py`): a point read by primary key N times one at a time, then
50 tasks at once, on its thread (`Connection.fetch`) and in the event loop's thread
(`Connection.run_now`, what `short_statements` does). Prints the process's CPU per statement.

Run on demand: `python -m tests.benchmarks.sqlite_hop [N]` (default 20,000).
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import sys
import tempfile
from pathlib import Path

from surveys.core.sqlite_writer import Connection

SQL = "SELECT id, name FROM t WHERE id = ?"


def cpu() -> float:
    times = os.times()
    return times.user + times.system


async def main(n: int, folder: str) -> None:
    path = str(Path(folder) / "hop.sqlite3")
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)")
        db.executemany("INSERT INTO t (name) VALUES (?)", [(f"household {i}",) for i in range(1000)])
    connection = Connection({"database": path, "isolation_level": None})
    try:
        assert connection.run_now(SQL, [5]) == [{"id": 5, "name": "household 4"}]
        started = cpu()
        for i in range(n):
            await connection.fetch(SQL, [i % 1000 + 1])
        hop = (cpu() - started) / n * 1e6
        started = cpu()
        for i in range(n):
            connection.run_now(SQL, [i % 1000 + 1])
        now = (cpu() - started) / n * 1e6

        async def task(k: int) -> None:
            for i in range(k):
                await connection.fetch(SQL, [i % 1000 + 1])

        started = cpu()
        await asyncio.gather(*(task(n // 50) for _ in range(50)))
        crowded = (cpu() - started) / (n // 50 * 50) * 1e6
    finally:
        connection.close()
    print(f"{n} point reads: {hop:.1f} µs of CPU each with a hop, {crowded:.1f} µs with 50 tasks hopping at "
          f"once, {now:.1f} µs in the event loop's thread")  # fmt: skip


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000, tmp))
