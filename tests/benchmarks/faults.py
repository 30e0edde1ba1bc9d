"""Load and faults against the real server, bounded: loopback only, fixed counts, stops by itself.

Run on demand: `python -m tests.benchmarks.faults [SECONDS] [VOLUNTEERS]` (default 20 s, 50). Serves
phocap with uvicorn on 127.0.0.1 over a temporary SQLite database (or the empty PostgreSQL database
named by `PHOCAP_FAULTS_DATABASE_URL`), then: VOLUNTEERS concurrent volunteers record visits for
SECONDS (a retry with the same `client_id` on a 5xx or a broken connection), 30 parallel wrong
sign-ins to one account, 20 parallel "add household" in one village, 20 `client_id`s sent twice at
once, and malformed and oversized bodies. Prints what each answered, 5xx, lost and duplicate visits,
p50/p99 and visits/s beside the raw insert rate of plain sqlite3 measured in the same run, then one
JSON line. Not done here (yet): a database stop and start, a second scheduler.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import random
import re
import socket
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from server.app import create_app
from surveys.core.db import bind, engine_for_url, migrate
from surveys.core.settings import load_settings
from surveys.tables import ALL_TABLES, Household, Visit
from tests.factories import PASSWORD, make_household, make_world, person

CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')


def raw_insert_rate(folder: str, seconds: float = 2.0) -> float:
    """Rows per second plain sqlite3 commits one at a time (WAL, as phocap runs it)."""
    db = sqlite3.connect(str(Path(folder) / "raw.sqlite3"), isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("CREATE TABLE visit (id INTEGER PRIMARY KEY, client_id TEXT UNIQUE, answers TEXT)")
    count, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO visit (client_id, answers) VALUES (?, ?)", (str(uuid.uuid4()), "{}"))
        db.execute("COMMIT")
        count += 1
    db.close()
    return count / (time.perf_counter() - started)


def serve(settings: Any) -> tuple[uvicorn.Server, str]:
    """The app on a free loopback port, in a thread."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    live = dataclasses.replace(
        settings, base_url=f"http://127.0.0.1:{port}", allowed_hosts="127.0.0.1", cookie_secure=False
    )
    server = uvicorn.Server(
        uvicorn.Config(create_app(live), host="127.0.0.1", port=port, log_level="warning", access_log=False)
    )
    threading.Thread(target=server.run, daemon=True).start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the server did not start")
        time.sleep(0.05)
    return server, live.base_url


async def volunteers(
    base: str, headers: dict[str, str], tokens: list[str], seconds: float, n: int
) -> dict[str, Any]:
    """n volunteers recording visits for `seconds`, retrying with the same client_id."""
    statuses: Counter[int] = Counter()
    latencies: list[float] = []
    accepted: set[str] = set()
    stop = time.monotonic() + seconds

    async def one(client: httpx.AsyncClient, rng: random.Random) -> None:
        while time.monotonic() < stop:
            token = rng.choice(tokens)
            body = {"client_id": str(uuid.uuid4()), "outcome": "nobody_home", "household_version": 1}
            for _ in range(3):
                started = time.perf_counter()
                try:
                    response = await client.post(
                        f"/api/households/{token}/visits", json=body, headers=headers
                    )
                except httpx.TransportError:
                    statuses[0] += 1
                    continue
                latencies.append(time.perf_counter() - started)
                statuses[response.status_code] += 1
                if response.status_code in (200, 201):
                    accepted.add(body["client_id"])
                if response.status_code < 500:
                    break

    limits = httpx.Limits(max_connections=n)
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as client:
        started = time.perf_counter()
        await asyncio.gather(*(one(client, random.Random(i)) for i in range(n)))
        elapsed = time.perf_counter() - started
    ordered = sorted(latencies)
    return {
        "statuses": dict(statuses),
        "accepted": accepted,
        "visits_per_s": len(accepted) / elapsed,
        "p50_ms": statistics.median(ordered) * 1000 if ordered else 0.0,
        "p99_ms": ordered[int(0.99 * (len(ordered) - 1))] * 1000 if ordered else 0.0,
    }


async def signed_in(base: str, login: str) -> tuple[httpx.AsyncClient, str]:
    """A web client signed in, and its CSRF token."""
    client = httpx.AsyncClient(base_url=base, timeout=30)
    csrf = CSRF.search((await client.get("/signin")).text).group(1)  # type: ignore[union-attr]
    await client.post("/signin", data={"login": login, "password": PASSWORD, "_csrf_token": csrf})
    return client, csrf


