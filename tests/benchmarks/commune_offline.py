"""A commune taken offline on a slow phone (issue 23 item 9): bytes on the wire, download time, storage
used and the list's search, for one village of a 10,000-household commune, extrapolated to the commune.

Run on demand (README, "Benchmarks"):

    python -m tests.benchmarks.commune_offline [HOUSEHOLDS] [COMMUNE]    # default 770 and 10,000

A commune of 10,000 households has ~13 villages of ~770 (`phocap generate`'s ~750 a village). This
fills a throwaway SQLite database as tests/benchmarks/offline_download.py does (the fixture commune and
HOUSEHOLDS more households in volunteer1's village v1), serves phocap with uvicorn, and in headless
Chromium (Debian's) with the CPU slowed 4 times (`Emulation.setCPUThrottlingRate`, on the page and,
where DevTools allows it, the worker) and the "3G" link of offline_download.py on every target
(`Network.emulateNetworkConditions`): signs in as volunteer1, reads `navigator.storage.estimate()`,
takes the village offline, reads it again; then times each keypress of a search on the village's list
(the page the phone stores, searched in place) to the frame that shows it (village_list.py's TIMED). The commune's figures
are the village's times COMMUNE / HOUSEHOLDS: villages download one after another and store alike, so
this is an extrapolation from one village, not a measured commune (a whole commune took too long on a
shared 2-core machine). Prints a table, then one JSON line last; no budget is asserted.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.benchmarks.faults import free_port, serve, stop
from tests.benchmarks.offline_download import CHROMIUM, DOWNLOAD_BUTTON, DOWNLOADED, LINKS, Cdp, fill
from tests.benchmarks.village_list import SEARCHES, TIMED
from tests.browser.conftest import CHROMIUM_FLAGS
from tests.factories import PASSWORD

CPU_SLOWDOWN = 4
THREE_G = LINKS[0]


class SlowCdp(Cdp):
    """offline_download.py's connection, also slowing the CPU of each target that allows it."""

    async def _throttle(self, params: dict[str, Any]) -> None:
        session = params["sessionId"]
        if params["targetInfo"]["type"] in ("page", "service_worker", "worker"):
            await self.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN}, session)
        await super()._throttle(params)


async def on_a_slow_phone(base: str, village: int) -> dict[str, Any]:
    from playwright.async_api import async_playwright

    estimate = "async () => (await navigator.storage.estimate()).usage"
    port = free_port()
    cdp = SlowCdp(THREE_G)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=CHROMIUM, args=[*CHROMIUM_FLAGS, f"--remote-debugging-port={port}"]
        )
        try:
            await cdp.connect(port)
            context = await browser.new_context(
                locale="vi-VN", viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True
            )
            phone = await context.new_page()
            await phone.goto(f"{base}/signin?next=/villages/{village}", timeout=0)
            await phone.get_by_label("Tên đăng nhập").fill("volunteer1")
            await phone.get_by_label("Mật khẩu").fill(PASSWORD)
            await phone.get_by_role("button", name="Đăng nhập").click()
            await phone.wait_for_url(f"{base}/villages/{village}", timeout=0)
            await phone.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=0)
            box = phone.locator(".offline-download")
            await box.get_by_role("button", name=DOWNLOAD_BUTTON).wait_for(timeout=0)
            await asyncio.sleep(1)
            await cdp.quiet.wait()  # the app shell precached
            before_usage = await phone.evaluate(estimate)
            before = set(cdp.requests)
            started = time.monotonic()
            await box.get_by_role("button", name=DOWNLOAD_BUTTON).click()
            await box.get_by_text(DOWNLOADED).wait_for(timeout=0)
            seconds = time.monotonic() - started
            await asyncio.sleep(1)
            after_usage = await phone.evaluate(estimate)
            pages = int(await box.locator("progress").get_attribute("max") or 0)
            network = {id(r) for r in cdp.network()}
            wire = sum(r.wire for k, r in cdp.requests.items() if k not in before and id(r) in network)

            # The list as the server sends it: the same page the phone stores, searched in place by
            # village-list.js. (With the server stopped, this machine's runs of village_list.py found
            # no stored copy to show: see the README.)
            await phone.reload(timeout=0)
            await phone.locator("#shown").wait_for(timeout=0)
            keys: list[float] = []
            for text in SEARCHES:
                for end in range(1, len(text) + 1):
                    elapsed, _ = await phone.evaluate(TIMED, ["key", text[:end]])
                    keys.append(elapsed)
                await phone.evaluate(TIMED, ["key", ""])
        finally:
            await cdp.close()
            await browser.close()
    return {
        "pages": pages,
        "wire_bytes": wire,
        "download_seconds": round(seconds, 1),
        "storage_bytes": after_usage - before_usage,
        "keypress_ms_median": round(statistics.median(keys), 1),
        "keypress_ms_p90": round(statistics.quantiles(keys, n=10)[-1], 1),
        "keypress_ms_max": round(max(keys), 1),
        "keypresses": len(keys),
    }


async def main(households: int, commune: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'phocap.sqlite3'}"
        world = await fill(url, households)
        server, base = serve(folder, url)
        try:
            village = await on_a_slow_phone(base, world.villages["v1"])
        finally:
            stop(server)
    rows = households + 2
    scale = commune / rows
    print(
        f"CPU slowed {CPU_SLOWDOWN}x, {THREE_G.name} ({THREE_G.down_kbit} kbit/s down, {THREE_G.latency_ms} ms)"
    )
    print(f"{'':<34} {'one village':>14} {'commune (x' + format(scale, '.1f') + ')':>18}")
    print(f"{'households':<34} {rows:>14,} {commune:>18,}")
    print(f"{'pages stored':<34} {village['pages']:>14,} {round(village['pages'] * scale):>18,}")
    for name, key in (("bytes on the wire", "wire_bytes"), ("storage used", "storage_bytes")):
        print(f"{name:<34} {village[key]:>14,} {round(village[key] * scale):>18,}")
    print(
        f"{'download (s)':<34} {village['download_seconds']:>14} {round(village['download_seconds'] * scale):>18}"
    )
    print(f"keypress to list on the village list: median {village['keypress_ms_median']} ms,"
          f" p90 {village['keypress_ms_p90']} ms, slowest {village['keypress_ms_max']} ms ({village['keypresses']})")  # fmt: skip
    commune_figures = {
        key: round(village[key] * scale)
        for key in ("pages", "wire_bytes", "storage_bytes", "download_seconds")
    }
    print(json.dumps({"households": rows, "commune_households": commune, "village": village,
                      "commune_extrapolated": commune_figures}))  # fmt: skip


if __name__ == "__main__":
    arguments = [a for a in sys.argv[1:] if not a.startswith("--")]
    asyncio.run(
        main(int(arguments[0]) if arguments else 770, int(arguments[1]) if len(arguments) > 1 else 10_000)
    )
