"""The per-village daily activity is never a second truth: after every write (visits of today and sent
days later, register corrections and moves, merges, archives, members moved, attendance, new rules), its
rows equal a recount in Python from the visits, and a period's report reads them, never a visit."""

from __future__ import annotations

import random
import uuid
from collections import defaultdict
from datetime import date, datetime, time, timedelta
from typing import Any

from piccolo.engine.postgres import PostgresEngine

from surveys.core.clock import local_date, local_now, now
from surveys.core.db import current_engine
from surveys.learning.attendance import parse_attendance, record_attendance
from surveys.learning.classes import ward_class
from surveys.people.accounts import actor_by_id
from surveys.register.households import household_by_token
from surveys.reporting.activity_counts import ACTIVITY_COLUMNS, recount, stored_activity
from surveys.reporting.history import Activity
from surveys.reporting.periodic import province_period_report, ward_period_report
from surveys.reporting.periods import Period
from surveys.reporting.thresholds import parse_thresholds, save_thresholds, ward_thresholds
from surveys.reporting.village_counts import rebuild
from surveys.survey.criteria import OUTCOMES
from surveys.survey.visits import VisitConflict, parse_visit, record_visit
from surveys.tables import (
    ClassSession,
    Household,
    Member,
    Village,
    VillageActivity,
    VillageVolunteer,
    Visit,
    Ward,
)
from tests.factories import World, make_household, person
from tests.queries import sent_queries
from tests.surveys.test_village_counts import _step, _visit

STEPS = 70


async def visits_now() -> list[dict[str, Any]]:
    """Every visit with its local day and whether it left its household covered by its ward's rules now
    (digital family, every citizen of identity age with VNeID, and a bank account where the ward asks)."""
    bank = {
        int(r["id"]): bool(r["bank"])
        for r in await Village.select(Village.id, Village.ward.identity_requires_bank.as_alias("bank"))
    }
    visits = await Visit.select(
        Visit.id, Visit.at, Visit.household, Visit.village, Visit.outcome, Visit.volunteer,
        Visit.digital_family, Visit.adults, Visit.adults_vneid, Visit.adults_bank,
    )  # fmt: skip
    for v in visits:
        at = v["at"] if isinstance(v["at"], datetime) else datetime.fromisoformat(v["at"])
        v["at"], v["day"] = at, local_date(at)
        v["covered"] = (
            bool(v["digital_family"])
            and v["adults_vneid"] == v["adults"]
            and (not bank[v["village"]] or v["adults_bank"] == v["adults"])
        )
    return visits


def recount_days(
    visits: list[dict[str, Any]],
) -> tuple[dict[tuple[int, date], dict[str, int]], dict[tuple[int, date, int], int]]:
    """Per (village, day) the activity, per (village, day, volunteer) the visits: each visit on its day,
    each household's state at the end of each day with a completed visit (its last one that day) against
    its state at the end of the day before."""
    days: dict[tuple[int, date], dict[str, int]] = defaultdict(lambda: dict.fromkeys(ACTIVITY_COLUMNS, 0))
    people: dict[tuple[int, date, int], int] = defaultdict(int)
    done: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for v in visits:
        key = (v["village"], v["day"])
        days[key]["visits"] += 1
        days[key]["completed"] += v["outcome"] == "done"
        days[key]["nobody_home"] += v["outcome"] == "nobody_home"
        if v["volunteer"] is not None:
            people[(v["village"], v["day"], v["volunteer"])] += 1
        if v["outcome"] == "done":
            done[v["household"]].append(v)
    for household_visits in done.values():
        ends: dict[date, dict[str, Any]] = {}
        for v in sorted(household_visits, key=lambda v: (v["at"], v["id"])):
            ends[v["day"]] = v
        state: bool | None = None
        for day in sorted(ends):
            v = ends[day]
            key = (v["village"], day)
            if state is None:
                days[key]["first_visits"] += 1
            if v["covered"] and not state:
                days[key]["newly_covered"] += 1
            if state and not v["covered"]:
                days[key]["newly_uncovered"] += 1
            state = v["covered"]
    return (
        {k: c for k, c in days.items() if any(c.values())},
        {k: n for k, n in people.items() if n},
    )


