"""One web worker's memory under a long mixed load at province size (issue 16: "RSS of one web worker
after an hour-long mixed load at province size; goal: flat").

Run on demand against a database filled by `phocap generate` (README, "Benchmarks"):

    DATABASE_URL=postgresql://…/gen600 phocap generate --province 19 --wards 100 --households 600000
    python -m tests.benchmarks.soak postgresql://…/gen600 [MINUTES] [CLIENTS]     # default 60 min, 20

phocap is served by uvicorn in a process of its own (one worker, as each of the Procfile's workers),
with its embedded scheduler off (the scheduler is a process of its own in production). In the largest
ward, CLIENTS concurrent people work as they do on a weekday: volunteers record visits through the
API and open households and their village's list, a village head filters the list and reads the
activity, the ward officer opens the dashboard and the activity, and the province officer opens the
province report. The worker's resident memory (VmRSS, /proc) is sampled every SAMPLE_SECONDS. Printed:
RSS per tenth of the run, then start (after the first WARMUP_MINUTES: caches and pools filled), end,
peak, and the slope over the rest of the run in MB per hour by least squares (flat: within a few MB/h
of 0), requests and errors; one JSON line last.
"""

from __future__ import annotations

import asyncio
import json
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from surveys.core.db import bind, close_pool, current_engine, engine_for_url
from surveys.people.accounts import create_user
from surveys.tables import Household, Province, Village, Ward
from tests.benchmarks.faults import serve as serve_app
from tests.benchmarks.faults import stop
from tests.factories import PASSWORD

SAMPLE_SECONDS = 10.0
WARMUP_MINUTES = 5.0
PROVINCE = "19"
HOUSEHOLDS_PER_VOLUNTEER = 400


@dataclass
class Area:
    """Who works where: the largest ward, its villages, some of its households."""

    ward: str
    villages: list[int]
    tokens: list[str]


@dataclass
class Seen:
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    samples: list[tuple[float, float]] = field(default_factory=list)  # (seconds from start, RSS MB)


async def prepare(url: str) -> Area:
    """The accounts the load signs in with (made again each run), in the province's largest ward."""
    engine = engine_for_url(url)
    bind(engine)
    rows = await Province.raw(
        """SELECT w.id AS id, w.code AS code, COUNT(*) AS n FROM household h
        JOIN village v ON v.id = h.village JOIN ward w ON w.id = v.ward
        WHERE NOT h.archived GROUP BY w.id, w.code ORDER BY n DESC, w.code LIMIT 1"""
    )
    ward_id, ward_code = int(rows[0]["id"]), str(rows[0]["code"])
    villages = [int(r["id"]) for r in await Village.select(Village.id).where(Village.ward == ward_id)]
    province = await Province.select(Province.id).where(Province.code == PROVINCE).first()
    assert province is not None, f"no province {PROVINCE}: run `phocap generate --province {PROVINCE}` first"
    await create_user(
        "soak-province", PASSWORD, "province_officer", "Cán bộ tỉnh", province_id=province["id"]
    )
    await create_user("soak-ward", PASSWORD, "ward_officer", "Cán bộ xã", ward_id=ward_id)
    await create_user("soak-head", PASSWORD, "village_head", "Trưởng thôn", ward_id=ward_id,
                      village_ids=(villages[0],))  # fmt: skip
    await create_user("soak-volunteer", PASSWORD, "volunteer", "Tình nguyện viên", ward_id=ward_id,
                      village_ids=tuple(villages))  # fmt: skip
    tokens = [
        str(r["token"])
        for r in await Household.select(Household.token)
        .where(Household.village.is_in(villages), Household.archived.eq(False))
        .limit(HOUSEHOLDS_PER_VOLUNTEER * 10)
    ]
    assert await Ward.exists().where(Ward.id == ward_id)
    await close_pool(current_engine())
    return Area(ward_code, villages, tokens)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


async def signed_in(base: str, login: str) -> httpx.AsyncClient:
    from tests.benchmarks.faults import signed_in as web_sign_in

    client, _ = await web_sign_in(base, login)
    return client


