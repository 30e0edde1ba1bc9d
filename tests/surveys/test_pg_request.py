"""PostgreSQL's request connection (surveys/core/pg_request.py): given back to the pool without a reset
round trip, and still clean for the next request."""

from __future__ import annotations

import asyncio
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


async def test_a_request_gives_its_connection_back_without_a_reset_round_trip_and_leaves_it_clean(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine: Any = current_engine()
    await open_pool(engine, 1)
    sent: list[str] = []
    execute = asyncpg.Connection.execute

    async def counted(self: asyncpg.Connection, query: str, *args: Any, **kwargs: Any) -> Any:
        sent.append(query)
        return await execute(self, query, *args, **kwargs)

    try:
        monkeypatch.setattr(asyncpg.Connection, "execute", counted)
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
