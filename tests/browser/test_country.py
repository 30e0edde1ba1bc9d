"""The national officer of the demo opens the national view on a phone: every province, Thái Nguyên at
work and the others not started, no sideways scroll at 360 px, nothing axe-core reports; then down to
Thái Nguyên's dashboard and one of its wards."""

from __future__ import annotations

import pytest

from surveys.demo import DEMO_PASSWORD, load_demo
from tests.browser.axe import assert_accessible
from tests.browser.conftest import ARTIFACTS, browser_page, sign_in

pytestmark = pytest.mark.browser

# axe is injected as a script of its own: the page's CSP (no inline script) is bypassed for it alone.
PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True, "bypass_csp": True}


async def test_national_officer_on_a_phone(live_server: str, database_url: str) -> None:
    await load_demo()
    async with browser_page(**PHONE) as phone:
        await sign_in(phone, live_server, "national", DEMO_PASSWORD)
        await phone.wait_for_url(f"{live_server}/country")
        assert await phone.get_by_role("heading", name="Cả nước", exact=True).is_visible()
        # Thái Nguyên is the demo's one province at work, a card of its own; the 33 others listed apart.
        started = await phone.locator("table.province tbody tr").evaluate_all(
            "rows => rows.map(r => r.dataset.province)"
        )
        assert started == ["19"]
        idle = phone.locator("details.idle-wards li")
        assert await idle.count() == 33
        assert (
            "Chưa triển khai: 33 tỉnh, thành phố"
            in await phone.locator("details.idle-wards summary").inner_text()
        )
        assert await phone.evaluate("document.documentElement.scrollWidth") <= 360
        await assert_accessible(phone)
        ARTIFACTS.mkdir(exist_ok=True)
        await phone.locator("#provinces").scroll_into_view_if_needed()
        await phone.screenshot(path=str(ARTIFACTS / "country-phone.png"), full_page=False)

        # Down to the province's dashboard, then to a ward's: read only, on the same phone.
        await phone.locator("tr[data-province='19'] th a").click()
        await phone.wait_for_url(f"{live_server}/provinces/19")
        assert await phone.get_by_role("heading", name="Tỉnh Thái Nguyên").is_visible()
        assert await phone.evaluate("document.documentElement.scrollWidth") <= 360
        await phone.locator("tr[data-ward='01849'] th a").click()
        await phone.wait_for_url(f"{live_server}/wards/01849")
        assert await phone.evaluate("document.documentElement.scrollWidth") <= 360
        # The header takes them back to the country, not to villages they have none of.
        await phone.get_by_role("link", name="Cả nước").first.click()
        await phone.wait_for_url(f"{live_server}/country")
