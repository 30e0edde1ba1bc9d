"""The per-village daily counts are never a second truth: after every write, in any order, they equal a
recount from the households (with the criteria in Python, not the SQL that wrote them), and a rebuild
from the households gives the same rows."""

from __future__ import annotations

import asyncio
import contextlib
import random
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from typing import Any

import pytest

from surveys.core.clock import local_now, now, this_year
from surveys.core.db import current_engine, request_scope
from surveys.core.rows import Row
from surveys.people.accounts import actor_by_id
from surveys.register.households import household_by_token
from surveys.register.register import (
    archive_household,
    create_household,
    merge_households,
    move_member,
    update_household,
)
from surveys.register.schemas import HouseholdCreate, HouseholdUpdate, RegisterMember
from surveys.reporting.province import province_report
from surveys.reporting.reports import ward_report, ward_trend
from surveys.reporting.thresholds import save_thresholds, ward_thresholds
from surveys.reporting.village_counts import COLUMNS, rebuild, stored_counts
from surveys.survey.criteria import REASONS, CoverageRules, household_status, identity_counts
from surveys.survey.visits import VisitConflict, parse_visit, record_visit
from surveys.tables import Household, Member, Village, VillageCount, Visit, Ward
from tests.conftest import POSTGRES_URL
from tests.factories import DIGITAL_CORE, World, make_household, person
from tests.surveys.test_visit_village import visits_out_of_their_village

STEPS = 60
VNEID = ("not_installed", "installed", "level1", "level2", "unknown")


async def _recount() -> dict[int, dict[str, int]]:
    """Every village's counts from its households, with the Python criteria."""
    found: dict[int, dict[str, int]] = {}
    year = this_year()
    for village in await Village.select(Village.id, *Village.ward.all_columns()):
        rules = CoverageRules.of_ward(Row({k.removeprefix("ward."): v for k, v in village.items()}))
        counts = dict.fromkeys(COLUMNS, 0)
        for h in await Household.select().where(
            (Household.village == village["id"]) & Household.archived.eq(False)
        ):
            members = [
                Row(m)
                for m in await Member.select().where((Member.household == h["id"]) & Member.removed.eq(False))
            ]
            visits = (
                await Visit.select(Visit.outcome)
                .where(Visit.household == h["id"])
                .order_by(Visit.at)
                .order_by(Visit.id)
            )
            status = household_status(members, visits[-1]["outcome"] if visits else None,
                                      any(v["outcome"] == "done" for v in visits), year, rules)  # fmt: skip
            ids = identity_counts(members, year, rules)
            counts["households"] += 1
            counts["adults"] += ids["adults"]
            counts["visited"] += status.visited
            counts["digital_family"] += status.digital_family
            counts["informed"] += h["informed_at"] is not None
            counts["vneid"] += ids["adults_vneid"]
            counts["vneid_level2"] += ids["adults_vneid_level2"]
            counts["bank"] += ids["adults_bank"]
            counts["skills_confirmed"] += ids["adults_confirmed"]
            counts["covered"] += status.covered
            counts["basic_skills"] += ids["adults_skilled"]
            counts["ai_tool"] += ids["adults_ai"]
            counts["seniors"] += ids["seniors"]
            counts["seniors_vneid"] += ids["seniors_vneid"]
            for group in ("poor", "elderly_alone"):
                counts[group] += h[f"priority_{group}"]
                counts[f"{group}_covered"] += h[f"priority_{group}"] and status.covered
            for reason in REASONS:
                counts[reason] += reason in status.reasons
        found[int(village["id"])] = counts
    return found


async def _stored() -> dict[int, dict[str, int]]:
    return await stored_counts("1 = 1")


def _member_answers(rng: random.Random, m: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": m["id"],
        "full_name": m["full_name"],
        "birth_year": m["birth_year"],
        "is_head": m["is_head"],
        "removed": rng.random() < 0.05 and not m["is_head"],
        "vneid": rng.choice(VNEID),
        "bank_account": rng.choice(("yes", "no", "unknown")),
        "skill_learned": rng.random() < 0.8,
        "skill_understands": rng.random() < 0.8,
        "skill_uses_services": rng.random() < 0.8,
        "skill_guides_others": rng.random() < 0.7,
        "skills_confirmed": rng.random() < 0.5,
        "uses_ai": rng.choice(("yes", "no", "unknown")),
    }


