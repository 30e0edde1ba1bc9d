"""Each visit keeps its household's village now (`visit.village`), so a period's activity reads the
period's visits alone (surveys/reporting/history.py `activity_in`): written with the visit, rewritten
when the household moves or is merged, filled for earlier visits by its migration."""

from __future__ import annotations

import random
from typing import Any

import pytest

from surveys.register.households import household_by_token
from surveys.register.register import merge_households, update_household
from surveys.register.schemas import HouseholdUpdate, RegisterMember
from surveys.tables import Household, Member, User, Village, Visit
from tests.factories import World
from tests.surveys.test_periodic import (
    _generated_world,
    assert_activity_is_recounted,
    half_covered,
    visit_indexes,
)
from tests.surveys.test_reports import visit_an


async def visits_out_of_their_village() -> list[dict[str, Any]]:
    """Visits whose village is not their household's now (none, ever)."""
    return await Visit.raw(
        """SELECT v.id, v.village, h.village AS household_village FROM visit v
        JOIN household h ON h.id = v.household WHERE v.village IS NULL OR v.village <> h.village"""
    )


async def _move(household_id: int, village_id: int, ward_id: int, user_id: int) -> None:
    h = await Household.select().where(Household.id == household_id).first()
    assert h is not None
    members = await Member.select().where((Member.household == household_id) & Member.removed.eq(False))
    register = [RegisterMember(id=m["id"], full_name=m["full_name"], sex=m["sex"], is_head=m["is_head"],
                               birth_year=m["birth_year"]) for m in members]  # fmt: skip
    update = HouseholdUpdate(version=h["version"], village=village_id, address=h["address"] or "Xóm",
                             members=register)  # fmt: skip
    assert await update_household(household_id, ward_id, update, user_id)


async def test_a_recorded_visit_keeps_its_households_village(world: World) -> None:
    await visit_an(world)
    rows = await Visit.select(Visit.village)
    assert rows == [{"village": world.villages["v1"]}]
    assert await visits_out_of_their_village() == []


async def test_households_moved_and_merged_take_their_visits_and_the_reports_count_as_before(
    database_url: str,
) -> None:
    """Households with visits moved to another village of their ward, and duplicates merged into a
    household of another village: each visit is in its household's village now, and every village's
    activity in every period equals the recount from the visits by their household's village (as the
    reports counted before visits kept a village)."""
    rng = random.Random(31)
    _, wards = await _generated_world(rng)
    await half_covered(rng)
    ward = wards[0]
    officer = await User.select(User.id).where(User.login == "tnv000").first()
    assert officer is not None
    villages = [int(v["id"]) for v in await Village.select(Village.id).where(Village.ward == ward)]
    visited = await Visit.raw(
        """SELECT h.id, h.village FROM household h WHERE h.village IN (SELECT id FROM village WHERE ward = {})
        AND EXISTS (SELECT 1 FROM visit v WHERE v.household = h.id) ORDER BY h.id""",
        ward,
    )
    # Merges across villages: each duplicate's visits become the kept household's, in its village.
    by_village: dict[int, list[dict[str, Any]]] = {}
    for h in visited:
        by_village.setdefault(h["village"], []).append(h)
    first, second = list(by_village.values())[:2]
    merges = list(zip(first, second, strict=False))[:2]
    for keep, duplicate in merges:
        await merge_households(keep["id"], duplicate["id"], officer["id"])
    merged = {h["id"] for pair in merges for h in pair}
    moved = [h for h in visited if h["id"] not in merged][:3]
    assert len(merges) == 2 and len(moved) == 3
    for h in moved:
        await _move(h["id"], next(v for v in villages if v != h["village"]), ward, officer["id"])
    for h in moved:
        now = await Visit.select(Visit.village).where(Visit.household == h["id"])
        assert now and all(v["village"] != h["village"] for v in now)
    assert await visits_out_of_their_village() == []
    await assert_activity_is_recounted(wards)


async def test_the_village_of_each_visit_comes_and_goes_with_its_migration(
    world: World, database_url: str
) -> None:
    """Going back drops the column and its index; going forward fills every earlier visit with its
    household's village now (a household moved while the column was gone included) and indexes it."""
    from piccolo.apps.migrations.commands.backwards import run_backwards

    from surveys.core.db import current_engine, migrate, pending_migrations

    await visit_an(world)
    an = await household_by_token(world.households["an"])
    assert an is not None
    assert "visit_village_at" in await visit_indexes()
    try:
        await run_backwards(app_name="phocap", migration_id="2026-11-27T07:50:00:000000", auto_agree=True)
        assert min(await pending_migrations()) == "2026-11-27T07:50:00:000000"
        assert "visit_village_at" not in await visit_indexes()
        with pytest.raises(Exception, match="village"):
            await current_engine().run_ddl("SELECT village FROM visit")
        # A move while the column is gone (an older release running): the fill takes the village now.
        await current_engine().run_ddl(
            f"UPDATE household SET village = {world.villages['v2']} WHERE id = {int(an.id)}"  # noqa: S608
        )
    finally:
        await migrate()
    assert await pending_migrations() == []
    assert "visit_village_at" in await visit_indexes()
    assert await Visit.select(Visit.village) == [{"village": world.villages["v2"]}]
    assert await visits_out_of_their_village() == []


async def test_the_index_of_each_households_visits_ends_with_id_and_goes_back_without_it(
    database_url: str,
) -> None:
    """A household's latest visit before a moment, ordered by (at, id), is a walk back the index."""
    from piccolo.apps.migrations.commands.backwards import run_backwards

    from surveys.core.db import migrate, pending_migrations

    async def columns() -> list[str]:
        if database_url.startswith("postgresql"):
            rows = await Visit.raw("SELECT indexdef FROM pg_indexes WHERE indexname = 'visit_household_at'")
            return [c.strip() for c in rows[0]["indexdef"].split("(", 1)[1].rstrip(")").split(",")]
        rows = await Visit.raw("SELECT name FROM pragma_index_info('visit_household_at') ORDER BY seqno")
        return [r["name"] for r in rows]

    assert await columns() == ["household", "at", "id"]
    try:
        await run_backwards(app_name="phocap", migration_id="2026-11-27T07:52:00:000000", auto_agree=True)
        assert await columns() == ["household", "at"]
    finally:
        await migrate()
    assert await pending_migrations() == []
    assert await columns() == ["household", "at", "id"]
