"""The ward's numbers, against percentages worked out by hand from the fixture commune."""

from __future__ import annotations

import uuid

import pytest

from surveys.core.clock import now, week_label, week_start
from surveys.people.accounts import actor_by_id
from surveys.register.households import household_by_token
from surveys.reporting.reports import Indicators, volunteer_activity, ward_report, ward_trend
from surveys.reporting.schemas import TargetsUpdate
from surveys.reporting.targets import Targets, save_targets, targets_for
from surveys.reporting.village_counts import rebuild
from surveys.survey.visits import parse_visit, record_visit
from surveys.tables import Member, Visit
from tests.factories import World

SKILLS = {
    "skill_learned": True,
    "skill_understands": True,
    "skill_uses_services": True,
    "skill_guides_others": True,
}


async def visit_an(world: World) -> None:
    """volunteer1 visits household "an": An gets VNeID level 1, all skills, confirmed; Bình level 2
    and a bank account; the household is informed."""
    row = await household_by_token(world.households["an"])
    assert row is not None
    ids = {
        m["full_name"]: m["id"]
        for m in await Member.select(Member.id, Member.full_name).where(Member.household == row.id)
    }
    visit = parse_visit({
        "client_id": str(uuid.uuid4()), "outcome": "done", "household_version": 1,
        "household": {"consent": True, "informed": True},
        "members": [
            {"id": ids["Nguyễn Văn An"], "full_name": "Nguyễn Văn An", "birth_year": 1970, "is_head": True,
             "vneid": "level1", "skills_confirmed": True, **SKILLS},
            {"id": ids["Trần Thị Bình"], "full_name": "Trần Thị Bình", "birth_year": 1975, "vneid": "level2",
             "bank_account": "yes"},
        ],
    })  # fmt: skip
    actor = await actor_by_id(world.users["volunteer1"])
    assert actor is not None
    await record_visit(row, visit, actor)


async def test_ward_report_before_any_visit(world: World) -> None:
    report = await ward_report(world.wards["pq"])
    # Three households (An's, Ánh's in v1; Hùng's in v3). Citizens 16+: An, Bình, Ánh, Hùng (Khôi is 11).
    # Hùng (register data) has all skills, VNeID level 2 and a bank account.
    assert report.total == Indicators(households=3, visited=0, digital_family=1, informed=0, adults=4,
                                      vneid=1, vneid_level2=1, bank=1, skills_confirmed=0)  # fmt: skip
    assert [v.name for v in report.villages] == ["Thôn Đồng Tâm", "Thôn Khuôn Ngọa", "Thôn Bản Cái"]
    assert report.villages[1].indicators == Indicators()
    assert report.total.percent("vneid") == 25.0


async def test_ward_report_after_a_visit_by_hand(world: World) -> None:
    await visit_an(world)
    report = await ward_report(world.wards["pq"])
    total = report.total
    # visited 1 of 3 = 33.3%; digital families An's + Hùng's = 2 of 3 = 66.7%; informed 1 of 3;
    # VNeID An, Bình, Hùng = 3 of 4 = 75%; level 2 Bình, Hùng = 50%; bank Bình, Hùng = 50%; confirmed An = 25%.
    assert [total.percent(i) for i in ("visited", "digital_family", "informed")] == [33.3, 66.7, 33.3]
    assert [total.percent(i) for i in ("vneid", "vneid_level2", "bank", "skills_confirmed")] == [
        75.0,
        50.0,
        50.0,
        25.0,
    ]
    v1 = report.villages[0].indicators
    assert v1 == Indicators(households=2, visited=1, digital_family=1, informed=1, adults=3,
                            vneid=2, vneid_level2=1, bank=1, skills_confirmed=1)  # fmt: skip
    assert v1.attempted == 1
    assert report.ward_code == "01849" and report.province_name == "Tỉnh Thái Nguyên"


async def households_registered_weeks_ago() -> None:
    from datetime import timedelta

    from surveys.tables import Household

    await Household.update({Household.created_at: now() - timedelta(weeks=10)}).where(Household.id > 0)
    # History changed behind the writers' back: the daily counts are made again from it.
    await rebuild()


@pytest.fixture(params=["counts", "live"])
def trend_from(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The trend read from the daily counts (after a rebuild: these tests change the history behind the
    writers' back), or counted live from the visit history (`COUNTS_READ=false`)."""
    if request.param == "live":
        monkeypatch.setattr("surveys.reporting.reports.counts_read", lambda: False)
    return str(request.param)


async def history_changed(trend_from: str) -> None:
    """The history was changed by hand: the daily counts are made again from it."""
    if trend_from == "counts":
        await rebuild()


async def test_the_trend_ends_where_the_dashboard_stands_and_starts_before_the_visit(
    world: World, trend_from: str
) -> None:
    await households_registered_weeks_ago()
    await visit_an(world)
    await history_changed(trend_from)
    trend = await ward_trend(world.wards["pq"], weeks=4)
    # The week as the app counts it (Vietnam's), not the UTC week: they differ on Sunday evenings.
    assert len(trend) == 4 and trend[-1].week == week_label(week_start(now()))
    assert trend[-1].indicators == (await ward_report(world.wards["pq"])).total
    # The visit is this week: last week, Hùng's register data only.
    assert trend[-2].indicators.visited == 0 and trend[-2].indicators.vneid == 1


async def test_the_trend_reads_past_weeks_from_the_visits_of_then(world: World, trend_from: str) -> None:
    from datetime import timedelta

    await households_registered_weeks_ago()
    await visit_an(world)
    # Move the visit back two weeks, then record a later change: the past keeps the older numbers.
    await Visit.update({Visit.at: now() - timedelta(weeks=2)}).where(Visit.outcome == "done")
    await history_changed(trend_from)
    trend = await ward_trend(world.wards["pq"], weeks=4)
    assert [p.indicators.visited for p in trend] == [0, 1, 1, 1]
    assert trend[1].indicators.vneid == 3


async def test_targets_default_to_the_plans_and_can_be_set(world: World) -> None:
    ward = world.wards["pq"]
    assert await targets_for(ward, 2026) == Targets(2026, 100, 100, 100, 80)
    saved = await save_targets(
        ward,
        2026,
        TargetsUpdate(
            informed=90,
            digital_family=70,
            identity=95,
            skills_confirmed=60,
            vneid_level2=50,
            bank=40,
            basic_skills=30,
            ai_tool=20,
        ),
        world.users["ward"],
    )
    assert (
        await targets_for(ward, 2026) == saved == Targets(2026, 90, 70, 95, 60, 50, 40, 30, 20, source="ward")
    )
    assert await targets_for(ward, 2027) == Targets(2027)
    assert (await ward_report(ward, 2026)).targets.for_indicator("vneid") == 95


async def test_volunteer_activity_counts_visits_per_week(world: World) -> None:
    await visit_an(world)
    weeks, lines = await volunteer_activity([world.villages["v1"], world.villages["v2"]], weeks=3)
    assert len(weeks) == 3
    assert [(line.name, line.counts, line.done) for line in lines] == [("Tài khoản volunteer1", [0, 0, 1], 1)]
    assert (await volunteer_activity([world.villages["v3"]], weeks=3))[1] == []


@pytest.mark.parametrize("indicator", ["visited", "vneid"])
def test_percent_of_nothing_is_zero(indicator: str) -> None:
    assert Indicators().percent(indicator) == 0.0
