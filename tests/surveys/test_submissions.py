"""The rules of submissions without HTTP: versions follow each other when two submissions meet, a report
is on time by the due date in Vietnam's calendar (not UTC's), and due dates follow the province's
setting per kind of period."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest

from surveys.reporting.due_dates import due_on, on_time, period_kind
from surveys.reporting.periods import named_period
from surveys.reporting.submission_schemas import DecisionIn
from surveys.reporting.submissions import SubmissionLocked, decide, submit_report
from surveys.tables import ReportSubmission
from tests.factories import World
from tests.server.helpers import VIETNAM

TODAY = datetime(2026, 12, 6, 10, 0, tzinfo=VIETNAM)


async def test_submissions_at_the_same_moment_make_versions_one_after_the_other(
    world: World, clock_at: Callable[[datetime], None]
) -> None:
    clock_at(TODAY)
    ward, user = world.wards["pq"], world.users["ward"]
    # Eight at once: on PostgreSQL, without the lock, two of them read the same latest version.
    made = await asyncio.gather(*(submit_report(ward, "2026-Q3", user) for _ in range(8)))
    assert sorted(m.version for m in made) == list(range(1, 9))
    rows = await ReportSubmission.select(ReportSubmission.version).order_by(ReportSubmission.version)
    assert [r["version"] for r in rows] == list(range(1, 9))


async def test_an_accepted_report_is_not_submitted_over_even_at_the_same_moment(
    world: World, clock_at: Callable[[datetime], None]
) -> None:
    clock_at(TODAY)
    ward, user = world.wards["pq"], world.users["ward"]
    await submit_report(ward, "2026-Q3", user)
    outcomes = await asyncio.gather(
        decide(ward, "2026-Q3", DecisionIn(decision="accept"), world.users["admin"]),
        submit_report(ward, "2026-Q3", user),
        return_exceptions=True,
    )
    rows = await ReportSubmission.select(ReportSubmission.version, ReportSubmission.status).order_by(
        ReportSubmission.version
    )
    if isinstance(outcomes[1], SubmissionLocked):  # accepted first: the second version never came
        assert rows == [{"version": 1, "status": "accepted"}]
    else:  # submitted first: the province accepted the version it found, the latest
        assert rows == [{"version": 1, "status": "submitted"}, {"version": 2, "status": "accepted"}]


@pytest.mark.parametrize(
    ("submitted", "expected"),
    [
        (datetime(2026, 10, 10, 23, 30, tzinfo=VIETNAM), True),  # 16:30 UTC on the due day
        (datetime(2026, 10, 11, 0, 30, tzinfo=VIETNAM), False),  # still 10/10 in UTC, but late in Vietnam
        (None, False),
    ],
)
def test_on_time_is_by_the_due_date_in_vietnam(submitted: datetime | None, expected: bool) -> None:
    first = submitted.astimezone(UTC) if submitted else None
    assert on_time(date(2026, 10, 10), first, date(2026, 12, 6)) is expected


def test_not_submitted_and_not_yet_due_is_not_known_yet() -> None:
    assert on_time(date(2026, 10, 10), None, date(2026, 10, 10)) is None


def test_due_dates_by_kind_of_period_from_the_provinces_setting_or_the_defaults() -> None:
    province = {"report_due_quarter": 5, "report_due_half": 20, "report_due_year": 31}
    expected = {"2026-Q4": (date(2027, 1, 5), date(2027, 1, 10)), "2026-H1": (date(2026, 7, 20), date(2026, 7, 10)),
                "2026": (date(2027, 1, 31), date(2027, 1, 15))}  # fmt: skip
    for name, (set_by_province, default) in expected.items():
        period = named_period(name)
        assert due_on(period, period_kind(name), province) == set_by_province
        assert due_on(period, period_kind(name), None) == default


async def test_the_submissions_table_and_due_dates_come_and_go_with_their_migration(
    world: World, clock_at: Callable[[datetime], None]
) -> None:
    """Going back drops the table of submissions and the province's due days; forward again makes them
    (the defaults back) and a report can be submitted."""
    from piccolo.apps.migrations.commands.backwards import run_backwards

    from surveys.core.db import current_engine, migrate, pending_migrations

    clock_at(TODAY)
    migration = "2026-12-06T08:00:00:000000"
    try:
        await run_backwards(app_name="phocap", migration_id=migration, auto_agree=True)
        assert migration in await pending_migrations()
        with pytest.raises(Exception, match="report_submission"):
            await current_engine().run_ddl("SELECT id FROM report_submission")
        with pytest.raises(Exception, match="report_due_quarter"):
            await current_engine().run_ddl("SELECT report_due_quarter FROM province")
    finally:
        await migrate()
    assert await pending_migrations() == []
    rows = await current_engine().run_ddl(
        "SELECT report_due_quarter, report_due_half, report_due_year FROM province"
    )
    assert {tuple(r.values()) for r in rows} == {(10, 10, 15)}
    assert (await submit_report(world.wards["pq"], "2026-Q3", world.users["ward"])).version == 1
