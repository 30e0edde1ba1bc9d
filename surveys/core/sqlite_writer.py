"""SQLite with one write connection per process and a few read connections, kept open.

Piccolo's SQLite engine opens a new connection, with a thread of its own, for every query and every
transaction, and then hops to that thread three times per statement. Under a commune's load (a fault
run: 50 volunteers at once) that cost more than SQLite's own work (15.6 visits/s against 433 raw
inserts/s), and writers met inside SQLite, where a busy writer sleeps and polls: unfair, slow, and past
the busy timeout "database is locked".

Here each event loop (a process serves from one; tests may run a second beside it) keeps:
- one write connection: every write, and every transaction, waits its turn on one asyncio lock (first
  come, first served, in the event loop, no polling), then runs there. No other writer of the loop is
  ever inside SQLite at the same time, so none meets "database is locked".
- up to `READERS` read connections for statements outside a transaction that only read: in WAL mode
  they go on beside the writer; and one more for short reads (below), which never wait for one another.
Each connection keeps one thread, and a statement is one hop to it (execute and fetch together). A
transaction's BEGIN goes in the hop of its first statement, and a write whose result nobody reads (an
audit entry, an addition to a count: `TurnTakingSQLiteEngine.run_later`) waits for the transaction's next
hop, at the latest its COMMIT: a visit's transaction is a few hops, not one per statement (each hop costs
the server more CPU than SQLite's own work for the statement). What a transaction reads still sees every
write before it, and a write that fails still fails its transaction, at that next statement or COMMIT.
Other processes (the scheduler, a second web worker) still meet at SQLite's own lock, where the busy
timeout (`SQLITE_BUSY_TIMEOUT`) retries with backoff inside a request's time budget.

Statements known to be short run in the event loop's thread, with no hop at all (`short_statements`):
a hop costs the server 50-100 µs of CPU (the thread woken, the answer handed back through the event
loop), a point read by a unique key 5-10 µs. A visit request's reads (its session, its household, the
answer) and its transaction's statements are such; a report's reads are not, and keep their hop so
the loop serves other requests meanwhile. Whatever may wait never runs in the loop's thread: a BEGIN
that meets another process's lock is tried without waiting and, refused, sent on its hop to wait
there; a write outside a transaction (which commits itself) always hops.

Group commit. In WAL mode the write connection runs with `synchronous = NORMAL`: a COMMIT writes its
pages to the WAL and does not wait for the disk, so a short transaction's COMMIT runs in the loop's
thread too. Nothing is answered before it is on disk all the same: the COMMIT then waits (`_WalSync`)
until an fdatasync of the WAL begun after it has ended, what `synchronous = FULL` does inside every
COMMIT. One sync, in a thread of its own, covers every commit made before it began, so commits made
while one runs share the next: under load a sync serves many visits, where each paid a hop and a sync of
its own. The WAL is checkpointed into the database file by that thread too, once it grows past
`CHECKPOINT_BYTES` (the write connection's own checkpoint would run inside a COMMIT, in the loop's
thread). Without WAL (a database file kept in another journal mode) nothing of this applies: every COMMIT
hops and syncs, as SQLite's default.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
import weakref
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar, cast

from piccolo.engine.sqlite import SQLiteEngine, SQLiteTransaction, TransactionType, dict_factory
from piccolo.querystring import QueryString

from surveys.core.statements import compiled

log = logging.getLogger(__name__)

T = TypeVar("T")

# Read connections per event loop: reads are short, and Python's own work, not SQLite's, bounds them.
READERS = 3

# The WAL's size past which the sync thread checkpoints it into the database file: SQLite's own default
# (1,000 pages of 4 KiB).
CHECKPOINT_BYTES = 4 * 1024 * 1024

# The longest a connection's opening waits for another's setup of the WAL's shared index (seconds).
OPEN_WAIT_S = 1.0

# Statements that write (a query's first word). Anything else (SELECT, PRAGMA reads) goes to a reader.
_WRITES = ("insert", "update", "delete", "replace", "create", "drop", "alter", "with", "begin")


# Whether the statements of the running task are short (`short_statements`).
_SHORT: ContextVar[bool] = ContextVar("phocap_short_statements", default=False)


class short_statements:
    """The statements of this block are short by construction (a point read by a unique key, a visit's
    transaction): on SQLite they run in the event loop's thread (see the module); elsewhere nothing
    changes. Nothing in the block may read much: the loop serves no other request meanwhile. (A class,
    not a generator: a request enters several.)"""

    __slots__ = ("_token",)

    def __enter__(self) -> None:
        self._token = _SHORT.set(True)

    def __exit__(self, *exc: object) -> None:
        _SHORT.reset(self._token)


def _writes(sql: str) -> bool:
    words = sql.lstrip().split(None, 1)
    return bool(words) and words[0].lower() in _WRITES


def _commits(sql: str) -> bool:
    """Whether `sql` is a COMMIT."""
    words = sql.split(None, 1)
    return bool(words) and words[0].upper() in ("COMMIT", "END")


def _ends(sql: str) -> bool:
    """Whether `sql` ends a transaction (COMMIT, ROLLBACK; not ROLLBACK TO a savepoint)."""
    words = sql.split(None, 2)
    return (
        bool(words)
        and words[0].upper() in ("COMMIT", "ROLLBACK")
        and (len(words) < 2 or words[1].upper() != "TO")
    )


class Connection:
    """One sqlite3 connection and the one thread that uses it; opened lazily, in that thread."""

    def __init__(self, connection_kwargs: dict[str, Any], writer: bool = False) -> None:
        self._kwargs = dict(connection_kwargs)
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="phocap-sqlite")
        self._db: sqlite3.Connection | None = None
        # The write connection in WAL mode: its commits wait for a group sync of the WAL (see the module).
        self._writer = writer
        self.sync: _WalSync | None = None
        self._unsynced: int | None = None
        self._waits_off_loop = False
        self._closed = False
        # Touched in the event loop's thread only: the BEGIN and the writes that go with the next hop.
        self._begin_kind: str | None = None
        self._later: list[tuple[str, Sequence[Any]]] = []
        # The last hop: a statement runs in the loop's thread only when the connection's own thread
        # is done with it (a hop left running by a cancelled request goes first).
        self._hop: Future[Any] | None = None
        # SQLite's wait for another process's lock, restored after a BEGIN tried without waiting.
        self._busy_ms = int(float(self._kwargs.get("timeout", 5.0)) * 1000)

    def _connection(self) -> sqlite3.Connection:
        if self._db is None:
            # Used by its thread and, for short statements, by the event loop's: one at a time.
            # Opening waits out another connection setting up the WAL's shared index at that moment
            # (SQLite answers "locked" meanwhile), whatever the busy timeout kept afterwards.
            opening = {**self._kwargs, "timeout": max(self._busy_ms / 1000, OPEN_WAIT_S)}
            self._db = sqlite3.connect(**opening, check_same_thread=False)
            self._db.row_factory = dict_factory
            self._db.execute("PRAGMA foreign_keys = 1")
            wal = self._db.execute("PRAGMA journal_mode").fetchone()["journal_mode"] == "wal"
            self._db.execute(f"PRAGMA busy_timeout = {self._busy_ms}")
            if self._writer and wal:
                # Its commits are synced by `_WalSync`, and the WAL checkpointed there.
                self._db.execute("PRAGMA synchronous = NORMAL")
                self._db.execute("PRAGMA wal_autocheckpoint = 0")
                # A WAL begun again after a checkpoint is cut back to this size, so its size says how
                # much it holds since (`_WalSync` checkpoints past it).
                self._db.execute(f"PRAGMA journal_size_limit = {CHECKPOINT_BYTES}")
                self.sync = _WalSync(self._kwargs)
                # Nothing it runs in the loop's thread may wait, and inside its transaction nothing
                # waits (the BEGIN took the lock; no checkpoint at COMMIT): no busy timeout but where a
                # hop may wait for another process, its BEGIN and a write that commits itself.
                self._db.execute("PRAGMA busy_timeout = 0")
                self._waits_off_loop = True
        return self._db

    def _fetch(self, sql: str, args: Sequence[Any]) -> list[dict[str, Any]]:
        db = self._connection()
        if self._waits_off_loop and not db.in_transaction:
            # A write that commits itself, in its hop: it may wait for another process's lock.
            with self._waiting(db):
                return self._rows(db, sql, args)
        return self._rows(db, sql, args)

    @staticmethod
    def _rows(db: sqlite3.Connection, sql: str, args: Sequence[Any]) -> list[dict[str, Any]]:
        cursor = db.execute(sql, args)
        try:
            return cursor.fetchall()
        finally:
            cursor.close()

    @contextmanager
    def _waiting(self, db: sqlite3.Connection) -> Iterator[None]:
        """SQLite's busy timeout for the block (the write connection in WAL mode keeps none, see
        `_waits_off_loop`)."""
        db.execute(f"PRAGMA busy_timeout = {self._busy_ms}")
        try:
            yield
        finally:
            db.execute("PRAGMA busy_timeout = 0")

    def _begin(self, kind: str, wait: bool = True) -> None:
        db = self._connection()
        if db.in_transaction:
            # Only a transaction cut off half-way (its task cancelled during COMMIT) leaves one open.
            log.warning("a transaction was left open on the write connection: rolled back")
            db.execute("ROLLBACK")
        if wait and self._waits_off_loop:
            with self._waiting(db):
                db.execute(f"BEGIN {kind}")
        else:
            db.execute(f"BEGIN {kind}")

    def _catch_up(self, begin: str | None, later: list[tuple[str, Sequence[Any]]]) -> None:
        """In the connection's thread: the transaction's BEGIN when it has not been sent, then the writes
        left for this hop."""
        if begin is not None:
            self._begin(begin)
        db = self._connection()
        for statement, values in later:
            db.execute(statement, values).close()

    def _fetch_after(
        self, begin: str | None, later: list[tuple[str, Sequence[Any]]], sql: str, args: Sequence[Any]
    ) -> list[dict[str, Any]]:
        """In one hop: the transaction's BEGIN (when this is its first statement), the writes left for
        this hop, then `sql`. A ROLLBACK drops the writes left; a COMMIT or ROLLBACK of a transaction
        that never began has nothing to end."""
        ending = _ends(sql)
        if ending and sql.lstrip()[:8].upper() == "ROLLBACK":
            later = []
        if begin is not None and ending and not later:
            return []
        self._catch_up(begin, later)
        if ending and not self._connection().in_transaction:
            return []  # its BEGIN failed, and took the transaction with it
        return self._fetch(sql, args)

    async def _call(self, function: Callable[..., T], *args: Any) -> T:
        self._hop = self._thread.submit(function, *args)
        return await asyncio.wrap_future(self._hop)

    def _begin_now(self, kind: str) -> bool:
        """In the loop's thread: BEGIN `kind` if SQLite grants it without waiting (another process
        holding the write lock refuses it at once); whether it began."""
        db = self._connection()
        if self._waits_off_loop:
            return self._try_begin(kind)
        db.execute("PRAGMA busy_timeout = 0")
        try:
            return self._try_begin(kind)
        finally:
            db.execute(f"PRAGMA busy_timeout = {self._busy_ms}")

    def _try_begin(self, kind: str) -> bool:
        try:
            self._begin(kind, wait=False)
        except sqlite3.OperationalError as exc:
            if exc.sqlite_errorcode & 0xFF != sqlite3.SQLITE_BUSY:
                raise
            return False
        return True

    def run_now(self, sql: str, args: Sequence[Any]) -> list[dict[str, Any]] | None:
        """Run the statement in the loop's thread (after the BEGIN and the writes left for it), or None
        when it must hop: the connection's thread is still busy, or the BEGIN would wait."""
        if self._hop is not None:
            if not self._hop.done():
                return None
            self._hop = None  # asked once: asking a finished future takes its lock every time
        if self._begin_kind is not None:
            if _ends(sql) and not self._later:
                self._begin_kind = None
                return []  # a transaction that never began has nothing to end
            if not self._begin_now(self._begin_kind):
                return None
            self._begin_kind = None
        later, self._later = self._later, []
        return self._fetch_after(None, later, sql, args)

    async def fetch(self, sql: str, args: Sequence[Any] = (), short: bool = False) -> list[dict[str, Any]]:
        """Run one statement (after the BEGIN and the writes left for it); its rows as dicts. A `short`
        one runs in the loop's thread when nothing in it can wait (see the module)."""
        rows = await self._statement(sql, args, short)
        if self.sync is not None and (
            _commits(sql) or (_writes(sql) and not self._connection().in_transaction)
        ):
            # Committed, not yet on disk: whoever holds the write turn waits for it once the turn is
            # given back (`unsynced`, `synced`), so the next writer's commit can share the sync.
            self._unsynced = self.sync.ask()
        return rows

    def unsynced(self) -> int | None:
        """The commit made in the write turn now ending that is not yet known on disk (None: none)."""
        ticket, self._unsynced = self._unsynced, None
        return ticket

    async def synced(self, ticket: int | None) -> None:
        """Until the commit `unsynced` gave is on disk."""
        if ticket is not None and self.sync is not None:
            await self.sync.wait(ticket)

    async def _statement(self, sql: str, args: Sequence[Any], short: bool) -> list[dict[str, Any]]:
        # A COMMIT runs in the loop's thread only when it does not sync the file (`_WalSync`).
        if short and (not _ends(sql) or self.sync is not None):
            rows = self.run_now(sql, args)
            if rows is not None:
                return rows
        if self._begin_kind is None and not self._later and not _ends(sql):
            return await self._call(self._fetch, sql, args)
        begin, later = self._begin_kind, self._later
        self._begin_kind, self._later = None, []
        return await self._call(self._fetch_after, begin, later, sql, args)

    async def execute(self, sql: str, args: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """As `fetch`: the name Piccolo's transactions and savepoints call (a transaction of short
        statements ends in the loop's thread too)."""
        return await self.fetch(sql, args, _SHORT.get())

    def later(self, sql: str, args: Sequence[Any]) -> None:
        """Leave a write for the transaction's next hop (`run_later`)."""
        self._later.append((sql, args))

    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """One statement for many rows (`bulk_insert`)."""
        begin, later = self._begin_kind, self._later
        self._begin_kind, self._later = None, []

        def run() -> None:
            self._catch_up(begin, later)
            self._connection().executemany(sql, rows).close()

        await self._call(run)

    def begin(self, kind: str) -> None:
        """BEGIN `kind` (DEFERRED, IMMEDIATE, EXCLUSIVE), in the hop of the transaction's first statement."""
        self._begin_kind, self._later = kind, []

    def close(self, wait: bool = True) -> None:
        """Close from any thread or loop: the connection's thread closes it (the last one to close
        checkpoints the WAL into the database file), then ends."""
        if not self._closed:
            self._closed = True
            try:
                self._thread.submit(self._close_db)
            except RuntimeError:  # the interpreter is exiting: its threads are stopped already
                return
            self._thread.shutdown(wait=wait)

    def _close_db(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
        if self.sync is not None:
            self.sync.close()

    def __del__(self) -> None:
        self.close(wait=False)


class _WalSync:
    """Group commit of one write connection (see the module): `wait()` returns once an fdatasync of the
    WAL begun after it was called has ended, so every commit made before the call is on disk."""

    def __init__(self, connection_kwargs: dict[str, Any]) -> None:
        self._kwargs = connection_kwargs
        self.wal = f"{connection_kwargs['database']}-wal"
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="phocap-sqlite-sync")
        # Commits asked for and known on disk, numbered in the order they asked.
        self._asked = 0
        self._done = 0
        self._running: asyncio.Future[None] | None = None
        self._checkpointer: sqlite3.Connection | None = None

    def ask(self) -> int:
        """Number a commit just made (its WAL frames written): `wait` takes that number."""
        self._asked += 1
        return self._asked

    async def wait(self, mine: int) -> None:
        """Until the commit numbered `mine` (and every one before it) is on disk. A sync running now
        may have begun before it: then the next one, which its waiters share."""
        while self._done < mine:
            if self._running is None or self._running.done():
                self._running = asyncio.ensure_future(self._sync(self._asked))
            # Shielded: a request cancelled meanwhile leaves the sync to the others waiting for it.
            await asyncio.shield(self._running)

    async def _sync(self, upto: int) -> None:
        await asyncio.get_running_loop().run_in_executor(self._thread, self._sync_now)
        self._done = max(self._done, upto)

    def _sync_now(self) -> None:
        """In the sync thread: the WAL on disk, then checkpointed when it grew large."""
        descriptor = os.open(self.wal, os.O_RDONLY)
        try:
            os.fdatasync(descriptor)
        finally:
            os.close(descriptor)
        if os.path.getsize(self.wal) > CHECKPOINT_BYTES:
            self._checkpoint()

    def _checkpoint(self) -> None:
        # PASSIVE: copies what no reader still needs, waits for nobody; the rest goes next time.
        if self._checkpointer is None:
            self._checkpointer = sqlite3.connect(**self._kwargs, check_same_thread=False)
        self._checkpointer.execute("PRAGMA wal_checkpoint(PASSIVE)").close()

    def close(self) -> None:
        """Called from the write connection's thread as it closes."""

        def close_checkpointer() -> None:
            if self._checkpointer is not None:
                self._checkpointer.close()
                self._checkpointer = None

        try:
            self._thread.submit(close_checkpointer)
        except RuntimeError:  # the interpreter is exiting
            return
        self._thread.shutdown(wait=True)


class _LoopConnections:
    """The connections and the write turn of one event loop."""

    def __init__(self, connection_kwargs: dict[str, Any]) -> None:
        self.kwargs = connection_kwargs
        self.turn = asyncio.Lock()
        self.writer: Connection | None = None
        # Short reads run in the loop's thread, none waiting for another: one connection serves them all.
        self.short_reader: Connection | None = None
        self.idle: list[Connection] = []
        self.all: list[Connection] = []
        self.readers = asyncio.Semaphore(READERS)

    def write_connection(self) -> Connection:
        if self.writer is None:
            self.writer = Connection(self.kwargs, writer=True)
            self.all.append(self.writer)
        return self.writer

    def short_read_connection(self) -> Connection:
        if self.short_reader is None:
            self.short_reader = Connection(self.kwargs)
            self.all.append(self.short_reader)
        return self.short_reader

    @asynccontextmanager
    async def reader(self) -> AsyncIterator[Connection]:
        async with self.readers:
            if self.idle:
                connection = self.idle.pop()
            else:
                connection = Connection(self.kwargs)
                self.all.append(connection)
            try:
                yield connection
            finally:
                self.idle.append(connection)

    def close(self) -> None:
        for connection in self.all:
            connection.close()
        self.all.clear()
        self.idle.clear()
        self.writer = self.short_reader = None


class TurnTakingTransaction(SQLiteTransaction):
    """A transaction on the loop's write connection, begun once the write turn is this one's and
    giving it back after COMMIT or ROLLBACK. A nested transaction is its parent (Piccolo's rule)."""

    _turn: asyncio.Lock | None = None

    async def __aenter__(self) -> SQLiteTransaction:
        if self._parent is not None:
            return self._parent
        connections = cast(TurnTakingSQLiteEngine, self.engine).loop_connections()
        await connections.turn.acquire()
        try:
            self.connection = connections.write_connection()
            self.connection.begin(self.transaction_type.value)
        except BaseException:
            connections.turn.release()
            raise
        self._turn = connections.turn
        self.context = self.engine.current_transaction.set(self)
        return self

    async def __aexit__(self, exception_type: Any, exception: Any, traceback: Any) -> bool:
        if self._parent is not None:
            return exception is None
        try:
            if exception is not None:
                if not self._rolled_back:
                    await self.rollback()  # type: ignore[no-untyped-call]
            elif not self._committed and not self._rolled_back:
                try:
                    await self.commit()  # type: ignore[no-untyped-call]
                except BaseException:
                    await self.rollback()  # type: ignore[no-untyped-call]
                    raise
        finally:
            self.engine.current_transaction.reset(self.context)
            ticket = self.connection.unsynced()
            turn, self._turn = self._turn, None
            if turn is not None:
                turn.release()
        # The next writer goes on meanwhile: its commit shares the next sync (group commit).
        await self.connection.synced(ticket)
        return exception is None


class TurnTakingSQLiteEngine(SQLiteEngine):
    """Piccolo's SQLite engine on kept-open connections, its writes taking turns (see the module)."""

    def __init__(self, path: str, **connection_kwargs: Any) -> None:
        super().__init__(path=path, **connection_kwargs)
        self._loops: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopConnections] = (
            weakref.WeakKeyDictionary()
        )

    def loop_connections(self) -> _LoopConnections:
        """The connections of the running event loop, made on first use."""
        loop = asyncio.get_running_loop()
        connections = self._loops.get(loop)
        if connections is None:
            connections = self._loops[loop] = _LoopConnections(self.connection_kwargs)
        return connections

    def close(self) -> None:
        """Close every kept-open connection (of every loop) and wait until they are closed, so the
        database file is whole (a copy of it can be taken); the next query opens new ones."""
        for connections in list(self._loops.values()):
            connections.close()
        self._loops.clear()

    def transaction(
        self, transaction_type: TransactionType = TransactionType.deferred, allow_nested: bool = True
    ) -> SQLiteTransaction:
        """A transaction on the write connection, in its turn (whatever its type: a deferred one
        may write too, and SQLite has one writer)."""
        return TurnTakingTransaction(
            engine=self, transaction_type=transaction_type, allow_nested=allow_nested
        )

    async def run_querystring(self, querystring: QueryString, in_pool: bool = False) -> Any:
        """One statement: in the current transaction, or in its turn on the write connection, or on a
        read connection."""
        sql, args = compiled(querystring, self.engine_type)
        return await self._run(sql, args)

    async def run_later(self, querystring: QueryString) -> None:
        """A write whose result nobody reads: inside a transaction, sent with its next hop (at the
        latest its COMMIT, where a failure fails the transaction); outside one, now."""
        transaction = self.current_transaction.get()
        if transaction is None:
            await self.run_querystring(querystring)
            return
        sql, args = compiled(querystring, self.engine_type)
        if self.log_queries:
            self.print_query(query_id=self.get_query_id(), query=sql)
        transaction.connection.later(sql, args)

    async def run_ddl(self, ddl: str, in_pool: bool = False) -> Any:
        """A raw statement, as `run_querystring`."""
        return await self._run(ddl, [])

    async def _run(self, sql: str, args: Sequence[Any]) -> list[dict[str, Any]]:
        if self.log_queries:
            self.print_query(query_id=self.get_query_id(), query=sql)
        transaction = self.current_transaction.get()
        if transaction is not None:
            return await transaction.connection.fetch(sql, args, _SHORT.get())  # type: ignore[no-any-return]
        connections = self.loop_connections()
        if _writes(sql):
            # Outside a transaction a write commits itself: never in the loop's thread.
            writer = connections.write_connection()
            async with connections.turn:
                written = await writer.fetch(sql, args)
                ticket = writer.unsynced()
            await writer.synced(ticket)
            return written
        if _SHORT.get():
            rows = connections.short_read_connection().run_now(sql, args)
            if rows is not None:
                return rows
        async with connections.reader() as reader:
            return await reader.fetch(sql, args)
