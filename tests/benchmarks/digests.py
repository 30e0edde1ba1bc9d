"""Generating the weekly digests of many wards.

Run on demand: `python -m tests.benchmarks.digests [WARDS] [HOUSEHOLDS_PER_WARD]` (default 100 wards of
5,000 households, 3.5 members each, 60% visited) on a temporary SQLite database. Times
`due_digests` — everything a Monday morning does before mail goes out — and prints total seconds and
digests per second.
"""

from __future__ import annotations

import asyncio
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from surveys.core.db import bind, engine_for_url, migrate
from surveys.core.settings import load_settings
from surveys.register.admin_units import import_units
from surveys.reporting.digests import due_digests
from surveys.tables import Digest, Ward
from tests.benchmarks.coverage import populate


async def main(wards: int, households: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        bind(engine_for_url(url))
        await migrate()
        await import_units()
        codes = [r["code"] for r in await Ward.select(Ward.code).order_by(Ward.code).limit(wards)]
        started = time.perf_counter()
        path = url.removeprefix("sqlite:///")
        db = sqlite3.connect(path)
        db.execute("INSERT INTO app_user (login, display_name, password_hash, role, locale, email, wants_digest, active, created_at) "
                   "VALUES ('bench', 'bench', '', 'volunteer', '', '', 0, 1, '2026-01-01 00:00:00+00:00')")  # fmt: skip
        db.execute("UPDATE ward SET digest_weekday = 1, digest_hour = 0, digest_emails = 'ubnd@xa.example'")
        db.commit()
        db.close()
        for n, code in enumerate(codes):
            populate(
                path,
                households,
                villages=max(1, households // 1000),
                seed=n,
                ward_code=code,
                user_login="bench",
            )
        print(f"data: {wards} wards x {households:,} households in {time.perf_counter() - started:.0f} s")
        settings = load_settings(environ={}, data_dir=tmp, database_url=url)
        started = time.perf_counter()
        made = await due_digests(settings)
        elapsed = time.perf_counter() - started
        assert len(made) == wards and await Digest.count() == wards
        print(f"digests: {len(made)} in {elapsed:.1f} s = {len(made) / elapsed:.1f} digests/s "
              f"({1000 * elapsed / len(made):.0f} ms each)")  # fmt: skip


if __name__ == "__main__":
    arguments = [int(a) for a in sys.argv[1:3]]
    asyncio.run(main(*(arguments + [100, 5000][len(arguments) :])))
