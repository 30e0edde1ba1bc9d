"""PostgreSQL with one connection per request.

Piccolo's PostgreSQL engine takes a pool connection for each query outside a transaction and gives it
back after, and asyncpg resets a connection on every release: a visit measured 27 round trips where
the raw path needs 7, 8 of them `SELECT pg_advisory_unlock_all()` (issue 16). Inside `request_scope()`
(opened by the web app around each request) the first query takes one connection, from the pool or a
new one, and every later query and transaction of the request runs on it; the scope gives it back
once, at the end. Queries outside a request (the scheduler, the command line, tests) keep Piccolo's
behaviour.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, cast

import asyncpg
from piccolo.engine.postgres import PostgresEngine, PostgresTransaction
from piccolo.querystring import QueryString

from surveys.core.pg_script import Param, executed, param
from surveys.core.statements import LIMIT, compiled, freeze

log = logging.getLogger(__name__)


class RequestConnection:
    """The connection a request holds: taken at its first query, given back when the request ends."""

    def __init__(self, engine: RequestPostgresEngine) -> None:
        self.engine = engine
        self.connection: Any = None
        self.from_pool = False
        # Tasks of one request share the scope; one statement at a time on one connection.
        self.lock = asyncio.Lock()
        # The request's turn at the pool (`_turns`), held while it holds a connection from it.
        self.turn: asyncio.Semaphore | None = None

    async def get(self) -> Any:
        """The request's connection, taken now if it has none yet: from the pool in the order the
        requests asked (`_turns`), or a new one."""
        if self.connection is None:
            pool = self.engine.pool
            self.from_pool = pool is not None
            if pool is not None:
                turn = _turns(self.engine, pool)
                await turn.acquire()
                try:
                    self.connection = await pool.acquire()
                except BaseException:
                    turn.release()
                    raise
                self.turn = turn
            else:
                self.connection = await self.engine.get_new_connection()
        return self.connection

    async def release(self) -> None:
        """Give the connection back (to the pool, or close it). Never raises: a connection the database
        dropped (it went down) is the pool's to replace, or is simply gone."""
        connection, self.connection = self.connection, None
        turn, self.turn = self.turn, None
        if connection is None:
            return
        try:
            if self.from_pool and self.engine.pool is not None:
                await self.engine.pool.release(connection)
            else:
                await connection.close()
        except Exception:
            log.debug("request connection dropped on release", exc_info=True)
            if not self.from_pool:
                connection.terminate()
        finally:
            if turn is not None:
                turn.release()

    async def discard(self) -> None:
        """Let go of a connection that failed (the database dropped it): the request's next query
        takes another, or answers 503 when the database is still down."""
        await self.release()


def _turns(engine: RequestPostgresEngine, pool: Any) -> asyncio.Semaphore:
    """The turns at `pool`, one per connection it holds at most. asyncpg hands a connection given back
    to whichever request asks next, and a request woken to take one finds it gone when another asked
    in between, and waits again at the back: under load some requests waited seconds while most took
    milliseconds (the fault run, 50 volunteers on 10 connections: 4 % over 0.5 s, up to 6.4 s). A
    semaphore serves its waiters in the order they came (asyncio's, since Python 3.11.1)."""
    held = engine.pool_turns
    if held is None or held[0] is not pool:
        held = engine.pool_turns = (pool, asyncio.Semaphore(pool.get_max_size()))
    return held[1]


# What a connection the database dropped raises (asyncpg's client state is lost along with it).
_BROKEN = (asyncpg.PostgresConnectionError, asyncpg.InterfaceError, asyncpg.InternalClientError, OSError)

_held: ContextVar[RequestConnection | None] = ContextVar("phocap_request_connection", default=None)


