"""The server's CPU per visit request against the empty handler's (issue 27.4), both measured in the
same moments.

One round fills the village afresh (`PHOCAP_BENCH_HOUSEHOLDS`, default 750; on PostgreSQL vacuumed and
analysed), serves phocap and the empty handler (`tests/benchmarks/skeleton.py`) side by side, warms each
up for a second, then sends 50 volunteers (`PHOCAP_BENCH_VOLUNTEERS`, the fault run's own client) to one
server and then the other, in SLICES pairs of SECONDS each, the pairs in turn the empty handler first
and phocap first. Each server's CPU is counted over its own slices only, divided by the requests it
answered in them. Why slices: on this shared 2-core machine a server's CPU per request moves ±15 %
from one minute to the next (the empty handler alone 0.36–0.58 ms), so a ratio of two figures taken a
minute apart measured the machine as much as phocap; slices of two seconds taken in turn meet the same
load. The first slices are mostly the households' first visits, the later ones repeat visits.

Run on demand, alone on the machine: `python -m tests.benchmarks.visit_cpu POSTGRES_URL [ROUNDS]
[SLICES] [SECONDS]` (default 3 rounds of 8 pairs of 2 s) on an empty PostgreSQL database it may fill,
or `sqlite`. One JSON line a round (with the range of its pairs' ratios: what one pair alone would have
said; the answers other than 200 and 201, 0 in a sound run; and on PostgreSQL served from this machine,
its CPU a request while each server was loaded: what a visit costs the database, the other server's
idling and the database's background work included), then one of the rounds together: the means, the
ratio of the means and the rounds' range. To compare two trees, run it in each checkout in turn.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from tests.benchmarks import faults

WARM_SECONDS = 1.0


@dataclass
class Server:
    """One of the two servers, and what its slices added up to."""

    process: subprocess.Popen[bytes]
    base: str
    headers: dict[str, str]
    tokens: list[str]
    cpu: float = 0.0
    answers: int = 0
    visits: int = 0  # accepted in the counted slices
    others: int = 0  # answers in the counted slices that were not 200 or 201 (0 in a sound run)
    elapsed: float = 0.0
    written: set[str] = field(default_factory=set)  # every client_id accepted, the warm-up's too
    slices: list[float] = field(default_factory=list)  # CPU ms a request, slice by slice
    # PostgreSQL's CPU in the counted slices, when it runs on this machine (None: not measured).
    database_cpu: float | None = None

    async def load(self, seconds: float, n: int, counted: bool = True) -> None:
        """n volunteers for `seconds` at this server; counted unless it is the warm-up."""
        database = faults.database_cpu_seconds() if self.database_cpu is not None else None
        before = faults.cpu_seconds(self.process.pid)
        load = await faults.volunteers(self.base, self.headers, self.tokens, seconds, n)
        cpu = faults.cpu_seconds(self.process.pid) - before
        database_after = faults.database_cpu_seconds() if database is not None else None
        self.written |= load.accepted
        if not counted:
            return
        self.cpu += cpu
        self.answers += len(load.answers)
        self.visits += len(load.accepted)
        self.others += sum(1 for _, status in load.answers if status not in (200, 201))
        self.elapsed += load.elapsed
        self.slices.append(cpu * 1000 / max(len(load.answers), 1))
        if self.database_cpu is not None:
            if database is None or database_after is None:
                self.database_cpu = None  # its processes were not there to read
            else:
                self.database_cpu += database_after - database

    @property
    def cpu_ms(self) -> float:
        return self.cpu * 1000 / max(self.answers, 1)

    @property
    def database_cpu_ms(self) -> float | None:
        return (
            None if self.database_cpu is None else round(self.database_cpu * 1000 / max(self.answers, 1), 3)
        )


async def raw_database(folder: str, url: str) -> str:
    """Where the empty handler writes: phocap's PostgreSQL database, vacuumed and analysed for both; on
    SQLite a copy of phocap's file, as the fault run's does."""
    if url.startswith("postgres"):
        db = await asyncpg.connect(url)
        try:
            await db.execute("VACUUM ANALYZE")
        finally:
            await db.close()
        return url
    copy = Path(folder) / "raw.sqlite3"
    shutil.copyfile(url.removeprefix("sqlite:///"), copy)
    return f"sqlite:///{copy}"


async def one_round(folder: str, url: str, slices: int, seconds: float, n: int) -> dict[str, Any]:
    tokens, _, household, user = await faults.prepare(url)
    raw_url = await raw_database(folder, url)
    skeleton_process, skeleton_base = faults.serve_skeleton(folder, raw_url, household, user)
    phocap_process = None
    try:
        phocap_process, phocap_base = faults.serve(folder, url)
        async with httpx.AsyncClient(base_url=phocap_base) as client:
            session = await client.post(
                "/api/session", json={"login": "volunteer1", "password": faults.PASSWORD}
            )
            headers = {"Authorization": f"Bearer {session.json()['token']}"}
        database = 0.0 if url.startswith("postgres") else None
        skeleton = Server(skeleton_process, skeleton_base, {}, ["skeleton"], database_cpu=database)
        phocap = Server(phocap_process, phocap_base, headers, tokens, database_cpu=database)
        servers = [skeleton, phocap]
        for server in servers:
            await server.load(WARM_SECONDS, n, counted=False)
        for pair in range(slices):
            for server in servers if pair % 2 == 0 else servers[::-1]:
                await server.load(seconds, n)
    finally:
        faults.stop(skeleton_process)
        if phocap_process is not None:
            faults.stop(phocap_process)
    await faults.forget_skeleton_rows(raw_url, skeleton.written)
    pairs = [p / s for s, p in zip(skeleton.slices, phocap.slices, strict=True)]
    return {"skeleton_cpu_ms": round(skeleton.cpu_ms, 3), "phocap_cpu_ms": round(phocap.cpu_ms, 3),
            "ratio": round(phocap.cpu_ms / skeleton.cpu_ms, 2),
            "pair_ratio_range": [round(min(pairs), 2), round(max(pairs), 2)],
            "skeleton_database_cpu_ms": skeleton.database_cpu_ms, "phocap_database_cpu_ms": phocap.database_cpu_ms,
            "skeleton_visits_per_s": round(skeleton.visits / skeleton.elapsed),
            "phocap_visits_per_s": round(phocap.visits / phocap.elapsed),
            "answers_not_2xx": skeleton.others + phocap.others}  # fmt: skip


async def main(url: str, rounds: int, slices: int, seconds: float) -> None:
    n = int(os.environ.get("PHOCAP_BENCH_VOLUNTEERS") or 50)
    os.environ.setdefault("PHOCAP_BENCH_HOUSEHOLDS", "750")
    done: list[dict[str, Any]] = []
    for number in range(rounds):
        with tempfile.TemporaryDirectory() as folder:
            # SQLite: a new file each round (PostgreSQL's tables are emptied by `prepare`).
            used = f"sqlite:///{Path(folder) / 'phocap.sqlite3'}" if url == "sqlite" else url
            done.append(await one_round(folder, used, slices, seconds, n))
            print(json.dumps({"round": number + 1, **done[-1]}), flush=True)
    print(json.dumps(summary(done)), flush=True)


def summary(done: list[dict[str, Any]]) -> dict[str, Any]:
    """The rounds together: each figure's mean (the database's when every round has it), the ratio of the
    means, and the ratio's range over the rounds."""
    figures = ("skeleton_cpu_ms", "phocap_cpu_ms", "skeleton_database_cpu_ms", "phocap_database_cpu_ms")
    mean = {
        k: statistics.fmean(r[k] for r in done) for k in figures if all(r.get(k) is not None for r in done)
    }
    return {
        "rounds": len(done),
        **{f"{k}_mean": round(v, 3) for k, v in mean.items()},
        "ratio_of_means": round(mean["phocap_cpu_ms"] / mean["skeleton_cpu_ms"], 2),
        "ratio_range": [min(r["ratio"] for r in done), max(r["ratio"] for r in done)],
    }


if __name__ == "__main__":
    arguments = sys.argv[1:]
    if not arguments:
        sys.exit(__doc__)
    asyncio.run(main(arguments[0], int(arguments[1]) if len(arguments) > 1 else 3,
                     int(arguments[2]) if len(arguments) > 2 else 8,
                     float(arguments[3]) if len(arguments) > 3 else 2.0))  # fmt: skip
