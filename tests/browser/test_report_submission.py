"""A ward officer submits the quarter's report from a 360 px phone, after a confirmation; the province
officer, on a phone too, sees it among the wards ("1/2 xã đã nộp") and accepts it; the ward's page then
says it is locked. No page scrolls sideways."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from playwright.async_api import expect

from surveys.tables import Province, ReportSubmission
from tests.browser.axe import assert_accessible
from tests.browser.conftest import ARTIFACTS, browser_page, sign_in
from tests.factories import World, make_user
from tests.server.helpers import VIETNAM

pytestmark = pytest.mark.browser

# The third quarter of 2026 has ended; its report is due by 10/10/2026.
TODAY = datetime(2026, 12, 6, 10, 0, tzinfo=VIETNAM)
# A 360 px phone whose pages axe-core checks too (injected: the page's CSP bypassed for it).
PHONE = {"viewport": {"width": 360, "height": 740}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True,
         "bypass_csp": True}  # fmt: skip


async def no_sideways_scroll(page: Any) -> None:
    assert await page.evaluate("document.documentElement.scrollWidth") <= 360


async def test_ward_officer_submits_and_province_officer_accepts_on_a_phone(
    live_server: str, world: World, clock_at: Callable[[datetime], None]
) -> None:
    clock_at(TODAY)
    province = await Province.select(Province.id).where(Province.code == "19").first()
    assert province is not None
    await make_user("province", "province_officer", province_id=province["id"])
    async with browser_page(**PHONE) as phone:
        await walk(live_server, phone)


async def walk(live_server: str, phone: Any) -> None:
    """The ward officer on `phone`; the province officer on a phone of their own."""

    await sign_in(phone, live_server, "ward")
    await phone.goto(f"{live_server}/wards/01849/reports?period=2026-Q3")
    await expect(phone.locator("#submission-status")).to_have_text("Chưa nộp")
    await phone.get_by_role("button", name="Nộp báo cáo", exact=True).click()
    await expect(phone.get_by_role("heading", name="Nộp báo cáo?")).to_be_visible()
    await no_sideways_scroll(phone)
    await assert_accessible(phone)
    assert await ReportSubmission.count() == 0  # the question first
    await phone.get_by_role("button", name="Đồng ý, nộp báo cáo").click()
    await phone.wait_for_url("**/wards/01849/reports?period=2026-Q3#submission")
    await expect(phone.locator("#submission-status")).to_contain_text("Đã nộp · phiên bản 1")
    await expect(phone.locator("#submission-versions")).to_contain_text("Bản đã nộp")
    await no_sideways_scroll(phone)
    await assert_accessible(phone)
    ARTIFACTS.mkdir(exist_ok=True)
    await phone.locator("#submission").screenshot(path=str(ARTIFACTS / "submission-ward-phone.png"))

    async with browser_page(**PHONE) as officer:
        await sign_in(officer, live_server, "province")
        await officer.wait_for_url(f"{live_server}/provinces/19")
        await officer.get_by_role("link", name="Báo cáo của các xã").click()
        await officer.wait_for_url("**/provinces/19/submissions")
        await expect(officer.locator("#completeness")).to_have_text("1/2 xã đã nộp")
        await expect(officer.locator("#late-reminder")).to_contain_text("1 xã chưa nộp báo cáo 2026-Q3")
        await no_sideways_scroll(officer)
        await assert_accessible(officer)
        await officer.screenshot(path=str(ARTIFACTS / "submissions-province-phone.png"), full_page=True)
        await officer.get_by_role("link", name="Xã Phong Quang").click()
        await officer.wait_for_url("**/provinces/19/submissions/01849/2026-Q3")
        await expect(officer.get_by_label("Tiếp nhận (khóa báo cáo)")).to_be_checked()
        await no_sideways_scroll(officer)
        await assert_accessible(officer)
        await officer.get_by_role("button", name="Ghi nhận quyết định").click()
        await officer.wait_for_url("**/provinces/19/submissions/01849/2026-Q3")
        await expect(officer.locator("#submission-status")).to_contain_text("Đã tiếp nhận · phiên bản 1")

    await phone.reload()
    await expect(phone.locator("#submission-status")).to_contain_text("Đã tiếp nhận")
    await expect(phone.locator("#submission-locked")).to_be_visible()
    await expect(phone.get_by_role("button", name="Nộp báo cáo", exact=True)).to_have_count(0)
    rows = await ReportSubmission.select(ReportSubmission.version, ReportSubmission.status)
    assert rows == [{"version": 1, "status": "accepted"}]
