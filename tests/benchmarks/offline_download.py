"""A big village taken offline over 3G: what the volunteer's phone downloads, and how long it takes.

Run on demand (README, "Benchmarks"):

    python -m tests.benchmarks.offline_download [HOUSEHOLDS] [--each]    # default 750 households

Fills a throwaway SQLite database with the fixture commune (tests/factories.py `make_world`) and
HOUSEHOLDS more households of 3 or 4 members (3.5 on average) in volunteer1's village v1 and a class
this month in the ward (the phone keeps it, with the village's people to add as attendees), serves phocap
with uvicorn in a process of its own (tests/benchmarks/faults.py `serve`), and, for each link profile
below, opens a fresh headless Chromium (Debian's, through Playwright), signs in as volunteer1 and
presses "Download to work without a signal" on the village's page, as tests/browser/test_offline.py
does. The link is slowed through the DevTools protocol (`Network.emulateNetworkConditions`) on every
target, the service worker too: the worker makes the download's requests, and a throttle set on the
page alone would not slow them. The same connection counts each request's bytes on the wire (headers
and compressed body, `Network.loadingFinished`) and decoded (`Network.dataReceived`), leaving out the
page's requests the worker answered (its own request to the server is the one counted).

Prints, per profile: the requests of signing in and installing the worker (the app shell, precached
once per release) and of the download (the list of pages, then the parts that bring the pages a few
hundred to an answer; from a server without parts, the village list, the household pages, the visit
forms and the classes one by one), by kind, with `--each` every request; the seconds from the tap to "Downloaded
at"; then one JSON line last.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from surveys.core.clock import now
from surveys.core.db import bind, close_pool, current_engine, engine_for_url, migrate
from surveys.tables import ClassSession
from tests.benchmarks.faults import serve, stop
from tests.benchmarks.phone import (
    CHROMIUM,
    DOWNLOAD_BUTTON,
    DOWNLOADED,
    LINKS,
    Link,
    Request,
    a_phone,
    sign_in,
)
from tests.benchmarks.phone import take_offline as take_village_offline
from tests.factories import World, make_household, make_world, person

# Re-exported: the other benchmarks of a village taken offline take them from here.
__all__ = ["CHROMIUM", "DOWNLOADED", "DOWNLOAD_BUTTON", "fill"]


FAMILY = [
    "Nguyễn",
    "Trần",
    "Lê",
    "Phạm",
    "Hoàng",
    "Vũ",
    "Đặng",
    "Bùi",
    "Đỗ",
    "Hồ",
    "Ngô",
    "Dương",
    "Lý",
    "Ma",
]
MIDDLE_MALE = ["Văn", "Đức", "Minh", "Quang", "Hữu"]
MIDDLE_FEMALE = ["Thị", "Thu", "Ngọc", "Thanh", "Kim"]
GIVEN_MALE = ["An", "Bình", "Cường", "Dũng", "Hùng", "Khánh", "Long", "Nam", "Phúc", "Sơn", "Thắng", "Việt"]
GIVEN_FEMALE = ["Anh", "Hoa", "Hương", "Lan", "Linh", "Mai", "Nga", "Nhung", "Oanh", "Phương", "Thảo", "Yến"]
HAMLETS = ["Xóm Trên", "Xóm Dưới", "Xóm Giữa", "Xóm Đồi", "Xóm Suối", "Xóm Mới"]


def family(i: int) -> list[dict[str, Any]]:
    """Household i's members: 3 or 4 in turn (3.5 on average), a couple, a child and, every other
    household, a grandparent; names and years varied so the pages are not unusually compressible."""
    surname = FAMILY[i % len(FAMILY)]
    spouse = FAMILY[(i * 7 + 3) % len(FAMILY)]
    male = f"{surname} {MIDDLE_MALE[i % 5]} {GIVEN_MALE[i % 12]}"
    female = f"{spouse} {MIDDLE_FEMALE[(i // 5) % 5]} {GIVEN_FEMALE[(i * 5) % 12]}"
    child = f"{surname} {MIDDLE_MALE[(i + 2) % 5]} {GIVEN_MALE[(i * 7 + 1) % 12]}"
    people = [
        person(male, 1960 + i % 30, sex="male"),
        person(female, 1962 + (i * 3) % 30, sex="female"),
        person(child, 1995 + (i * 11) % 25, sex="male" if i % 3 else "female"),
    ]
    if i % 2:
        people.append(
            person(f"{surname} {MIDDLE_FEMALE[i % 5]} {GIVEN_FEMALE[i % 12]}", 1935 + i % 20, sex="female")
        )
    return people


async def fill(url: str, households: int) -> World:
    """The fixture commune, a class this month, and `households` more households in village v1
    (volunteer1's)."""
    bind(engine_for_url(url))
    await migrate()
    world = await make_world()
    # A class of this month in the ward: the phone keeps it with the village's people to add (its roster).
    await ClassSession.insert(
        ClassSession(ward=world.wards["pq"], starts_at=now(), topics=["vneid"], audience="everyone")
    )
    for i in range(households):
        await make_household(
            world.villages["v1"],
            f"PQ-01-{i + 3:04d}",
            family(i),
            address=f"{HAMLETS[i % 6]}, số {i % 97 + 1}",
        )
    await close_pool(current_engine())
    return world


def kind_of(url: str) -> str:
    """Which part of the download a request is."""
    parts = urlsplit(url)
    path = parts.path
    if path.endswith("/offline.json"):
        return "list of pages (offline.json)"
    if path.endswith("/offline/pages"):
        return "parts (many pages each)"
    if re.fullmatch(r"/h/[^/]+/visit", path):
        return "visit forms"
    if re.fullmatch(r"/h/[^/]+", path):
        return "household pages"
    if re.fullmatch(r"/villages/\d+", path):
        return "village list pages"
    if path.endswith("/roster"):
        return "class roster (village's people)"
    if "/classes" in path:
        return "classes"
    if path.startswith("/static/") or path == "/sw.js" or path.endswith(".webmanifest"):
        return "app shell (static, worker)"
    if path.startswith("/offline/") or path == "/queue":
        return "app shell (offline pages)"
    return "other pages"


def table(title: str, requests: list[Request], each: bool) -> dict[str, int]:
    groups: dict[str, list[Request]] = defaultdict(list)
    for r in requests:
        groups[kind_of(r.url)].append(r)
    print(f"\n{title}")
    print(
        f"{'':<30} {'requests':>8} {'wire bytes':>12} {'of headers':>11} {'raw bytes':>12} {'wire/request':>12}  encoding"
    )
    for name, rows in sorted(groups.items(), key=lambda g: -sum(r.wire for r in g[1])):
        wire, raw = sum(r.wire for r in rows), sum(r.raw for r in rows)
        encodings = ",".join(sorted({r.encoding or "none" for r in rows}))
        heads = sum(r.headers for r in rows)
        print(
            f"{name:<30} {len(rows):>8} {wire:>12,} {heads:>11,} {raw:>12,} {wire // len(rows):>12,}  {encodings}"
        )
        if each:
            for r in rows:
                path = urlsplit(r.url)._replace(scheme="", netloc="").geturl()
                print(f"    {r.status:>3} {r.wire:>9,} {r.raw:>10,} {r.encoding or '-':<5} {path}")
    total = {
        "requests": len(requests),
        "wire": sum(r.wire for r in requests),
        "raw": sum(r.raw for r in requests),
    }
    heads = sum(r.headers for r in requests)
    print(f"{'total':<30} {total['requests']:>8} {total['wire']:>12,} {heads:>11,} {total['raw']:>12,}")
    failed = [r for r in requests if r.failed or r.status >= 400]
    if failed:
        print(f"  {len(failed)} failed, e.g. {failed[0].status} {failed[0].failed} {failed[0].url}")
    return total


async def take_offline(base: str, village: int, link: Link, each: bool) -> dict[str, Any]:
    """A fresh phone on `link`: sign in, wait for the worker, take the village offline. Its numbers."""
    async with a_phone(link) as (phone, cdp):
        started = time.monotonic()
        await sign_in(phone, cdp, base, "volunteer1", village)
        ready = time.monotonic()
        before = set(cdp.requests)
        pages, seconds = await take_village_offline(phone, base, village)
        finished = ready + seconds
        await asyncio.sleep(0.5)  # the last loadingFinished events
    network = {id(r) for r in cdp.network()}
    setup = [r for key, r in cdp.requests.items() if key in before and id(r) in network]
    download = [r for key, r in cdp.requests.items() if key not in before and id(r) in network]
    print(
        f"\n=== {link.name}: {link.down_kbit} kbit/s down, {link.up_kbit} kbit/s up, {link.latency_ms} ms latency"
    )
    shell = table(f"sign in and the app shell ({ready - started:.1f} s)", setup, each)
    got = table(
        f"the village's download: {pages} pages, {finished - ready:.1f} s from the tap to ready",
        download,
        each,
    )
    return {
        "link": link.name,
        "setup_seconds": round(ready - started, 1),
        "setup_wire_bytes": shell["wire"],
        "download_seconds": round(finished - ready, 1),
        "download_pages": pages,
        "download_requests": got["requests"],
        "download_wire_bytes": got["wire"],
        "download_raw_bytes": got["raw"],
        "offline_json_wire_bytes": sum(
            r.wire for r in download if kind_of(r.url).startswith("list of pages")
        ),
    }


async def main(households: int, each: bool) -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'phocap.sqlite3'}"
        world = await fill(url, households)
        village = world.villages["v1"]
        server, base = serve(folder, url)
        try:
            print(
                f"village v1: {households + 2} households (the fixture's 2 and {households} of 3 or 4 members)"
            )
            results = [await take_offline(base, village, link, each) for link in LINKS]
        finally:
            stop(server)
    print(json.dumps({"households": households + 2, "links": results}))


if __name__ == "__main__":
    arguments = [a for a in sys.argv[1:] if not a.startswith("--")]
    asyncio.run(main(int(arguments[0]) if arguments else 750, "--each" in sys.argv))