class RequestTransaction(PostgresTransaction):
    """A transaction on the request's connection when there is a request; else Piccolo's own.

    The writes whose result nobody reads (`RequestPostgresEngine.run_later`) wait for the transaction's
    next statement, savepoint or COMMIT, and go before it in one round trip: several of them one
    statement (each a data-modifying CTE, `WITH w0 AS (INSERT …), w1 AS (…) SELECT 1`). BEGIN waits
    for the transaction's first round trip too. Where nothing comes back that is read, the round trip
    is one script (`surveys.core.pg_script`): BEGIN with a first statement whose rows nobody reads
    (`RequestPostgresEngine.run_without_rows`), the writes left with their COMMIT. Each round trip
    costs the server more CPU (its send, the wait, the wake-up) than such a statement's own work."""

    _request: RequestConnection | None = None
    _later: list[QueryString] | None = None
    # Whether BEGIN was sent (`begin` leaves it for the transaction's first round trip).
    _begun: bool = True

    async def begin(self) -> None:
        """BEGIN, left for the transaction's first round trip (`ready`, `_send`): a transaction that
        sends nothing sends no BEGIN and no COMMIT either."""
        self._begun = False

    async def ready(self) -> Any:
        """The transaction's connection, with BEGIN sent."""
        if not self._begun:
            self._begun = True
            await self.connection.execute("BEGIN")
        return self.connection

    def later(self, querystring: QueryString) -> None:
        """Leave a write for the transaction's next round trip."""
        if self._later is None:
            self._later = []
        self._later.append(querystring)

    def _left(self) -> list[tuple[str, list[Any]]]:
        """The writes left, as the statements that send them (`_batches`), taken out of the queue."""
        later, self._later = self._later, None
        return [_batch_sql(batch, self.engine.engine_type) for batch in _batches(later or [])]

    async def flush(self) -> None:
        """Send the writes left (and BEGIN), before anything else of the transaction: what it reads next
        sees them, and a write that fails fails the transaction there."""
        if self._later:
            await self._send(self._left(), None)
        await self.ready()

    async def _send(self, statements: list[tuple[str, list[Any]]], last: str | None) -> None:
        """Send `statements` (whose rows nobody reads) and then `last` (COMMIT, or nothing): as one script
        with BEGIN if not sent yet, when each can be written so (`_script`); else each as a statement of
        its own, after BEGIN."""
        script = self._script(statements)
        if script is not None:
            head = "" if self._begun else "BEGIN;\n"
            self._begun = True
            await self.connection.execute(f"{head}{script}{f';{chr(10)}{last}' if last else ''}")
            return
        for sql, args in statements:
            await self._fetch(sql, args)
        if last is not None:
            await (await self.ready()).execute(last)

    def _script(self, statements: list[tuple[str, list[Any]]]) -> str | None:
        """`statements` as one script of `EXECUTE`s of the connection's prepared statements, their values
        written in (None: nothing to send, or one is not prepared here yet or cannot be written)."""
        prepared = getattr(self.connection, "phocap_prepared", None)
        if not statements or prepared is None:
            return None
        if getattr(self.connection.get_settings(), "standard_conforming_strings", "") != "on":
            return None
        texts = []
        for sql, args in statements:
            known = prepared.get(sql)
            text = None if known is None else executed(known.name, args, known.parameters)
            if text is None:
                return None
            texts.append(text)
        return ";\n".join(texts)

    async def _fetch(self, sql: str, args: list[Any]) -> Any:
        """A statement with its values as parameters, prepared on the connection under a name of its own
        the first time, so that it can go in a script after (`_script`)."""
        connection = await self.ready()
        prepared = getattr(connection, "phocap_prepared", None)
        if prepared is None:
            return await connection.fetch(sql, *args)
        if sql in prepared or len(prepared) >= PREPARED_LIMIT:
            # The driver's own statement (a statement object serves only the pool's lending it was
            # prepared in).
            return await connection.fetch(sql, *args)
        statement = await connection.prepare(sql, name=_statement_name(sql))
        parameters = tuple(param(t.schema, t.name) for t in statement.get_parameters())
        prepared[sql] = Prepared(statement, statement.get_name(), parameters)
        return await statement.fetch(*args)

    async def savepoint(self, name: str | None = None) -> Any:
        """A savepoint after the writes left."""
        await self.flush()
        return await super().savepoint(name)

    async def commit(self) -> None:
        """COMMIT, with the writes left (one round trip when they can be written in); when one of them
        fails, the transaction is rolled back. A transaction that sent nothing has nothing to end."""
        try:
            statements = self._left()
            if statements or self._begun:
                await self._send(statements, "COMMIT")
        except BaseException:
            with contextlib.suppress(*_BROKEN):
                await self.rollback()
            raise
        self._committed = True

    async def rollback(self) -> None:
        """ROLLBACK: the writes left go with it."""
        self._later = None
        if self._begun:
            await self.connection.execute("ROLLBACK")
        self._rolled_back = True

    async def rollback_to(self, savepoint_name: str) -> None:
        """Back to a savepoint: the writes left since go with it."""
        self._later = None
        await super().rollback_to(savepoint_name)

    async def get_connection(self) -> Any:
        """The request's connection, or (outside a request) a pool or new connection."""
        request = cast(RequestPostgresEngine, self.engine).request_connection()
        if request is None:
            return await super().get_connection()  # type: ignore[no-untyped-call]
        self._request = request
        return await request.get()

    async def __aexit__(self, exception_type: Any, exception: Any, traceback: Any) -> bool:
        if self._parent is None and exception is None and self._later and self._request is None:
            # Outside a request, the writes left before COMMIT: one that fails ends the transaction as an
            # exception in it would (rolled back, its connection given back), and is raised. A request's
            # connection stays its own: its COMMIT takes them (`commit`).
            try:
                await self.flush()
            except BaseException as failed:
                await self.__aexit__(type(failed), failed, failed.__traceback__)
                raise
        if self._parent is not None or self._request is None:
            return await super().__aexit__(exception_type, exception, traceback)
        try:
            if exception is not None:
                if not self._rolled_back:
                    try:
                        await self.rollback()
                    except _BROKEN:
                        await self._request.discard()  # the original exception says why
            elif not self._committed and not self._rolled_back:
                try:
                    await self.commit()
                except _BROKEN:
                    await self._request.discard()
                    raise
        finally:
            # The connection stays the request's: given back by the request's scope, not here.
            self.engine.current_transaction.reset(self.context)
        return exception is None


