"""The access matrix's write counter (tests/writes.py) counts what it says, and leaves nothing behind."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import asyncpg

from surveys.people.accounts import open_session
from surveys.tables import AuthSession, Village
from tests.factories import World, make_village
from tests.writes import COUNTER, counted_writes


async def test_every_insert_update_and_delete_counts_but_a_sessions_last_seen_time(
    database_url: str, world: World
) -> None:
    async with counted_writes(database_url) as writes:
        assert await writes() == 0
        village = await make_village(world.wards["pq"], "09", "Thôn Mới")
        assert await writes() == 1
        # An update counts even when it writes what the row had.
        await Village.update({Village.name: "Thôn Mới"}).where(Village.id == village)
        assert await writes() == 2
        await Village.delete().where(Village.id == village)
        assert await writes() == 3
        await open_session(world.users["volunteer1"], "web", timedelta(days=1))
        assert await writes() == 4
        await AuthSession.update({AuthSession.last_seen_at: AuthSession.created_at}, force=True)
        assert await writes() == 4
        await AuthSession.update({AuthSession.expires_at: AuthSession.created_at}, force=True)
        assert await writes() == 5
    assert await _counter_left(database_url) == []


async def _counter_left(url: str) -> list[str]:
    """The counter's table and triggers still in the database (on SQLite, the test's own file)."""
    if url.startswith("sqlite:///"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as connection:
            rows = connection.execute(
                "SELECT name FROM sqlite_master WHERE name LIKE ?", (f"{COUNTER}%",)
            ).fetchall()
        connection.close()
        # SQLite's file is the test's alone: the counter stays in it and goes with it.
        return [] if rows else ["the counter was never put in"]
    connection = await asyncpg.connect(url)
    try:
        triggers = await connection.fetch(
            "SELECT tgname AS name FROM pg_trigger WHERE tgname LIKE $1", f"{COUNTER}%"
        )
        tables = await connection.fetch(
            "SELECT relname AS name FROM pg_class WHERE relname LIKE $1", f"{COUNTER}%"
        )
    finally:
        await connection.close()
    return [r["name"] for r in [*triggers, *tables]]