async def _visit(rng: random.Random, world: World, household_id: int) -> None:
    h = await Household.select(Household.token).where(Household.id == household_id).first()
    row = await household_by_token(h["token"]) if h else None
    actor = await actor_by_id(world.users["volunteer1"])
    assert row is not None and actor is not None
    outcome = rng.choice(("done", "done", "done", "nobody_home", "declined", "come_back"))
    members = await Member.select().where((Member.household == household_id) & Member.removed.eq(False))
    answers = [_member_answers(rng, m) for m in members] if outcome == "done" else []
    if outcome == "done" and rng.random() < 0.3:
        answers.append({"full_name": "Lò Thị Mây", "birth_year": rng.randint(this_year() - 30, this_year() - 5),
                        "vneid": rng.choice(VNEID), "skill_learned": True})  # fmt: skip
    body = {"client_id": str(uuid.uuid4()), "outcome": outcome, "household_version": row.version,
            "household": {"consent": True, "informed": rng.random() < 0.7, "priority_poor": rng.random() < 0.4,
                          "priority_elderly_alone": rng.random() < 0.3}, "members": answers}  # fmt: skip
    if outcome != "done" and rng.random() < 0.4:
        # Sent later from the phone: made before the household's last visit, or after it; its counts
        # before and after are counted from the state the visit read (`state_counts`), not yet written.
        body["saved_at"] = (now() - timedelta(hours=rng.uniform(0, 30))).isoformat()
    await record_visit(row, parse_visit(body), actor)


async def _correct(rng: random.Random, world: World, household_id: int) -> None:
    """A register correction: sometimes moved to another village, a birth year fixed, a member added."""
    h = await Household.select().where(Household.id == household_id).first()
    assert h is not None
    members = await Member.select().where((Member.household == household_id) & Member.removed.eq(False))
    register = [RegisterMember(id=m["id"], full_name=m["full_name"], sex=m["sex"], is_head=m["is_head"],
                               birth_year=m["birth_year"] + rng.choice((0, 0, -3, 3)) if m["birth_year"] < this_year() - 3
                               else m["birth_year"]) for m in members]  # fmt: skip
    if rng.random() < 0.3:
        register.append(RegisterMember(full_name="Hoàng Văn Nam", birth_year=rng.randint(1950, this_year())))
    village = (
        rng.choice([world.villages[v] for v in ("v1", "v2", "v3")]) if rng.random() < 0.3 else h["village"]
    )
    update = HouseholdUpdate(
        version=h["version"], village=village, address=h["address"] or "Xóm", members=register
    )
    assert await update_household(household_id, world.wards["pq"], update, world.users["ward"])


async def _step(rng: random.Random, world: World) -> str:
    live = [int(r["id"]) for r in await Household.select(Household.id).where(Household.archived.eq(False))
            .where(Household.village.is_in([world.villages[v] for v in ("v1", "v2", "v3")]))]  # fmt: skip
    roll = rng.random()
    if roll < 0.5 or len(live) < 3:
        await _visit(rng, world, rng.choice(live))
        return "visit"
    if roll < 0.7:
        await _correct(rng, world, rng.choice(live))
        return "correction"
    if roll < 0.8:
        village = rng.choice([world.villages[v] for v in ("v1", "v2", "v3")])
        await make_household(village, f"PQ-R-{rng.randint(0, 10**6)}",
                             [person("Vi Văn Tùng", rng.randint(1940, this_year())), person("Vi Thị Hà", 2000)])  # fmt: skip
        return "added"
    if roll < 0.87:
        source, target = rng.sample(live, 2)
        member = (
            await Member.select(Member.id)
            .where((Member.household == source) & Member.removed.eq(False))
            .first()
        )
        if member is not None:
            await move_member(member["id"], source, target, world.users["ward"])
        return "member moved"
    if roll < 0.94:
        keep, duplicate = rng.sample(live, 2)
        await merge_households(keep, duplicate, world.users["ward"])
        return "merged"
    await archive_household(rng.choice(live), world.users["ward"])
    return "archived"


async def test_counts_equal_a_recount_from_the_households_after_every_random_write(world: World) -> None:
    rng = random.Random(16)
    assert await _stored() == await _recount()
    for step in range(STEPS):
        what = await _step(rng, world)
        assert await _stored() == await _recount(), f"step {step}: {what}"
        # Each visit stays in its household's village (a period's activity reads it there).
        assert await visits_out_of_their_village() == [], f"step {step}: {what}"


