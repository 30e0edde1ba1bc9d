"""A village of 750 households as one page on a phone (issue 23): its bytes, what its download takes on
the phone's storage, and how fast the page searches and filters itself on a slow phone.

Run on demand (README, "Benchmarks"):

    python -m tests.benchmarks.village_list [HOUSEHOLDS]    # default 750 households

Fills a throwaway SQLite database as tests/benchmarks/offline_download.py does (the fixture commune and
HOUSEHOLDS more households of 3 or 4 members in volunteer1's village v1), serves phocap with uvicorn in a
process of its own, then:
- fetches the village's page signed in, with brotli (what a phone over HTTPS gets), gzip and none: its
  bytes compressed and raw, per household;
- in headless Chromium (Debian's, through Playwright), signs in as volunteer1, reads
  `navigator.storage.estimate()` (what the origin stores), takes the village offline, reads it again;
- stops the server and opens the village's page from the phone's copy with the CPU slowed 4 times
  (DevTools `Emulation.setCPUThrottlingRate`), then types searches a letter at a time and taps the
  chips: for each keypress or tap, the milliseconds from the event to the next frame drawn with the list
  filtered (the page's own work and its layout and paint), median and slowest.
Prints a table, then one JSON line last. The numbers are for reading, not a test: no budget is asserted.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import re
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

import brotli
import httpx

from tests.benchmarks.faults import serve, stop
from tests.benchmarks.offline_download import CHROMIUM, DOWNLOAD_BUTTON, DOWNLOADED, fill
from tests.browser.conftest import CHROMIUM_FLAGS
from tests.factories import PASSWORD

SEARCHES = ["nguyen van", "tran thi lan", "xom suoi", "pq-01-0500"]
CHIPS = ["Chưa đạt", "Đã đạt", "Tất cả"]

# One keypress (or tap) to the frame that shows its list: the event, the page's handler (it runs in the
# input or click listener), then the next animation frame and the task after it (layout and paint done).
TIMED = """async ([kind, value]) => {
    const frame = () => new Promise((done) => requestAnimationFrame(() => setTimeout(done, 0)));
    await frame();
    const started = performance.now();
    if (kind === "key") {
        const box = document.getElementById("q");
        box.value = value;
        box.dispatchEvent(new Event("input", { bubbles: true }));
    } else {
        [...document.querySelectorAll(".chips-nav a.chip")].find((a) => a.firstChild.textContent.trim() === value).click();
    }
    await frame();
    return [performance.now() - started, document.getElementById("shown").textContent];
}"""


async def page_bytes(base: str, village: int) -> dict[str, int]:
    """The village's page signed in, as each encoding sends it (body bytes only)."""
    async with httpx.AsyncClient(base_url=base) as client:
        form = await client.get("/signin")
        csrf = re.search(r'name="_csrf_token" value="([^"]+)"', form.text)
        assert csrf is not None
        await client.post(
            "/signin", data={"login": "volunteer1", "password": PASSWORD, "_csrf_token": csrf[1]}
        )
        sizes = {}
        for encoding in ("br", "gzip", "identity"):
            async with client.stream(
                "GET", f"/villages/{village}", headers={"Accept-Encoding": encoding}
            ) as got:
                assert got.status_code == 200, got.status_code
                body = b"".join([chunk async for chunk in got.aiter_raw()])
                sent = got.headers.get("content-encoding", "identity")
            raw = (
                brotli.decompress(body) if sent == "br" else gzip.decompress(body) if sent == "gzip" else body
            )
            sizes[encoding] = len(body)
            sizes["raw"] = len(raw)
            rows = raw.count(b"<li data-id=")
        sizes["rows"] = rows
        return sizes


