"""The province officer of the demo opens Thái Nguyên's dashboard on a phone and at a desk: sorts,
shows the wards behind target, downloads the Excel file."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from playwright.async_api import expect

from surveys.demo import DEMO_PASSWORD, load_demo
from tests.browser.conftest import ARTIFACTS, sign_in

pytestmark = pytest.mark.browser


async def _ward_order(page: Any) -> list[str]:
    return [str(code) for code in await page.locator("table.province tbody tr").evaluate_all(
        "rows => rows.map(r => r.dataset.ward)")]  # fmt: skip


async def test_province_officer_on_a_phone(
    live_server: str, phone: Any, database_url: str, tmp_path: Path
) -> None:
    await load_demo()
    await sign_in(phone, live_server, "province", DEMO_PASSWORD)
    await phone.wait_for_url(f"{live_server}/provinces/19")
    assert await phone.get_by_role("heading", name="Tỉnh Thái Nguyên").is_visible()
    # Two wards at work, each a card; no sideways scroll at 360 px.
    assert set(await _ward_order(phone)) == {"01849", "01906"}
    assert await phone.evaluate("document.documentElement.scrollWidth") <= 360
    idle = phone.locator("details.idle-wards summary")
    assert "Chưa triển khai" in await idle.inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    await phone.screenshot(path=str(ARTIFACTS / "province-phone.png"), full_page=False)
    cards = phone.locator("#wards")
    await cards.scroll_into_view_if_needed()
    await phone.screenshot(path=str(ARTIFACTS / "province-phone-wards.png"), full_page=False)

    # Sort by households, largest first, with the form (a phone has no column headers to tap).
    await phone.get_by_label("Sắp xếp theo").select_option("households")
    await phone.get_by_label("Thứ tự").select_option("desc")
    await phone.get_by_role("button", name="Sắp xếp", exact=True).click()
    await phone.wait_for_url("**/provinces/19?*sort=households*")
    assert await _ward_order(phone) == ["01849", "01906"]  # 300 households, then 75
    await phone.get_by_label("Thứ tự").select_option("asc")
    await phone.get_by_role("button", name="Sắp xếp", exact=True).click()
    await phone.wait_for_url("**order=asc**")
    assert await _ward_order(phone) == ["01906", "01849"]

    # Behind target: both demo wards are short of 100% somewhere; the list keeps the sort.
    await phone.get_by_role("link", name="Chậm so với chỉ tiêu").click()
    await phone.wait_for_url("**show=behind**")
    assert await _ward_order(phone) == ["01906", "01849"]
    await expect(phone.locator("details.idle-wards")).to_have_count(0)
    assert await phone.evaluate("document.documentElement.scrollWidth") <= 360

    async with phone.expect_download() as download_info:
        await phone.get_by_role("link", name="Tải Excel").click()
    download = await download_info.value
    target = tmp_path / download.suggested_filename
    await download.save_as(target)
    assert download.suggested_filename.startswith("phocap-province-19-report-")
    sheet = openpyxl.load_workbook(io.BytesIO(target.read_bytes())).active
    assert sheet is not None
    rows = {r[0]: r for r in sheet.iter_rows(values_only=True) if r and r[0] in ("01849", "01906")}
    assert rows["01849"][3] == 300 and rows["01906"][3] == 75


async def test_province_dashboard_at_desktop_size(live_server: str, desktop: Any, database_url: str) -> None:
    await load_demo()
    await sign_in(desktop, live_server, "province", DEMO_PASSWORD)
    await desktop.wait_for_url(f"{live_server}/provinces/19")
    # A column header sorts; again turns the order round.
    await desktop.locator("table.province thead").get_by_role("link", name="Hộ đã đến thăm").click()
    await desktop.wait_for_url("**sort=visited**")
    first = await _ward_order(desktop)
    await desktop.locator("table.province thead").get_by_role("link", name="Hộ đã đến thăm").click()
    await desktop.wait_for_url("**sort=visited&order=asc**")
    assert await _ward_order(desktop) == list(reversed(first))
    assert await desktop.locator(".chart svg polyline").count() == 7
    ARTIFACTS.mkdir(exist_ok=True)
    await desktop.goto(f"{live_server}/provinces/19")
    await desktop.screenshot(path=str(ARTIFACTS / "province-desktop.png"), full_page=True)
