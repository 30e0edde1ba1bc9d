"""The ward officer makes the quarter's report in Chromium: the A4 page, printed as paper would
show it, and the Word file downloaded and opened back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import docx
import pytest

from tests.browser.conftest import ARTIFACTS, sign_in
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
