"""The server's CPU per visit request against the empty handler's (issue 27.4), for first visits and for
repeat visits apart: the fault run's 20 s mix both, and first visits of 50 volunteers in one village wait
for that village's rows of the day (docs/scaling.md §3), which moves its figure more than the request's
own work does.

Run on demand, alone on the machine: `python -m tests.benchmarks.visit_cpu POSTGRES_URL [ROUNDS]
[SECONDS]` (default 3 rounds of 12 s) on an empty PostgreSQL database it may fill, or `sqlite`.
Each round fills the village afresh (`PHOCAP_BENCH_HOUSEHOLDS`, default 750), vacuums and analyses it,
serves the empty handler (`tests/benchmarks/skeleton.py`), then phocap twice: the households' first
visits, then a visit to each again. 50 volunteers (`PHOCAP_BENCH_VOLUNTEERS`) with the fault run's own
client. One JSON line a round, then one of the rounds together (means, ratios of the means, ranges).
To compare two trees, run it in each checkout in turn.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from tests.benchmarks import faults


async def phocap_run(folder: str, url: str, tokens: list[str], seconds: float, n: int) -> tuple[float, float]:
    """CPU ms a request and visits/s of phocap's server under n volunteers for `seconds`."""
    process, base = faults.serve(folder, url)
    try:
        async with httpx.AsyncClient(base_url=base) as client:
            session = await client.post(
                "/api/session", json={"login": "volunteer1", "password": faults.PASSWORD}
            )
            headers = {"Authorization": f"Bearer {session.json()['token']}"}
        before = faults.cpu_seconds(process.pid)
        load = await faults.volunteers(base, headers, tokens, seconds, n)
        cpu = faults.cpu_seconds(process.pid) - before
    finally:
        faults.stop(process)
    return cpu * 1000 / max(len(load.answers), 1), len(load.accepted) / load.elapsed


async def one_round(folder: str, url: str, seconds: float, n: int) -> dict[str, float]:
    tokens, _, household, user = await faults.prepare(url)
    raw_url = url
    if url.startswith("postgres"):
        db = await asyncpg.connect(url)
        try:
            await db.execute("VACUUM ANALYZE")
        finally:
            await db.close()
    else:
        # The empty handler writes its rows into a copy, as the fault run's does.
        copy = Path(folder) / "raw.sqlite3"
        shutil.copyfile(url.removeprefix("sqlite:///"), copy)
        raw_url = f"sqlite:///{copy}"
    bare = await faults.skeleton_rate(folder, raw_url, household, user, n)
    skeleton = bare.server_cpu * 1000 / max(len(bare.answers), 1)
    first, first_rate = await phocap_run(folder, url, tokens, seconds, n)
    repeat, repeat_rate = await phocap_run(folder, url, tokens, seconds, n)
    return {"skeleton_cpu_ms": round(skeleton, 3), "first_cpu_ms": round(first, 3),
            "first_ratio": round(first / skeleton, 2), "first_visits_per_s": round(first_rate),
            "repeat_cpu_ms": round(repeat, 3), "repeat_ratio": round(repeat / skeleton, 2),
            "repeat_visits_per_s": round(repeat_rate)}  # fmt: skip


async def main(url: str, rounds: int, seconds: float) -> None:
    n = int(os.environ.get("PHOCAP_BENCH_VOLUNTEERS") or 50)
    os.environ.setdefault("PHOCAP_BENCH_HOUSEHOLDS", "750")
    done: list[dict[str, float]] = []
    for number in range(rounds):
        with tempfile.TemporaryDirectory() as folder:
            # SQLite: a new file each round (PostgreSQL's tables are emptied by `prepare`).
            used = f"sqlite:///{Path(folder) / 'phocap.sqlite3'}" if url == "sqlite" else url
            done.append(await one_round(folder, used, seconds, n))
            print(json.dumps({"round": number + 1, **done[-1]}), flush=True)
    print(json.dumps(summary(done)), flush=True)


def summary(done: list[dict[str, float]]) -> dict[str, Any]:
    """The rounds together: each figure's mean, the ratios of the means (one round's ratio moves with the
    machine's load between its parts; the means of rounds taken in turn move less), and each ratio's
    range over the rounds."""
    mean = {
        k: statistics.fmean(r[k] for r in done) for k in ("skeleton_cpu_ms", "first_cpu_ms", "repeat_cpu_ms")
    }
    return {
        "rounds": len(done),
        **{f"{k}_mean": round(v, 3) for k, v in mean.items()},
        **{f"{kind}_ratio_of_means": round(mean[f"{kind}_cpu_ms"] / mean["skeleton_cpu_ms"], 2)
           for kind in ("first", "repeat")},
        **{f"{kind}_ratio_range": [min(r[f"{kind}_ratio"] for r in done), max(r[f"{kind}_ratio"] for r in done)]
           for kind in ("first", "repeat")},
    }  # fmt: skip


if __name__ == "__main__":
    arguments = sys.argv[1:]
    if not arguments:
        sys.exit(__doc__)
    asyncio.run(main(arguments[0], int(arguments[1]) if len(arguments) > 1 else 3,
                     float(arguments[2]) if len(arguments) > 2 else 12.0))  # fmt: skip
