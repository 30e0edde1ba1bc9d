"""A report's period at its edges: the first and last day of each quarter, half-year and year, the
moments its numbers are read at (00:00 Vietnam time, whatever zone the machine's clock is in), and which
period a visit a minute either side of midnight counts in."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from surveys.people.accounts import actor_by_id
from surveys.register.households import household_by_token
from surveys.reporting.periodic import ward_period_report
from surveys.reporting.periods import Period, latest_ended_quarter, named_period, period_choices
from surveys.survey.visits import parse_visit, record_visit
from surveys.tables import Household, Member
from tests.factories import World

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")

# Each named period of 2028 (a leap year) with its first and last day, written out by hand.
NAMED_2028 = {
    "2028-Q1": (date(2028, 1, 1), date(2028, 3, 31)),
    "2028-Q2": (date(2028, 4, 1), date(2028, 6, 30)),
    "2028-Q3": (date(2028, 7, 1), date(2028, 9, 30)),
    "2028-Q4": (date(2028, 10, 1), date(2028, 12, 31)),
    "2028-H1": (date(2028, 1, 1), date(2028, 6, 30)),
    "2028-H2": (date(2028, 7, 1), date(2028, 12, 31)),
    "2028": (date(2028, 1, 1), date(2028, 12, 31)),
}


@pytest.mark.parametrize(("name", "days"), NAMED_2028.items(), ids=list(NAMED_2028))
def test_a_named_period_runs_from_its_first_day_to_its_last(name: str, days: tuple[date, date]) -> None:
    period = named_period(name)
    assert (period.first, period.last) == days
    assert period.name == name


@pytest.mark.parametrize(("name", "days"), NAMED_2028.items(), ids=list(NAMED_2028))
def test_a_period_starts_and_ends_at_midnight_in_vietnam(name: str, days: tuple[date, date]) -> None:
    period = named_period(name)
    first, last = days
    # 00:00 in Vietnam (UTC+7, no summer time) is 17:00 UTC the day before.
    assert period.start == datetime(first.year, first.month, first.day, tzinfo=VIETNAM)
    assert period.start == datetime.combine(first - timedelta(days=1), datetime.min.time(), UTC) + timedelta(
        hours=17
    )
    assert period.end == datetime.combine(last, datetime.min.time(), UTC) + timedelta(hours=17)
    assert period.start.utcoffset() == timedelta(0) and period.end.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("today", "quarter"),
    [
        (date(2026, 1, 1), "2025-Q4"),
        (date(2026, 3, 31), "2025-Q4"),
        (date(2026, 4, 1), "2026-Q1"),
        (date(2026, 6, 30), "2026-Q1"),
        (date(2026, 7, 1), "2026-Q2"),
        (date(2026, 9, 30), "2026-Q2"),
        (date(2026, 10, 1), "2026-Q3"),
        (date(2026, 12, 31), "2026-Q3"),
    ],
)
def test_the_latest_ended_quarter_on_a_quarters_first_and_last_day(today: date, quarter: str) -> None:
    """The report page opens on it: on a quarter's first day as on its last, the quarter before."""
    assert latest_ended_quarter(today).name == quarter


def test_the_periods_offered_on_the_first_day_of_a_quarter_include_it_and_not_the_next() -> None:
    names = [name for name, _ in period_choices(date(2026, 7, 1), years=1)]
    assert names == ["2026-Q1", "2026-Q2", "2026-Q3", "2026-H1", "2026-H2", "2026"]
    assert [name for name, _ in period_choices(date(2026, 6, 30), years=1)] == [
        "2026-Q1",
        "2026-Q2",
        "2026-H1",
        "2026",
    ]


def test_a_range_over_new_year_keeps_its_days_and_midnights() -> None:
    period = Period(date(2025, 12, 31), date(2026, 1, 1))
    assert period.name == "2025-12-31_2026-01-01"
    assert period.start == datetime(2025, 12, 30, 17, tzinfo=UTC)
    assert period.end == datetime(2026, 1, 1, 17, tzinfo=UTC)


async def _visit_at(
    clock_at: Callable[[datetime], None], world: World, household: str, moment: datetime
) -> None:
    """volunteer1 records a visit of the household (its members as they are) at `moment`."""
    clock_at(moment)
    row = await household_by_token(world.households[household])
    actor = await actor_by_id(world.users["volunteer1"])
    assert row is not None and actor is not None
    members = await Member.select(Member.id, Member.full_name, Member.birth_year).where(
        Member.household == row.id
    )
    answers = {"client_id": str(uuid.uuid4()), "outcome": "done", "household_version": row.version,
               "household": {"consent": True}, "members": members}  # fmt: skip
    await record_visit(row, parse_visit(answers), actor)


# The last day of a period and the two periods either side of its midnight.
EDGES = [
    (date(2025, 9, 30), "2025-Q3", "2025-Q4"),
    (date(2025, 6, 30), "2025-H1", "2025-H2"),
    (date(2024, 12, 31), "2024", "2025"),
]


@pytest.mark.parametrize("counts", [True, False], ids=["daily counts", "visit history"])
@pytest.mark.parametrize(("last_day", "before", "after"), EDGES, ids=[f"{b}|{a}" for _, b, a in EDGES])
async def test_a_visit_at_2359_on_a_periods_last_day_counts_in_it_and_one_at_0000_in_the_next(
    world: World,
    clock_at: Callable[[datetime], None],
    monkeypatch: pytest.MonkeyPatch,
    counts: bool,
    last_day: date,
    before: str,
    after: str,
) -> None:
    if not counts:
        monkeypatch.setattr("surveys.reporting.periodic.counts_read", lambda: False)
    registered = datetime(2024, 1, 10, tzinfo=UTC)
    await Household.update({Household.created_at: registered}).where(Household.id > 0)
    await Member.update({Member.created_at: registered}).where(Member.id > 0)
    next_day = last_day + timedelta(days=1)
    await _visit_at(clock_at, world, "an", datetime.combine(last_day, time(23, 59), VIETNAM))
    await _visit_at(clock_at, world, "dang", datetime.combine(next_day, time(0, 0), VIETNAM))
    await _visit_at(clock_at, world, "v3", datetime.combine(next_day, time(0, 0), VIETNAM))

    ward = world.wards["pq"]
    first = (await ward_period_report(ward, named_period(before))).total
    second = (await ward_period_report(ward, named_period(after))).total
    assert (first.activity.visits, first.end.visited) == (1, 1)
    assert (second.activity.visits, second.start.visited, second.end.visited) == (2, 1, 3)
    last = (await ward_period_report(ward, Period(last_day, last_day))).total
    following = (await ward_period_report(ward, Period(next_day, next_day))).total
    assert (last.activity.visits, following.activity.visits) == (1, 2)
