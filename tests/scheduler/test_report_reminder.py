"""Report reminders: the ward office sets when its next report is due; the weekly digest names the
date and, from two weeks before, links the draft report."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from bs4 import BeautifulSoup
from litestar.testing import AsyncTestClient

from surveys.core.clock import local_now, week_label
from surveys.core.settings import Settings
from surveys.reporting.digests import WARD, audience_of, build_digest
from surveys.reporting.reminders import reminder
from surveys.tables import AuditEntry, Ward
from tests.conftest import sign_in
from tests.factories import World
from tests.server.helpers import field_errors, soup


def this_week() -> str:
    """The digest's week as the test runs: read when needed, not once when the module is imported (a run
    that started on a Sunday evening in Vietnam may reach these tests in the next week)."""
    return week_label(local_now())


async def set_due(client: AsyncTestClient[Any], csrf: str, period: str, due: str) -> Any:
    return await client.post(
        "/wards/01849/report-due",
        data={"_csrf_token": csrf, "report_period": period, "report_due": due},
        follow_redirects=False,
    )


async def test_the_digest_links_the_draft_report_two_weeks_before_it_is_due(
    client: AsyncTestClient[Any], world: World, settings: Settings
) -> None:
    today = local_now().date()
    csrf = await sign_in(client, "ward")
    due = today + timedelta(days=10)
    assert (await set_due(client, csrf, f"{today.year}", due.isoformat())).status_code == 303
    assert await AuditEntry.count().where(AuditEntry.action == "report_due.saved") == 1

    digest = await build_digest(world.wards["pq"], this_week(), WARD, settings)
    expected = f"{settings.base_url}/wards/01849/reports?period={today.year}"
    html = BeautifulSoup(digest.html_body, "html.parser")
    line = html.find(id="report-due")
    assert line is not None
    assert due.strftime("%d/%m/%Y") in line.text and "10 ngày" in line.text
    assert [a["href"] for a in line.find_all("a")] == [expected]
    assert f"Dự thảo báo cáo có số liệu: {expected}" in digest.text_body
    # A village head's own digest is about their villages, not the ward office's report.
    head = await build_digest(world.wards["pq"], this_week(), audience_of(world.users["head1"]), settings)
    assert BeautifulSoup(head.html_body, "html.parser").find(id="report-due") is None


async def test_further_than_two_weeks_the_digest_names_the_date_only(
    world: World, settings: Settings
) -> None:
    today = local_now().date()
    due = today + timedelta(days=30)
    await Ward.update({Ward.report_due: due, Ward.report_period: f"{today.year}-H2"}).where(
        Ward.id == world.wards["pq"]
    )
    html = BeautifulSoup(
        (await build_digest(world.wards["pq"], this_week(), WARD, settings)).html_body, "html.parser"
    )
    line = html.find(id="report-due")
    assert line is not None and due.strftime("%d/%m/%Y") in line.text and line.find("a") is None


def test_a_past_or_unset_due_date_reminds_of_nothing() -> None:
    ward = {"code": "01849", "report_period": "2026", "report_due": date(2026, 12, 6)}
    assert reminder(ward, date(2026, 12, 7)) is None
    assert reminder({**ward, "report_due": None}, date(2026, 12, 1)) is None
    on_the_day = reminder(ward, date(2026, 12, 6))
    assert on_the_day is not None and on_the_day.days_left == 0
    assert on_the_day.draft_path == "/wards/01849/reports?period=2026"
    assert reminder(ward, date(2026, 11, 21)).draft_path is None  # type: ignore[union-attr]


async def test_a_due_date_without_its_period_is_named_next_to_the_field(
    client: AsyncTestClient[Any], world: World
) -> None:
    csrf = await sign_in(client, "ward")
    response = await set_due(client, csrf, "", "2026-12-32")
    assert response.status_code == 422
    page = soup(response)
    assert field_errors(page) == ["Hãy chọn kỳ mà báo cáo bao gồm.",
                                  "Hãy nhập ngày theo dạng năm-tháng-ngày, ví dụ 2026-12-06."]  # fmt: skip
    assert page.find("input", id="report_due")["value"] == "2026-12-32"  # type: ignore[index]
    nothing = await Ward.select(Ward.report_due).where(Ward.id == world.wards["pq"]).first()
    assert nothing == {"report_due": None}
    other = await sign_in(client, "otherward")
    assert (await set_due(client, other, "2026", "2026-12-06")).status_code == 404