def _table_written(querystring: QueryString) -> str | None:
    """The table an INSERT, UPDATE or DELETE writes (None: another statement)."""
    words = querystring.template.split(None, 3)
    if len(words) >= 3 and words[0].upper() in ("INSERT", "DELETE") and words[1].upper() in ("INTO", "FROM"):
        return words[2].strip('"').lower()
    if len(words) >= 2 and words[0].upper() == "UPDATE":
        return words[1].strip('"').lower()
    return None


def _locks_rows(querystring: QueryString) -> bool:
    """Whether a write may wait for rows other writers hold (an UPDATE, a DELETE, an upsert), where a
    plain INSERT makes rows of its own."""
    words = querystring.template.split(None, 1)
    return not words or words[0].upper() != "INSERT" or "ON CONFLICT" in querystring.template.upper()


def _batches(later: list[QueryString]) -> list[list[QueryString]]:
    """The writes left, as few statements as keep their meaning: writes of different tables together, as
    data-modifying CTEs (two of one table would not see each other's rows, and PostgreSQL writes a row
    once per statement); a write of a table already in the batch, or another kind of statement, begins
    the next one. The parts of a statement run in no set order, and two transactions taking the same
    rows in two orders would deadlock: the writes that wait for other writers' rows are chained, each
    run after the one before it (`_chained`), so they take their rows in the order of the code, as
    unbatched. One that cannot be chained begins the next batch. The grouping of writes met before is kept
    by their templates (a visit leaves the same few)."""
    key = tuple(querystring.template for querystring in later)
    sizes = _grouped.get(key)
    if sizes is None:
        sizes = _group_sizes(later)
        if len(_grouped) >= LIMIT:
            _grouped.clear()
        _grouped[key] = sizes
    groups, start = [], 0
    for size in sizes:
        groups.append(later[start : start + size])
        start += size
    return groups


_grouped: dict[tuple[str, ...], tuple[int, ...]] = {}


def _group_sizes(later: list[QueryString]) -> tuple[int, ...]:
    """How many writes, in order, each batch of `_batches` takes."""
    sizes: list[int] = []
    # The batch's tables (none when it began with another kind of statement, which nothing joins) and
    # its last write that waits for other writers' rows.
    tables: set[str] = set()
    waiting: QueryString | None = None
    for querystring in later:
        table = _table_written(querystring)
        locks = _locks_rows(querystring)
        chains = waiting is None or not locks or (_chainable(querystring) and not _returns(waiting))
        if tables and table is not None and table not in tables and chains:
            sizes[-1] += 1
        else:
            sizes.append(1)
            tables, waiting = set(), None
        if table is not None:
            tables.add(table)
        if locks:
            waiting = querystring
    return tuple(sizes)


_VALUES = re.compile(r"\bVALUES\s*\(", re.I)
_RETURNING = re.compile(r"\bRETURNING\b", re.I)


def _returns(querystring: QueryString) -> bool:
    return _RETURNING.search(querystring.template) is not None


