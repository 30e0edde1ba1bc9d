"""The ward officer makes the quarter's report in Chromium: the A4 page, printed as paper would
show it, and the Word file downloaded and opened back; the same report read on a 360 px phone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import docx
import pytest

from surveys.demo import DEMO_PASSWORD, load_demo
from tests.browser.axe import assert_accessible
from tests.browser.conftest import ARTIFACTS, browser_page, sign_in
from tests.browser.test_accessibility import PHONE
from tests.factories import World
from tests.server.test_report_pages import an_visited_in_august_2025

pytestmark = pytest.mark.browser


async def test_ward_officer_makes_the_quarters_report_and_downloads_the_word_file(
    live_server: str, desktop: Any, world: World, tmp_path: Path
) -> None:
    await an_visited_in_august_2025(world)
    await sign_in(desktop, live_server, "ward")
    await desktop.get_by_role("link", name="Báo cáo định kỳ").click()
    await desktop.wait_for_url(f"{live_server}/wards/01849/reports")
    await desktop.get_by_label("Quý, sáu tháng hoặc năm").select_option("2025-Q3")
    await desktop.get_by_role("button", name="Lập báo cáo").first.click()
    await desktop.wait_for_url(f"{live_server}/wards/01849/reports?period=2025-Q3")
    report = desktop.locator("article.a4")
    assert "quý III năm 2025" in await report.inner_text()
    vneid = (
        report.locator("table.doc-table")
        .first.locator("tr")
        .filter(has_text="Công dân từ 16 tuổi có VNeID")
        .first
    )
    assert (await vneid.locator("td").all_inner_texts())[:5] == ["1", "25,0", "3", "4", "75,0"]
    # On A4 paper: no bar, no period chooser, only the document.
    await desktop.emulate_media(media="print")
    assert not await desktop.locator("header.bar").is_visible()
    assert not await desktop.get_by_role("button", name="Lập báo cáo").first.is_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    await report.screenshot(path=str(ARTIFACTS / "periodic-report-a4.png"))
    await desktop.emulate_media(media="screen")

    async with desktop.expect_download() as download_info:
        await desktop.get_by_role("link", name="Tải tệp Word (để chỉnh sửa)").click()
    download = await download_info.value
    assert download.suggested_filename == "phocap-01849-report-2025-Q3.docx"
    target = tmp_path / download.suggested_filename
    await download.save_as(target)
    document = docx.Document(str(target))
    assert "IV. KIẾN NGHỊ, ĐỀ XUẤT" in [p.text for p in document.paragraphs]
    figures = {row.cells[0].text: row.cells[3].text for row in document.tables[1].rows}
    assert figures["Công dân từ 16 tuổi có VNeID"] == "3"


# What is read on the phone, measured in the page: the document's width against the screen's; each table
# that does not fit the screen and the box that scrolls it, if any; the text smaller than 14 px.
PHONE_LAYOUT = """() => {
  const screen = document.documentElement.clientWidth;
  const fits = el => { const box = el.getBoundingClientRect(); return box.left >= 0 && box.right <= screen; };
  const scroller = el => {
    for (let box = el.parentElement; box; box = box.parentElement) {
      if (['auto', 'scroll'].includes(getComputedStyle(box).overflowX)) return box;
    }
    return null;
  };
  const cutOff = [...document.querySelectorAll('table')].filter(table => {
    if (fits(table)) return false;
    const box = scroller(table);
    return !(box && box !== document.documentElement && box !== document.body && fits(box));
  });
  const texts = [...document.querySelectorAll('#report, #report *')].filter(el =>
    [...el.childNodes].some(n => n.nodeType === Node.TEXT_NODE && n.textContent.trim()));
  return {
    scrollWidth: document.documentElement.scrollWidth,
    cutOff: cutOff.map(t => (t.caption ? t.caption.textContent : t.className)),
    small: texts.filter(el => parseFloat(getComputedStyle(el).fontSize) < 14)
      .map(el => el.tagName + ' ' + getComputedStyle(el).fontSize + ' ' + el.textContent.trim().slice(0, 40)),
    body: parseFloat(getComputedStyle(document.querySelector('#report')).fontSize),
  };
}"""


@pytest.mark.parametrize(
    ("login", "reports"), [("ward", "/wards/01849/reports"), ("province", "/provinces/19/reports")]
)
async def test_the_quarters_report_reads_on_a_360_px_phone(
    live_server: str, database_url: str, login: str, reports: str
) -> None:
    """The ward officer (and the province's) opens this quarter's report on a phone to read the figures
    out: the page never scrolls sideways, each table fits or scrolls in its own box, no text below 14 px,
    and axe-core finds nothing wrong."""
    await load_demo()
    async with browser_page(**PHONE) as phone:
        await sign_in(phone, live_server, login, DEMO_PASSWORD)
        await phone.goto(f"{live_server}{reports}")
        await phone.get_by_role("button", name="Lập báo cáo").first.click()
        await phone.wait_for_url(f"{live_server}{reports}?period=*")
        await phone.locator("article.a4 table.doc-table").first.wait_for()
        layout = await phone.evaluate(PHONE_LAYOUT)
        ARTIFACTS.mkdir(exist_ok=True)
        await phone.locator("article.a4").screenshot(path=str(ARTIFACTS / f"periodic-report-360-{login}.png"))
        assert layout["scrollWidth"] <= 360, layout
        assert layout["cutOff"] == [], layout
        assert layout["body"] >= 14 and layout["small"] == [], layout
        await assert_accessible(phone)
