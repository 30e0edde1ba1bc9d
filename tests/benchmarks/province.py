"""The province dashboard at scale: WARDS wards of Tỉnh Thái Nguyên with HOUSEHOLDS households each
(3.5 members, 60% visited), one ward keeping thresholds of its own.

Run on demand: `python -m tests.benchmarks.province [WARDS] [HOUSEHOLDS]` (default 20 × 1,000). Times,
side by side (median and 90th percentile of REPEAT runs, SQL queries of one run):
- the whole province report (today's counts, the 12-week trend, the week's activity),
- today's counts alone as phocap makes them (one grouped query per set of ward rules), and the same
  numbers made the way phocap avoids, a ward report per ward (a query loop),
- the raw baseline: one plain sqlite3 query counting households and visited ones per ward,
- the page and the API answer through the app (signed in as the province officer).
Prints a table for people, then one JSON line for machines.
"""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from litestar.testing import AsyncTestClient

from server.app import create_app
from surveys.core.clock import this_year
from surveys.core.db import bind, engine_for_url, migrate
from surveys.core.settings import load_settings
from surveys.people.accounts import create_user
from surveys.register.admin_units import import_units
from surveys.reporting.province import _counts, _rule_groups, _wards, province_report
from surveys.reporting.reports import Indicators, ward_report
from surveys.reporting.village_counts import rebuild
from surveys.tables import Province, Ward
from tests.benchmarks.coverage import populate
from tests.queries import sent_queries

REPEAT = 10
PASSWORD = "benchmark-password"


async def _timed(work: Callable[[], Awaitable[Any]]) -> tuple[float, float, int]:
    timings = []
    for _ in range(REPEAT):
        started = time.perf_counter()
        await work()
        timings.append((time.perf_counter() - started) * 1000)
    with sent_queries() as queries:
        await work()
    return statistics.median(timings), sorted(timings)[int(0.9 * len(timings)) - 1], len(queries)


async def measure(wards: int, households: int) -> list[tuple[str, float, float, int]]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.sqlite3"
        url = f"sqlite:///{path}"
        bind(engine_for_url(url))
        await migrate()
        await import_units()
        province = await Province.select(Province.id).where(Province.code == "19").first()
        assert province is not None
        codes = [
            w["code"]
            for w in await Ward.select(Ward.code).where(Ward.province == province["id"]).order_by(Ward.code)
        ][:wards]
        await create_user("province", PASSWORD, "province_officer", "Cán bộ tỉnh", province_id=province["id"])
        for n, code in enumerate(codes):
            ward = await Ward.select(Ward.id).where(Ward.code == code).first()
            assert ward is not None
            await create_user(f"v{code}", PASSWORD, "volunteer", "TNV", ward_id=ward["id"])
            populate(str(path), households, villages=max(1, households // 300), seed=n, ward_code=code,
                     user_login=f"v{code}")  # fmt: skip
        await Ward.update({Ward.identity_min_level: 2}).where(Ward.code == codes[0])
        await rebuild()  # the rows went in around phocap's writes: count them as a write would
        ward_ids = [w["id"] for w in await Ward.select(Ward.id).where(Ward.code.is_in(codes))]

        async def whole() -> Indicators:
            return (await province_report(province["id"])).total

        async def grouped() -> Indicators:
            groups = _rule_groups(await _wards(province["id"]))
            return Indicators.sum(list((await _counts(groups, this_year())).values()))

        async def per_ward() -> Indicators:
            return Indicators.sum([(await ward_report(w)).total for w in ward_ids])

        async def raw() -> Any:
            db = sqlite3.connect(path)
            try:
                return db.execute(
                    """SELECT vl.ward, COUNT(*), SUM(EXISTS (SELECT 1 FROM visit v WHERE v.household = h.id
                       AND v.outcome = 'done')) FROM household h JOIN village vl ON vl.id = h.village
                       WHERE NOT h.archived GROUP BY vl.ward"""
                ).fetchall()
            finally:
                db.close()

        assert await grouped() == await per_ward() == await whole()  # the same numbers, however counted
        results = [
            ("whole report: counts, 12-week trend, activity", *await _timed(whole)),
            ("counts, grouped by rules (phocap)", *await _timed(grouped)),
            ("counts, a ward report per ward (loop)", *await _timed(per_ward)),
            ("raw sqlite3: households, visited", *await _timed(raw)),
        ]
        settings = load_settings(environ={}, data_dir=tmp, database_url=url, allowed_hosts="testserver.local")
        async with AsyncTestClient(create_app(settings), base_url="https://testserver.local") as client:
            page = await client.get("/signin")
            csrf = re.search(r'name="_csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
            await client.post(
                "/signin", data={"login": "province", "password": PASSWORD, "_csrf_token": csrf}
            )
            token = (
                await client.post("/api/session", json={"login": "province", "password": PASSWORD})
            ).json()
            bearer = {"Authorization": f"Bearer {token['token']}"}
            for name, target, headers in (
                ("page /provinces/19", "/provinces/19", {}),
                ("API /api/provinces/19/report", "/api/provinces/19/report", bearer),
            ):

                async def get(target: str = target, headers: dict[str, str] = headers) -> None:
                    response = await client.get(target, headers=headers)
                    assert response.status_code == 200, response.status_code

                results.append((name, *await _timed(get)))
        return results


async def main() -> None:
    wards = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    households = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000
    rows = await measure(wards, households)
    print(f"{wards} wards × {households:,} households = {wards * households:,} households")
    print(f"{'what':<46} {'median ms':>10} {'p90 ms':>8} {'queries':>8}")
    for name, median, p90, queries in rows:
        print(f"{name:<46} {median:>10.1f} {p90:>8.1f} {queries:>8}")
    print(json.dumps({"wards": wards, "households": households,
                      "results": [{"what": r[0], "median_ms": round(r[1], 1), "p90_ms": round(r[2], 1),
                                   "queries": r[3]} for r in rows]}))  # fmt: skip


if __name__ == "__main__":
    asyncio.run(main())