async def stored_days() -> tuple[dict[tuple[int, date], dict[str, int]], dict[tuple[int, date, int], int]]:
    """The stored rows (none left with nothing in them counts)."""

    def day(value: Any) -> date:
        return value if isinstance(value, date) else date.fromisoformat(str(value))

    days = {
        (int(r["village"]), day(r["day"])): {c: int(r[c]) for c in ACTIVITY_COLUMNS}
        for r in await VillageActivity.select()
    }
    people = {
        (int(r["village"]), day(r["day"]), int(r["volunteer"])): int(r["visits"])
        for r in await VillageVolunteer.select()
    }
    return {k: c for k, c in days.items() if any(c.values())}, {k: n for k, n in people.items() if n}


def period_activity(
    visits: list[dict[str, Any]], village_ward: dict[int, int], period: Period
) -> tuple[dict[int, Activity], dict[int, int]]:
    """Each village's activity in `period` and each ward's volunteers (each once), from the visits."""
    days, _ = recount_days(visits)
    found: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(ACTIVITY_COLUMNS, 0))
    for (village, day), counts in days.items():
        if period.first <= day <= period.last:
            for c in ACTIVITY_COLUMNS:
                found[village][c] += counts[c]
    by_village: dict[int, set[int]] = defaultdict(set)
    by_ward: dict[int, set[int]] = defaultdict(set)
    for v in visits:
        if period.first <= v["day"] <= period.last and v["volunteer"] is not None:
            by_village[v["village"]].add(v["volunteer"])
            by_ward[village_ward[v["village"]]].add(v["volunteer"])
    villages = set(found) | set(by_village)
    activity = {
        v: Activity(**found.get(v, dict.fromkeys(ACTIVITY_COLUMNS, 0)), volunteers=len(by_village[v]))
        for v in villages
    }
    return activity, {w: len(s) for w, s in by_ward.items()}


async def assert_recounted(where: str = "") -> None:
    """The stored rows equal the recount from the visits, and so does every village's and ward's
    activity, stored and live, over a few periods around today."""
    visits = await visits_now()
    assert await stored_days() == recount_days(visits), where
    village_ward = {int(r["id"]): int(r["ward"]) for r in await Village.select(Village.id, Village.ward)}
    today = local_now().date()
    for period in (
        Period(today - timedelta(days=3), today),
        Period(today - timedelta(days=10), today - timedelta(days=2)),
        Period(today, today),
    ):
        expected = period_activity(visits, village_ward, period)
        expected = ({v: a for v, a in expected[0].items() if a != Activity()}, expected[1])
        for count in (stored_activity, recount):
            activity, wards = await count("1 = 1", [], period.first, period.last)
            got = ({v: a for v, a in activity.items() if a != Activity()}, wards)
            assert got == expected, (where, count.__name__, period)


async def _late_visit(rng: random.Random, world: World, household_id: int) -> str:
    """A visit saved on the phone up to a week ago and sent now (before or after others of its household:
    one made before a visit already recorded is a conflict, and nothing is written)."""
    h = await Household.select(Household.token).where(Household.id == household_id).first()
    row = await household_by_token(h["token"]) if h else None
    actor = await actor_by_id(world.users[rng.choice(("volunteer1", "volunteer2"))])
    assert row is not None and actor is not None
    saved = now() - timedelta(days=rng.uniform(0, 7))
    done = rng.random() < 0.8
    body: dict[str, Any] = {
        "client_id": str(uuid.uuid4()), "outcome": "done" if done else rng.choice(OUTCOMES[1:]),
        "household_version": row.version, "saved_at": saved.isoformat(),
        "household": {"consent": True, "informed": True},
        "members": [
            {"id": m["id"], "full_name": m["full_name"], "birth_year": m["birth_year"], "is_head": m["is_head"],
             "vneid": "not_installed" if rng.random() < 0.1 else "level2", "bank_account": rng.choice(("yes", "yes", "no")),
             "skill_learned": True, "skill_understands": True, "skill_uses_services": True,
             "skill_guides_others": rng.random() < 0.8}
            for m in await Member.select().where((Member.household == household_id) & Member.removed.eq(False))
        ] if done else [],
    }  # fmt: skip
    try:
        await record_visit(row, parse_visit(body), actor)
    except VisitConflict:
        return "late visit (conflict)"
    return "late visit"


