"""Fixture data kept on SQLite (tests/conftest.py, `KEPT_FIXTURES`): a test that starts from the kept copy
has what a test that builds it would have."""

from __future__ import annotations

import dataclasses
import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from surveys.core import clock
from surveys.core.db import bind, close_pool, engine_for_url
from surveys.tables import ALL_TABLES, Household
from tests.conftest import _KEPT, POSTGRES_URL
from tests.factories import World, make_world


def _counts(path: Path | str) -> dict[str, int]:
    with closing(sqlite3.connect(str(path).removeprefix("sqlite:///"))) as connection:
        return {
            t._meta.tablename: connection.execute(f'SELECT count(*) FROM "{t._meta.tablename}"').fetchone()[0]  # noqa: S608
            for t in ALL_TABLES
        }


@pytest.mark.skipif(bool(POSTGRES_URL), reason="kept on SQLite only: on PostgreSQL each test builds its own")
async def test_the_kept_world_is_the_world_built(
    world: World, database_url: str, migrated_template: str, tmp_path: Path
) -> None:
    kept = _KEPT[("world", clock.local_now().date())]
    assert _counts(database_url) == _counts(kept.path)
    # The world built now, on a copy of the migrated database of its own.
    fresh = tmp_path / "fresh.sqlite3"
    shutil.copyfile(migrated_template.removeprefix("sqlite:///"), fresh)
    engine = engine_for_url(f"sqlite:///{fresh}")
    bind(engine)
    try:
        built = await make_world()
    finally:
        await close_pool(engine)
        bind(engine_for_url(database_url))
    assert _counts(fresh) == _counts(database_url)
    # The same ids (tokens are random), and the test's tokens are its database's.
    assert dataclasses.replace(world, households={}) == dataclasses.replace(built, households={})
    assert world.households.keys() == built.households.keys()
    tokens = {r["token"] for r in await Household.select(Household.token)}
    assert set(world.households.values()) == tokens