async def test_a_rebuild_gives_the_same_rows(world: World) -> None:
    rng = random.Random(1616)
    for _ in range(25):
        await _step(rng, world)
    before = await _stored()
    assert await rebuild() == 4
    assert await _stored() == before


async def test_new_rules_recount_the_wards_villages(world: World) -> None:
    rng = random.Random(7)
    for _ in range(15):
        await _step(rng, world)
    current = await ward_thresholds(world.wards["pq"])
    update = {**{f: getattr(current, f) for f in ("identity_age", "adult_age", "identity_requires_bank")},
              "identity_min_level": 2, "family_criteria": ["learned", "uses_services"]}  # fmt: skip
    from surveys.reporting.thresholds import parse_thresholds

    await save_thresholds(world.wards["pq"], parse_thresholds(update), world.users["ward"])
    assert await _stored() == await _recount()


async def test_a_row_of_last_year_is_counted_live(world: World) -> None:
    from surveys.tables import VillageCount

    await VillageCount.update({VillageCount.year: this_year() - 1}).where(
        VillageCount.village == world.villages["v1"]
    )
    # A member born 16 years before this year is of identity age now, not when the row was counted.
    await Member.update({Member.birth_year: this_year() - 16}).where(Member.full_name == "Nguyễn Văn An")
    assert await _stored() == await _recount()
    report = await ward_report(world.wards["pq"])
    assert report.total.households == 3
    assert await Ward.count() == 2


def _read_live(monkeypatch: pytest.MonkeyPatch) -> None:
    """The trend readers count from the visit history (`COUNTS_READ=false`)."""
    monkeypatch.setattr("surveys.reporting.reports.counts_read", lambda: False)
    monkeypatch.setattr("surveys.reporting.province.counts_read", lambda: False)


async def _spread_history(rng: random.Random) -> None:
    """Move the households' registrations and their visits back into the last nine weeks at random (as an
    import of old records would), keeping each household's visits in their order. Nine weeks and up to two
    days, whatever the day: on a Monday ten weeks and two days reached into the trend's first week, which
    must have none (the test failed on Mondays and Tuesdays, Vietnam's time)."""
    for h in await Household.select(Household.id):
        registered = now() - timedelta(days=63, hours=rng.randrange(0, 48))
        await Household.update({Household.created_at: registered}).where(Household.id == h["id"])
        visits = await Visit.select(Visit.id).where(Visit.household == h["id"]).order_by(Visit.at)
        moments = sorted(registered + timedelta(hours=rng.randrange(1, 62 * 24)) for _ in visits)
        for v, at in zip(visits, moments, strict=True):
            await Visit.update({Visit.at: at}).where(Visit.id == v["id"])


