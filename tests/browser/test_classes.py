"""A class on a phone (issue 14): the ward office plans it, records five attendees (one not in the
register) on a 360×740 screen, and sees the ward dashboard's class figures change."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import expect

from surveys.core.clock import now
from tests.browser.conftest import ARTIFACTS, sign_in
from tests.factories import World

pytestmark = pytest.mark.browser


async def _attendees_figure(phone: Any, base: str) -> str:
    await phone.goto(f"{base}/wards/01849")
    section = phone.locator("section#classes")
    return str(await section.locator("dd").first.inner_text())


async def test_a_class_with_five_attendees_on_a_phone_changes_the_dashboard(
    live_server: str, phone: Any, world: World
) -> None:
    await sign_in(phone, live_server, "ward")
    assert (await _attendees_figure(phone, live_server)).startswith("0 ")
    yesterday = (now() - timedelta(days=1)).astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).date()
    await phone.goto(f"{live_server}/wards/01849/classes/new")
    await phone.get_by_label("Ngày").fill(yesterday.isoformat())
    await phone.get_by_label("Giờ").fill("08:00")
    await phone.get_by_label("VNeID và định danh điện tử").check()
    await phone.get_by_label("Sử dụng công cụ AI").check()
    await phone.get_by_label("Người cao tuổi").check()
    await phone.get_by_role("button", name="Lưu").click()
    await phone.wait_for_url(f"{live_server}/wards/01849/classes/*")
    attendees = phone.locator("ol.attendees > li")
    for n, name in enumerate(["nguyen van an", "tran thi binh", "dang thi anh", "ma van hung"], start=1):
        await phone.get_by_role("searchbox").fill(name)
        # Enter sends the search at once (typing sends it after a pause, which a swap can cut short).
        await phone.get_by_role("searchbox").press("Enter")
        found = phone.locator("ul.found > li").first
        await expect(found).to_be_visible()
        await found.get_by_role("button", name="Thêm").click()
        await expect(attendees).to_have_count(n)
    await phone.get_by_text("Thêm người chưa có trong danh sách hộ").click()
    walk_in = phone.locator("details.walk-in")
    await walk_in.get_by_label("60 tuổi trở lên").check()
    await walk_in.get_by_label("Nữ").check()
    await walk_in.get_by_label("Sử dụng công cụ AI").check()
    await walk_in.get_by_role("button", name="Thêm").click()
    await expect(attendees).to_have_count(5)
    assert "Chưa có trong danh sách hộ" in await attendees.nth(4).inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    await phone.screenshot(path=str(ARTIFACTS / "class-attendance.png"), full_page=True)
    assert (await _attendees_figure(phone, live_server)).startswith("5 ")