async def load(base: str, area: Area, minutes: float, clients: int, pid: int) -> Seen:
    seen = Seen()
    started = time.monotonic()
    stop_at = started + minutes * 60

    async def get(client: httpx.AsyncClient, kind: str, path: str) -> None:
        try:
            response = await client.get(path)
            seen.statuses[(kind, response.status_code)] += 1
        except httpx.TransportError:
            seen.statuses[(kind, 0)] += 1

    async def volunteer(rng: random.Random, api: httpx.AsyncClient, web: httpx.AsyncClient) -> None:
        while time.monotonic() < stop_at:
            token = rng.choice(area.tokens)
            await get(web, "household page", f"/h/{token}")
            body = {"client_id": str(uuid.uuid4()), "outcome": "nobody_home", "household_version": 1}
            try:
                response = await api.post(f"/api/households/{token}/visits", json=body)
                seen.statuses[("visit", response.status_code)] += 1
            except httpx.TransportError:
                seen.statuses[("visit", 0)] += 1
            if rng.random() < 0.1:
                await get(web, "village list", f"/villages/{rng.choice(area.villages)}")

    async def village_head(rng: random.Random, web: httpx.AsyncClient) -> None:
        village = area.villages[0]
        while time.monotonic() < stop_at:
            await get(web, "village list", f"/villages/{village}?status=not_visited")
            await get(web, "village activity", f"/villages/{village}/activity")
            await asyncio.sleep(rng.uniform(0.5, 2))

    async def ward_officer(rng: random.Random, web: httpx.AsyncClient) -> None:
        while time.monotonic() < stop_at:
            await get(web, "ward dashboard", f"/wards/{area.ward}")
            await get(web, "ward activity", f"/wards/{area.ward}/activity")
            await asyncio.sleep(rng.uniform(1, 3))

    async def province_officer(rng: random.Random, web: httpx.AsyncClient) -> None:
        while time.monotonic() < stop_at:
            await get(web, "province report", f"/provinces/{PROVINCE}")
            await asyncio.sleep(rng.uniform(5, 15))

    async def sample() -> None:
        while time.monotonic() < stop_at:
            seen.samples.append((time.monotonic() - started, rss_mb(pid)))
            await asyncio.sleep(SAMPLE_SECONDS)
        seen.samples.append((time.monotonic() - started, rss_mb(pid)))

    async with httpx.AsyncClient(base_url=base, timeout=60) as api:
        session = await api.post("/api/session", json={"login": "soak-volunteer", "password": PASSWORD})
        api.headers["Authorization"] = f"Bearer {session.json()['token']}"
        webs = {login: await signed_in(base, login) for login in ("soak-volunteer", "soak-head", "soak-ward",
                                                                    "soak-province")}  # fmt: skip
        try:
            volunteers = max(1, clients - 3)
            await asyncio.gather(
                sample(),
                *(volunteer(random.Random(i), api, webs["soak-volunteer"]) for i in range(volunteers)),
                village_head(random.Random(-1), webs["soak-head"]),
                ward_officer(random.Random(-2), webs["soak-ward"]),
                province_officer(random.Random(-3), webs["soak-province"]),
            )
        finally:
            for web in webs.values():
                await web.aclose()
    return seen


def slope_mb_per_hour(samples: list[tuple[float, float]]) -> float:
    """Least-squares slope of RSS over time, in MB per hour."""
    if len(samples) < 2:
        return 0.0
    times = [t for t, _ in samples]
    return statistics.linear_regression(times, [mb for _, mb in samples]).slope * 3600


def report(seen: Seen, minutes: float, clients: int, households: int) -> None:
    samples = seen.samples
    steady = [s for s in samples if s[0] >= min(WARMUP_MINUTES, minutes / 5) * 60] or samples
    print(f"one web worker, {clients} people at work for {minutes:g} min, {households:,} households")
    print("minute  RSS MB")
    step = max(1, len(samples) // 10)
    for t, mb in [*samples[::step], samples[-1]]:
        print(f"{t / 60:6.1f}  {mb:7.1f}")
    kinds = sorted({kind for kind, _ in seen.statuses})
    errors = 0
    for kind in kinds:
        answers = {status: n for (k, status), n in seen.statuses.items() if k == kind}
        errors += sum(n for status, n in answers.items() if status == 0 or status >= 500)
        print(f"{kind:18} {dict(sorted(answers.items()))}")
    result = {
        "households": households,
        "minutes": minutes,
        "clients": clients,
        "requests": sum(seen.statuses.values()),
        "errors_5xx": errors,
        "rss_start_mb": round(steady[0][1], 1),
        "rss_end_mb": round(samples[-1][1], 1),
        "rss_peak_mb": round(max(mb for _, mb in samples), 1),
        "rss_slope_mb_per_hour": round(slope_mb_per_hour(steady), 1),
    }
    print(f"RSS after warm-up {result['rss_start_mb']} MB, at the end {result['rss_end_mb']} MB, "
          f"peak {result['rss_peak_mb']} MB, slope {result['rss_slope_mb_per_hour']} MB/h; "
          f"requests {result['requests']}, 5xx/broken {errors}")  # fmt: skip
    print(json.dumps(result))


async def main(url: str, minutes: float, clients: int) -> None:
    area = await prepare(url)
    bind(engine_for_url(url))
    households = int((await Province.raw("SELECT COUNT(*) AS n FROM household WHERE NOT archived"))[0]["n"])
    await close_pool(current_engine())
    with tempfile.TemporaryDirectory() as folder:
        server, base = serve_app(folder, url)
        try:
            seen = await load(base, area, minutes, clients, server.pid)
        finally:
            stop(server)
            tracebacks = (Path(folder) / "server.log").read_text(errors="replace").count("Traceback")
    report(seen, minutes, clients, households)
    if tracebacks:
        print(f"server tracebacks: {tracebacks}")


if __name__ == "__main__":
    arguments = sys.argv[1:]
    if not arguments or arguments[0].startswith("-"):
        sys.exit(__doc__)
    asyncio.run(main(arguments[0], float(arguments[1]) if len(arguments) > 1 else 60.0,
                     int(arguments[2]) if len(arguments) > 2 else 20))  # fmt: skip
