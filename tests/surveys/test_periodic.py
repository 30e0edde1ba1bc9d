"""The periodic report: a past quarter read from the visits of then, the same whenever it is run, and
every report the sum of its parts (villages → ward → province), on generated data."""

from __future__ import annotations

import dataclasses
import random
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from piccolo.engine.postgres import PostgresEngine

from surveys.core.clock import local_now
from surveys.core.db import current_engine
from surveys.core.validation import InvalidInput
from surveys.people.accounts import actor_by_id
from surveys.register.households import household_by_token
from surveys.register.register import archive_household
from surveys.reporting.history import Activity, Standing
from surveys.reporting.periodic import Line, province_period_report, ward_period_report
from surveys.reporting.periods import Period, named_period, period_between
from surveys.reporting.reports import ward_report
from surveys.reporting.village_counts import rebuild
from surveys.survey.visits import parse_visit, record_visit
from surveys.tables import Household, Member, Village, Visit, Ward
from tests.factories import World, make_household, make_user, make_village, make_ward, person
from tests.surveys.test_reports import SKILLS, visit_an

Q3_2025 = Period(date(2025, 7, 1), date(2025, 9, 30))


async def registered_on(moment: datetime) -> None:
    """Every household and member of the fixture registered at `moment`."""
    await Household.update({Household.created_at: moment}).where(Household.id > 0)
    await Member.update({Member.created_at: moment}).where(Member.id > 0)


async def visit(token: str, login_id: int, members: list[dict[str, object]], **household: object) -> None:
    """A completed visit with these member answers (by id or new), recorded as the app records it."""
    row = await household_by_token(token)
    actor = await actor_by_id(login_id)
    assert row is not None and actor is not None
    answers = {"client_id": str(uuid.uuid4()), "outcome": "done", "household_version": row.version,
               "household": {"consent": True, **household}, "members": members}  # fmt: skip
    await record_visit(row, parse_visit(answers), actor)


async def moved_back_to(moment: datetime) -> None:
    """The visits recorded so far, as if made at `moment`: history written behind the writers' back, as
    an import of old visits does, so the daily counts are rebuilt as after an import."""
    await Visit.update({Visit.at: moment}).where(Visit.id > 0)
    await rebuild()


def test_named_periods_and_ranges() -> None:
    assert named_period("2026-Q3") == Period(date(2026, 7, 1), date(2026, 9, 30))
    assert named_period("2026-H1") == Period(date(2026, 1, 1), date(2026, 6, 30))
    assert named_period("2026") == Period(date(2026, 1, 1), date(2026, 12, 31))
    assert named_period("2024-Q1").last == date(2024, 3, 31)
    assert named_period("2026-Q4").name == "2026-Q4"
    # The period starts at 00:00 on its first day and ends at 00:00 after its last, Vietnam time.
    assert Q3_2025.start == datetime(2025, 6, 30, 17, tzinfo=UTC)
    assert Q3_2025.end == datetime(2025, 9, 30, 17, tzinfo=UTC)
    assert period_between("2026-07-01", "2026-08-15").name == "2026-07-01_2026-08-15"


@pytest.mark.parametrize(
    ("first", "last", "errors"),
    [
        ("2026-07-01", "2026-06-30", [("to", "before_start")]),
        ("2026-13-01", "", [("from", "invalid_date"), ("to", "required")]),
        ("01/07/2026", "2026-09-31", [("from", "invalid_date"), ("to", "invalid_date")]),
        ("2000-01-01", "2026-01-01", [("to", "too_long_period")]),
    ],
)
def test_a_bad_period_names_each_bad_field(first: str, last: str, errors: list[tuple[str, str]]) -> None:
    with pytest.raises(InvalidInput) as raised:
        period_between(first, last)
    assert [(e.field, e.code) for e in raised.value.errors] == errors


@pytest.mark.parametrize("name", ["2026-Q5", "2026-H3", "26", "2026-Q"])
def test_a_period_name_that_is_no_quarter_half_or_year_is_refused(name: str) -> None:
    with pytest.raises(InvalidInput):
        named_period(name)