async def _attend(world: World, household_id: int) -> str:
    member = (
        await Member.select(Member.id)
        .where((Member.household == household_id) & Member.removed.eq(False))
        .first()
    )
    if member is None:
        return "attendance (nobody)"
    inserted = await ClassSession.insert(
        ClassSession(ward=world.wards["pq"], starts_at=now() - timedelta(hours=1), topics=["vneid"])
    )
    session = await ward_class(world.wards["pq"], int(inserted[0]["id"]))
    actor = await actor_by_id(world.users["ward"])
    assert session is not None and actor is not None
    raw = {"client_id": str(uuid.uuid4()), "member": member["id"]}
    await record_attendance(world.wards["pq"], session, parse_attendance(raw, session), actor)
    return "attendance"


async def _new_rules(world: World) -> str:
    current = await ward_thresholds(world.wards["pq"])
    update = {**{f: getattr(current, f) for f in ("identity_age", "adult_age", "identity_min_level")},
              "identity_requires_bank": not current.identity_requires_bank,
              "family_criteria": list(current.family_criteria)}  # fmt: skip
    await save_thresholds(world.wards["pq"], parse_thresholds(update), world.users["ward"])
    return "new rules"


async def _live(world: World) -> list[int]:
    """The households the random writes pick from: those of the fixture ward's villages, not archived."""
    return [int(r["id"]) for r in await Household.select(Household.id).where(Household.archived.eq(False))
            .where(Household.village.is_in([world.villages[v] for v in ("v1", "v2", "v3")])).order_by(Household.id)]  # fmt: skip


async def test_the_activity_equals_a_recount_from_the_visits_after_every_random_write(world: World) -> None:
    rng = random.Random(27)
    for i in range(12):
        village = world.villages[rng.choice(("v1", "v2", "v3"))]
        await make_household(village, f"PQ-A-{i}", [person("Lò Văn Páo", 1980), person("Lò Thị Dua", 1992)])
    await assert_recounted("start")
    for step in range(STEPS):
        live = await _live(world)
        roll = rng.random()
        if roll < 0.4 and live:
            what = await _late_visit(rng, world, rng.choice(live))
        elif roll < 0.47 and live:
            what = await _attend(world, rng.choice(live))
        elif roll < 0.51:
            what = await _new_rules(world)
        else:
            what = await _step(rng, world)
        await assert_recounted(f"step {step}: {what}")
    days, people = await stored_days()
    # Households covered and no longer covered, on days before today too, and volunteers of two villages.
    assert sum(c["newly_covered"] + c["newly_uncovered"] for c in days.values()) > 1
    assert len({day for _, day in days}) > 2 and len(people) > 3


async def _visit_on(world: World, saved: datetime | None, covered: bool) -> None:
    """volunteer1 visits An's household, saved at `saved` (None: now), leaving it covered or not (Bình
    without VNeID)."""
    row = await household_by_token(world.households["an"])
    actor = await actor_by_id(world.users["volunteer1"])
    assert row is not None and actor is not None
    members = await Member.select().where((Member.household == row.id) & Member.removed.eq(False))
    body: dict[str, Any] = {
        "client_id": str(uuid.uuid4()), "outcome": "done", "household_version": row.version,
        "household": {"consent": True, "informed": True},
        "members": [
            {"id": m["id"], "full_name": m["full_name"], "birth_year": m["birth_year"], "is_head": m["is_head"],
             "vneid": "level2" if covered or m["full_name"] != "Trần Thị Bình" else "not_installed",
             "bank_account": "yes", "skill_learned": True, "skill_understands": True, "skill_uses_services": True,
             "skill_guides_others": True}
            for m in members
        ],
    }  # fmt: skip
    if saved is not None:
        body["saved_at"] = saved.isoformat()
    await record_visit(row, parse_visit(body), actor)


