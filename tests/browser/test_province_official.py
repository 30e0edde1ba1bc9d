"""The province officer of the demo types a ward's official figures on a 360 px phone and reads them in
the province's periodic report beside phocap's, with the difference."""

from __future__ import annotations

from typing import Any

import pytest

from surveys.demo import DEMO_PASSWORD, load_demo
from tests.browser.axe import assert_accessible
from tests.browser.conftest import ARTIFACTS, browser_page, sign_in
from tests.browser.test_accessibility import PHONE
from tests.browser.test_periodic_report import PHONE_LAYOUT

pytestmark = pytest.mark.browser


async def test_the_province_officer_enters_a_wards_figures_and_reads_them_in_the_report_on_a_phone(
    live_server: str, database_url: str
) -> None:
    await load_demo()
    async with browser_page(**PHONE) as phone:
        await sign_in(phone, live_server, "province", DEMO_PASSWORD)
        await phone.goto(f"{live_server}/provinces/19")
        await phone.get_by_role("link", name="Số liệu chính thức của các xã, phường").click()
        await phone.wait_for_url(f"{live_server}/provinces/19/official-figures")
        assert await phone.evaluate("document.documentElement.scrollWidth") <= 360
        ward = phone.locator("#ward-01849")
        await ward.get_by_label("Số hộ").fill("1.250")
        await ward.get_by_label("Nguồn").fill("Báo cáo UBND xã số 12/BC-UBND")
        await phone.get_by_role("button", name="Lưu số liệu chính thức").click()
        await phone.wait_for_url("**/official-figures?period=*&saved=1")
        assert await phone.locator("#ward-01849").get_by_label("Số hộ").input_value() == "1250"
        assert await phone.evaluate("document.documentElement.scrollWidth") <= 360
        await assert_accessible(phone)
        ARTIFACTS.mkdir(exist_ok=True)
        await phone.screenshot(path=str(ARTIFACTS / "province-official-360.png"))

        period = phone.url.split("period=")[1].split("&")[0]
        await phone.goto(f"{live_server}/provinces/19/reports?period={period}")
        caption = "Bảng 7. Số liệu chính thức bên cạnh số liệu phocap, theo xã/phường"
        table = phone.locator("table.doc-table", has=phone.locator("caption", has_text=caption))
        row = table.locator("tbody tr").first
        cells: list[Any] = await row.locator("th, td").all_inner_texts()
        assert cells[0] == "Xã Phong Quang" and cells[1] == "Số hộ" and cells[3] == "1250"
        assert int(cells[4]) == int(cells[2]) - 1250  # the difference, phocap's count less the official
        layout = await phone.evaluate(PHONE_LAYOUT)
        assert layout["scrollWidth"] <= 360 and layout["cutOff"] == [], layout
