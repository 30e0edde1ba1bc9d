"""A whole commune taken offline on a slow phone (issue 23 item 9): every village of a commune of
10,000 households downloaded on one phone, then opened and searched with the server stopped.

Run on demand (README, "Benchmarks"):

    python -m tests.benchmarks.commune_offline [HOUSEHOLDS] [--open N]    # default 10,000 households, 24 opened

Fills a throwaway SQLite database with `phocap generate` (surveys/generate.py: one commune of the
province, HOUSEHOLDS households in villages of ~750 with members and a year of visits) and a ward
officer of it (who records visits, so each household's visit form comes too), serves phocap with
uvicorn, and in headless Chromium (Debian's, tests/benchmarks/phone.py) with the CPU slowed 4 times
(`Emulation.setCPUThrottlingRate`, on the page and the worker) and the "3G" link (750/250 kbit/s,
100 ms) on every target: signs in, and takes each village offline in turn from its page. Measures
bytes on the wire and seconds from each tap to "Downloaded at"; storage used, by the browser's own
figure (`navigator.storage.estimate()`: Cache Storage, IndexedDB and the rest) and as the sum of the
stored entries' bodies, before and after; then stops the server and opens N household pages and N
visit forms spread over the villages (from the navigation to the page's `load`, through the worker's
store); and times each keypress of four searches on the largest village's stored list to the frame that
shows it (village_list.py's TIMED). Prints a table, then one JSON line last; no budget is asserted
(the goals, issue 23: ≤ 50 MB stored, ≤ 300 ms from a keypress to the list shown).

To compare storage layouts in one sitting, run it in a copy of another commit's tree (the file needs
only tests/benchmarks/phone.py beside it).
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from surveys.core.db import bind, close_pool, current_engine, engine_for_url, migrate
from surveys.generate import generate
from surveys.tables import Household, Village, Ward
from tests.benchmarks.faults import serve, stop
from tests.benchmarks.phone import THREE_G, a_phone, sign_in, storage, take_offline
from tests.benchmarks.village_list import SEARCHES, TIMED
from tests.factories import make_user

CPU_SLOWDOWN = 4
OFFICER = "commune-officer"


async def fill(url: str, households: int) -> tuple[list[int], list[str]]:
    """One generated commune of `households` households and its ward officer: the villages (largest
    first) and household tokens spread over them (every 37th, in code order)."""
    bind(engine_for_url(url))
    await migrate()
    await generate("19", 1, households)
    ward = await Ward.select(Ward.id).where(Ward.id.is_in(Village.select(Village.ward))).first()
    assert ward is not None
    await make_user(OFFICER, "ward_officer", ward_id=ward["id"])
    villages = [
        int(r["village"])
        for r in await Household.raw(
            "SELECT village, count(*) AS n FROM household GROUP BY village ORDER BY n DESC, village"
        )
    ]
    tokens = [r["token"] for r in await Household.select(Household.token).order_by(Household.code)]
    await close_pool(current_engine())
    return villages, tokens[::37]


async def opened(phone: Any, url: str) -> float:
    """Milliseconds from the navigation to the page's load (the worker answers from its store)."""
    started = time.monotonic()
    await phone.goto(url, wait_until="load", timeout=0)
    elapsed = (time.monotonic() - started) * 1000
    shown = phone.get_by_role("status").filter(has_text="Không có mạng: đây là bản lưu")
    await shown.wait_for(timeout=10_000)  # the phone's copy, not the offline page
    return elapsed


def spread(values: list[float]) -> dict[str, float]:
    return {
        "median": round(statistics.median(values), 1),
        "p90": round(statistics.quantiles(values, n=10)[-1], 1) if len(values) > 1 else values[0],
        "max": round(max(values), 1),
        "n": len(values),
    }


