"""Fixture data kept on SQLite (tests/conftest.py, `KEPT_FIXTURES`): a test that starts from the kept copy
has what a test that builds it would have."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

from surveys.core import clock
from surveys.core.db import bind, close_pool, engine_for_url
from surveys.tables import Household
from tests.conftest import _KEPT, POSTGRES_URL, table_rows
from tests.factories import World, make_world


@pytest.mark.skipif(bool(POSTGRES_URL), reason="kept on SQLite only: on PostgreSQL each test builds its own")
async def test_the_kept_world_is_the_world_built(
    world: World, database_url: str, migrated_template: str, tmp_path: Path
) -> None:
    kept = _KEPT[("world", clock.local_now().date())]
    assert table_rows(database_url) == table_rows(kept.path)
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
    assert table_rows(fresh) == table_rows(database_url)
    # The same ids (tokens are random), and the test's tokens are its database's.
    assert dataclasses.replace(world, households={}) == dataclasses.replace(built, households={})
    assert world.households.keys() == built.households.keys()
    tokens = {r["token"] for r in await Household.select(Household.token)}
    assert set(world.households.values()) == tokens
