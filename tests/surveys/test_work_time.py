"""Work carries its own time (docs/architecture.md §7): a visit or an attendance saved on the phone without a signal
and sent later counts when it was saved, in the digest's week, the period's report and the daily counts
of its day and the days since, as a recount from the history counts it; the arrival is kept beside it.
A visit made before one already recorded does not overwrite what the newer one left, and a time the
server cannot believe is refused with its reason."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from surveys.core.clock import local_now, now, week_label
from surveys.core.settings import get_settings
from surveys.core.validation import InvalidInput
from surveys.learning.attendance import parse_attendance, record_attendance
from surveys.learning.classes import ward_class
from surveys.people.accounts import actor_by_id
from surveys.register.households import household_by_token
from surveys.reporting.activity_counts import recount, stored_activity
from surveys.reporting.digests import build_digest
from surveys.reporting.history import Activity
from surveys.reporting.periodic import ward_period_report
from surveys.reporting.periods import Period
from surveys.reporting.village_counts import COLUMNS, counts_on, rebuild
from surveys.survey.visits import VisitConflict, parse_visit, record_visit
from surveys.tables import Attendance, ClassSession, Member, VillageCount, Visit
from tests.factories import World, make_world

VN = ZoneInfo("Asia/Ho_Chi_Minh")
Clock = Callable[[datetime], None]


def in_vietnam(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=VN)


def a_sunday_to_come() -> date:
    """A Sunday some weeks after the run's own day: the fixture's households (dated by the machine's
    clock) were registered before it, whenever the run is."""
    day = local_now().date() + timedelta(weeks=5)
    return day + timedelta(days=6 - day.weekday())


async def world_at(clock_at: Clock, moment: datetime) -> World:
    clock_at(moment)
    return await make_world()


async def visit(world: World, key: str, saved_at: datetime | None = None, vneid: str = "level1",
                client_id: str = "", version: int | None = None) -> Any:  # fmt: skip
    """volunteer1 records a completed visit of household `key`: its first member's VNeID is `vneid`;
    saved on the phone at `saved_at` (None: an online post), on the form of household `version` (None:
    the household's version now; a resend names the version its first copy did)."""
    row = await household_by_token(world.households[key])
    assert row is not None
    members = await Member.select(Member.id, Member.full_name, Member.birth_year).where(
        Member.household == row.id
    )
    first = min(members, key=lambda m: m["id"])
    raw: dict[str, Any] = {
        "client_id": client_id or str(uuid.uuid4()), "outcome": "done",
        "household_version": int(row.version) if version is None else version,
        "household": {"consent": True, "informed": True},
        "members": [{"id": first["id"], "full_name": first["full_name"], "birth_year": first["birth_year"],
                     "vneid": vneid}],
    }  # fmt: skip
    if saved_at is not None:
        raw["saved_at"] = saved_at.astimezone(ZoneInfo("UTC")).isoformat().replace("+00:00", "Z")
    actor = await actor_by_id(world.users["volunteer1"])
    assert actor is not None
    return await record_visit(row, parse_visit(raw), actor)


async def test_a_visit_saved_on_sunday_night_and_received_on_monday_counts_in_sundays_week(
    database_url: str, clock_at: Clock
) -> None:
    sunday = a_sunday_to_come()
    monday = sunday + timedelta(days=1)
    world = await world_at(clock_at, in_vietnam(sunday, 8))
    clock_at(in_vietnam(monday, 0, 10))
    await visit(world, "an", saved_at=in_vietnam(sunday, 23, 50))
    kept = await Visit.select(Visit.at, Visit.received_at).first()
    assert kept is not None
    assert kept["at"] == in_vietnam(sunday, 23, 50)
    assert abs(kept["received_at"] - in_vietnam(monday, 0, 10)) < timedelta(minutes=1)
    # The digest of Monday's week looks back on Sunday's.
    digest = await build_digest(world.wards["pq"], week_label(in_vietnam(monday, 0)), "ward", get_settings())
    assert digest.figures["activity"] == {"visits": 1, "done": 1, "volunteers": 1}
    # The daily activity counts it on Sunday, as a recount from the visits does.
    for count in (stored_activity, recount):
        area = ("ward = {}", [world.wards["pq"]])
        sundays_week, _ = await count(*area, monday - timedelta(weeks=1), monday - timedelta(days=1))
        mondays_week, _ = await count(*area, monday, monday + timedelta(days=6))
        assert sundays_week[world.villages["v1"]].visits == 1
        assert sundays_week[world.villages["v1"]].first_visits == 1
        assert mondays_week.get(world.villages["v1"], Activity()).visits == 0


async def test_a_visit_of_30_september_received_on_1_october_counts_in_the_third_quarter(
    database_url: str, clock_at: Clock
) -> None:
    year = local_now().year + 1
    world = await world_at(clock_at, in_vietnam(date(year, 9, 28), 9))
    clock_at(in_vietnam(date(year, 10, 1), 7, 30))
    await visit(world, "an", saved_at=in_vietnam(date(year, 9, 30), 16))
    q3 = await ward_period_report(world.wards["pq"], Period(date(year, 7, 1), date(year, 9, 30)))
    q4 = await ward_period_report(world.wards["pq"], Period(date(year, 10, 1), date(year, 12, 31)))
    assert (q3.total.activity.visits, q3.total.activity.first_visits) == (1, 1)
    assert q3.total.end.visited == 1
    assert (q4.total.activity.visits, q4.total.activity.first_visits) == (0, 0)


async def stored_rows(village_id: int, since: date) -> dict[date, dict[str, int]]:
    rows = await VillageCount.select().where(
        (VillageCount.village == village_id) & (VillageCount.day >= since)
    )
    return {
        (r["day"] if isinstance(r["day"], date) else date.fromisoformat(str(r["day"]))): {
            c: r[c] for c in COLUMNS
        }
        for r in rows
    }


async def test_a_late_visit_counts_on_its_day_and_every_day_since_as_a_recount_does(
    database_url: str, clock_at: Clock
) -> None:
    """Thursday: the register; Friday: Ánh's household visited online (Friday's row written then);
    Saturday: An's visit saved on Thursday evening arrives. Thursday's and Friday's rows count it now,
    and every day's counts equal those `phocap counts rebuild` makes from the history."""
    thursday = a_sunday_to_come() - timedelta(days=3)
    friday, saturday = thursday + timedelta(days=1), thursday + timedelta(days=2)
    world = await world_at(clock_at, in_vietnam(thursday, 9))
    v1 = world.villages["v1"]
    clock_at(in_vietnam(friday, 10))
    await visit(world, "dang")
    clock_at(in_vietnam(saturday, 9))
    await visit(world, "an", saved_at=in_vietnam(thursday, 19), vneid="level2")
    days = [thursday, friday, saturday]
    counted = (await counts_on("ward = {}", [world.wards["pq"]], days))[v1]
    assert [c["visited"] for c in counted] == [1, 2, 2]
    assert [c["vneid_level2"] for c in counted] == [1, 1, 1]
    written = await stored_rows(v1, thursday)
    assert set(written) == {thursday, friday, saturday}
    await rebuild()
    assert await stored_rows(v1, thursday) == written
    assert (await counts_on("ward = {}", [world.wards["pq"]], days))[v1] == counted


async def test_a_visit_saved_before_the_latest_recorded_one_overwrites_only_what_its_volunteer_saw(
    database_url: str, clock_at: Clock
) -> None:
    """The household's state is what its latest visit by the time it was made left. A visit drawn before
    the 10:00 visit and saved "at 09:00" is a conflict: its volunteer did not see the 10:00 answers. One
    drawn after it (a conflict reviewed and saved again keeps its first moment; a phone whose clock is
    behind) was saved over it: it is recorded, dated just after the 10:00 visit, so it is the latest by
    time made too, and a second save of the reviewed form is never refused again."""
    day = a_sunday_to_come()
    world = await world_at(clock_at, in_vietnam(day, 8))
    clock_at(in_vietnam(day, 10))
    await visit(world, "an", vneid="level2")
    clock_at(in_vietnam(day, 11))
    with pytest.raises(VisitConflict) as refused:
        await visit(world, "an", saved_at=in_vietnam(day, 9), vneid="not_installed", version=1)
    assert refused.value.current.members[0].vneid == "level2"
    kept = await Visit.select(Visit.at)
    assert len(kept) == 1 and abs(kept[0]["at"] - in_vietnam(day, 10)) < timedelta(minutes=1)
    ten = kept[0]["at"]
    # Reviewed: the form now shows the 10:00 answers (version 2), and the volunteer saves again.
    reviewed = await visit(world, "an", saved_at=in_vietnam(day, 9), vneid="installed")
    assert reviewed.created and reviewed.household.members[0].vneid == "installed"
    assert reviewed.household.last_visit_at == ten + timedelta(microseconds=1)
    # A visit made after it, arriving late, is the latest: it is recorded.
    clock_at(in_vietnam(day, 12))
    result = await visit(world, "an", saved_at=in_vietnam(day, 10, 30), vneid="level1")
    assert result.household.members[0].vneid == "level1"
    assert result.household.last_visit_at == in_vietnam(day, 10, 30)


async def class_held(world: World, starts_at: datetime) -> dict[str, Any]:
    inserted = await ClassSession.insert(
        ClassSession(ward=world.wards["pq"], starts_at=starts_at, topics=["vneid"])
    )
    session = await ward_class(world.wards["pq"], int(inserted[0]["id"]))
    assert session is not None
    return session


async def attend(
    world: World, session: dict[str, Any], saved_at: datetime | None, client_id: str = ""
) -> Any:
    """volunteer1 records a walk-in at the class, saved on the phone at `saved_at`."""
    raw: dict[str, Any] = {"client_id": client_id or str(uuid.uuid4()), "age_group": "60_plus"}
    if saved_at is not None:
        raw["saved_at"] = saved_at.isoformat()
    actor = await actor_by_id(world.users["volunteer1"])
    assert actor is not None
    return await record_attendance(world.wards["pq"], session, parse_attendance(raw, session), actor)


@pytest.mark.parametrize(
    ("offset", "code"),
    [pytest.param(timedelta(minutes=6), "in_future", id="ahead"), pytest.param(-timedelta(days=8, minutes=1),
                                                                                "too_old", id="old")],
)  # fmt: skip
async def test_work_saved_ahead_of_the_clock_or_too_long_ago_is_refused(
    world: World, offset: timedelta, code: str
) -> None:
    session = await class_held(world, now() - timedelta(days=10))
    with pytest.raises(InvalidInput) as visit_refused:
        await visit(world, "an", saved_at=now() + offset)
    with pytest.raises(InvalidInput) as attendance_refused:
        await attend(world, session, now() + offset)
    for refused in (visit_refused, attendance_refused):
        assert [(e.field, e.code) for e in refused.value.errors] == [("saved_at", code)]
    assert (await Visit.count(), await Attendance.count()) == (0, 0)


# A number of seconds is no time as the docs write it (ISO 8601 with its zone): msgspec would take it
# for a Unix time, so a phone sending milliseconds would land in the year 57,000.
@pytest.mark.parametrize("saved_at", ["2026-12-06T03:00:53", "hôm qua", "06/12/2026 10:00", 1765000000, 1.5])
async def test_work_saved_at_a_time_without_its_zone_or_not_a_time_is_refused(saved_at: Any) -> None:
    with pytest.raises(InvalidInput) as visit_refused:
        parse_visit({"client_id": str(uuid.uuid4()), "outcome": "nobody_home", "household_version": 1,
                     "saved_at": saved_at})  # fmt: skip
    with pytest.raises(InvalidInput) as attendance_refused:
        parse_attendance({"client_id": str(uuid.uuid4()), "age_group": "60_plus", "saved_at": saved_at})
    # A time without its zone is refused as every date sent without one is (surveys/core/validation.py).
    code = (
        "needs_zone" if isinstance(saved_at, str) and saved_at[0].isdigit() and "T" in saved_at else "invalid"
    )
    for refused in (visit_refused, attendance_refused):
        assert [(e.field, e.code) for e in refused.value.errors] == [("saved_at", code)]


async def test_work_saved_a_little_ahead_of_the_clock_or_within_the_days_a_phone_keeps_is_taken(
    world: World,
) -> None:
    """A phone's clock a few minutes ahead is not refused (its work is dated on arrival, never later),
    nor is work saved as long ago as a phone keeps its pages and a day more."""
    await visit(world, "an", saved_at=now() + timedelta(minutes=4))
    await visit(world, "dang", saved_at=now() - timedelta(days=7, hours=23))
    kept = await Visit.select(Visit.at, Visit.received_at).order_by(Visit.id)
    assert kept[0]["at"] == kept[0]["received_at"]
    assert kept[1]["received_at"] - kept[1]["at"] > timedelta(days=7, hours=22)


async def test_work_recorded_days_ago_and_sent_again_answers_as_it_did_then(
    database_url: str, clock_at: Clock
) -> None:
    """The phone did not hear the answer and sends the work again nine days later: it was recorded, so
    the answer is the first one's, not "too old"."""
    day = a_sunday_to_come()
    world = await world_at(clock_at, in_vietnam(day, 7))
    session = await class_held(world, in_vietnam(day, 8))
    clock_at(in_vietnam(day, 10))
    visit_id, attendance_id = str(uuid.uuid4()), str(uuid.uuid4())
    assert (await visit(world, "an", in_vietnam(day, 9), client_id=visit_id)).created
    assert (await attend(world, session, in_vietnam(day, 9), attendance_id)).created
    clock_at(in_vietnam(day + timedelta(days=9), 10))
    # The same body as the first copy: a resend names the household's version the form was drawn on.
    again = await visit(world, "an", in_vietnam(day, 9), client_id=visit_id, version=1)
    assert not again.created and again.household.last_visit_at == in_vietnam(day, 9)
    assert not (await attend(world, session, in_vietnam(day, 9), attendance_id)).created
    assert (await Visit.count(), await Attendance.count()) == (1, 1)


async def test_an_attendance_sent_later_keeps_when_it_was_saved_and_is_refused_before_its_class(
    database_url: str, clock_at: Clock
) -> None:
    day = a_sunday_to_come()
    world = await world_at(clock_at, in_vietnam(day, 7))
    session = await class_held(world, in_vietnam(day, 8))
    clock_at(in_vietnam(day + timedelta(days=1), 6))
    await attend(world, session, in_vietnam(day, 8, 40))
    kept = await Attendance.select(Attendance.at, Attendance.received_at).first()
    assert kept is not None and kept["at"] == in_vietnam(day, 8, 40)
    assert abs(kept["received_at"] - in_vietnam(day + timedelta(days=1), 6)) < timedelta(minutes=1)
    # Saved before its class began: not an attendance of it.
    with pytest.raises(InvalidInput) as refused:
        await attend(world, session, in_vietnam(day, 7, 30))
    assert [(e.field, e.code) for e in refused.value.errors] == [("class", "not_held_yet")]
    assert await Attendance.count() == 1


async def test_the_arrival_of_each_visit_and_attendance_comes_and_goes_with_its_migration(
    world: World,
) -> None:
    """Going back drops `received_at`; going forward gives every earlier visit and attendance its
    time as its arrival (the server dated each one on arrival before)."""
    from piccolo.apps.migrations.commands.backwards import run_backwards

    from surveys.core.db import current_engine, migrate, pending_migrations

    await visit(world, "an")
    await attend(world, await class_held(world, now() - timedelta(hours=1)), None)
    try:
        await run_backwards(app_name="phocap", migration_id="2026-12-06T05:00:00:000000", auto_agree=True)
        assert min(await pending_migrations()) == "2026-12-06T05:00:00:000000"
        for table in ("visit", "attendance"):
            with pytest.raises(Exception, match="received_at"):
                await current_engine().run_ddl(f"SELECT received_at FROM {table}")  # noqa: S608
    finally:
        await migrate()
    assert await pending_migrations() == []
    for table in (Visit, Attendance):
        rows = await table.select(table.at, table.received_at)
        assert len(rows) == 1 and rows[0]["received_at"] == rows[0]["at"]
