"""SQLite with one writer path per process.

SQLite lets one connection write at a time. Piccolo opens a connection per query, so under a commune's
load (a fault run: 50 volunteers at once) writers of the same process met inside SQLite, where a busy
writer sleeps and polls with backoff: unfair, slow (p99 10-12 s), and past the busy timeout a request
failed with "database is locked". Here every write of the process waits its turn on one asyncio lock
first (first come, first served, no polling) and reaches SQLite only when no other writer of the
process is in it. Reads take no turn: in WAL mode they go on beside the writer.

Other processes (the scheduler, a second web worker) still meet at SQLite's own lock, where the busy
timeout (`SQLITE_BUSY_TIMEOUT`) retries with backoff inside a request's time budget.
"""

from __future__ import annotations

import asyncio
import weakref
from typing import Any

from piccolo.engine.sqlite import SQLiteEngine, SQLiteTransaction, TransactionType
from piccolo.querystring import QueryString

# Statements that write (a query's first word). Anything else (SELECT, PRAGMA reads) takes no turn.
_WRITES = ("insert", "update", "delete", "replace", "create", "drop", "alter", "with")

# One lock per event loop: a process serves from one loop; tests may run a second one beside it.
_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = weakref.WeakKeyDictionary()


def write_turn() -> asyncio.Lock:
    """The lock this process's writers take turns on."""
    loop = asyncio.get_running_loop()
    lock = _locks.get(loop)
    if lock is None:
        lock = _locks[loop] = asyncio.Lock()
    return lock


def _writes(sql: str) -> bool:
    return sql.lstrip().split(None, 1)[0].lower() in _WRITES if sql.strip() else False


class TurnTakingTransaction(SQLiteTransaction):
    """An IMMEDIATE (or EXCLUSIVE) transaction that waits for the process's write turn before BEGIN
    and gives it back after COMMIT or ROLLBACK. A deferred transaction (reads) takes no turn."""

    _turn: asyncio.Lock | None = None

    async def __aenter__(self) -> SQLiteTransaction:
        if self._parent is not None or self.transaction_type == TransactionType.deferred:
            return await super().__aenter__()
        turn = write_turn()
        await turn.acquire()
        try:
            entered = await super().__aenter__()
        except BaseException:
            turn.release()
            raise
        self._turn = turn
        return entered

    async def __aexit__(self, exception_type: Any, exception: Any, traceback: Any) -> bool:
        try:
            return await super().__aexit__(exception_type, exception, traceback)
        finally:
            turn, self._turn = self._turn, None
            if turn is not None:
                turn.release()


class TurnTakingSQLiteEngine(SQLiteEngine):
    """Piccolo's SQLite engine, its writes taking turns (see the module's docstring)."""

    def transaction(
        self, transaction_type: TransactionType = TransactionType.deferred, allow_nested: bool = True
    ) -> SQLiteTransaction:
        """A transaction that takes the write turn when it is IMMEDIATE or EXCLUSIVE."""
        return TurnTakingTransaction(
            engine=self, transaction_type=transaction_type, allow_nested=allow_nested
        )

    async def run_querystring(self, querystring: QueryString, in_pool: bool = False) -> Any:
        """A single statement: a write outside a transaction waits for the turn."""
        if self.current_transaction.get() is None and _writes(querystring.compile_string()[0]):
            async with write_turn():
                return await super().run_querystring(querystring, in_pool)
        return await super().run_querystring(querystring, in_pool)

    async def run_ddl(self, ddl: str, in_pool: bool = False) -> Any:
        """A raw statement: a write outside a transaction waits for the turn."""
        if self.current_transaction.get() is None and _writes(ddl):
            async with write_turn():
                return await super().run_ddl(ddl, in_pool)
        return await super().run_ddl(ddl, in_pool)
