"""PostgreSQL's request connection (surveys/core/pg_request.py): given back to the pool without a reset
round trip, and still clean for the next request."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest

from surveys.core.db import (
    close_pool,
    current_engine,
    open_pool,
    request_scope,
    serialise_on,
    write_later,
    write_transaction,
)
from surveys.tables import SignInFailure
from tests.conftest import POSTGRES_URL

pytestmark = pytest.mark.skipif(not POSTGRES_URL, reason="PostgreSQL only")


def executed_scripts(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What asyncpg sends without parameters from now on (BEGIN, COMMIT, phocap's scripts), in order."""
    sent: list[str] = []
    execute = asyncpg.Connection.execute

    async def recorded(self: asyncpg.Connection, query: str, *args: Any, **kwargs: Any) -> Any:
        sent.append(query)
        return await execute(self, query, *args, **kwargs)

    monkeypatch.setattr(asyncpg.Connection, "execute", recorded)
    return sent


async def test_a_request_gives_its_connection_back_without_a_reset_round_trip_and_leaves_it_clean(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine: Any = current_engine()
    await open_pool(engine, 1)
    try:
        sent = executed_scripts(monkeypatch)
        async with request_scope(), write_transaction():
            await serialise_on(1, "someone")  # an advisory lock: it ends with its transaction
            await SignInFailure.insert(SignInFailure(login="someone", client_addr="q"))
        assert not any("pg_advisory_unlock_all" in q or "RESET ALL" in q for q in sent), sent
        # The pool's one connection again: no transaction open, no advisory lock held.
        async with engine.pool.acquire() as connection:
            assert not connection.is_in_transaction()
            # Its own locks: other test workers' databases are in the same server.
            held = await connection.fetchval(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
            )
            assert held == 0

        # A request cut off inside its transaction (its task ended half-way): the pool rolls it back.
        async def cut_off() -> None:
            async with request_scope():
                await write_transaction().__aenter__()
                await SignInFailure.insert(SignInFailure(login="cut-off", client_addr="q"))

        await asyncio.create_task(cut_off())
        async with engine.pool.acquire() as connection:
            assert not connection.is_in_transaction()
        assert await SignInFailure.count().where(SignInFailure.login == "cut-off") == 0
        assert await SignInFailure.count().where(SignInFailure.login == "someone") == 1
    finally:
        await close_pool(engine)


async def test_batched_writes_that_wait_for_other_writers_rows_take_them_in_the_order_of_the_code(
    database_url: str,
) -> None:
    """The writes a transaction leaves for its COMMIT go as one statement, whose parts PostgreSQL runs in
    no set order; those that wait for other writers' rows are chained (`_batches`): while the statement
    waits for the first one's row, it holds none of the next one's, and while it waits for the next
    one's, it holds the first's. Two visits of a village thus take its rows in one order, and never
    wait for each other."""
    first = "UPDATE lock_order_first SET n = n + {} WHERE k = 1"
    then = "INSERT INTO lock_order_then (k, n) VALUES (1, {}) ON CONFLICT (k) DO UPDATE SET n = lock_order_then.n + excluded.n"  # fmt: skip
    connections = [await asyncpg.connect(POSTGRES_URL) for _ in range(2)]
    holder, onlooker = connections
    try:
        await holder.execute(
            "CREATE TABLE lock_order_first (k int PRIMARY KEY, n int); INSERT INTO lock_order_first VALUES (1, 0);"
            "CREATE TABLE lock_order_then (k int PRIMARY KEY, n int); INSERT INTO lock_order_then VALUES (1, 0)"
        )

        async def held_by_someone(table: str) -> bool:
            try:
                async with onlooker.transaction():
                    await onlooker.fetch(f"SELECT 1 FROM {table} WHERE k = 1 FOR UPDATE NOWAIT")  # noqa: S608
                return False
            except asyncpg.LockNotAvailableError:
                return True

        async def both_writes() -> None:
            async with request_scope(), write_transaction():
                await write_later(first, 1)
                await write_later(then, 1)

        for held, other, holds_other in (("lock_order_first", "lock_order_then", False),
                                         ("lock_order_then", "lock_order_first", True)):  # fmt: skip
            async with holder.transaction():
                await holder.fetch(f"SELECT 1 FROM {held} WHERE k = 1 FOR UPDATE")  # noqa: S608
                writing = asyncio.create_task(both_writes())
                await asyncio.sleep(0.3)
                assert not writing.done()  # waiting for the row held
                assert await held_by_someone(other) is holds_other, (held, other)
            await writing
        assert await holder.fetchval("SELECT n FROM lock_order_first") == 2
        assert await holder.fetchval("SELECT n FROM lock_order_then") == 2
    finally:
        await holder.execute("DROP TABLE IF EXISTS lock_order_first; DROP TABLE IF EXISTS lock_order_then")
        for connection in connections:
            await connection.close()


HOSTILE = [
    "O'Brien",
    "''); DROP TABLE visit; --",
    "back\\slash\\' and \\x41",
    "$1 $$ dollar $tag$",
    "/* not a comment */ -- nor this",
    'a "quoted" name',
    "Nguyễn Thị Ánh, ấp 3\nxuống dòng\ttab",
    "E'\\n'",
    "",
]


async def test_a_script_writes_every_value_as_it_was_sent_and_hostile_text_stays_text(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Writes sent with their COMMIT as one script (`surveys.core.pg_script`) store exactly what they
    would as parameters: quotes, backslashes, `$n`, comment marks and SQL in the text stay text, and
    the statement around them is the one prepared, whatever the text says."""
    engine: Any = current_engine()
    await open_pool(engine, 1)
    scripts = executed_scripts(monkeypatch)
    sql = "INSERT INTO sign_in_failure (login, client_addr) VALUES ({}, {})"
    try:
        for text in ["first", *HOSTILE]:  # the first prepares the statement on the connection
            async with request_scope(), write_transaction():
                await write_later(sql, text, "script")
        rows = await SignInFailure.select(SignInFailure.login).where(SignInFailure.client_addr == "script")
        assert sorted(r["login"] for r in rows) == sorted(["first", *HOSTILE])
        # Every one after the first went as one script with its BEGIN and COMMIT, its values written in.
        written = [q for q in scripts if q.startswith("BEGIN;") and q.endswith("COMMIT")]
        assert len(written) == len(HOSTILE), scripts
        assert all("EXECUTE phocap_" in q and "INSERT" not in q for q in written)
        # The table is still there, and holds nothing else.
        assert await SignInFailure.count() == len(HOSTILE) + 1
        # With `standard_conforming_strings` off a backslash would be special: nothing is written in.
        async with engine.pool.acquire() as connection:
            await connection.execute("SET standard_conforming_strings = off")
        scripts.clear()
        async with request_scope(), write_transaction():
            await write_later(sql, "back\\slash 'off'", "script off")
        assert not any("EXECUTE" in q for q in scripts), scripts
        stored = await SignInFailure.select(SignInFailure.login).where(
            SignInFailure.client_addr == "script off"
        )
        assert [r["login"] for r in stored] == ["back\\slash 'off'"]
    finally:
        await close_pool(engine)


async def test_a_value_that_cannot_be_written_in_goes_as_a_parameter_and_a_failing_script_rolls_back(
    database_url: str,
) -> None:
    """A NUL (no text in PostgreSQL can hold it) is sent as a parameter, as before, and fails as it did:
    the transaction is rolled back and nothing of it stays. A script that fails (a duplicate key) rolls
    its transaction back too, and the connection serves the next request."""
    from surveys.core.pg_script import executed, literal, param

    engine: Any = current_engine()
    await open_pool(engine, 1)
    sql = "INSERT INTO sign_in_failure (login, client_addr) VALUES ({}, {})"
    try:
        async with request_scope(), write_transaction():
            await write_later(sql, "prepares it", "nul")
        with pytest.raises(asyncpg.exceptions.CharacterNotInRepertoireError):
            async with request_scope(), write_transaction():
                await write_later(sql, "kept out", "nul")
                await write_later(sql, "with a \x00 NUL", "nul")
        assert [r["login"] for r in await SignInFailure.select(SignInFailure.login)] == ["prepares it"]
        one = SignInFailure(login="unique", client_addr="nul")
        await SignInFailure.insert(one)
        unique = "INSERT INTO sign_in_failure (id, login, client_addr) VALUES ({}, {}, {})"
        async with request_scope(), write_transaction():
            await write_later(unique, 10_000, "new", "nul")
        with pytest.raises(asyncpg.exceptions.UniqueViolationError):
            async with request_scope(), write_transaction():
                await write_later(sql, "rolled back", "nul")
                await write_later(unique, 10_000, "again", "nul")
        async with request_scope(), write_transaction():
            await write_later(sql, "after", "nul")
        logins = sorted(r["login"] for r in await SignInFailure.select(SignInFailure.login))
        assert logins == ["after", "new", "prepares it", "unique"]
    finally:
        await close_pool(engine)
    # What is written in, and what is not.
    text, integer, stamp = (
        param("pg_catalog", "text"),
        param("pg_catalog", "int4"),
        param("pg_catalog", "timestamptz"),
    )
    assert literal("it's", text) == "'it''s'::\"pg_catalog\".\"text\""
    assert literal("\x00", text) is None
    assert literal(-2147483648, integer) == '\'-2147483648\'::"pg_catalog"."int4"'
    assert literal("5", integer) is None and literal(5, text) is None and literal(True, integer) is None
    assert literal(datetime(2026, 12, 7, tzinfo=UTC), stamp) is not None
    naive = datetime(2026, 12, 7, tzinfo=UTC).replace(tzinfo=None)
    assert literal(naive, stamp) is None  # what it means is the driver's to say, not guessed here
    assert literal(None, integer) == 'NULL::"pg_catalog"."int4"'
    assert executed("phocap_1", [1], [integer, text]) is None


async def test_requests_take_the_pools_connections_in_the_order_they_asked(database_url: str) -> None:
    """A request that asked for a connection first gets it first: one asking just as a connection is
    given back does not take it from the request already woken to take it (asyncpg's pool alone lets
    it, and under load some requests waited seconds while most took milliseconds)."""
    from surveys.core.pg_request import RequestConnection

    engine: Any = current_engine()
    await close_pool(engine)  # the test's own, of more connections
    await open_pool(engine, 1)
    assert engine.pool.get_max_size() == 1
    order: list[str] = []
    b_waits, c_may_ask = asyncio.Event(), asyncio.Event()
    queue = engine.pool._queue
    put = queue.put_nowait

    def given_back(holder: Any) -> None:
        # C is woken just before the connection goes back, as a request arriving at that moment.
        c_may_ask.set()
        put(holder)

    async def request(name: str, when: asyncio.Event | None) -> None:
        if when is not None:
            await when.wait()
        held = RequestConnection(engine)
        await held.get()
        order.append(name)
        if name == "A":
            b_waits.set()
            await asyncio.sleep(0.2)  # B asks, and waits
            queue.put_nowait = given_back
        await held.release()

    try:
        await asyncio.wait_for(
            asyncio.gather(request("A", None), request("B", b_waits), request("C", c_may_ask)), timeout=30
        )
    finally:
        queue.put_nowait = put
        await close_pool(engine)
    assert order == ["A", "B", "C"]
