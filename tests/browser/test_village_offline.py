"""The phone as a field copy of the village (issue 23): the village's list searched, filtered and opened
to any household with no signal, no dead end among the pages the header and the offline page lead
to, and the visits waiting on the phone shown where a volunteer would otherwise visit again.

The signal is taken away by the proxy in front of the server (tests/browser/test_offline.py)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.async_api import expect

from tests.browser.test_offline import Field, _more_households, field, signed_in
from tests.factories import World
from tests.surveys.test_reports import visit_an

pytestmark = pytest.mark.browser

__all__ = ["field"]  # the fixture, shared with test_offline.py

# As vi-VN writes a time of a day (offline.js's dateTime): "14:05 06/12/2026".
DATE_TIME = r"\d\d:\d\d,? \d\d/\d\d/\d{4}"


async def shown_heads(phone: Any) -> list[str]:
    """The heads of the households the list shows (not those it hides). Their text, not their rendered
    text: a row off the screen is not drawn (content-visibility: auto), and its innerText is empty until
    the next frame draws it."""
    return await phone.locator("ul.households > li:visible strong").all_text_contents()


async def chip(phone: Any, name: str) -> Any:
    return phone.locator(".chips-nav a.chip").filter(has_text=re.compile(f"^{name} \\d+$"))


async def test_the_village_list_searches_filters_and_opens_any_household_without_a_signal(
    field: Field, world: World
) -> None:
    phone = field.phone
    await visit_an(world)  # An's household covered, the others not
    tokens = await _more_households(world, 55)  # 57 households: more than the 50 a page once held
    await signed_in(field, world.households["an"])
    await field.take_village_offline(world.villages["v1"])
    await field.network_lost()

    await phone.goto(f"{field.url}/villages/{world.villages['v1']}")
    await phone.get_by_role("status").filter(has_text="Không có mạng: đây là bản lưu").wait_for()
    assert await phone.locator("#shown").inner_text() == "57 hộ"
    await phone.get_by_role("searchbox").fill("nguyen van")
    await expect(phone.locator("#shown")).to_have_text("1 hộ")
    assert await shown_heads(phone) == ["Nguyễn Văn An"]
    await expect(await chip(phone, "Tất cả")).to_have_text("Tất cả 1")

    # Another member's name finds the household, named by its head: the list says whom it found.
    await phone.get_by_role("searchbox").fill("tran thi binh")
    await expect(phone.locator("ul.households > li:visible span.small")).to_have_text(
        ["Thành viên khớp: Trần Thị Bình"]
    )
    assert await shown_heads(phone) == ["Nguyễn Văn An"]
    await phone.get_by_role("searchbox").fill("nguyen van an")
    await expect(phone.locator("ul.households > li:visible span.small")).to_have_count(0)

    await phone.get_by_role("searchbox").fill("")
    await (await chip(phone, "Đã đạt")).click()
    await expect(phone.locator("#shown")).to_have_text("1 hộ")
    assert await shown_heads(phone) == ["Nguyễn Văn An"]
    await expect(await chip(phone, "Chưa đạt")).to_have_text("Chưa đạt 56")
    await (await chip(phone, "Chưa đạt")).click()
    await expect(phone.locator("#shown")).to_have_text("56 hộ")
    assert "Nguyễn Văn An" not in await shown_heads(phone)
    # The filter is kept in the URL's hash (never the text searched): a reload keeps it, from the copy.
    assert phone.url.endswith("#status=uncovered")
    await phone.reload()
    await expect(phone.locator("#shown")).to_have_text("56 hộ")
    await expect(await chip(phone, "Chưa đạt")).to_have_class(re.compile(r"\bon\b"))

    # The 55th household added, far beyond the first 50 rows: found by its name, and opened.
    await phone.get_by_role("searchbox").fill("LÒ VĂN 54")
    await expect(phone.locator("#shown")).to_have_text("1 hộ")
    await phone.locator("ul.households > li:visible a").click()
    await phone.get_by_role("heading", name="PQ-01-0154").wait_for()
    assert phone.url.endswith(f"/h/{tokens[54]}")


async def test_without_a_signal_the_header_and_the_offline_page_lead_somewhere(
    field: Field, world: World
) -> None:
    phone = field.phone
    await signed_in(field, world.households["an"])
    await field.network_lost()
    # Nothing downloaded yet: the offline page says how to get the villages, and no link leads back to it.
    await phone.goto(f"{field.url}/profile")
    await phone.get_by_text("Trang này chưa được tải về điện thoại.").wait_for()
    await expect(phone.get_by_text("Chưa có thôn nào được tải về điện thoại này.")).to_be_visible()
    await expect(phone.get_by_role("link", name="Thôn của bạn")).to_be_hidden()

    await field.network_back()
    await field.take_village_offline(world.villages["v1"])
    await field.network_lost()
    # The header's link to the villages opens the copy kept with the download, and its village opens.
    await phone.goto(f"{field.url}/h/{world.households['an']}")
    await phone.locator("header").get_by_role("link", name="Thôn").click()
    await phone.get_by_role("heading", name="Danh sách thôn của bạn").wait_for()
    await phone.get_by_role("link", name=re.compile("^Thôn Đồng Tâm")).click()
    await phone.get_by_role("heading", name="Thôn Đồng Tâm").wait_for()
    # A page not kept says so, and leads to the villages on the phone, not back to itself.
    await phone.goto(f"{field.url}/profile")
    await phone.get_by_text("Trang này chưa được tải về điện thoại.").wait_for()
    await expect(phone.get_by_text("Chưa có thôn nào được tải về điện thoại này.")).to_be_hidden()
    await phone.get_by_role("link", name="Thôn của bạn").click()
    await phone.get_by_role("heading", name="Danh sách thôn của bạn").wait_for()
    assert phone.url == f"{field.url}/villages"


async def test_a_visit_waiting_on_the_phone_shows_on_its_household_its_row_and_the_counts(
    field: Field, world: World
) -> None:
    phone = field.phone
    dang = world.households["dang"]
    await signed_in(field, dang)
    await field.take_village_offline(world.villages["v1"])
    await field.network_lost()
    await phone.goto(f"{field.url}/villages/{world.villages['v1']}")
    await phone.get_by_text("Lọc theo lý do").click()
    await expect(await chip(phone, "Chưa đến thăm")).to_have_text("Chưa đến thăm 2")

    await field.record_visit_offline(dang)
    await field.wait_for_counter(1)
    await phone.goto(f"{field.url}/h/{dang}")
    notice = phone.locator("#waiting-visit")
    await expect(notice).to_be_visible()
    text = await notice.inner_text()
    assert re.fullmatch(f"Lượt thăm chờ gửi: lưu trên điện thoại lúc {DATE_TIME}, Đã khảo sát\\. .+", text), (
        text
    )

    # Its visit form, opened from the household page (htmx), warns before a second visit.
    await phone.get_by_role("link", name="Ghi lượt thăm").click()
    warning = phone.get_by_role("alert").filter(has_text="Hộ này đã có một lượt thăm đang chờ gửi")
    await expect(warning).to_be_visible()
    await expect(warning).to_contain_text("Đã khảo sát")

    await phone.goto(f"{field.url}/villages/{world.villages['v1']}")
    row = phone.locator("ul.households > li").filter(has_text="Đặng Thị Ánh")
    await expect(row.locator(".pill.waiting")).to_have_text(
        re.compile(f"^Lượt thăm chờ gửi: {DATE_TIME}, Đã khảo sát$")
    )
    await expect(row.get_by_text("Chưa đến thăm")).to_be_hidden()
    await expect(await chip(phone, "Chờ gửi")).to_have_text("Chờ gửi 1")
    await phone.get_by_text("Lọc theo lý do").click()
    await expect(await chip(phone, "Chưa đến thăm")).to_have_text("Chưa đến thăm 1")
    await (await chip(phone, "Chờ gửi")).click()
    await expect(phone.locator("#shown")).to_have_text("1 hộ")
    assert await shown_heads(phone) == ["Đặng Thị Ánh"]

    # Sent: the marks go with it.
    await field.network_back()
    await phone.goto(f"{field.url}/villages/{world.villages['v1']}")
    await field.wait_for_counter(0)
    await expect(row.locator(".pill.waiting")).to_have_count(0)
    await expect(await chip(phone, "Chờ gửi")).to_be_hidden()
