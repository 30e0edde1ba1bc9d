"""Importing 10,000 households with 35,000 members from a CSV file.

Run on demand: `python -m tests.benchmarks.imports`. Times reading and previewing the file and the
import itself (`import_households`), then a plain `executemany` of the same rows into the same schema
(a copy of the database taken before the import) in the same run, and prints households per second and the ratio of the two.
"""

from __future__ import annotations

import asyncio
import random
import shutil
import sqlite3
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from surveys.core.db import bind, engine_for_url, migrate
from surveys.core.text import fold, name_sort_key
from surveys.people.accounts import create_user
from surveys.register.admin_units import import_units
from surveys.register.imports import COLUMNS, import_households, preview, read_rows
from surveys.tables import Village, Ward

HOUSEHOLDS, VILLAGES = 10_000, 10


def make_csv(rng: random.Random) -> bytes:
    lines = [",".join(COLUMNS)]
    for n in range(HOUSEHOLDS):
        village = f"Thôn {n % VILLAGES:02d}"
        size = 3 if n % 2 else 4
        for k in range(size):
            lines.append(
                f"{village},{n},Xóm {n % 37},Người Số {n} {k},{rng.randint(1940, 2020)},{'Nam' if k % 2 else 'Nữ'},{'x' if k == 0 else ''}"
            )
    return ("\n".join(lines) + "\n").encode("utf-8")


async def main() -> None:
    content = make_csv(random.Random(3))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.sqlite3"
        bind(engine_for_url(f"sqlite:///{path}"))
        await migrate()
        await import_units()
        ward = await Ward.select(Ward.id).where(Ward.code == "01849").first()
        assert ward is not None
        for v in range(VILLAGES):
            await Village.insert(Village(ward=ward["id"], code=f"{v:02d}", name=f"Thôn {v:02d}"))
        user = await create_user("ward", "benchmark-password", "ward_officer", "Cán bộ", ward_id=ward["id"])
        village_ids = {r["id"] for r in await Village.select(Village.id)}
        shutil.copyfile(path, Path(tmp) / "plain.sqlite3")  # the same schema, indexes and all, still empty
        started = time.perf_counter()
        rows = read_rows("list.csv", content)
        result = await preview(rows, village_ids)
        checked = time.perf_counter() - started
        assert not result.errors and len(result.new) == HOUSEHOLDS
        started = time.perf_counter()
        created = await import_households(result, user)
        imported = time.perf_counter() - started
        members = sum(len(h.people) for h in result.new)
        print(f"file: {len(content) / 1e6:.1f} MB, {len(rows):,} rows; read and preview {checked:.2f} s")
        print(
            f"import: {created:,} households, {members:,} members in {imported:.2f} s = {created / imported:,.0f} households/s"
        )
        baseline = plain_executemany(Path(tmp) / "plain.sqlite3", result)
        print(
            f"plain executemany of the same rows: {baseline:.2f} s = {created / baseline:,.0f} households/s"
        )
        print(f"ratio (executemany time / import time): {baseline / imported:.2f}")


def plain_executemany(path: Path, result: object) -> float:
    """The same households and members, with the same values in the same columns of the same schema
    (indexes included), inserted with two executemany calls and nothing else."""
    households = result.new  # type: ignore[attr-defined]
    at = str(datetime.now(UTC))
    house_rows = [(f"t{n:021d}", f"C-{n:05d}", h.village_id, h.address, h.head.name, name_sort_key(h.head.name),
                   fold(f"C-{n:05d} {h.address}"), at, at) for n, h in enumerate(households, start=1)]  # fmt: skip
    db = sqlite3.connect(path)
    first_id = (db.execute("SELECT COALESCE(MAX(id), 0) FROM household").fetchone()[0]) + 1
    member_rows = [(first_id + n, p.name, name_sort_key(p.name), p.birth_year, p.sex, p is h.head, at, at)
                   for n, h in enumerate(households) for p in h.people]  # fmt: skip
    started = time.perf_counter()
    db.executemany(
        "INSERT INTO household (token, code, village, address, head_name, sort_key, search_key, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        house_rows,
    )
    db.executemany(
        "INSERT INTO member (household, full_name, sort_key, birth_year, sex, is_head, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        member_rows,
    )
    db.commit()
    elapsed = time.perf_counter() - started
    db.close()
    return elapsed


if __name__ == "__main__":
    asyncio.run(main())
