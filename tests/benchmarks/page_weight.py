"""Bytes over the wire for a volunteer's first load of a household page (the door-sticker URL).

Run on demand: `python -m tests.benchmarks.page_weight`. Loads the demo commune into a temporary
SQLite database, signs in as volunteer1, and fetches the household page and everything it loads,
with the `Accept-Encoding` Chromium on Android sends over HTTPS (`gzip, deflate, br, zstd`; phocap
serves brotli or gzip), and again with gzip only (a browser without brotli). Prints bytes on the wire
and raw, then one JSON line. The budget (issue 12: a first load at most 25 KB compressed) is checked by
`tests/server/test_page_weight.py`; the service worker and its precache load after the page is shown
(web/static/offline.js registers it on `load`), so they are not part of the first load.
"""

from __future__ import annotations

import asyncio
import json
import re
import tempfile
from pathlib import Path

import httpx
from litestar.testing import AsyncTestClient

from server.app import create_app
from surveys.core.db import bind, engine_for_url, migrate
from surveys.core.settings import load_settings
from surveys.demo import DEMO_PASSWORD, load_demo
from surveys.tables import Household, Member


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'phocap.sqlite3'}"
        bind(engine_for_url(url))
        await migrate()
        await load_demo()
        token, members = await heaviest_household()
        settings = load_settings(environ={}, data_dir=tmp, database_url=url, allowed_hosts="testserver.local")
        async with AsyncTestClient(create_app(settings), base_url="https://testserver.local") as client:
            page = await client.get("/signin")
            csrf = re.search(r'name="_csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
            await client.post(
                "/signin", data={"login": "volunteer1", "password": DEMO_PASSWORD, "_csrf_token": csrf}
            )
            rows = await first_load(client, token, f"/h/<token> ({members} members)")
            later = await after_load(client, token)
            gzip_only = await first_load(client, token, "", GZIP_ONLY)
        print(f"{'resource':<34} {'phone bytes':>11} {'gzip bytes':>11} {'raw bytes':>10}")
        for (name, (wire, raw, _)), (_, (gz, _, _)) in zip(rows, gzip_only, strict=True):
            print(f"{name:<34} {wire:>11,} {gz:>11,} {raw:>10,}")
        total = sum(r[1][0] for r in rows)
        total_gzip = sum(r[1][0] for r in gzip_only)
        print(f"{'total, first load':<34} {total:>11,} {total_gzip:>11,} {sum(r[1][1] for r in rows):>10,}")
        print(
            f"{'page alone (assets cached)':<34} {rows[0][1][0]:>11,} {gzip_only[0][1][0]:>11,} {rows[0][1][1]:>10,}"
        )
        for name, (wire, raw, _) in later:
            print(f"{'after load: ' + name:<34} {wire:>11,} {'':>11} {raw:>10,}")
        summary = {
            "first_load_bytes": total,
            "first_load_gzip_only_bytes": total_gzip,
            "budget_bytes": BUDGET_BYTES,
            "page_bytes": rows[0][1][0],
        }
        print(json.dumps(summary))


# Issue 12: the first load of a household page stays at most 25 KB compressed.
BUDGET_BYTES = 25 * 1024
# What the page loads at once: its stylesheet, icon and scripts (not the links it offers). The
# manifest is fetched by the browser after the page is loaded (to offer installing), like the
# service worker: counted apart, in AFTER_LOAD.
LOADED = re.compile(r'<(?:link rel="(?:icon|stylesheet)"|script)[^>]*?(?:href|src)="([^"]+)"')
# What Chromium on Android accepts over HTTPS (phocap runs behind TLS), and a browser without brotli.
PHONE = "gzip, deflate, br, zstd"
GZIP_ONLY = "gzip"
AFTER_LOAD = re.compile(r'<link rel="manifest"[^>]*?href="([^"]+)"')


async def first_load(
    client: httpx.AsyncClient, token: str, name: str, accept: str = PHONE
) -> list[tuple[str, tuple[int, int, str]]]:
    """(name, (bytes on the wire, bytes decoded, text)) of the household page and each file it loads."""
    page = await fetch(client, f"/h/{token}", accept)
    rows = [(name, page)]
    for asset in LOADED.findall(page[2]):
        rows.append((asset.split("?")[0], await fetch(client, asset, accept)))
    return rows


async def after_load(client: httpx.AsyncClient, token: str) -> list[tuple[str, tuple[int, int, str]]]:
    """What the browser fetches once the household page is shown: the manifest and the worker."""
    page = await fetch(client, f"/h/{token}")
    return [(url, await fetch(client, url)) for url in [*AFTER_LOAD.findall(page[2]), "/sw.js"]]


async def heaviest_household() -> tuple[str, int]:
    """The token and member count of the largest household of the demo's village 1: the heaviest
    page a volunteer opens."""
    sizes: dict[int, int] = {}
    for m in await Member.select(Member.household).where(Member.household._.village._.code == "01"):
        sizes[m["household"]] = sizes.get(m["household"], 0) + 1
    biggest = max(sizes, key=lambda k: sizes[k])
    found = await Household.select(Household.token).where(Household.id == biggest).first()
    assert found is not None
    return str(found["token"]), sizes[biggest]


async def fetch(client: httpx.AsyncClient, path: str, accept: str = PHONE) -> tuple[int, int, str]:
    """(bytes on the wire, bytes decoded, text) of one GET accepting the encodings `accept` names."""
    async with client.stream("GET", path, headers={"Accept-Encoding": accept}) as response:
        response.raise_for_status()
        wire = b"".join([chunk async for chunk in response.aiter_raw()])
    decoded = await client.get(path, headers={"Accept-Encoding": "identity"})
    return len(wire), len(decoded.content), decoded.text


if __name__ == "__main__":
    asyncio.run(main())