def _chainable(querystring: QueryString) -> bool:
    """Whether a write can be made to run after another part of its statement (`_chained`): an INSERT of
    one row of values, returning nothing."""
    template = querystring.template
    found = list(_VALUES.finditer(template))
    if template.lstrip()[:6].upper() != "INSERT" or len(found) != 1 or _returns(querystring):
        return False
    end = _closing(template, found[0].end() - 1)
    return end is not None and not template[end + 1 :].lstrip().startswith(",")


def _closing(sql: str, opening: int) -> int | None:
    """The index of the parenthesis closing the one at `opening` (None: unbalanced)."""
    depth = 0
    for i in range(opening, len(sql)):
        if sql[i] == "(":
            depth += 1
        elif sql[i] == ")":
            depth -= 1
            if depth == 0:
                return i
    return None


def _chained(sql: str, after: int) -> str:
    """`INSERT … VALUES (…) …` as `INSERT … SELECT … FROM (SELECT count(*) FROM w<after>) …`: its row
    comes out of an aggregate of the part `w<after>`, which PostgreSQL must therefore run to its end
    first, taking its rows before this one takes its own. Only a write `_chainable` says can be, is."""
    start = _VALUES.search(sql)
    end = None if start is None else _closing(sql, start.end() - 1)
    if start is None or end is None:
        raise ValueError(f"not an INSERT of one row of values: {sql[:80]}")
    values, head, tail = sql[start.end() : end], sql[: start.start()], sql[end + 1 :]
    # Only the statement's own SQL and a part's number are put together: its values stay parameters.
    return f"{head}SELECT {values} FROM (SELECT count(*) FROM w{after}) AS after_w{after}{tail}"  # noqa: S608


@dataclass(frozen=True)
class Prepared:
    """A statement prepared on a connection under a name of phocap's (`RequestTransaction._fetch`): its
    driver's object, kept with the connection so that the statement stays (the driver closes one nothing
    refers to), its name, and its parameters' types, for a script to `EXECUTE` it
    (`surveys.core.pg_script`)."""

    statement: Any
    name: str
    parameters: tuple[Param, ...]


# Statements prepared so on one connection at most (a visit's are a few; a statement beyond goes as
# before).
PREPARED_LIMIT = 256
# The name of each statement prepared so, by its SQL: the same on every connection, and never given to
# another statement in this process (a connection may still hold the first).
_names: dict[str, str] = {}
_numbers = itertools.count()


def _statement_name(sql: str) -> str:
    name = _names.get(sql)
    if name is None:
        if len(_names) >= LIMIT:
            _names.clear()
        name = _names[sql] = f"phocap_{next(_numbers)}"
    return name


# The SQL of batches met before, by the SQL of their writes: a visit's batch is the same few writes.
_joined: dict[tuple[str, ...], str] = {}
_PLACEHOLDER = re.compile(r"\$(\d+)")


def _renumbered(sql: str, offset: int) -> str:
    """`sql` with each placeholder `$n` made `$(n + offset)`."""
    return _PLACEHOLDER.sub(lambda m: f"${int(m[1]) + offset}", sql)


def _batch_sql(batch: list[QueryString], engine_type: str) -> tuple[str, list[Any]]:
    """One statement of the batch's writes and its values: each write a data-modifying CTE, `WITH w0 AS
    (…), w1 AS (…) SELECT 1`, its placeholders numbered after those of the writes before it. Made of the
    writes' own compiled SQL (`surveys.core.statements.compiled`), not compiled again as one query of
    queries on every transaction."""
    if len(batch) == 1:
        return compiled(batch[0], engine_type)
    parts = [compiled(write, engine_type) for write in batch]
    key = tuple(sql for sql, _ in parts)
    sql = _joined.get(key)
    if sql is None:
        locking = [i for i, write in enumerate(batch) if _locks_rows(write)]
        ctes, offset = [], 0
        for i, (part, values) in enumerate(parts):
            part = _renumbered(part, offset)
            if i in locking[1:]:
                part = _chained(part, locking[locking.index(i) - 1])
            if i in locking[:-1]:
                part += " RETURNING 1"
            ctes.append(f"w{i} AS ({part})")
            offset += len(values)
        sql = "WITH " + ", ".join(ctes) + " SELECT 1"
        if len(_joined) >= LIMIT:
            _joined.clear()
        _joined[key] = sql
    return sql, [value for _, values in parts for value in values]


