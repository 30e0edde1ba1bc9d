"""A village on the phone made fresh after ten changes, against downloading it again: the bytes on the
wire of each (docs/architecture.md §7, issue 23 item 8).

Run on demand (README, "Benchmarks"):

    python -m tests.benchmarks.offline_refresh [HOUSEHOLDS]    # default 750 households

Fills a throwaway SQLite database as tests/benchmarks/offline_download.py does (the fixture commune,
HOUSEHOLDS more households of 3 or 4 members in volunteer1's village v1, a class this month), dates the
register an hour back (else every household is within the cursor's overlap), serves phocap with uvicorn
in a process of its own and, as volunteer1 over HTTP (httpx, asking brotli as Chromium does), downloads
the village as the worker does (offline.json, then each part), then makes ten changes as the village
head would (six addresses corrected, a household added, one moved out to v2, one archived, a sticker
reissued) and refreshes (offline/changes?since=CURSOR, which carries the list's patch: its head and
the rows changed, then each of its parts). Counts each answer's bytes on the wire: its status line and
headers as HTTP/1.1 sends them and its body as sent (compressed). Prints both, the ratio, and, as the
baseline, the village's list fetched by itself and the refresh with it (what a refresh cost when the
phone fetched the list whole instead of patching it), then one JSON line.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

from surveys.core.clock import now
from surveys.core.db import bind, close_pool, current_engine, engine_for_url
from surveys.register.register import archive_household, update_household
from surveys.register.schemas import HouseholdUpdate
from surveys.register.stickers import reissue_token
from surveys.tables import Household
from tests.benchmarks.faults import serve, stop
from tests.benchmarks.offline_download import fill
from tests.factories import PASSWORD, World, make_household, person


async def wire_bytes(client: httpx.AsyncClient, path: str) -> int:
    """A GET's bytes on the wire: its status line, headers and body as sent (compressed)."""
    async with client.stream("GET", path, headers={"Accept-Encoding": "gzip, deflate, br"}) as got:
        assert got.status_code == 200, (path, got.status_code)
        raw = b"".join([chunk async for chunk in got.aiter_raw()])
        head = len(f"HTTP/1.1 {got.status_code} {got.reason_phrase}\r\n") + 2
        head += sum(len(k) + len(v) + 4 for k, v in got.headers.raw)
    return head + len(raw)


async def fetch(client: httpx.AsyncClient, listing: str) -> tuple[dict[str, Any], int, int]:
    """The listing (offline.json or offline/changes) and its parts: the listing, bytes, requests."""
    size = await wire_bytes(client, listing)
    answer = (await client.get(listing)).json()
    for part in answer["parts"]:
        size += await wire_bytes(client, part)
    return answer, size, 1 + len(answer["parts"])


async def ten_changes(url: str, world: World, households: int) -> None:
    """What a village head changes between the download and the refresh."""
    bind(engine_for_url(url))
    head, ward, village = world.users["head1"], world.wards["pq"], world.villages["v1"]
    rows = (
        await Household.select(Household.id, Household.version)
        .where(Household.village == village)
        .order_by(Household.code)
    )
    picked = rows[2 : 2 + 9 * (len(rows) // 10) : len(rows) // 10][:9]
    for n, row in enumerate(picked[:7]):
        to = world.villages["v2"] if n == 6 else village
        update = HouseholdUpdate(version=row["version"], village=to, address=f"Xóm Bờ Sông, số {n + 1}")
        assert await update_household(row["id"], ward, update, head)
    await archive_household(picked[7]["id"], head)
    await reissue_token(picked[8]["id"], head)
    await make_household(village, f"PQ-01-{households + 3:04d}", [person("Hà Thị Hồng", 1994, sex="female")])
    await close_pool(current_engine())


async def date_back(url: str) -> None:
    bind(engine_for_url(url))
    await Household.update({Household.updated_at: now() - timedelta(hours=1)}, force=True)
    await close_pool(current_engine())


async def main(households: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'phocap.sqlite3'}"
        world = await fill(url, households)
        await date_back(url)
        village = world.villages["v1"]
        server, base = serve(folder, url)
        try:
            async with httpx.AsyncClient(base_url=base, timeout=300) as client:
                form = await client.get("/signin")
                csrf = re.search(r'name="_csrf_token" value="([^"]+)"', form.text)
                assert csrf is not None
                await client.post(
                    "/signin", data={"login": "volunteer1", "password": PASSWORD, "_csrf_token": csrf[1]}
                )
                listed, full, full_requests = await fetch(client, f"/villages/{village}/offline.json")
                await ten_changes(url, world, households)
                since = listed["cursor"]
                changes, fresh, fresh_requests = await fetch(
                    client, f"/villages/{village}/offline/changes?since={since}"
                )
                listing = await wire_bytes(client, f"/villages/{village}")
        finally:
            stop(server)
    ratio = fresh / full
    print(
        f"village v1: {households + 2} households; ten changes (6 corrected, 1 added, 1 moved out, 1 archived, 1 new sticker)"
    )
    print(f"full download: {len(listed['urls'])} pages, {full_requests} requests, {full:,} bytes on the wire")
    print(
        f"refresh:       {len(changes['pages'])} pages, {fresh_requests} requests, {fresh:,} bytes on the wire, {len(changes['gone'])} gone"
    )
    print(f"refresh / full: {ratio:.1%}; the village's list alone, fetched by itself: {listing:,} bytes")
    print(
        f"baseline, the refresh with the list fetched whole: {fresh + listing:,} bytes, {(fresh + listing) / full:.1%}"
    )
    print(json.dumps({"households": households + 2, "full_bytes": full, "full_pages": len(listed["urls"]),
                      "refresh_bytes": fresh, "refresh_pages": len(changes["pages"]), "ratio": round(ratio, 4), "list_bytes": listing,
                      "patch_raw_bytes": len(json.dumps({k: changes[k] for k in ("head", "rows", "ids")}).encode())}))  # fmt: skip


if __name__ == "__main__":
    arguments = [a for a in sys.argv[1:] if not a.startswith("--")]
    asyncio.run(main(int(arguments[0]) if arguments else 750))