async def on_a_slow_phone(
    base: str, server: Any, villages: list[int], tokens: list[str], n: int
) -> dict[str, Any]:
    async with a_phone(THREE_G, CPU_SLOWDOWN) as (phone, cdp):
        await sign_in(phone, cdp, base, OFFICER, villages[0])
        before = await storage(phone)
        setup = set(cdp.requests)
        downloads = []
        for village in villages:
            pages, seconds = await take_offline(phone, base, village)
            downloads.append({"village": village, "pages": pages, "seconds": round(seconds, 1)})
            print(f"village {village}: {pages:,} pages in {seconds:.1f} s", flush=True)
        await asyncio.sleep(1)  # the last loadingFinished events, and the worker's last writes
        after = await storage(phone)
        print(f"stored: {after}", flush=True)
        network = {id(r) for r in cdp.network()}
        wire = sum(r.wire for k, r in cdp.requests.items() if k not in setup and id(r) in network)

        stop(server)  # no signal from here on
        step = max(1, len(tokens) // n)
        chosen = tokens[::step][:n]
        household = [await opened(phone, f"{base}/h/{token}") for token in chosen]
        form = [await opened(phone, f"{base}/h/{token}/visit") for token in chosen]

        await phone.goto(f"{base}/villages/{villages[0]}", timeout=0)
        await phone.locator("#shown").wait_for(timeout=0)
        keys: list[float] = []
        for text in SEARCHES:
            for end in range(1, len(text) + 1):
                elapsed, _ = await phone.evaluate(TIMED, ["key", text[:end]])
                keys.append(elapsed)
            await phone.evaluate(TIMED, ["key", ""])
    return {
        "villages": len(villages),
        "pages": sum(d["pages"] for d in downloads),
        "wire_bytes": wire,
        "download_seconds": round(sum(d["seconds"] for d in downloads), 1),
        "downloads": downloads,
        "storage_before": before,
        "storage_after": after,
        "storage_used": after["usage"] - before["usage"],
        "open_household_ms": spread(household),
        "open_visit_form_ms": spread(form),
        "keypress_ms": spread(keys),
    }


async def main(households: int, n: int) -> None:
    load = os.getloadavg()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'phocap.sqlite3'}"
        villages, tokens = await fill(url, households)
        server, base = serve(folder, url)
        try:
            got = await on_a_slow_phone(base, server, villages, tokens, n)
        finally:
            stop(server)
    load_after = os.getloadavg()
    mb = 1e6
    print(f"CPU slowed {CPU_SLOWDOWN}x, {THREE_G.name} ({THREE_G.down_kbit} kbit/s down, {THREE_G.latency_ms} ms);"
          f" load average {load[0]:.2f} before, {load_after[0]:.2f} after (2 cores, shared)")  # fmt: skip
    print(f"commune: {households:,} households in {got['villages']} villages, {got['pages']:,} pages")
    print(f"{'bytes on the wire':<40} {got['wire_bytes'] / mb:>10.1f} MB")
    print(f"{'download, all villages (s)':<40} {got['download_seconds']:>10.1f}")
    for d in got["downloads"]:
        print(f"    village {d['village']:>6}: {d['pages']:>6,} pages {d['seconds']:>8.1f} s")
    after = got["storage_after"]
    print(f"{'storage used (estimate)':<40} {got['storage_used'] / mb:>10.1f} MB")
    if after["entries"] < 0:
        print(f"{'stored entries, bodies summed':<40} {'-':>10}    (cache.keys() fails: too many entries)")
    else:
        print(
            f"{'stored entries, bodies summed':<40} {after['bytes'] / mb:>10.1f} MB in {after['entries']:,} entries"
        )
    for name in ("open_household_ms", "open_visit_form_ms", "keypress_ms"):
        s = got[name]
        print(f"{name:<40} median {s['median']} ms, p90 {s['p90']} ms, slowest {s['max']} ms ({s['n']})")
    print(json.dumps({"households": households, "load_average": [load[0], load_after[0]], **got}))


if __name__ == "__main__":
    arguments = [a for a in sys.argv[1:] if not a.startswith("--")]
    opens = int(sys.argv[sys.argv.index("--open") + 1]) if "--open" in sys.argv else 24
    if "--open" in sys.argv:
        arguments.remove(str(opens))
    asyncio.run(main(int(arguments[0]) if arguments else 10_000, opens))
