"""The national view at the country's size: VILLAGES villages (default 100,000) over the 34 provinces with
their daily counts and no households (`phocap generate --villages-only`), read as a national officer.

Run on demand:

    python -m tests.benchmarks.country [VILLAGES] [postgresql://phocap:phocap@host:port/any_db]

On SQLite (a temporary file) and, with a PostgreSQL URL, on a database of its own made beside the one
named (`phocap_bench_country`, created and dropped again: the role needs CREATEDB). Times, side by side
(median and 90th percentile of REPEAT runs, SQL queries of one run):
- the whole national report (`country_report`: the ward counts on two days, wards, targets, provinces),
- the ward counts on two days alone (`ward_counts_on`), and the same sums through `stored_trend` (the
  province dashboard's reading of the daily counts), the way the national view does not read them,
- the raw database doing the least either could: one plain query summing each village's latest row,
- the page /country and GET /api/country/report through the app, and /healthz (an empty handler on the
  same stack) as the floor.
Also the generator's time, the database's size and the load average (the machine is shared: the
figures move with it). Goal: the national report ≤ 1 s. Prints a table, then one JSON line.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
from litestar.testing import AsyncTestClient

from server.app import create_app
from surveys.core.clock import local_now, recent_weeks
from surveys.core.db import bind, close_pool, engine_for_url, migrate, open_pool
from surveys.core.settings import load_settings
from surveys.generate import generate_villages
from surveys.people.accounts import create_user
from surveys.reporting.country import country_report, ward_counts_on
from surveys.reporting.reports import trend_days
from surveys.reporting.village_counts import stored_trend
from surveys.tables import Village
from tests.benchmarks.databases import dropped, made_beside
from tests.queries import sent_queries

REPEAT = int(os.environ.get("REPEAT", "7"))
PASSWORD = "benchmark-password"
BENCH_DB = "phocap_bench_country"
# The least the raw database can do: each village's latest row, summed (households, visited).
RAW = """SELECT SUM(c.households), SUM(c.visited) FROM village v JOIN village_count c ON c.id = (
    SELECT x.id FROM village_count x WHERE x.village = v.id ORDER BY x.day DESC LIMIT 1)"""


async def _timed(work: Callable[[], Awaitable[Any]]) -> tuple[float, float, int]:
    await work()  # warm the caches once
    timings = []
    for _ in range(REPEAT):
        started = time.perf_counter()
        await work()
        timings.append((time.perf_counter() - started) * 1000)
    with sent_queries() as queries:
        await work()
    return statistics.median(timings), sorted(timings)[max(0, int(0.9 * len(timings)) - 1)], len(queries)


async def _size(url: str) -> int:
    if url.startswith("sqlite"):
        return os.stat(url.removeprefix("sqlite:///")).st_size
    rows = await Village.raw("SELECT pg_database_size(current_database()) AS n")
    return int(rows[0]["n"])


async def measure(url: str, villages: int, data_dir: str) -> dict[str, Any]:
    """Fill the database at `url` and time every reading of it."""
    engine = engine_for_url(url)
    bind(engine)
    await open_pool(engine, 4)
    try:
        await migrate()
        started = time.perf_counter()
        made = await generate_villages(villages)
        generated = time.perf_counter() - started
        await create_user("national", PASSWORD, "national_officer", "Cán bộ trung ương")
        days = [local_now().date(), trend_days(recent_weeks(2))[0]]

        async def whole() -> Any:
            return (await country_report()).total

        async def two_days() -> Any:
            return await ward_counts_on(days)

        async def through_stored_trend() -> Any:
            return await stored_trend("id IS NOT NULL", [], days, by="ward")

        async def raw() -> Any:
            if url.startswith("sqlite"):
                import sqlite3

                db = sqlite3.connect(url.removeprefix("sqlite:///"))
                try:
                    return db.execute(RAW).fetchall()
                finally:
                    db.close()
            connection = await asyncpg.connect(url)
            try:
                return await connection.fetch(RAW)
            finally:
                await connection.close()

        results = [
            ("national report (country_report)", *await _timed(whole)),
            ("ward counts, two days (ward_counts_on)", *await _timed(two_days)),
            ("the same through stored_trend", *await _timed(through_stored_trend)),
            ("raw: latest row of each village, summed", *await _timed(raw)),
        ]
        settings = load_settings(
            environ={}, data_dir=data_dir, database_url=url, allowed_hosts="testserver.local"
        )
        async with AsyncTestClient(create_app(settings), base_url="https://testserver.local") as client:
            page = await client.get("/signin")
            csrf = re.search(r'name="_csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
            await client.post(
                "/signin", data={"login": "national", "password": PASSWORD, "_csrf_token": csrf}
            )
            token = (
                await client.post("/api/session", json={"login": "national", "password": PASSWORD})
            ).json()
            bearer = {"Authorization": f"Bearer {token['token']}"}
            for name, target, headers in (
                ("page /country", "/country", {}),
                ("API /api/country/report", "/api/country/report", bearer),
                ("empty handler /healthz", "/healthz", {}),
            ):

                async def get(target: str = target, headers: dict[str, str] = headers) -> None:
                    response = await client.get(target, headers=headers)
                    assert response.status_code == 200, response.status_code

                results.append((name, *await _timed(get)))
        return {
            "database": "sqlite" if url.startswith("sqlite") else "postgresql",
            "villages": made.villages,
            "count_rows": made.counts,
            "generate_s": round(generated, 1),
            "size_mb": round(await _size(url) / 1e6, 1),
            "results": results,
        }
    finally:
        await close_pool(engine)


async def _postgres(admin_url: str, villages: int, data_dir: str) -> dict[str, Any]:
    """`measure` on a database of its own beside `admin_url`'s, dropped again after."""
    url = await made_beside(admin_url, BENCH_DB)
    try:
        return await measure(url, villages, data_dir)
    finally:
        await dropped(admin_url, url)


def _print(run: dict[str, Any]) -> None:
    print(f"\n{run['database']}: {run['villages']:,} villages, {run['count_rows']:,} daily count rows, "
          f"generated in {run['generate_s']} s, {run['size_mb']} MB")  # fmt: skip
    print(f"{'what':<42} {'median ms':>10} {'p90 ms':>8} {'queries':>8}")
    for name, median, p90, queries in run["results"]:
        print(f"{name:<42} {median:>10.1f} {p90:>8.1f} {queries:>8}")


async def main() -> None:
    villages = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    postgres = sys.argv[2] if len(sys.argv) > 2 else ""
    runs = []
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="phocap-country-") as tmp:
        runs.append(await measure(f"sqlite:///{Path(tmp) / 'country.sqlite3'}", villages, tmp))
        if postgres:
            runs.append(await _postgres(postgres, villages, tmp))
    load_after = os.getloadavg()
    print(
        f"load average (1, 5, 15 min): before {load_before}, after {load_after}; {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    )
    for run in runs:
        _print(run)
    print(json.dumps({
        "villages": villages, "load_before": load_before, "load_after": load_after,
        "runs": [{**{k: v for k, v in run.items() if k != "results"},
                  "results": [{"what": r[0], "median_ms": round(r[1], 1), "p90_ms": round(r[2], 1), "queries": r[3]}
                              for r in run["results"]]} for run in runs],
    }))  # fmt: skip


if __name__ == "__main__":
    asyncio.run(main())
