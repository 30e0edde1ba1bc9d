"""Due dates drive reminders: the ward's weekly digest names its next report by the province's due date
and every report past due and not submitted; a report submitted is no longer reminded of."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from bs4 import BeautifulSoup

from surveys.core.settings import Settings
from surveys.reporting.digests import WARD, build_digest
from surveys.reporting.submissions import submit_report, ward_reminders
from surveys.tables import Province, Ward
from tests.factories import World
from tests.server.helpers import VIETNAM

# Early October 2026: Q3's report is due on 10/10 (in 5 days), Q2's was due on 10/07 and the year
# 2025's on 15/01/2026 (the defaults).
OCTOBER = datetime(2026, 10, 5, 9, 0, tzinfo=VIETNAM)


async def pq(world: World) -> dict[str, Any]:
    row = await Ward.select().where(Ward.id == world.wards["pq"]).first()
    assert row is not None
    return row


async def test_the_digest_names_the_next_report_due_and_those_past_due(
    world: World, settings: Settings, clock_at: Callable[[datetime], None]
) -> None:
    clock_at(OCTOBER)
    upcoming, overdue = await ward_reminders(await pq(world), OCTOBER.date())
    assert upcoming is not None
    assert (upcoming.period, upcoming.due, upcoming.days_left) == ("2026-Q3", date(2026, 10, 10), 5)
    assert upcoming.draft_path == "/wards/01849/reports?period=2026-Q3"
    assert [(r.period, r.due) for r in overdue] == [
        ("2025", date(2026, 1, 15)),
        ("2026-Q2", date(2026, 7, 10)),
    ]

    digest = await build_digest(world.wards["pq"], "2026-W41", WARD, settings)
    html = BeautifulSoup(digest.html_body, "html.parser")
    due = html.find(id="report-due")
    assert due is not None and "2026-Q3" in due.text and "10/10/2026" in due.text
    late = html.find(id="report-overdue")
    assert late is not None
    assert [p.find("b").text for p in late.find_all("p")] == [
        "Báo cáo 2025 chưa được nộp: hạn nộp là 15/01/2026.",
        "Báo cáo 2026-Q2 chưa được nộp: hạn nộp là 10/07/2026.",
    ]
    assert f"{settings.base_url}/wards/01849/reports?period=2026-Q2" in digest.text_body

    # Submitted, they are no longer reminded of; the province's longer delay moves the next due date.
    for period in ("2025", "2026-Q2"):
        await submit_report(world.wards["pq"], period, world.users["ward"])
    await Province.update({Province.report_due_quarter: 20}).where(Province.code == "19")
    upcoming, overdue = await ward_reminders(await pq(world), OCTOBER.date())
    assert upcoming is not None and (upcoming.period, upcoming.due) == ("2026-Q3", date(2026, 10, 20))
    assert overdue == []
    html = BeautifulSoup(
        (await build_digest(world.wards["pq"], "2026-W41", WARD, settings)).html_body, "html.parser"
    )
    assert html.find(id="report-overdue") is None


async def test_a_due_date_the_office_set_comes_before_the_provinces(
    world: World, settings: Settings, clock_at: Callable[[datetime], None]
) -> None:
    clock_at(OCTOBER)
    await Ward.update({Ward.report_due: date(2026, 12, 1), Ward.report_period: "2026"}).where(
        Ward.id == world.wards["pq"]
    )
    html = BeautifulSoup(
        (await build_digest(world.wards["pq"], "2026-W41", WARD, settings)).html_body, "html.parser"
    )
    due = html.find(id="report-due")
    assert due is not None and "01/12/2026" in due.text and "2026-Q3" not in due.text