async def test_the_trend_from_the_daily_counts_equals_the_trend_from_the_visit_history(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = random.Random(1617)
    for _ in range(30):
        await _step(rng, world)
    await _spread_history(rng)
    assert await rebuild() == 4
    ward = world.wards["pq"]
    province = int((await Ward.select(Ward.province).where(Ward.id == ward).first())["province"])
    stored_ward, stored_province = await ward_trend(ward, weeks=12), (await province_report(province)).trend
    # Today's rows are the dashboards' current numbers.
    assert stored_ward[-1].indicators == (await ward_report(ward)).total
    _read_live(monkeypatch)
    live_ward, live_province = await ward_trend(ward, weeks=12), (await province_report(province)).trend
    # Something happened in the weeks compared: registrations ten weeks ago, then visits.
    weeks = [p.indicators for p in live_ward]
    assert weeks[0].households == 0 < weeks[3].households and weeks[3] != weeks[-2]
    # Every past week equals the live count from history (the current week: as the households stand now,
    # which a register edit after a visit moves away from the visit's own counts).
    assert stored_ward[:-1] == live_ward[:-1]
    assert stored_province[:-1] == live_province[:-1]
    assert [p.week for p in stored_province] == [p.week for p in live_province]


async def test_a_rebuild_makes_the_past_days_and_writes_keep_only_today(world: World) -> None:
    rng = random.Random(1618)
    for _ in range(10):
        await _step(rng, world)
    await _spread_history(rng)
    await rebuild()
    days = {r["day"] for r in await VillageCount.select(VillageCount.day)}
    assert len(days) > 1 and max(str(d) for d in days) == str(local_now().date())
    # A second rebuild writes the same rows.
    before = await VillageCount.select(
        *[getattr(VillageCount, c) for c in ("village", "day", *COLUMNS)]
    ).order_by(VillageCount.village, VillageCount.day)
    await rebuild()
    after = await VillageCount.select(
        *[getattr(VillageCount, c) for c in ("village", "day", *COLUMNS)]
    ).order_by(VillageCount.village, VillageCount.day)
    assert after == before


async def test_the_migration_that_fills_the_table_counts_the_past_days_as_a_rebuild_does(
    world: World,
) -> None:
    """A database upgraded to the counts gets its trend's past weeks at once, not zeros until someone
    remembers `phocap counts rebuild`."""
    from surveys.piccolo_migrations import phocap_2026_11_27t01_40_00_000000 as add_columns
    from surveys.piccolo_migrations import phocap_2026_11_27t01_41_00_000000 as fill

    rng = random.Random(1619)
    for _ in range(10):
        await _step(rng, world)
    await _spread_history(rng)
    await rebuild()
    columns = [getattr(VillageCount, c) for c in ("village", "day", *COLUMNS)]
    rebuilt = await VillageCount.select(*columns).order_by(VillageCount.village, VillageCount.day)
    await (await fill.forwards()).run(backwards=True)
    assert await VillageCount.count() == 0
    # The periodic report's columns go backwards and come back empty; the filling counts them.
    await (await add_columns.forwards()).run(backwards=True)
    assert "ai_tool" not in (await VillageCount.raw("SELECT * FROM village_count LIMIT 1") or [{}])[0]
    await (await add_columns.forwards()).run()
    await (await fill.forwards()).run()
    filled = await VillageCount.select(*columns).order_by(VillageCount.village, VillageCount.day)
    assert len({r["day"] for r in filled}) > 1
    assert filled == rebuilt


async def test_a_visit_adds_its_households_difference_and_never_counts_its_village(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = random.Random(1620)
    statements: list[str] = []
    engine = current_engine()
    original = engine.run_querystring

    async def seen(querystring: Any, *args: Any, **kwargs: Any) -> Any:
        statements.append(str(querystring))
        return await original(querystring, *args, **kwargs)

    monkeypatch.setattr(engine, "run_querystring", seen)
    households = await Household.select(Household.id, Household.village).order_by(Household.id)
    today = local_now().date()
    for step in range(30):
        if step == 10:
            # The first write of a day: the rows are yesterday's, and a village is counted again.
            await VillageCount.update({VillageCount.day: today - timedelta(days=1)}).where(
                VillageCount.day == today
            )
        household = rng.choice(households)
        has_today = await VillageCount.exists().where(
            (VillageCount.village == household["village"]) & (VillageCount.day == today)
        )
        counts_then = await _stored()
        statements.clear()
        await _visit(rng, world, household["id"])
        counted_villages = [s for s in statements if "h.village IN" in s]
        # A visit that changed none of its village's counts writes no row.
        changed = (await _stored())[household["village"]] != counts_then[household["village"]]
        assert bool(counted_villages) == (changed and not has_today), step
        assert await _stored() == await _recount(), f"visit {step}"


async def _visit_made(world: World, household_id: int, outcome: str, saved_at: datetime) -> None:
    h = await Household.select(Household.token).where(Household.id == household_id).first()
    row = await household_by_token(h["token"]) if h else None
    actor = await actor_by_id(world.users["volunteer1"])
    assert row is not None and actor is not None
    body = {"client_id": str(uuid.uuid4()), "outcome": outcome, "household_version": row.version,
            "saved_at": saved_at.isoformat()}  # fmt: skip
    await record_visit(row, parse_visit(body), actor)


@pytest.mark.parametrize("order", ["later", "earlier", "same moment"])
async def test_a_visit_made_before_or_after_the_last_one_counts_the_last_one_made(
    world: World, order: str
) -> None:
    # The counts after a "nobody home" or a "come back" are counted before it is written, from the state
    # the visit read (`state_counts`): made before the household's last visit (sent later from the phone), it leaves its reason as it was;
    # made at the same moment, it is the last one, as the one written last.
    household = (await Household.select(Household.id).order_by(Household.id).first() or {})["id"]
    last = now() - timedelta(hours=2)
    await _visit_made(world, household, "come_back", last)
    shift = {"later": timedelta(hours=1), "earlier": -timedelta(hours=1), "same moment": timedelta(0)}[order]
    counts_then = await _stored()
    await _visit_made(world, household, "declined", last + shift)
    assert await _stored() == await _recount()
    assert (await _stored() != counts_then) == (order != "earlier")


async def _visit_at_once(world: World, household_id: int, outcome: str, done: bool) -> None:
    """A visit read before the others commit: "done" ones of one household race on its version (the
    loser's conflict saves nothing); the others take no version and all land."""
    h = await Household.select(Household.token).where(Household.id == household_id).first()
    row = await household_by_token(h["token"]) if h else None
    actor = await actor_by_id(world.users["volunteer1"])
    assert row is not None and actor is not None
    members = await Member.select().where((Member.household == household_id) & Member.removed.eq(False))
    answers = [{"id": m["id"], "full_name": m["full_name"], "birth_year": m["birth_year"], "is_head": m["is_head"],
                **DIGITAL_CORE} for m in members] if done else []  # fmt: skip
    body = {"client_id": str(uuid.uuid4()), "outcome": outcome, "household_version": row.version,
            "household": {"consent": True, "informed": True}, "members": answers}  # fmt: skip
    with contextlib.suppress(VisitConflict):
        await record_visit(row, parse_visit(body), actor)


async def _edit_at_once(world: World, household_id: int, born: int) -> None:
    """A register edit adding a member (of identity age or a child), read before the others commit."""
    h = await Household.select().where(Household.id == household_id).first()
    assert h is not None
    members = await Member.select().where((Member.household == household_id) & Member.removed.eq(False))
    register = [RegisterMember(id=m["id"], full_name=m["full_name"], sex=m["sex"], is_head=m["is_head"],
                               birth_year=m["birth_year"]) for m in members]  # fmt: skip
    register.append(RegisterMember(full_name="Hà Thị Lan", birth_year=born))
    update = HouseholdUpdate(
        version=h["version"], village=h["village"], address=h["address"] or "Xóm", members=register
    )
    await update_household(household_id, world.wards["pq"], update, world.users["ward"])


@pytest.mark.skipif(not POSTGRES_URL, reason="SQLite has one writer at a time: nothing runs at once")
async def test_writes_at_once_to_one_village_keep_its_counts(world: World) -> None:
    """24 visits and register edits at once to the households of one village, three to each household,
    and two new households:
    each writer holds its household from before its snapshot, so no difference is taken against a
    "before" another writer has already changed; the first writers of the day race to insert the row."""
    from tests.surveys.test_activity_counts import recount_days, stored_days, visits_now

    village = world.villages["v1"]
    for n in range(8):
        await make_household(
            village, f"PQ-C-{n:02d}", [person("Lường Văn Sơn", 1970), person("Lường Thị Hoa", 2001)]
        )
    households = [int(r["id"]) for r in await Household.select(Household.id).where(
        (Household.village == village) & Household.archived.eq(False)).order_by(Household.id)][-8:]  # fmt: skip
    year = this_year()
    for rounds in range(2):
        if rounds == 0:
            # The first writes of a day: every one finds no row of today and counts the village.
            await VillageCount.delete().where(
                (VillageCount.village == village) & (VillageCount.day == local_now().date())
            )
        writes = []
        for i, h in enumerate(households):
            writes += [_visit_at_once(world, h, "nobody_home", done=False),
                       _visit_at_once(world, h, "come_back", done=False)]  # fmt: skip
            writes.append(
                _visit_at_once(world, h, "done", done=True)
                if i % 2
                else _edit_at_once(world, h, year - 30 if rounds else year - 5)
            )
        # Households found in the field meanwhile: each joins the counts as a difference, side by side.
        found = HouseholdCreate(
            address="Xóm Mới", members=[RegisterMember(full_name="Lò Văn Pó", birth_year=1980)]
        )
        writes += [create_household(village, found, world.users["ward"]) for _ in range(2)]
        await asyncio.gather(*writes)
        assert await _stored() == await _recount(), f"round {rounds}"
        # The daily activity too: each writer adds its household's difference, none replaces another's.
        assert await stored_days() == recount_days(await visits_now()), f"round {rounds}"


async def test_a_household_added_joins_its_villages_counts_from_nothing_without_counting_the_village(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A household added (registered by hand) adds its own counts to its village's row of today: the
    village is not counted again, and the row equals a recount. Its adults without VNeID, its head not
    visited: every count it brings is there. The first add of a day still finds no row and counts the
    village, as a visit does."""
    from surveys.reporting import village_counts

    village = world.villages["v1"]
    await VillageCount.delete().where(
        (VillageCount.village == village) & (VillageCount.day == local_now().date())
    )
    found = HouseholdCreate(
        address="Xóm Mới",
        members=[RegisterMember(full_name="Lò Văn Pó", birth_year=1980, is_head=True),
                 RegisterMember(full_name="Lò Thị Én", birth_year=1950)],
    )  # fmt: skip
    await create_household(village, found, world.users["ward"])  # the day's first: counts the village
    assert await _stored() == await _recount()
    before = (await _stored())[village]

    counted: list[list[int]] = []
    count_villages = village_counts.count_villages

    async def watched(ids: list[int], year: int) -> Any:
        counted.append(ids)
        return await count_villages(ids, year)

    monkeypatch.setattr(village_counts, "count_villages", watched)
    await create_household(village, found, world.users["ward"])
    assert counted == []
    after = (await _stored())[village]
    assert await _stored() == await _recount()
    assert after["households"] == before["households"] + 1
    assert after["adults"] == before["adults"] + 2 and after["seniors"] == before["seniors"] + 1
    assert after["not_visited"] == before["not_visited"] + 1


@pytest.mark.skipif(not POSTGRES_URL, reason="SQLite has one writer at a time: nothing runs at once")
async def test_a_household_added_goes_on_beside_the_visits_in_flight_in_its_village(world: World) -> None:
    """A visit in flight holds its village's counts shared until it commits (`snapshot`); a household
    added there holds them shared too, so it does not wait for the visit (once it counted the village
    again, alone, and waited for every visit in the village, and they for it)."""
    import asyncpg

    from surveys.core.db import LOCK_VILLAGE_COUNTS

    village = world.villages["v1"]
    found = HouseholdCreate(
        address="Xóm Mới", members=[RegisterMember(full_name="Lò Văn Pó", birth_year=1980, is_head=True)]
    )
    await create_household(village, found, world.users["ward"])  # today's row is there now
    visit = await asyncpg.connect(POSTGRES_URL)
    try:
        async with visit.transaction():
            await visit.execute(
                "SELECT pg_advisory_xact_lock_shared($1, hashtext($2))", LOCK_VILLAGE_COUNTS, str(village)
            )
            # Held shared by the visit: an add counting the village alone would wait here until the end.
            await asyncio.wait_for(create_household(village, found, world.users["ward"]), timeout=30)
    finally:
        await visit.close()
    assert await _stored() == await _recount()


@pytest.mark.skipif(not POSTGRES_URL, reason="SQLite has one writer at a time: it takes no keys")
async def test_a_visit_holds_its_household_and_its_villages_counts_with_begin_and_reads_the_rules_with_it(
    world: World,
) -> None:
    """A writer that read its household before its transaction (a visit) holds the household and the key
    on its village's counts in one statement, the transaction's first, sent with its BEGIN as one round
    trip (the household first, then the key); then reads the household with its ward's rules and today's
    row beside it, in one statement after both are held, as the snapshot would have read them."""
    import asyncpg

    from surveys.core.changes import households_changing
    from surveys.core.db import LOCK_VILLAGE_COUNTS, write_transaction
    from surveys.reporting.village_counts import Snapshot
    from surveys.survey.status import HouseholdState, household_state
    from tests.queries import sent_queries
    from tests.surveys.test_pg_request import executed_scripts

    row = await household_by_token(world.households["an"])
    assert row is not None
    village = int(row.village)
    other = await asyncpg.connect(POSTGRES_URL)
    try:
        # The first time on a connection its statements are prepared there (then BEGIN goes alone).
        async with request_scope(), write_transaction():
            await households_changing(
                [row.id], read=partial(household_state, row.id), expected={int(row.id): village}
            )
        with pytest.MonkeyPatch.context() as patch, sent_queries() as seen:
            scripts = executed_scripts(patch)
            async with request_scope(), write_transaction():
                before = await households_changing(
                    [row.id], read=partial(household_state, row.id), expected={int(row.id): village}
                )
                # Held shared: another writer may share it, but not hold the village alone.
                assert await other.fetchval(
                    "SELECT pg_try_advisory_lock_shared($1, hashtext($2))", LOCK_VILLAGE_COUNTS, str(village)
                )
                assert not await other.fetchval(
                    "SELECT pg_try_advisory_lock($1, hashtext($2))", LOCK_VILLAGE_COUNTS, str(village)
                )
                await other.execute("SELECT pg_advisory_unlock_all()")
                # The household too: another writer cannot take it.
                assert not await other.fetch(
                    "SELECT id FROM household WHERE id = $1 FOR UPDATE SKIP LOCKED", int(row.id)
                )
        # Released with the transaction.
        assert await other.fetchval(
            "SELECT pg_try_advisory_lock($1, hashtext($2))", LOCK_VILLAGE_COUNTS, str(village)
        )
    finally:
        await other.close()
    assert isinstance(before.known, HouseholdState) and before.known.members
    assert before.known.village == village and before.villages == {int(row.id): village}
    # The household and the key, then the household with the rules; no statement reads the rules again.
    held, read = seen[:2]
    assert not any("FROM village v JOIN ward w" in q for q in seen[2:]), seen
    assert "FOR UPDATE" in held and "pg_advisory_xact_lock_shared" in held
    assert held.index("FOR UPDATE") < held.index("pg_advisory_xact_lock_shared")
    assert read.startswith("WITH phocap_beside AS MATERIALIZED") and "FROM village v JOIN ward w" in read
    # The first went with BEGIN, as one script: the statement prepared, its values written in.
    assert scripts[0].startswith("BEGIN;\nEXECUTE phocap_") and "$1" not in scripts[0], scripts
    snapshot = next(s for s in before.snapshots if isinstance(s, Snapshot))
    assert snapshot.rules == {village: CoverageRules()}


@pytest.mark.skipif(not POSTGRES_URL, reason="SQLite has one writer at a time: it takes no keys")
async def test_a_household_moved_before_its_visits_transaction_is_counted_in_its_new_village(
    world: World,
) -> None:
    """The household moved between the visit's first read and its transaction: the keys and the rules
    are then those of the village it is in once held (the expected village's key is held too, harmless),
    and the snapshot reads the rules of the right village itself."""
    import asyncpg

    from surveys.core.changes import households_changing
    from surveys.core.db import LOCK_VILLAGE_COUNTS, write_transaction
    from surveys.reporting.village_counts import Snapshot
    from surveys.survey.status import household_state

    row = await household_by_token(world.households["an"])
    assert row is not None
    moved_to = world.villages["v2"]
    other = await asyncpg.connect(POSTGRES_URL)
    try:
        await other.execute("UPDATE household SET village = $1 WHERE id = $2", moved_to, int(row.id))
        async with request_scope(), write_transaction():
            before = await households_changing(
                [row.id], read=partial(household_state, row.id), expected={int(row.id): int(row.village)}
            )
            assert not await other.fetchval(
                "SELECT pg_try_advisory_lock($1, hashtext($2))", LOCK_VILLAGE_COUNTS, str(moved_to)
            )
    finally:
        await other.close()
    assert before.villages == {int(row.id): moved_to}
    snapshot = next(s for s in before.snapshots if isinstance(s, Snapshot))
    assert set(snapshot.rules) == {moved_to}
    assert snapshot.households == {int(row.id): (moved_to, snapshot.households[int(row.id)][1])}


async def test_the_rules_query_written_once_groups_villages_as_their_wards_rows_say(world: World) -> None:
    """`_rules_of` is SQL written once per number of villages: it must read every rule of each village's
    own ward (two wards of different rules here, booleans and the criteria list included) as
    `CoverageRules.of_ward` of the ward's row does."""
    from surveys.reporting.village_counts import _rules_of

    rules = {Ward.identity_age: 18, Ward.identity_min_level: 2, Ward.identity_requires_bank: True,
             Ward.family_criteria: "learned,uses_services"}  # fmt: skip
    await Ward.update(rules).where(Ward.id == world.wards["other"])
    expected: dict[CoverageRules, list[int]] = {}
    for ward in await Ward.select():
        villages = await Village.select(Village.id).where(Village.ward == ward["id"])
        expected.setdefault(CoverageRules.of_ward(Row(ward)), []).extend(v["id"] for v in villages)
    ids = sorted(world.villages.values())
    got = await _rules_of(ids)
    assert {rules: sorted(v) for rules, v in got.items()} == {r: sorted(v) for r, v in expected.items()}
    other = CoverageRules(18, 2, True, ("learned", "uses_services"))
    assert got[other] == [world.villages["v4"]]
    assert await _rules_of([world.villages["v1"]]) == {CoverageRules(): [world.villages["v1"]]}
    assert await _rules_of([]) == {}


@pytest.mark.skipif(not POSTGRES_URL, reason="SQLite has one writer at a time: nothing runs at once")
async def test_writes_at_once_as_the_year_turns_both_land(
    world: World, monkeypatch: pytest.MonkeyPatch, clock_at: Callable[[datetime], None]
) -> None:
    """Two visits to one village begin at 23:59:59 on 31 December and end in the new year: each then
    counts the village again (its snapshot was counted with last year's ages), which needs the village
    alone. Holding it shared from the snapshot, each would wait for the other's share (PostgreSQL
    answers one "deadlock detected" and that visit is lost); so a write that may see the year turn
    holds its villages alone from the start, and the second waits for the first."""
    from surveys.reporting import village_counts

    village = world.villages["v1"]
    for n in range(2):
        await make_household(village, f"PQ-Y-{n}", [person("Lò Văn Pao", 1970)])
    pair = [int(r["id"]) for r in await Household.select(Household.id).where(Household.code.like("PQ-Y-%"))]
    zone = local_now().tzinfo
    clock_at(datetime(2026, 12, 31, 23, 59, 59, 500_000, tzinfo=zone))
    snapshots_taken: list[int] = []
    both = asyncio.Event()
    rules_of = village_counts._rules_of

    async def rules_after_the_locks(village_ids: list[int]) -> Any:
        """The snapshot's first read after taking its locks: wait (a while) for the other writer to be
        there too, then let the clock pass midnight."""
        snapshots_taken.append(len(village_ids))
        if len(snapshots_taken) <= 2:
            if len(snapshots_taken) == 2:
                both.set()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(both.wait(), 2)
            if local_now().year == 2026:
                clock_at(datetime(2027, 1, 1, 0, 0, 0, 500_000, tzinfo=zone))
        return await rules_of(village_ids)

    monkeypatch.setattr(village_counts, "_rules_of", rules_after_the_locks)
    await asyncio.gather(*[_visit_at_once(world, h, "done", done=True) for h in pair])
    assert await Visit.count().where(Visit.household.is_in(pair)) == 2
    assert this_year() == 2027
    assert await _stored() == await _recount()


async def test_the_new_years_rows_count_with_the_new_years_ages(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Everything happened last year; a member reaches the identity age on 1 January. Each village gets a
    row of 1 January counted with this year's ages, and this year's weeks read as the live trend counts
    them (with this year's ages)."""
    rng = random.Random(1622)
    for _ in range(10):
        await _step(rng, world)
    await Member.update({Member.birth_year: this_year() - 16}).where(Member.full_name == "Nguyễn Văn An")
    new_year = datetime(this_year(), 1, 1, tzinfo=now().tzinfo)
    for h in await Household.select(Household.id):
        registered = new_year - timedelta(days=40, hours=rng.randrange(0, 48))
        await Household.update({Household.created_at: registered}).where(Household.id == h["id"])
        visits = await Visit.select(Visit.id).where(Visit.household == h["id"]).order_by(Visit.at)
        for v, hours in zip(visits, sorted(rng.randrange(1, 30 * 24) for _ in visits), strict=True):
            await Visit.update({Visit.at: registered + timedelta(hours=hours)}).where(Visit.id == v["id"])
    await rebuild()
    ward = world.wards["pq"]
    weeks = (local_now().date() - new_year.date()).days // 7 + 3
    stored = await ward_trend(ward, weeks=weeks)
    _read_live(monkeypatch)
    live = await ward_trend(ward, weeks=weeks)
    # The weeks ending this year (the week of 1 January ends in it).
    this_years = [i for i, p in enumerate(stored) if (p.start + timedelta(days=6)).year == this_year()]
    assert this_years and this_years[0] > 0
    assert [stored[i] for i in this_years[:-1]] == [live[i] for i in this_years[:-1]]
    # Each village with households has its row of 1 January, of this year's ages, nothing having
    # happened that day.
    villages = {
        int(r["village"])
        for r in await Household.select(Household.village).where(Household.archived.eq(False))
    }
    rows = await VillageCount.select(VillageCount.village, VillageCount.year, VillageCount.households).where(
        VillageCount.day == new_year.date()
    )
    assert {int(r["village"]) for r in rows} == villages
    assert all(r["year"] == this_year() and r["households"] > 0 for r in rows)
