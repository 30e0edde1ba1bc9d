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
            held = await connection.fetchval("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")
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
