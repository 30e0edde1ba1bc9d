"""Taps and screens to record a visit on a phone (360×740), the way a volunteer at the gate does it.

Run on demand: `python -m tests.benchmarks.taps`. Serves the app on a temporary SQLite database with
a household of 4 (1 elder, 2 adults, 1 child) registered but never visited, signs in as a volunteer
in headless Chromium, starts at the household page (the door sticker's link) and records:

- **first visit**: every answer of the household and its 3 adults;
- **repeat visit**: the same household later, when one adult has just activated VNeID (level 2);
- **nobody home**: another such household, nobody at the door.

A tap is a click, check or choice the script has to make: a field already holding the wanted answer
costs nothing, a field hidden under a closed section costs the tap that opens it. It prints, per
scenario, the taps, the form's length in screens (document height / 740) when it opens and when it
is filled, and the smallest tap target on the household page and the form; then one JSON line.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from pathlib import Path
from typing import Any

from playwright.async_api import Locator, Page, async_playwright

from surveys.core.db import bind, engine_for_url, migrate
from surveys.core.settings import load_settings
from tests.browser.conftest import CHROMIUM_FLAGS, chromium_path
from tests.browser.targets import smallest_target
from tests.factories import (
    ADULT_1,
    ADULT_2,
    CHILD,
    ELDER,
    PASSWORD,
    household_of_four,
    make_user,
    make_village,
    make_ward,
)
from tests.live import serve

VIEWPORT = {"width": 360, "height": 740}

# The answers of the first visit, by member: what the volunteer hears at the door.
FIRST_VISIT: dict[str, dict[str, Any]] = {
    ADULT_1: {"vneid": "level2", "bank_account": "yes", "smartphone": "yes", "answer_source": "seen",
              "skill_learned": True, "skill_understands": True, "skill_uses_services": True,
              "skill_guides_others": True},
    ELDER: {"vneid": "not_installed", "bank_account": "no", "smartphone": "no", "answer_source": "told"},
    ADULT_2: {"vneid": "installed", "bank_account": "yes", "smartphone": "yes", "answer_source": "seen",
              "skill_learned": True},
    CHILD: {},
}  # fmt: skip
REPEAT_VISIT: dict[str, dict[str, Any]] = {ADULT_2: {"vneid": "level2"}}


class Volunteer:
    """A volunteer's thumb on the page: every tap counted."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.taps = 0

    async def tap(self, target: Locator) -> None:
        await target.click()
        self.taps += 1

    async def _reach(self, field: Locator) -> Locator:
        """The label the thumb taps for `field`, opening the section that hides it (one more tap)."""
        label = field.locator("xpath=ancestor::label[1]")
        if not await label.is_visible():
            section = field.locator("xpath=ancestor::details[1]")
            if await section.count() and not await section.evaluate("d => d.open"):
                await self.tap(section.locator("summary").first)
        return label

    async def choose(self, name: str, value: str) -> None:
        """Choose a radio answer (free when it is already chosen)."""
        field = self.page.locator(f'input[name="{name}"][value="{value}"]')
        if not await field.is_checked():
            await self.tap(await self._reach(field))

    async def tick(self, name: str, on: bool) -> None:
        """Set a checkbox (free when it is already as wanted)."""
        field = self.page.locator(f'input[name="{name}"]')
        if await field.is_checked() != on:
            await self.tap(await self._reach(field))

    async def member_prefix(self, name: str) -> str:
        """The form's field prefix (`m-2-`) of the member card naming `name`."""
        card = self.page.locator('[id^="member-"]', has_text=name).first
        return f"m-{(await card.get_attribute('id') or '').removeprefix('member-')}-"

    async def answer(self, members: dict[str, dict[str, Any]]) -> None:
        """Give each member's answers; a `True`/`False` value is a checkbox, text a radio choice."""
        for name, answers in members.items():
            prefix = await self.member_prefix(name)
            for key, value in answers.items():
                if isinstance(value, bool):
                    await self.tick(prefix + key, value)
                else:
                    await self.choose(prefix + key, value)


async def screens(page: Page) -> float:
    """The page's length in phone screens."""
    height = await page.evaluate("document.documentElement.scrollHeight")
    return round(height / VIEWPORT["height"], 1)


async def record(page: Page, base: str, token: str, outcome: str, members: dict[str, Any]) -> dict[str, Any]:
    """One visit from the household page to the saved page; its taps and screens."""
    thumb = Volunteer(page)
    await page.goto(f"{base}/h/{token}")
    household_target = await smallest_target(page)
    await thumb.tap(page.locator(f'a[href="/h/{token}/visit"]').first)
    await page.locator("form.visit").wait_for()
    opened = await screens(page)
    form_target = await smallest_target(page)
    await thumb.choose("outcome", outcome)
    if outcome == "done":
        await thumb.tick("informed", True)
        await thumb.tick("consent", True)
        await thumb.answer(members)
    filled = await screens(page)
    await thumb.tap(page.locator("form.visit button[type=submit].primary").first)
    await page.locator("[role=status]").first.wait_for()
    return {
        "taps": thumb.taps,
        "screens_open": opened,
        "screens_filled": filled,
        "smallest_target_household": household_target,
        "smallest_target_form": form_target,
    }


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'phocap.sqlite3'}"
        bind(engine_for_url(url))
        await migrate()
        ward = await make_ward()
        village = await make_village(ward, "01", "Thôn Đồng Tâm")
        await make_user("volunteer1", "volunteer", ward_id=ward, village_ids=(village,))
        first = await household_of_four(village, "PQ-01-0001")
        empty = await household_of_four(village, "PQ-01-0002")
        settings = load_settings(
            environ={}, data_dir=tmp, database_url=url, secret_key="taps-benchmark", database_pool_size=0
        )
        with serve(settings) as base:
            async with async_playwright() as pw:
                browser = await pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
                context = await browser.new_context(
                    locale="vi-VN", viewport=VIEWPORT, device_scale_factor=2, is_mobile=True, has_touch=True
                )
                page = await context.new_page()
                await page.goto(f"{base}/signin")
                await page.locator("input[name=login]").fill("volunteer1")
                await page.locator("input[name=password]").fill(PASSWORD)
                await page.locator("form[action='/signin'] button[type=submit]").click()
                await page.wait_for_url(f"{base}/**")
                results = {
                    "first visit": await record(page, base, first, "done", FIRST_VISIT),
                    "repeat visit, 1 change": await record(page, base, first, "done", REPEAT_VISIT),
                    "nobody home": await record(page, base, empty, "nobody_home", {}),
                }
                await browser.close()
    print(
        f"{'scenario at 360×740':<26} {'taps':>5} {'screens open':>13} {'filled':>7}  smallest tap target (form)"
    )
    for name, r in results.items():
        t = r["smallest_target_form"]
        print(
            f"{name:<26} {r['taps']:>5} {r['screens_open']:>13} {r['screens_filled']:>7}"
            f"  {t['w']}×{t['h']} px: {t['what']} ({t['under_44']} under 44 px)"
        )
    t = results["first visit"]["smallest_target_household"]
    print(
        f"smallest target on the household page: {t['w']}×{t['h']} px: {t['what']} ({t['under_44']} under 44 px)"
    )
    print(json.dumps({"benchmark": "taps", "viewport": "360x740", **results}, ensure_ascii=False))


if __name__ == "__main__":
    asyncio.run(main())