async def faults(base: str, headers: dict[str, str], token: str, village: int) -> dict[str, dict[int, int]]:
    """The bursts and the bad bodies; what each answered."""
    out: dict[str, dict[int, int]] = {}
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        burst = [
            client.post("/api/session", json={"login": "volunteer2", "password": f"guess-{n}"})
            for n in range(30)
        ]
        out["30 parallel wrong sign-ins"] = dict(Counter(r.status_code for r in await asyncio.gather(*burst)))
        pairs = []
        for _ in range(20):
            body = {"client_id": str(uuid.uuid4()), "outcome": "nobody_home", "household_version": 1}
            pairs += [
                client.post(f"/api/households/{token}/visits", json=body, headers=headers) for _ in range(2)
            ]
        out["20 client_ids sent twice at once"] = dict(
            Counter(r.status_code for r in await asyncio.gather(*pairs))
        )
        bad = {
            "deep nesting": b"[" * 100_000,
            "not UTF-8": b'{"client_id": "\xff\xfe"}',
            "2 MB body": b'{"a": "' + b"x" * (2 * 1024 * 1024) + b'"}',
        }
        answered: Counter[int] = Counter()
        for content in bad.values():
            response = await client.post(
                f"/api/households/{token}/visits",
                content=content,
                headers={**headers, "content-type": "application/json"},
            )
            answered[response.status_code] += 1
        out["malformed and oversized bodies"] = dict(answered)
    web, csrf = await signed_in(base, "head1")
    try:
        form = {"_csrf_token": csrf, "address": "Xóm Mới", "m-0-full_name": "Hà Văn Mới", "m-0-birth_year": "1980",
                "m-0-is_head": "on"}  # fmt: skip
        adds = [web.post(f"/villages/{village}/households/new", data=form) for _ in range(20)]
        out["20 parallel household adds"] = dict(Counter(r.status_code for r in await asyncio.gather(*adds)))
    finally:
        await web.aclose()
    return out


async def main(seconds: float, n: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = os.environ.get("PHOCAP_FAULTS_DATABASE_URL") or f"sqlite:///{Path(folder) / 'phocap.sqlite3'}"
        engine = engine_for_url(url)
        bind(engine)
        await migrate()
        if url.startswith("postgres"):
            names = ", ".join(f'"{t._meta.tablename}"' for t in ALL_TABLES)
            await engine.run_ddl(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
        world = await make_world()
        tokens = [world.households["an"], world.households["dang"]]
        for i in range(48):
            tokens.append(
                await make_household(world.villages["v1"], f"F-{i:04d}", [person(f"Lò Văn {i}", 1980)])
            )
        raw = raw_insert_rate(folder)
        settings = load_settings(
            environ={}, data_dir=folder, database_url=url, secret_key="faults-secret-key"
        )
        server, base = serve(settings)
        try:
            async with httpx.AsyncClient(base_url=base) as client:
                session = await client.post(
                    "/api/session", json={"login": "volunteer1", "password": PASSWORD}
                )
                headers = {"Authorization": f"Bearer {session.json()['token']}"}
            load = await volunteers(base, headers, tokens, seconds, n)
            bursts = await faults(base, headers, tokens[0], world.villages["v1"])
        finally:
            server.should_exit = True
        bind(engine)
        stored = Counter(str(r["client_id"]) for r in await Visit.select(Visit.client_id))
        codes = [r["code"] for r in await Household.select(Household.code)]
    lost = len([c for c in load["accepted"] if c not in stored])
    duplicates = sum(1 for count in stored.values() if count > 1) + len(codes) - len(set(codes))
    errors = sum(v for k, v in load["statuses"].items() if k >= 500 or k == 0)
    # The sign-in burst's 503s are the cap on concurrent password checks answering as designed.
    errors += sum(
        v
        for name, answers in bursts.items()
        if "sign-ins" not in name
        for k, v in answers.items()
        if k >= 500
    )
    print(
        f"database: {'PostgreSQL' if url.startswith('postgres') else 'SQLite'}, {n} volunteers for {seconds:.0f} s"
    )
    print(f"{'what':<36} answers")
    print(f"{'visits under load':<36} {load['statuses']}")
    for name, answers in bursts.items():
        print(f"{name:<36} {answers}")
    print(
        f"visits accepted {len(load['accepted'])}, lost {lost}, duplicates {duplicates}, 5xx/broken {errors}"
    )
    print(f"p50 {load['p50_ms']:.0f} ms, p99 {load['p99_ms']:.0f} ms")
    print(
        f"visits/s {load['visits_per_s']:.1f}; raw sqlite3 inserts/s {raw:.0f}; ratio {load['visits_per_s'] / raw:.3f}"
    )
    summary = {"volunteers": n, "seconds": seconds, "accepted": len(load["accepted"]), "lost": lost,
               "duplicates": duplicates, "errors_5xx": errors, "p50_ms": round(load["p50_ms"], 1),
               "p99_ms": round(load["p99_ms"], 1), "visits_per_s": round(load["visits_per_s"], 1),
               "raw_inserts_per_s": round(raw), "statuses": {k: v for k, v in bursts.items()}}  # fmt: skip
    print(json.dumps(summary, ensure_ascii=False))


if __name__ == "__main__":
    arguments = [float(a) for a in sys.argv[1:3]]
    asyncio.run(main(arguments[0] if arguments else 20.0, int(arguments[1]) if len(arguments) > 1 else 50))
