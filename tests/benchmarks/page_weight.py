"""Bytes over the wire for a volunteer's first load of a household page (the door-sticker URL).

Run on demand: `python -m tests.benchmarks.page_weight`. Loads the demo commune into a temporary
SQLite database, signs in as volunteer1, and fetches the household page and everything it loads,
with `Accept-Encoding: gzip` as a phone's browser sends it. Prints bytes compressed and raw.
"""

from __future__ import annotations

import asyncio
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
        # The largest household of village 1: the heaviest page a volunteer opens.
        sizes: dict[int, int] = {}
        for m in await Member.select(Member.household).where(Member.household._.village._.code == "01"):
            sizes[m["household"]] = sizes.get(m["household"], 0) + 1
        biggest = max(sizes, key=lambda k: sizes[k])
        token = (await Household.select(Household.token).where(Household.id == biggest).first() or {})[
            "token"
        ]
        settings = load_settings(environ={}, data_dir=tmp, database_url=url, allowed_hosts="testserver.local")
        async with AsyncTestClient(create_app(settings), base_url="https://testserver.local") as client:
            page = await client.get("/signin")
            csrf = re.search(r'name="_csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
            await client.post(
                "/signin", data={"login": "volunteer1", "password": DEMO_PASSWORD, "_csrf_token": csrf}
            )
            rows = []
            html = await fetch(client, f"/h/{token}")
            rows.append((f"/h/<token> ({sizes[biggest]} members)", html))
            body = html[2]
            for asset in re.findall(r'(?:href|src)="(/static/[^"?]+)', body):
                rows.append((asset, await fetch(client, asset)))
        print(f"{'resource':<34} {'gzip bytes':>11} {'raw bytes':>10}")
        for name, (wire, raw, _) in rows:
            print(f"{name:<34} {wire:>11,} {raw:>10,}")
        print(
            f"{'total, first load':<34} {sum(r[1][0] for r in rows):>11,} {sum(r[1][1] for r in rows):>10,}"
        )
        print(f"{'page alone (assets cached)':<34} {rows[0][1][0]:>11,} {rows[0][1][1]:>10,}")


async def fetch(client: httpx.AsyncClient, path: str) -> tuple[int, int, str]:
    """(bytes on the wire, bytes decoded, text) of one GET with gzip accepted."""
    async with client.stream("GET", path, headers={"Accept-Encoding": "gzip"}) as response:
        response.raise_for_status()
        wire = b"".join([chunk async for chunk in response.aiter_raw()])
    decoded = await client.get(path, headers={"Accept-Encoding": "identity"})
    return len(wire), len(decoded.content), decoded.text


if __name__ == "__main__":
    asyncio.run(main())
