"""The village head's list of households still to visit, and the ward office's dashboard, in Chromium."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import expect

from tests.browser.axe import QUIET
from tests.browser.conftest import ARTIFACTS, browser_page, sign_in
from tests.factories import World, make_household, person
from tests.surveys.test_reports import visit_an

pytestmark = pytest.mark.browser


async def village_page(page: Any, url: str) -> None:
    """Open a village's list once the page is done starting: offline.js shows the "download to work
    without a signal" box only when the service worker answers, after the page has loaded (its place
    is kept from the start, test_the_offline_box_moves_nothing_under_a_finger)."""
    await page.goto(url)
    await expect(page.locator(".offline-download")).to_be_visible()


async def settled(page: Any) -> None:
    """Wait for htmx to finish a swap: for 20 ms after one, the links it brought in are plain links
    (htmx binds them as it settles), and a tap then loads a whole page instead of the list."""
    # A function, not an expression: the page's CSP refuses the eval Playwright polls an expression with.
    await page.wait_for_function(f"() => {QUIET}")


async def test_the_offline_box_moves_nothing_under_a_finger(
    live_server: str, phone: Any, world: World
) -> None:
    # Where the search box is once the page is parsed, before offline.js has run (it starts on load).
    await phone.add_init_script(
        """document.addEventListener("DOMContentLoaded", () => {
            window.searchAtFirst = document.getElementById("q").getBoundingClientRect().toJSON();
        });"""
    )
    await sign_in(phone, live_server, "volunteer1")
    await phone.goto(f"{live_server}/villages/{world.villages['v1']}", wait_until="domcontentloaded")
    await expect(phone.locator(".offline-download")).to_be_visible()
    first = await phone.evaluate("() => window.searchAtFirst")
    now = await phone.evaluate('() => document.getElementById("q").getBoundingClientRect().toJSON()')
    assert (now["x"], now["y"], now["height"]) == (first["x"], first["y"], first["height"])


async def test_village_head_filters_not_visited_opens_one_and_exports(
    live_server: str, phone: Any, world: World, tmp_path: Path
) -> None:
    await visit_an(world)
    for n in range(3):
        await make_household(world.villages["v1"], f"PQ-01-01{n:02d}", [person(f"Vi Thị Số{n}", 1985)])
    await sign_in(phone, live_server, "head1")
    await village_page(phone, f"{live_server}/villages/{world.villages['v1']}")
    await phone.get_by_text("Lọc theo lý do").click()
    await phone.get_by_role("link", name="Chưa đến thăm 4").click()
    # The page filters its own rows (village-list.js); the address bar keeps the filter in its hash.
    await phone.wait_for_url(f"{live_server}/villages/{world.villages['v1']}#reason=not_visited")
    rows = phone.locator("#results ul.households > li:visible")
    await expect(rows).to_have_count(4)
    assert "Nguyễn Văn An" not in "".join(await rows.all_text_contents())
    ARTIFACTS.mkdir(exist_ok=True)
    await phone.screenshot(path=str(ARTIFACTS / "village-head-not-visited.png"), full_page=True)

    async with phone.expect_download() as download_info:
        await phone.get_by_role("link", name="CSV").click()
    download = await download_info.value
    target = tmp_path / download.suggested_filename
    await download.save_as(target)
    exported = list(csv.reader(io.StringIO(target.read_text(encoding="utf-8-sig"))))
    assert sorted(r[0] for r in exported[5:]) == ["PQ-01-0002", "PQ-01-0100", "PQ-01-0101", "PQ-01-0102"]

    # Searching by name as one types, then narrowing with a chip: the list follows, the address bar
    # never shows the name (the text stays in the page, never in the URL).
    await phone.get_by_role("searchbox").fill("vi thi so1")
    await expect(rows).to_have_count(1)
    assert "Vi Thị Số1" in await rows.first.inner_text()
    await settled(phone)
    await phone.get_by_role("link", name="Chưa đạt").click()
    await phone.wait_for_url(f"{live_server}/villages/{world.villages['v1']}#status=uncovered")
    await expect(rows).to_have_count(1)
    assert "Vi Thị Số1" in await rows.first.inner_text()
    assert "so1" not in phone.url.lower() and "Vi" not in phone.url
    await phone.get_by_role("searchbox").fill("")
    await expect(rows).to_have_count(4)  # every household not covered, the search cleared

    await settled(phone)
    await rows.first.locator("a").click()
    await phone.wait_for_url(f"{live_server}/h/**")
    assert await phone.locator("#status").get_by_text("Chưa đến thăm").is_visible()
    # The door sticker's QR code is drawn (an SVG without its namespace shows as a broken image).
    qr = phone.locator("img.qr")
    await qr.scroll_into_view_if_needed()
    await expect(qr).to_have_js_property("complete", True)
    assert await qr.evaluate("img => img.naturalWidth") > 0


async def test_ward_dashboard_at_desktop_size(live_server: str, desktop: Any, world: World) -> None:
    await visit_an(world)
    await sign_in(desktop, live_server, "ward")
    await desktop.wait_for_url(f"{live_server}/wards/01849")
    assert await desktop.get_by_role("heading", name="Xã Phong Quang").is_visible()
    kpi = desktop.locator(".kpi").filter(has_text="Công dân từ 16 tuổi có VNeID").first
    assert "75,0\u00a0%" in await kpi.inner_text()
    assert await desktop.locator(".chart svg polyline").count() == 7
    ARTIFACTS.mkdir(exist_ok=True)
    await desktop.screenshot(path=str(ARTIFACTS / "ward-dashboard.png"), full_page=True)


async def test_ward_dashboard_fits_a_phone_without_sideways_scrolling(
    live_server: str, phone: Any, world: World
) -> None:
    await visit_an(world)
    await sign_in(phone, live_server, "ward")
    await phone.wait_for_url(f"{live_server}/wards/01849")
    # Nothing wider than the screen: the page does not scroll sideways, nor does the table.
    await phone.screenshot(path=str(ARTIFACTS / "ward-dashboard-360.png"), full_page=True)
    wide = await phone.evaluate(
        "[...document.querySelectorAll('main *')].filter(e => e.getBoundingClientRect().right > 361)"
        ".map(e => e.tagName + '.' + e.className)"
    )
    assert wide == []
    assert await phone.evaluate("document.documentElement.scrollWidth") <= 360
    # Each village is a card whose lines say what each number is.
    card = phone.locator("table.numbers tbody tr").first
    lines = await card.locator("td").evaluate_all(
        "cells => cells.map(c => c.querySelector('.cell-label').innerText + ': ' + c.querySelector('.cell-value').innerText)"
    )
    assert lines[:3] == ["Số hộ: 2", "Công dân từ 16 tuổi: 3", "Hộ đã đến thăm: 50,0\u00a0% (1)"]
    await phone.screenshot(path=str(ARTIFACTS / "ward-dashboard-360.png"), full_page=True)


@pytest.mark.parametrize("width", [360, 412])
async def test_no_label_of_a_village_card_runs_over_its_number(
    live_server: str, world: World, width: int
) -> None:
    """The long labels (VNeID mức 2, tài khoản ngân hàng số, kỹ năng đã xác nhận…) wrap beside their
    number: no label's box meets its number's box, and nothing is wider than the card."""
    await visit_an(world)
    async with browser_page(viewport={"width": width, "height": 800}, is_mobile=True, has_touch=True) as page:
        await sign_in(page, live_server, "ward")
        await page.wait_for_url(f"{live_server}/wards/01849")
        cells = await page.locator("table.cards tbody td, table.cards tfoot td").evaluate_all(
            """cells => cells.filter(c => c.offsetParent !== null).map(c => {
                // The box of the text as laid out (a Range), overflow included, not the element's box.
                const box = e => { const range = document.createRange(); range.selectNodeContents(e);
                                   const r = range.getBoundingClientRect();
                                   return [r.left, r.top, r.right, r.bottom]; };
                return {label: c.querySelector('.cell-label').innerText, labelBox: box(c.querySelector('.cell-label')),
                        value: c.querySelector('.cell-value').innerText, valueBox: box(c.querySelector('.cell-value')),
                        cell: (r => [r.left, r.top, r.right, r.bottom])(c.getBoundingClientRect())}; })"""
        )
        await page.screenshot(path=str(ARTIFACTS / f"ward-dashboard-cards-{width}.png"), full_page=True)
    labels = {c["label"] for c in cells}
    for long in ("Công dân từ 16 tuổi có VNeID mức 2", "Công dân từ 16 tuổi có tài khoản ngân hàng số"):
        assert long in labels
    assert any("kỹ năng" in label and "xác nhận" in label for label in labels)
    for c in cells:
        (l_left, l_top, l_right, l_bottom), (v_left, v_top, v_right, v_bottom) = c["labelBox"], c["valueBox"]
        apart = l_right <= v_left or v_right <= l_left or l_bottom <= v_top or v_bottom <= l_top
        assert apart, f"{c['label']!r} runs over {c['value']!r} at {width} px"
        assert c["cell"][0] <= l_left and v_right <= c["cell"][2] + 0.5, c["label"]


async def test_village_head_prints_the_households_still_to_visit_on_a4_across(
    live_server: str, phone: Any, world: World
) -> None:
    await visit_an(world)
    for n in range(40):
        await make_household(world.villages["v1"], f"PQ-01-{n + 100:04d}", [person(f"Lò Văn {n:02d}", 1980)])
    await sign_in(phone, live_server, "head1")
    await phone.goto(f"{live_server}/villages/{world.villages['v1']}")
    await phone.get_by_role("link", name="Chưa đạt").click()
    # The filter swaps the list in place: wait for the new list (and its "In" link) before pressing it.
    print_link = phone.get_by_role("link", name="In", exact=True)
    await expect(print_link).to_have_attribute("href", re.compile(r"status=uncovered"))
    await print_link.click()
    await phone.wait_for_url(f"{live_server}/villages/{world.villages['v1']}/print?status=uncovered")
    # On the phone: the page keeps its width, the table scrolls in its own box; the print button works.
    assert await phone.evaluate("document.documentElement.scrollWidth") <= 360
    assert await phone.get_by_role("button", name="In").is_visible()
    assert await phone.locator("tbody tr").count() == 41
    # On paper: A4 across, only the list (no bar, no buttons), every column inside the page.
    pdf = await phone.pdf(prefer_css_page_size=True)
    sizes = {
        tuple(round(float(v)) for v in m) for m in re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf)
    }
    assert sizes == {(842, 595)}  # A4 landscape, in points
    await phone.emulate_media(media="print")
    await phone.set_viewport_size({"width": 1047, "height": 719})  # A4 across less the 10 mm margins, in px
    assert not await phone.locator("header.bar").is_visible()
    assert not await phone.get_by_role("button", name="In").is_visible()
    table = phone.locator(".print-list table")
    assert await table.evaluate("t => t.scrollWidth <= t.parentElement.clientWidth")
    ARTIFACTS.mkdir(exist_ok=True)
    await phone.screenshot(path=str(ARTIFACTS / "village-list-printed.png"))