@pytest.mark.parametrize("counts", [True, False], ids=["daily counts", "visit history"])
async def test_a_past_quarter_reads_the_visits_of_then_and_stays_the_same(
    world: World, counts: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not counts:
        monkeypatch.setattr("surveys.reporting.periodic.counts_read", lambda: False)
    await registered_on(datetime(2025, 1, 10, tzinfo=UTC))
    # In August 2025 volunteer1 visits An's household: An (level 1, all skills, confirmed) and Bình
    # (level 2, bank account) of the three members; informed.
    await visit_an(world)
    await moved_back_to(datetime(2025, 8, 15, 3, tzinfo=UTC))
    report = await ward_period_report(world.wards["pq"], Q3_2025)

    start, end = report.total.start, report.total.end
    # At the start: three households registered, none visited; citizens 16+ An, Bình, Ánh, Hùng
    # (counted from the register, in 2025). The daily counts, as the dashboard, count what the register
    # says of a household not yet visited (Hùng: a digital core member with VNeID level 2 and a bank
    # account); the visit history counts no answers before a visit.
    hung = int(counts)
    assert (start.households, start.visited, start.adults, start.vneid) == (3, 0, 4, hung)
    assert (start.digital_family, start.bank, start.basic_skills, start.covered) == (hung, hung, hung, 0)
    assert (end.households, end.visited, end.informed, end.digital_family, end.covered) == (
        3,
        1,
        1,
        1 + hung,
        1,
    )
    assert (end.adults, end.vneid, end.vneid_level2, end.bank, end.basic_skills, end.skills_confirmed) == (
        4, 2 + hung, 1 + hung, 1 + hung, 1 + hung, 1,
    )  # fmt: skip
    assert report.total.activity == Activity(
        visits=1, first_visits=1, newly_covered=1, volunteers=1, completed=1
    )
    figures = {f.indicator: f for f in report.figures()}
    assert (figures["vneid"].start_percent, figures["vneid"].end_percent, figures["vneid"].change) == (
        25.0 * hung,
        50.0 + 25.0 * hung,
        2,
    )
    assert (figures["vneid"].target, figures["vneid"].met) == (100, False)
    assert figures["covered"].target is None and figures["covered"].met is None
    assert [line.name for line in report.lines] == ["Thôn Đồng Tâm", "Thôn Khuôn Ngọa", "Thôn Bản Cái"]

    # After the quarter: An's household visited again (Ánh's gets its first visit, a new member is
    # added, Hùng's household is archived). The quarter's report does not move.
    row = await household_by_token(world.households["dang"])
    assert row is not None
    ids = {m["full_name"]: m["id"] for m in await Member.select(Member.id, Member.full_name)}
    await visit(world.households["dang"], world.users["volunteer1"], [
        {"id": ids["Đặng Thị Ánh"], "full_name": "Đặng Thị Ánh", "birth_year": 1960, "vneid": "level2",
         "bank_account": "yes", **SKILLS},
        {"full_name": "Đặng Văn Hòa", "birth_year": 1990, "vneid": "level1"},
    ], informed=True, priority_elderly_alone=True)  # fmt: skip
    await visit(world.households["an"], world.users["volunteer1"], [
        {"id": ids["Trần Thị Bình"], "full_name": "Trần Thị Bình", "birth_year": 1975, "vneid": "not_installed"},
    ], informed=True)  # fmt: skip
    archived = await household_by_token(world.households["v3"])
    assert archived is not None
    await archive_household(archived.id, world.users["ward"])
    again = await ward_period_report(world.wards["pq"], Q3_2025)
    assert dataclasses.replace(again, made_at=report.made_at) == report
    # The report of the quarter now running sees the changes.
    today = local_now().date()
    current = await ward_period_report(world.wards["pq"], Period(date(2025, 10, 1), today))
    assert current.total.end.households == 2 and current.total.end.visited == 2
    # Ánh (born 1960) is the one citizen 60+, now with VNeID; her household is elderly living alone.
    assert (current.total.end.elderly_alone, current.total.end.seniors, current.total.end.seniors_vneid) == (
        1,
        1,
        1,
    )


async def _generated_world(rng: random.Random) -> tuple[int, list[int]]:
    """Two provinces; the first with three wards of two to four villages each, households of one to
    five members, visits spread over 2025 and 2026 by volunteers of each ward."""
    wards: list[int] = []
    for p, province in enumerate(("19", "20")):
        for w in range(3 if p == 0 else 1):
            ward = await make_ward(f"9{p}{w}00", f"Xã Thử {p}{w}", province)
            wards.append(ward)
            volunteers = [await make_user(f"tnv{p}{w}{n}", "volunteer", ward_id=ward) for n in range(2)]
            for v in range(rng.randint(2, 4)):
                village = await make_village(ward, f"{v + 1:02d}", f"Thôn {v + 1}")
                for h in range(rng.randint(2, 6)):
                    people = [
                        person(f"Người {h}-{i}", rng.randint(1940, 2015)) for i in range(rng.randint(1, 5))
                    ]
                    token = await make_household(village, f"T{p}{w}{v}-{h}", people)
                    await Household.update({Household.created_at: datetime(2025, 1, 1, tzinfo=UTC)}).where(
                        Household.token == token
                    )
                    # Each household's visits in the order they were made, as in the field.
                    for day in sorted(rng.sample(range(600), rng.randint(0, 3))):
                        at = datetime(2025, 1, 2, 2, tzinfo=UTC) + timedelta(days=day)
                        await _random_visit(rng, token, rng.choice(volunteers), at)
    await Member.update({Member.created_at: datetime(2025, 1, 1, tzinfo=UTC)}).where(Member.id > 0)
    # The dates above were written behind the writers' back, as an import of old records does.
    await rebuild()
    province = await Ward.select(Ward.province).where(Ward.id == wards[0]).first()
    assert province is not None
    return int(province["province"]), wards[:3]


async def _random_visit(rng: random.Random, token: str, volunteer: int, at: datetime) -> None:
    row = await household_by_token(token)
    assert row is not None
    members = await Member.select().where((Member.household == row.id) & Member.removed.eq(False))
    answers = [
        {"id": m["id"], "full_name": m["full_name"], "birth_year": m["birth_year"], "is_head": m["is_head"],
         "vneid": rng.choice(["level1", "level2", "not_installed"]), "bank_account": rng.choice(["yes", "no"]),
         "uses_ai": rng.choice(["yes", "no", "unknown"]), "skills_confirmed": rng.random() < 0.3,
         **{k: rng.random() < 0.7 for k in SKILLS}}
        for m in members
    ]  # fmt: skip
    flags = {"priority_poor": rng.random() < 0.3, "priority_elderly_alone": rng.random() < 0.2}
    await visit(token, volunteer, answers, informed=rng.random() < 0.8, **flags)
    latest = await Visit.select(Visit.id).order_by(Visit.id, ascending=False).first()
    assert latest is not None
    await Visit.update({Visit.at: at}).where(Visit.id == latest["id"])


def _summed(lines: list[Line]) -> tuple[Standing, Standing, Activity]:
    return (
        Standing.sum([line.start for line in lines]),
        Standing.sum([line.end for line in lines]),
        Activity.sum([line.activity for line in lines]),
    )


async def test_every_report_is_the_sum_of_its_parts_on_generated_data(database_url: str) -> None:
    rng = random.Random(13)
    province, wards = await _generated_world(rng)
    for period in (
        named_period("2025-Q3"),
        named_period("2025-H2"),
        named_period("2026"),
        Period(date(2025, 3, 5), date(2026, 2, 1)),
    ):
        reports = [await ward_period_report(ward, period) for ward in wards]
        for report in reports:
            start, end, activity = _summed(report.lines)
            assert (report.total.start, report.total.end) == (start, end)
            # A volunteer who visits two villages is one person for the ward: the rest adds up.
            assert dataclasses.replace(report.total.activity, volunteers=0) == dataclasses.replace(
                activity, volunteers=0
            )
            assert report.total.activity.volunteers <= activity.volunteers
        whole = await province_period_report(province, period)
        assert [line.code for line in whole.lines] == [r.code for r in reports]
        # Each ward's line is its own report's total (read for the whole province at once).
        assert whole.lines == [r.total for r in reports]
        assert (whole.total.start, whole.total.end, whole.total.activity) == _summed(
            [r.total for r in reports]
        )
        assert whole.total.end.visited > 0
    # Up to today, the report's end is where the dashboard stands (register answers aside, which
    # these households do not have).
    today = local_now().date()
    for ward in wards:
        end = (await ward_period_report(ward, Period(date(2025, 1, 1), today))).total.end
        dashboard = (await ward_report(ward)).total
        for name in ("households", "visited", "adults", "vneid", "vneid_level2", "bank", "skills_confirmed"):
            assert getattr(end, name) == getattr(dashboard, name), name


async def test_the_report_from_the_daily_counts_equals_the_report_from_the_visit_history(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Households without register answers (what a visit answers is then all there is to count): every
    line of a ward's and a province's report, read from the daily counts, equals the same line counted
    from the visit history, for periods in one year and across two, one starting before any visit and
    one running today; ages counted as in the year of each day (a citizen born in 2009 is 16 in 2025)."""
    rng = random.Random(29)
    province, wards = await _generated_world(rng)
    # Citizens who reach the identity age (16) in 2025 or 2026: counted as adults only from then.
    assert await Member.count().where(Member.birth_year.is_in([2009, 2010]))
    today = local_now().date()
    periods = (
        Period(date(2024, 10, 1), date(2024, 12, 31)),
        named_period("2025-Q1"),
        named_period("2025-Q4"),
        Period(date(2025, 6, 15), date(2026, 3, 1)),
        Period(date(2026, 1, 1), today),
    )
    from_counts = [await ward_period_report(w, p) for p in periods for w in wards]
    from_counts += [await province_period_report(province, p) for p in periods]
    monkeypatch.setattr("surveys.reporting.periodic.counts_read", lambda: False)
    from_history = [await ward_period_report(w, p) for p in periods for w in wards]
    from_history += [await province_period_report(province, p) for p in periods]
    for counted, told in zip(from_counts, from_history, strict=True):
        for a, b in zip([*counted.lines, counted.total], [*told.lines, told.total], strict=True):
            assert (a.code, a.start, a.end) == (b.code, b.start, b.end), (counted.period, a.code)
    assert any(r.total.start.visited for r in from_counts) and any(r.total.end.covered for r in from_counts)
    assert any(r.total.end.poor_covered for r in from_counts) and any(
        r.total.end.seniors for r in from_counts
    )


async def test_a_periods_activity_equals_a_recount_from_the_visits(database_url: str) -> None:
    """Visits, first visits, households newly covered and volunteers of each village, counted here in
    Python from every visit, for periods before, across and after the generated visits."""
    rng = random.Random(31)
    _, wards = await _generated_world(rng)
    await half_covered(rng)
    await assert_activity_is_recounted(wards)


async def half_covered(rng: random.Random) -> None:
    """Half the visits leave their household covered (as an import of old visits would write them), so
    households are covered before a period and again in it, or before and no longer."""
    for v in await Visit.select(Visit.id):
        if rng.random() < 0.5:
            await Visit.update({Visit.digital_family: True, Visit.adults_vneid: Visit.adults}).where(
                Visit.id == v["id"]
            )
    await rebuild()


async def assert_activity_is_recounted(wards: list[int]) -> None:
    """Each village's and ward's activity in the reports of several periods, read from the daily activity
    and counted live, equals a recount in Python from every visit, each counted in its household's
    village now (tests/surveys/test_activity_counts.py)."""
    from tests.surveys.test_activity_counts import period_activity, visits_now

    visits = await visits_now()
    village_ward = {int(r["id"]): int(r["ward"]) for r in await Village.select(Village.id, Village.ward)}
    newly = uncovered = again = shared = 0
    for period in (named_period("2025-Q1"), named_period("2025-Q3"), Period(date(2025, 5, 20), date(2026, 2, 1)),
                   named_period("2026"), Period(date(2024, 1, 1), date(2024, 12, 31))):  # fmt: skip
        expected, volunteers = period_activity(visits, village_ward, period)
        for ward in wards:
            for live in (False, True):
                with pytest.MonkeyPatch.context() as patch:
                    if live:
                        patch.setattr("surveys.reporting.periodic.counts_read", lambda: False)
                    report = await ward_period_report(ward, period)
                villages = {
                    v["code"]: v["id"]
                    for v in await Village.select(Village.id, Village.code).where(Village.ward == ward)
                }
                for line in report.lines:
                    assert line.activity == expected.get(villages[line.code], Activity()), (period, line.code)
                # The ward's volunteers, each once though they visit several of its villages.
                assert report.total.activity.volunteers == volunteers.get(ward, 0), period
            newly += report.total.activity.newly_covered
            uncovered += report.total.activity.newly_uncovered
            again += report.total.activity.completed - report.total.activity.first_visits
            shared += report.total.activity.volunteers < sum(
                line.activity.volunteers for line in report.lines
            )
    # Households newly covered and no longer covered, households visited again, and volunteers who
    # visited two villages of their ward in a period.
    assert newly > 5 and uncovered > 0 and again > 5 and shared > 0


async def visit_indexes() -> set[str]:
    """The names of the indexes on table `visit`, on either database."""
    if isinstance(current_engine(), PostgresEngine):
        rows = await Visit.raw("SELECT indexname AS name FROM pg_indexes WHERE tablename = 'visit'")
    else:
        rows = await Visit.raw("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'visit'")
    return {r["name"] for r in rows}


async def test_the_index_of_each_households_visits_by_time_comes_and_goes_with_its_migration(
    database_url: str,
) -> None:
    """A period's activity looks up each household's visit before the period in the index on
    visit (household, at): the migration makes it, and undoing it drops it."""
    from piccolo.apps.migrations.commands.backwards import run_backwards

    from surveys.core.db import migrate, pending_migrations

    assert "visit_household_at" in await visit_indexes()
    try:
        await run_backwards(app_name="phocap", migration_id="2026-11-27T04:55:00:000000", auto_agree=True)
        assert "visit_household_at" not in await visit_indexes()
        assert "2026-11-27T04:55:00:000000" in await pending_migrations()
    finally:
        await migrate()
    assert "visit_household_at" in await visit_indexes()
    assert await pending_migrations() == []
