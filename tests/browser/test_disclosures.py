"""A fold that opens says so: every `<summary>` on the pages where people meet them draws a chevron,
pointing right while closed and down once open (a summary laid out as flex loses the browser's own
triangle, and then read as a heading nobody thinks of tapping); a row that opens a page shows a chevron."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import sign_in
from tests.factories import World, household_of_four

pytestmark = pytest.mark.browser

# For each summary on the page: its text, whether its details is open, and its ::before's box and turn.
_MARKERS = """() => [...document.querySelectorAll("summary")].filter((s) => s.offsetParent !== null).map((s) => {
  const mark = getComputedStyle(s, "::before");
  return { text: s.textContent.trim(), open: s.parentElement.open, width: parseFloat(mark.width),
           border: parseFloat(mark.borderRightWidth), turn: mark.transform };
})"""


async def _markers(page: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = await page.evaluate(_MARKERS)
    assert found, page.url
    return found


async def _shows_it_opens(page: Any) -> None:
    """Each visible summary draws a chevron; tapping it turns the chevron."""
    for i, before in enumerate(await _markers(page)):
        assert before["width"] > 0 and before["border"] > 0, before
        await page.locator("summary:visible").nth(i).click()
        after = (await _markers(page))[i]
        assert after["open"] != before["open"] and after["turn"] != before["turn"], (before, after)


async def test_every_fold_on_the_visit_form_and_the_report_page_shows_that_it_opens(
    live_server: str, phone: Any, world: World
) -> None:
    token = await household_of_four(world.villages["v1"], "PQ-01-0100")
    await sign_in(phone, live_server, "volunteer1")
    await phone.goto(f"{live_server}/h/{token}/visit")
    await phone.get_by_text("Đã khảo sát").click()
    await _shows_it_opens(phone)
    await sign_in(phone, live_server, "ward")
    await phone.goto(f"{live_server}/wards/01849/reports")
    await _shows_it_opens(phone)


async def test_every_row_that_opens_a_page_shows_a_chevron(
    live_server: str, phone: Any, world: World
) -> None:
    # The village list and a village's households: rows a volunteer taps, drawn as plain text otherwise.
    await sign_in(phone, live_server, "volunteer1")
    for path in ("/villages", f"/villages/{world.villages['v1']}"):
        await phone.goto(f"{live_server}{path}")
        marks = await phone.eval_on_selector_all(
            ".row-link",
            "rows => rows.map((r) => parseFloat(getComputedStyle(r, '::after').borderRightWidth) || 0)",
        )
        assert marks and all(width > 0 for width in marks), (path, marks)
