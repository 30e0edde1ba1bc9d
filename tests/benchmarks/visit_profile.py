"""Where one warm visit request's time goes, in-process: the fault run's request (a "nobody_home" visit
posted to the JSON API with a bearer token) sent N times to the app under cProfile, through httpx's ASGI
transport in the same thread and event loop (Litestar's test client runs the app in a thread of its
own, which cProfile does not see).

Run on demand: `python -m tests.benchmarks.visit_profile [N] [DATABASE_URL]` (default 300 visits on a
throwaway SQLite file; a PostgreSQL URL names an empty database to fill). Prints the mean time of a
request, the time inside the parts of a request (own time of the functions of each part, so no part
counts twice) and the top functions by cumulative and by own time.
"""

from __future__ import annotations

import asyncio
import cProfile
import gc
import logging
import os
import pstats
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from server.app import create_app
from surveys.core.db import close_pool, engine_for_url
from surveys.core.settings import load_settings
from tests.benchmarks.faults import fill
from tests.factories import PASSWORD
from tests.queries import sent_queries

BASE_URL = "http://127.0.0.1"
# The parts of a request, by where a function lives (the first match wins): own time summed per part.
PARTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("daily counts", ("surveys/reporting/village_counts", "surveys/core/changes")),
    ("session and access", ("server/auth", "surveys/people/access", "surveys/people/accounts")),
    ("piccolo query building", ("piccolo/query", "piccolo/columns", "piccolo/table", "piccolo/querystring")),
    (
        "database driver",
        (
            "aiosqlite",
            "sqlite3",
            "asyncpg",
            "piccolo/engine",
            "surveys/core/db",
            "surveys/core/sqlite_writer",
        ),
    ),
    ("parsing and validation", ("msgspec", "surveys/core/validation", "surveys/survey/visits")),
    ("logging", ("logging", "structlog")),
    ("litestar and asgi", ("litestar", "anyio", "httpx", "starlette", "server/")),
    ("event loop", ("asyncio", "selectors", "threading", "queue")),
)


async def prepare(url: str) -> tuple[list[str]]:
    _, tokens = await fill(url)
    return (tokens,)


async def visits(client: httpx.AsyncClient, headers: dict[str, str], tokens: list[str], n: int) -> None:
    for i in range(n):
        body = {"client_id": str(uuid.uuid4()), "outcome": "nobody_home", "household_version": 1}
        response = await client.post(f"/api/households/{tokens[i % len(tokens)]}/visits", json=body,
                                     headers=headers)  # fmt: skip
        assert response.status_code == 201, response.text


async def one_request_statements(
    client: httpx.AsyncClient, headers: dict[str, str], tokens: list[str]
) -> list[str]:
    """The SQL the engine runs for one visit request, in order (those left for a transaction's next
    statement too: `surveys.core.db.write_later`)."""
    with sent_queries() as seen:
        await visits(client, headers, tokens, 1)
    return seen


@contextmanager
def collector_time() -> Iterator[list[float]]:
    """The CPU seconds Python's cycle collector spends while the block runs (`[seconds]`)."""
    spent, began = [0.0], [0.0]

    def timed(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            began[0] = time.thread_time()
        else:
            spent[0] += time.thread_time() - began[0]

    gc.callbacks.append(timed)
    try:
        yield spent
    finally:
        gc.callbacks.remove(timed)


def part_of(filename: str) -> str:
    for name, places in PARTS:
        if any(p in filename for p in places):
            return name
    return "other"


async def main(n: int, url: str, folder: str) -> None:
    (tokens,) = await prepare(url)
    settings = load_settings(environ={}, data_dir=folder, database_url=url, secret_key="profile-secret-key",
                             base_url=BASE_URL, allowed_hosts="127.0.0.1", database_pool_size=10)  # fmt: skip
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
    async with app.lifespan(), httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
        session = await client.post("/api/session", json={"login": "volunteer1", "password": PASSWORD})
        headers = {"Authorization": f"Bearer {session.json()['token']}"}
        await visits(client, headers, tokens, 30)  # warm: caches, the first queries' compilation
        statements = await one_request_statements(client, headers, tokens)
        started = time.perf_counter()
        with collector_time() as collecting:
            await visits(client, headers, tokens, n)
        plain = (time.perf_counter() - started) / n * 1000
        profile = cProfile.Profile()
        profile.enable()
        await visits(client, headers, tokens, n)
        profile.disable()
    await close_pool(engine_for_url(url))
    if out := os.environ.get("PHOCAP_PROFILE_OUT"):  # the profile kept for pstats or snakeviz
        profile.dump_stats(out)
    stats = pstats.Stats(profile)
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    total = sum(own for _, _, own, _, _ in raw.values())
    parts: dict[str, float] = {}
    for (filename, _, name), (_, _, own, _, callers) in raw.items():
        if filename == "~" and callers:
            # A built-in (a lock, a queue, the event loop's poll): the part of the caller it spent most under.
            filename = max(callers.items(), key=lambda c: c[1][2])[0][0]
        part = part_of(filename)
        if name == "<method 'poll' of 'select.epoll' objects>":
            part = "waiting (database thread)"
        parts[part] = parts.get(part, 0.0) + own
    print(f"{n} visits: {plain:.2f} ms a request without the profiler, {total / n * 1000:.2f} ms with it")
    # The client's own cycles (httpx's) are in it too: a request of phocap's leaves none.
    print(f"cycle collector (not seen by the profiler): {collecting[0] / n * 1000:.3f} ms a request")
    print(f"statements of one visit request ({len(statements)}):")
    for sql in statements:
        print("  " + " ".join(sql.split())[:150])
    print("own time per request by part (profiled; a built-in's time goes to its caller's part):")
    for name, own in sorted(parts.items(), key=lambda p: -p[1]):
        print(f"  {name:26} {own / n * 1000:7.2f} ms  {own / total:6.1%}")
    stats.sort_stats("cumulative").print_stats(35)
    stats.sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    logging.getLogger("httpx").setLevel(logging.WARNING)
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    with tempfile.TemporaryDirectory() as tmp:
        database = sys.argv[2] if len(sys.argv) > 2 else f"sqlite:///{Path(tmp) / 'phocap.sqlite3'}"
        asyncio.run(main(count, database, tmp))
