"""Every page a volunteer uses passes axe-core's rules, on a phone, as the volunteer meets it."""

from __future__ import annotations

import pytest

from tests.browser.axe import assert_accessible
from tests.browser.conftest import browser_page, open_page, sign_in
from tests.factories import World, household_of_four

pytestmark = pytest.mark.browser

# axe is injected as a script of its own: the page's CSP (no inline script) is bypassed for it alone.
PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True, "bypass_csp": True}


async def test_the_volunteers_pages_pass_axe(live_server: str, world: World) -> None:
    token = await household_of_four(world.villages["v1"], "PQ-01-0100")
    async with browser_page(**PHONE) as page:
        await page.goto(f"{live_server}/signin")
        await assert_accessible(page)
        await sign_in(page, live_server, "volunteer1")
        for path in ("/villages", f"/villages/{world.villages['v1']}", f"/h/{token}", "/profile"):
            await open_page(page, f"{live_server}{path}")
            await assert_accessible(page)
        await page.goto(f"{live_server}/h/{token}/visit")
        await assert_accessible(page)
        # The form sent back with errors: the summary, and fields marked invalid.
        await page.get_by_text("Đã khảo sát").click()
        await page.get_by_role("button", name="Lưu lượt thăm").click()
        await page.locator("#error-summary").wait_for()
        await assert_accessible(page)


async def test_the_ward_dashboard_and_the_sticker_question_pass_axe_on_a_phone(
    live_server: str, world: World
) -> None:
    token = await household_of_four(world.villages["v1"], "PQ-01-0100")
    async with browser_page(**PHONE) as page:
        await sign_in(page, live_server, "ward")
        for path in ("/wards/01849", f"/h/{token}/reissue", "/profile"):
            await open_page(page, f"{live_server}{path}")
            await assert_accessible(page)


async def test_the_village_heads_printed_list_passes_axe(live_server: str, world: World) -> None:
    async with browser_page(**PHONE) as page:
        await sign_in(page, live_server, "head1")
        await page.goto(f"{live_server}/villages/{world.villages['v1']}/print?status=uncovered")
        await assert_accessible(page)


async def test_axe_reports_a_field_without_a_label() -> None:
    """The check itself can fail: an unlabeled field and an image without text are reported."""
    from tests.browser.axe import violations

    async with browser_page(**PHONE) as page:
        await page.set_content(
            '<html lang="vi"><title>t</title><main><input name="q"><img src="x.png"></main></html>'
        )
        found = {v["id"] for v in await violations(page)}
    assert {"label", "image-alt"} <= found
