"""The province report, the ward dashboard and the periodic report of the last quarter (province and
largest ward) at province size, before (counted live from the households and the visit history,
`COUNTS_READ=false`) and after (read from the per-village daily counts), side by side with the raw
database doing the least either could: one plain query of the households per ward.

Run on demand against databases filled by `phocap generate` (issue 16):

    phocap generate --province 19 --wards 100 --households 60000    # DATABASE_URL=... each
    python -m tests.benchmarks.scale postgresql://…/gen60 postgresql://…/gen600

Each URL is measured in turn through the app (in-process, signed in as a province officer, who reads
every ward): median and 90th percentile of REPEAT requests, and the SQL queries of one request. With
two URLs the ratio of the second to the first shows whether the cost still grows with the households
(goal ≤ 1.5×; province report ≤ 1 s and ward dashboard ≤ 100 ms at 600,000). One JSON line last.

Or let it generate them (issue 27: 600,000 and 3 M households on PostgreSQL with the same villages, in
one sitting): a number instead of a URL is that many households, generated into a database of its own
beside `BESIDE`'s (a PostgreSQL URL whose role may create databases; without it, a SQLite file in a
temporary folder) with `WARDS` wards of `VILLAGES` villages (default 100 and 8: the province's 92 wards,
736 villages, at every size), timed, measured and dropped after (`KEEP=1` keeps it):

    BESIDE=postgresql://…/any REPEAT=5 MODES=counts python -m tests.benchmarks.scale 600000 3000000
    WARDS=8 VILLAGES=10 REPEAT=5 python -m tests.benchmarks.scale 20000 80000        # SQLite

`--interleaved URL_SMALL URL_BIG` instead times today's and the last quarter's province report in-process
on the two databases in turn (one request on each, REPEAT rounds), so both see the same load.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import asyncpg
from litestar.testing import AsyncTestClient

from server.app import create_app
from surveys.core.clock import local_now
from surveys.core.db import bind, close_pool, engine_for_url, migrate, open_pool
from surveys.core.settings import get_settings, load_settings
from surveys.generate import generate
from surveys.people.accounts import create_user
from surveys.tables import Province, User
from tests.benchmarks.databases import dropped, made_beside
from tests.queries import sent_queries

REPEAT = int(os.environ.get("REPEAT", "7"))
# `MODES=counts` skips the live pages, which take minutes at millions of households.
MODES = os.environ.get("MODES", "live,counts").split(",")
PASSWORD = "benchmark-password"
BESIDE = os.environ.get("BESIDE", "")
WARDS = int(os.environ.get("WARDS", "100"))
VILLAGES = int(os.environ.get("VILLAGES", "8"))
KEEP = os.environ.get("KEEP", "") == "1"
PROVINCE = "19"
# The least the raw database can do for a province report: households and visited ones per ward.
RAW = """SELECT vl.ward, COUNT(*), SUM(CASE WHEN EXISTS (SELECT 1 FROM visit v WHERE v.household = h.id
    AND v.outcome = 'done') THEN 1 ELSE 0 END) FROM household h JOIN village vl ON vl.id = h.village
    WHERE NOT h.archived GROUP BY vl.ward"""


async def _timed(work: Callable[[], Awaitable[Any]], repeat: int) -> dict[str, float]:
    await work()  # warm the caches once
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        await work()
        timings.append((time.perf_counter() - started) * 1000)
    with sent_queries() as queries:
        await work()
    p90 = sorted(timings)[min(len(timings) - 1, -(-9 * len(timings) // 10) - 1)]
    return {
        "median_ms": round(statistics.median(timings), 1),
        "p90_ms": round(p90, 1),
        "queries": len(queries),
    }


async def _raw(url: str) -> None:
    if url.startswith("postgresql"):
        connection = await asyncpg.connect(url)
        try:
            await connection.fetch(RAW)
        finally:
            await connection.close()
    else:
        db = sqlite3.connect(url.removeprefix("sqlite:///"))
        try:
            db.execute(RAW).fetchall()
        finally:
            db.close()


def _last_quarter() -> str:
    """The query of the last whole quarter before today: the periodic report an officer makes most."""
    today = local_now().date()
    first = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    last = first - timedelta(days=1)
    return f"from={date(last.year, last.month - 2, 1).isoformat()}&to={last.isoformat()}"


async def _largest_ward(url: str) -> tuple[str, int]:
    rows = await Province.raw(
        """SELECT w.code AS code, COUNT(*) AS n FROM household h JOIN village v ON v.id = h.village
        JOIN ward w ON w.id = v.ward WHERE NOT h.archived GROUP BY w.code ORDER BY n DESC, w.code LIMIT 1"""
    )
    return rows[0]["code"], int(rows[0]["n"])


async def measure(url: str) -> dict[str, Any]:
    """Both pages, live and from the counts, and the raw query, against one generated database."""
    bind(engine_for_url(url))
    households = int((await Province.raw("SELECT COUNT(*) AS n FROM household WHERE NOT archived"))[0]["n"])
    ward_code, ward_households = await _largest_ward(url)
    if not await User.exists().where(User.login == "bench-province"):
        province = await Province.select(Province.id).where(Province.code == PROVINCE).first()
        assert province is not None
        await create_user(
            "bench-province", PASSWORD, "province_officer", "Cán bộ tỉnh", province_id=province["id"]
        )
    result: dict[str, Any] = {"database": url.split(":")[0], "households": households,
                              "ward_households": ward_households}  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        for mode, counts in (("live", "false"), ("counts", "true")):
            if mode not in MODES:
                continue
            os.environ["COUNTS_READ"] = counts
            get_settings.cache_clear()
            settings = load_settings(data_dir=tmp, database_url=url, allowed_hosts="testserver.local")
            async with AsyncTestClient(create_app(settings), base_url="https://testserver.local") as client:
                page = await client.get("/signin")
                csrf = re.search(r'name="_csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
                await client.post(
                    "/signin", data={"login": "bench-province", "password": PASSWORD, "_csrf_token": csrf}
                )
                # The live province report takes seconds at 600,000 households: fewer runs.
                repeat = REPEAT if mode == "counts" or households < 100_000 else 3
                # The live periodic report of the province counts every ward's history twice: once.
                periodic_repeat = 1 if mode == "live" and households >= 100_000 else repeat
                for name, path in (
                    ("province_report", f"/provinces/{PROVINCE}"),
                    ("ward_dashboard", f"/wards/{ward_code}"),
                    ("periodic_province", f"/provinces/{PROVINCE}/reports?{_last_quarter()}"),
                    ("periodic_ward", f"/wards/{ward_code}/reports?{_last_quarter()}"),
                ):

                    async def get(path: str = path) -> None:
                        response = await client.get(path)
                        assert response.status_code == 200, (path, response.status_code)

                    result[f"{name}_{mode}"] = await _timed(
                        get, periodic_repeat if "periodic" in name else repeat
                    )
    os.environ.pop("COUNTS_READ", None)
    get_settings.cache_clear()
    result["raw_households_per_ward"] = await _timed(lambda: _raw(url), REPEAT)
    # The machine is shared: each database's figures with the load they were measured under.
    result["load_average"] = [round(x, 1) for x in os.getloadavg()]
    await engine_close()
    return result


async def engine_close() -> None:
    from surveys.core.db import close_pool, current_engine

    await close_pool(current_engine())


async def _generated(households: int, folder: str) -> tuple[str, dict[str, Any]]:
    """A database of its own (beside `BESIDE`'s, or a SQLite file in `folder`) filled by `phocap
    generate` with `households` households: its URL and how long each step took."""
    if BESIDE:
        url = await made_beside(BESIDE, f"phocap_bench_scale_{households}")
    else:
        url = f"sqlite:///{Path(folder) / f'scale-{households}.sqlite3'}"
    engine = engine_for_url(url)
    bind(engine)
    await open_pool(engine, 4)
    try:
        await migrate()
        started = time.perf_counter()
        made = await generate(PROVINCE, WARDS, households, VILLAGES)
        seconds = round(time.perf_counter() - started, 1)
    finally:
        await close_pool(engine)
    print(f"generated {made.households:,} households, {made.members:,} members, {made.visits:,} visits in "
          f"{made.villages} villages: {seconds:,.0f} s ({made.seconds}), load {os.getloadavg()}", flush=True)  # fmt: skip
    return url, {"generate_s": seconds, "generate_steps": made.seconds, "villages": made.villages}


async def _dropped(url: str) -> None:
    if url.startswith("postgresql") and not KEEP:
        await dropped(BESIDE, url)


async def interleaved(small: str, big: str) -> None:
    """Today's and the last quarter's province report computed in-process (no HTTP) on two databases
    in turn, a request on one then on the other, REPEAT times: on a shared machine whose load moves by
    ×2 in minutes, both sizes see the same load, and the ratio is the figure to read."""
    from surveys.reporting.periodic import province_period_report
    from surveys.reporting.periods import period_between
    from surveys.reporting.province import province_report

    quarter = dict(part.split("=") for part in _last_quarter().split("&"))
    period = period_between(quarter["from"], quarter["to"])
    engines = {url: engine_for_url(url) for url in (small, big)}
    timings: dict[str, dict[str, list[float]]] = {url: {"today": [], "quarter": []} for url in engines}
    for engine in engines.values():
        await open_pool(engine, 4)
    try:
        for _ in range(REPEAT + 1):
            for url, engine in engines.items():
                bind(engine)
                row = await Province.select(Province.id).where(Province.code == PROVINCE).first()
                assert row is not None
                province = int(row["id"])
                for name, work in (("today", lambda p=province: province_report(p)),
                                   ("quarter", lambda p=province: province_period_report(p, period))):  # fmt: skip
                    started = time.perf_counter()
                    await work()
                    timings[url][name].append((time.perf_counter() - started) * 1000)
    finally:
        for engine in engines.values():
            await close_pool(engine)
    # The first round warms the caches.
    medians = {
        url: {k: round(statistics.median(v[1:]), 1) for k, v in t.items()} for url, t in timings.items()
    }
    print(f"interleaved, REPEAT={REPEAT}, load average at the end {[round(x, 1) for x in os.getloadavg()]}")
    for url in engines:
        print(
            f"{url.rsplit('/', 1)[-1]:<30} today {medians[url]['today']:>8.1f} ms   quarter {medians[url]['quarter']:>8.1f} ms"
        )
    ratio = {k: round(medians[big][k] / medians[small][k], 2) for k in ("today", "quarter")}
    print(json.dumps({"interleaved": medians, "ratio": ratio, "load_average": os.getloadavg()}))


async def main() -> None:
    if sys.argv[1:2] == ["--interleaved"]:
        await interleaved(sys.argv[2], sys.argv[3])
        return
    results = []
    with tempfile.TemporaryDirectory(prefix="phocap-scale-") as folder:
        for arg in sys.argv[1:]:
            if not arg.isdigit():
                results.append(await measure(arg))
                continue
            url, made = await _generated(int(arg), folder)
            try:
                results.append({**await measure(url), **made})
            finally:
                await _dropped(url)
    # The machine is shared: the figures move with its load.
    load = [round(x, 1) for x in os.getloadavg()]
    print(f"load average (1, 5, 15 min) at the end: {load}")
    print(f"{'database':<11} {'households':>10} {'what':<26} {'median ms':>10} {'p90 ms':>8} {'queries':>8}")
    for r in results:
        for what in ("province_report_live", "province_report_counts", "ward_dashboard_live",
                     "ward_dashboard_counts", "periodic_province_live", "periodic_province_counts",
                     "periodic_ward_live", "periodic_ward_counts", "raw_households_per_ward"):  # fmt: skip
            m = r.get(what)
            if m is None:
                continue
            print(
                f"{r['database']:<11} {r['households']:>10,} {what:<26} {m['median_ms']:>10.1f} {m['p90_ms']:>8.1f} {m['queries']:>8}"
            )
    for r in results:
        print(f"{r['database']:<11} {r['households']:>10,} measured at load average {r['load_average']}")
        if "generate_s" in r:
            print(
                f"{r['database']:<11} {r['households']:>10,} generated in {r['generate_s']:,.0f} s: {r['generate_steps']}"
            )
    summary: dict[str, Any] = {"runs": results, "load_average": load}
    for r in results:
        r["province_report_ms"] = r["province_report_counts"]["median_ms"]
        r["ward_dashboard_ms"] = r["ward_dashboard_counts"]["median_ms"]
        r["periodic_province_ms"] = r["periodic_province_counts"]["median_ms"]
    if len(results) == 2:
        small, big = results
        summary["ratio"] = {
            what: round(big[what]["median_ms"] / small[what]["median_ms"], 2)
            for what in (
                name
                for name in (
                    "province_report_live",
                    "province_report_counts",
                    "ward_dashboard_live",
                    "ward_dashboard_counts",
                    "periodic_province_live",
                    "periodic_province_counts",
                    "periodic_ward_live",
                    "periodic_ward_counts",
                )
                if name in big and name in small
            )
        }
        summary["households"] = [small["households"], big["households"]]
    print(json.dumps(summary))


if __name__ == "__main__":
    asyncio.run(main())