class QuietResetConnection(asyncpg.Connection):  # type: ignore[misc]
    """A connection given back to the pool without asyncpg's reset statement, a round trip on every
    request (issue 27): phocap leaves no session state on a connection. Its advisory locks end with
    their transaction, it opens no cursor outside one, changes no session setting and listens to
    nothing. A transaction left open (its request cancelled) is still rolled back: asyncpg does that
    whatever the reset statement."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The statements prepared on it under phocap's names (`RequestTransaction._fetch`), by their SQL.
        self.phocap_prepared: dict[str, Prepared] = {}

    def get_reset_query(self) -> str:
        return ""


class RequestPostgresEngine(PostgresEngine):
    """Piccolo's PostgreSQL engine, holding one connection per request (see the module)."""

    def __init__(self, config: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(config={"connection_class": QuietResetConnection, **config}, **kwargs)
        # The pool requests take turns at, with its turns (`_turns`).
        self.pool_turns: tuple[Any, asyncio.Semaphore] | None = None

    @asynccontextmanager
    async def request_scope(self) -> AsyncIterator[None]:
        """Run a request's queries on one connection, taken at the first and given back at the end."""
        if _held.get() is not None:  # already inside one (a nested app)
            yield
            return
        request = RequestConnection(self)
        token = _held.set(request)
        try:
            yield
        finally:
            _held.reset(token)
            await request.release()

    def request_connection(self) -> RequestConnection | None:
        """The running request's connection holder, if a request of this engine is running."""
        request = _held.get()
        return request if request is not None and request.engine is self else None

    def transaction(self, allow_nested: bool = True) -> PostgresTransaction:
        """A transaction on the request's connection, when inside a request."""
        return RequestTransaction(engine=self, allow_nested=allow_nested)

    async def run_later(self, querystring: QueryString) -> None:
        """A write whose result nobody reads: inside a transaction, sent with its next round trip
        (`RequestTransaction`); outside one, now."""
        transaction = self.current_transaction.get()
        if isinstance(transaction, RequestTransaction):
            if self.log_queries:
                self.print_query(query_id=self.get_query_id(), query=str(querystring))
            transaction.later(querystring)
        else:
            await self.run_querystring(querystring)

    async def run_without_rows(self, querystring: QueryString) -> None:
        """A statement whose rows nobody reads: a transaction's first goes with its BEGIN (and the writes
        left) as one round trip when its values can be written in (`RequestTransaction._send`)."""
        transaction = self.current_transaction.get()
        if isinstance(transaction, RequestTransaction):
            if self.log_queries:
                self.print_query(query_id=self.get_query_id(), query=str(querystring))
            await transaction._send([*transaction._left(), compiled(querystring, self.engine_type)], None)
        else:
            await self.run_querystring(querystring)

    async def run_querystring(self, querystring: QueryString, in_pool: bool = True) -> Any:
        """A query: in the current transaction (after the writes it left), else on the request's
        connection, else Piccolo's way."""
        transaction = self.current_transaction.get()
        if isinstance(transaction, RequestTransaction):
            await transaction.flush()
            # What Piccolo's engine does in a transaction, with the SQL compiled once.
            sql, args = compiled(querystring, self.engine_type)
            if self.log_queries:
                self.print_query(query_id=self.get_query_id(), query=sql)
            return await transaction.connection.fetch(sql, *args)
        request = self.request_connection()
        if request is None or transaction is not None:
            return await super().run_querystring(freeze(querystring, self.engine_type), in_pool)
        sql, args = compiled(querystring, self.engine_type)
        return await self._on_request_connection(request, sql, args)

    async def run_ddl(self, ddl: str, in_pool: bool = True) -> Any:
        """A raw statement, as `run_querystring`."""
        transaction = self.current_transaction.get()
        if isinstance(transaction, RequestTransaction):
            await transaction.flush()
        request = self.request_connection()
        if request is None or self.current_transaction.get() is not None:
            return await super().run_ddl(ddl, in_pool)
        return await self._on_request_connection(request, ddl, [])

    async def _on_request_connection(self, request: RequestConnection, sql: str, args: Any) -> Any:
        if self.log_queries:
            self.print_query(query_id=self.get_query_id(), query=sql)
        async with request.lock:
            connection = await request.get()
            try:
                return await connection.fetch(sql, *args)
            except _BROKEN:
                await request.discard()
                raise
