"""The ceiling of the fault run's ratio: the raw rows of a visit written by an HTTP handler with no
application in it, on the same stack (uvicorn, Litestar, msgspec) and the same driver as phocap.

`tests/benchmarks/faults.py` compares phocap's visits/s with the same rows written by plain sqlite3 or
asyncpg, with nothing in between. This app is that nothing plus HTTP: it decodes the visit's JSON body
and writes the raw rows (the client_id looked up, a visit and its audit entry, one transaction), no
sign-in, no access check, no rules, no daily counts, no response beyond the client_id. What it reaches
against the raw rate is the most any app on this stack can reach on this machine.

Served by `python -m uvicorn --factory tests.benchmarks.skeleton:create_app` with
`PHOCAP_SKELETON_DATABASE_URL` (sqlite:///… or postgresql://…), `PHOCAP_SKELETON_HOUSEHOLD` and
`PHOCAP_SKELETON_USER` (the rows' household and user). SQLite: one kept-open connection and its one
thread, as phocap's writer (`surveys/core/sqlite_writer.py`), one hop per visit; PostgreSQL: an asyncpg
pool of the Procfile's size (`DATABASE_POOL_SIZE`, default 10).
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import asyncpg
import msgspec
from litestar import Litestar, post


class VisitBody(msgspec.Struct):
    client_id: str
    outcome: str
    household_version: int


_SELECT = "SELECT household FROM visit WHERE client_id = {}"
_VISIT = (
    "INSERT INTO visit (household, volunteer, client_id, at, outcome, answers, household_version)"
    " VALUES ({h}, {u}, {c}, {now}, {o}, {a}, 1)"
)
_AUDIT = (
    'INSERT INTO audit_entry (at, "user", action, entity, entity_id, details, client_addr)'
    " VALUES ({now}, {u}, 'visit.recorded', 'household', {h}, {d}, 'skeleton')"
)


class SQLiteRows:
    """The raw rows on one kept-open connection in a thread of its own."""

    def __init__(self, path: str, household: int, user: int) -> None:
        self.thread = ThreadPoolExecutor(max_workers=1)
        self.household, self.user = household, user
        self.db = self.thread.submit(self._open, path).result()
        q = "?"
        self.select = _SELECT.format(q)
        self.visit = _VISIT.format(h=q, u=q, c=q, now="datetime('now')", o=q, a=q)
        self.audit = _AUDIT.format(now="datetime('now')", u=q, h=q, d=q)

    @staticmethod
    def _open(path: str) -> sqlite3.Connection:
        db = sqlite3.connect(path, timeout=15, isolation_level=None, check_same_thread=False)
        db.execute("PRAGMA foreign_keys = 1")
        return db

    def _write(self, body: VisitBody) -> None:
        answers = json.dumps({"client_id": body.client_id, "outcome": body.outcome})
        self.db.execute("BEGIN IMMEDIATE")
        try:
            self.db.execute(self.select, (body.client_id,)).fetchall()
            self.db.execute(self.visit, (self.household, self.user, body.client_id, body.outcome, answers))
            self.db.execute(
                self.audit, (self.user, self.household, json.dumps({"client_id": body.client_id}))
            )
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    async def write(self, body: VisitBody) -> None:
        await asyncio.get_running_loop().run_in_executor(self.thread, self._write, body)

    async def close(self) -> None:
        self.thread.submit(self.db.close).result()
        self.thread.shutdown()


class PostgresRows:
    """The raw rows through an asyncpg pool."""

    def __init__(self, url: str, household: int, user: int) -> None:
        self.url, self.household, self.user = url, household, user
        self.pool: asyncpg.Pool | None = None
        self.select = _SELECT.format("$1::uuid")
        self.visit = _VISIT.format(h="$1", u="$2", c="$3::uuid", now="now()", o="$4", a="$5")
        self.audit = _AUDIT.format(now="now()", u="$1", h="$2", d="$3")

    async def open(self) -> None:
        size = int(os.environ.get("DATABASE_POOL_SIZE") or 10)
        self.pool = await asyncpg.create_pool(self.url, min_size=size, max_size=size)

    async def write(self, body: VisitBody) -> None:
        assert self.pool is not None
        answers = json.dumps({"client_id": body.client_id, "outcome": body.outcome})
        async with self.pool.acquire() as db, db.transaction():
            await db.fetch(self.select, body.client_id)
            await db.execute(self.visit, self.household, self.user, body.client_id, body.outcome, answers)
            await db.execute(self.audit, self.user, self.household, json.dumps({"client_id": body.client_id}))

    async def close(self) -> None:
        if self.pool is not None:
            await self.pool.close()


def create_app() -> Litestar:
    url = os.environ["PHOCAP_SKELETON_DATABASE_URL"]
    household = int(os.environ["PHOCAP_SKELETON_HOUSEHOLD"])
    user = int(os.environ["PHOCAP_SKELETON_USER"])
    rows: Any = (
        PostgresRows(url, household, user)
        if url.startswith("postgres")
        else SQLiteRows(url.removeprefix("sqlite:///"), household, user)
    )

    @post("/api/households/{token:str}/visits")
    async def visit(token: str, data: VisitBody) -> dict[str, str]:
        await rows.write(data)
        return {"client_id": data.client_id}

    async def start() -> None:
        if isinstance(rows, PostgresRows):
            await rows.open()

    return Litestar([visit], on_startup=[start], on_shutdown=[rows.close])