async def test_a_household_covered_then_not_then_again_counts_each_change_on_its_day(world: World) -> None:
    """Visits sent from the phone days later: covered three days ago, not covered then covered again two
    days ago (one change at the day's end: none), not covered yesterday, covered today."""
    today = local_now().date()

    def on(days_ago: int, hour: int) -> datetime:
        return datetime.combine(today - timedelta(days=days_ago), time(hour), tzinfo=local_now().tzinfo)

    for saved, covered in ((on(3, 10), True), (on(2, 9), False), (on(2, 15), True), (on(1, 10), False)):
        await _visit_on(world, saved, covered)
    await _visit_on(world, None, True)
    village = world.villages["v1"]

    async def period(first: int, last: int) -> Activity:
        found, _ = await stored_activity(
            "id = {}", [village], today - timedelta(days=first), today - timedelta(days=last)
        )
        return found[village]

    everything = Activity(
        visits=5, completed=5, first_visits=1, newly_covered=2, newly_uncovered=1, volunteers=1
    )
    assert await period(3, 0) == everything
    assert await period(2, 2) == Activity(visits=2, completed=2, volunteers=1)
    assert await period(1, 0) == Activity(
        visits=2, completed=2, newly_covered=1, newly_uncovered=1, volunteers=1
    )
    # Newly covered less no longer covered is the change in covered: not at the start, covered at the end.
    assert everything.newly_covered - everything.newly_uncovered == 1
    assert await stored_days() == recount_days(await visits_now())


async def test_a_rebuild_gives_the_same_rows(world: World) -> None:
    rng = random.Random(2727)
    for _ in range(20):
        await _step(rng, world)
        await _late_visit(rng, world, rng.choice(await _live(world)))
    before = await stored_days()
    await VillageActivity.delete(force=True)
    await VillageVolunteer.delete(force=True)
    assert await stored_days() == ({}, {})
    await rebuild()
    assert await stored_days() == before


async def test_a_periods_report_reads_the_daily_activity_and_never_a_visit(world: World) -> None:
    rng = random.Random(5)
    for _ in range(10):
        await _visit(rng, world, rng.choice(await _live(world)))
    today = local_now().date()
    period = Period(today - timedelta(days=90), today)
    province = await Ward.select(Ward.province).where(Ward.id == world.wards["pq"]).first()
    assert province is not None
    with sent_queries() as seen:
        ward = await ward_period_report(world.wards["pq"], period)
        whole = await province_period_report(int(province["province"]), period)
    assert ward.total.activity.visits == 10 and whole.total.activity.visits == 10
    assert [q for q in seen if " visit " in q.replace("\n", " ") or "FROM visit" in q] == []
    # The activity is read in two queries per report, whatever the number of visits.
    assert len([q for q in seen if "village_activity" in q]) == 2
    assert len([q for q in seen if "village_volunteer" in q]) == 2


async def test_the_migration_makes_the_tables_and_counts_the_visits_already_there(world: World) -> None:
    """A database upgraded to the daily activity has its past periods' activity at once; going back drops
    the tables, and the migration is pending again."""
    from piccolo.apps.migrations.commands.backwards import run_backwards

    from surveys.core.db import migrate, pending_migrations

    rng = random.Random(2612)
    for _ in range(15):
        await _step(rng, world)
        await _late_visit(rng, world, rng.choice(await _live(world)))
    counted = await stored_days()
    assert counted == recount_days(await visits_now()) and len({day for _, day in counted[0]}) > 1
    try:
        await run_backwards(app_name="phocap", migration_id="2026-12-06T08:20:00:000000", auto_agree=True)
        assert "2026-12-06T08:20:00:000000" in await pending_migrations()
        assert "village_activity" not in await _tables()
    finally:
        await migrate()
    assert await pending_migrations() == []
    assert await stored_days() == counted


async def _tables() -> set[str]:
    rows = await Visit.raw(
        "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public'"
        if isinstance(current_engine(), PostgresEngine)
        else "SELECT name FROM sqlite_master WHERE type = 'table'"
    )
    return {r["name"] for r in rows}