async def on_the_phone(base: str, village: int, server: Any) -> dict[str, Any]:
    """Storage before and after the download, then search and chip timings on the stored copy."""
    from playwright.async_api import async_playwright

    estimate = "async () => (await navigator.storage.estimate()).usage"
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            context = await browser.new_context(
                locale="vi-VN", viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True
            )
            phone = await context.new_page()
            await phone.goto(f"{base}/signin?next=/villages/{village}")
            await phone.get_by_label("Tên đăng nhập").fill("volunteer1")
            await phone.get_by_label("Mật khẩu").fill(PASSWORD)
            await phone.get_by_role("button", name="Đăng nhập").click()
            await phone.wait_for_url(f"{base}/villages/{village}")
            await phone.wait_for_function("() => navigator.serviceWorker.controller !== null")
            box = phone.locator(".offline-download")
            await box.get_by_role("button", name=DOWNLOAD_BUTTON).wait_for()
            await asyncio.sleep(2)  # the worker's precache of the app shell
            before = await phone.evaluate(estimate)
            await box.get_by_role("button", name=DOWNLOAD_BUTTON).click()
            await box.get_by_text(DOWNLOADED).wait_for(timeout=0)
            pages = int(await box.locator("progress").get_attribute("max") or 0)
            await asyncio.sleep(1)
            after = await phone.evaluate(estimate)

            stop(server)  # no signal: the phone's copy of the page answers
            await phone.goto(f"{base}/villages/{village}")
            await phone.get_by_text("Không có mạng: đây là bản lưu").wait_for()
            cdp = await context.new_cdp_session(phone)
            await cdp.send("Emulation.setCPUThrottlingRate", {"rate": 4})
            keys: list[float] = []
            for text in SEARCHES:
                for end in range(1, len(text) + 1):
                    elapsed, _ = await phone.evaluate(TIMED, ["key", text[:end]])
                    keys.append(elapsed)
                await phone.evaluate(TIMED, ["key", ""])
            taps: list[float] = []
            for name in CHIPS:
                elapsed, shown = await phone.evaluate(TIMED, ["chip", name])
                taps.append(elapsed)
            await cdp.send("Emulation.setCPUThrottlingRate", {"rate": 1})
        finally:
            await browser.close()
    return {
        "storage_before_bytes": before,
        "storage_after_bytes": after,
        "stored_pages": pages,
        "keypress_ms_median": round(statistics.median(keys), 1),
        "keypress_ms_max": round(max(keys), 1),
        "keypresses": len(keys),
        "keypress_ms": [round(k) for k in keys],
        "chip_ms_median": round(statistics.median(taps), 1),
        "chip_ms_max": round(max(taps), 1),
        "last_shown": shown,
    }


async def main(households: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'phocap.sqlite3'}"
        world = await fill(url, households)
        village = world.villages["v1"]
        server, base = serve(folder, url)
        try:
            sizes = await page_bytes(base, village)
            phone = await on_the_phone(base, village, server)
        finally:
            stop(server)
    rows = sizes["rows"]
    print(f"village v1: {rows} households on one page")
    print(f"{'the village page':<42} {'bytes':>10} {'per household':>14}")
    for name in ("br", "gzip", "identity", "raw"):
        label = {
            "br": "brotli (a phone over HTTPS)",
            "gzip": "gzip",
            "identity": "uncompressed",
            "raw": "decoded",
        }
        print(f"{label[name]:<42} {sizes[name]:>10,} {sizes[name] / rows:>14,.0f}")
    grown = phone["storage_after_bytes"] - phone["storage_before_bytes"]
    print(f"{'storage before the download':<42} {phone['storage_before_bytes']:>10,}")
    print(
        f"{'storage after (' + str(phone['stored_pages']) + ' pages)':<42} {phone['storage_after_bytes']:>10,}"
    )
    print(f"{'the download on the phone':<42} {grown:>10,} {grown / rows:>14,.0f}")
    print(f"CPU slowed 4x, the phone's copy: {phone['keypresses']} keypresses, median {phone['keypress_ms_median']} ms,"
          f" slowest {phone['keypress_ms_max']} ms; chips median {phone['chip_ms_median']} ms,"
          f" slowest {phone['chip_ms_max']} ms")  # fmt: skip
    print(json.dumps({"households": rows, "page_bytes": sizes, "download_storage_bytes": grown, **phone}))


if __name__ == "__main__":
    arguments = [a for a in sys.argv[1:] if not a.startswith("--")]
    asyncio.run(main(int(arguments[0]) if arguments else 750))
