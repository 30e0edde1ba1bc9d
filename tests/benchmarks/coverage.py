"""Coverage pages at scale: the ward dashboard, a 1,000-household village list, the periodic report.

Run on demand: `python -m tests.benchmarks.coverage`. Builds a ward of 1,000 and then 10,000
households (3.5 members each, 60% visited) in a temporary SQLite database, then times each page
through the app (in-process, signed in as the ward officer): median and 90th percentile of 20
requests, and the number of SQL queries one request makes.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import sqlite3
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from litestar.testing import AsyncTestClient

from server.app import create_app
from surveys.core.db import bind, engine_for_url, migrate
from surveys.core.settings import load_settings
from surveys.core.text import fold, name_sort_key
from surveys.people.accounts import create_user
from surveys.register.admin_units import import_units
from surveys.reporting.village_counts import rebuild
from tests.queries import sent_queries

REPEAT = 20
PASSWORD = "benchmark-password"


def populate(
    path: str,
    households: int,
    villages: int,
    seed: int = 7,
    ward_code: str = "01849",
    user_login: str = "ward",
) -> None:
    """Villages of a ward with households, members and visits, inserted in bulk."""
    rng = random.Random(seed)
    db = sqlite3.connect(path)
    ward_id = db.execute("SELECT id FROM ward WHERE code = ?", (ward_code,)).fetchone()[0]
    user_id = db.execute("SELECT id FROM app_user WHERE login = ?", (user_login,)).fetchone()[0]
    now = datetime.now(UTC)
    registered = str(now - timedelta(weeks=20))
    per_village = households // villages
    hh_rows, member_rows, visit_rows = [], [], []
    household_id = db.execute("SELECT COALESCE(MAX(id), 0) FROM household").fetchone()[0]
    member_id = db.execute("SELECT COALESCE(MAX(id), 0) FROM member").fetchone()[0]
    for v in range(villages):
        village_id = db.execute(
            "INSERT INTO village (ward, code, name) VALUES (?, ?, ?)", (ward_id, f"{v:02d}", f"Thôn {v:02d}")
        ).lastrowid
        for n in range(per_village):
            household_id += 1
            head = f"Nguyễn Văn Hộ{household_id}"
            hh_rows.append((household_id, uuid.uuid4().hex[:22], f"B-{v:02d}-{n:05d}", village_id, "Xóm Trên", head,
                            fold(head), name_sort_key(head), 0, 0, 0, "", 1, registered, registered, 0, None, None, ""))  # fmt: skip
            visited = rng.random() < 0.6
            for k in range(3 if household_id % 2 else 4):
                member_id += 1
                engaged = visited and rng.random() < 0.6
                member_rows.append((member_id, household_id, f"Thành Viên {member_id}", "", rng.randint(1940, 2020),
                                    "", k == 0, "level2" if engaged else "unknown", "yes" if engaged else "unknown",
                                    "unknown", engaged, engaged, engaged, engaged, engaged, "", registered, registered,
                                    0))  # fmt: skip
            if visited:
                at = str(now - timedelta(days=rng.randint(0, 80)))
                visit_rows.append(
                    (
                        household_id,
                        village_id,
                        user_id,
                        str(uuid.uuid4()),
                        at,
                        "done",
                        "{}",
                        1,
                        1,
                        1,
                        2,
                        2,
                        2,
                        2,
                        1,
                    )
                )
    db.executemany(f"INSERT INTO household (id, token, code, village, address, head_name, search_key, sort_key, "
                   f"priority_elderly_alone, priority_poor, priority_other, notes, version, created_at, updated_at, "
                   f"archived, informed_at, consent_at, consent_by) VALUES ({', '.join('?' * 19)})", hh_rows)  # fmt: skip
    db.executemany(f"INSERT INTO member (id, household, full_name, sort_key, birth_year, sex, is_head, vneid, "
                   f"bank_account, smartphone, skill_learned, skill_understands, skill_uses_services, "
                   f"skill_guides_others, skills_confirmed, answer_source, created_at, updated_at, removed) "
                   f"VALUES ({', '.join('?' * 19)})", member_rows)  # fmt: skip
    db.executemany(f"INSERT INTO visit (household, village, volunteer, client_id, at, outcome, answers, "
                   f"household_version, digital_family, informed, adults, adults_vneid, adults_vneid_level2, "
                   f"adults_bank, adults_confirmed) VALUES ({', '.join('?' * 15)})", visit_rows)  # fmt: skip
    db.commit()
    db.execute("ANALYZE")
    db.close()


async def measure(households: int) -> list[tuple[str, int, float, float, int]]:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        bind(engine_for_url(url))
        await migrate()
        await import_units()
        from surveys.tables import Ward

        ward = await Ward.select(Ward.id).where(Ward.code == "01849").first()
        assert ward is not None
        await create_user("ward", PASSWORD, "ward_officer", "Cán bộ xã", ward_id=ward["id"])
        populate(url.removeprefix("sqlite:///"), households, villages=max(1, households // 1000))
        await rebuild()  # the rows went in around phocap's writes: count them as a write would
        settings = load_settings(environ={}, data_dir=tmp, database_url=url, allowed_hosts="testserver.local")
        results = []
        async with AsyncTestClient(create_app(settings), base_url="https://testserver.local") as client:
            page = await client.get("/signin")
            csrf = re.search(r'name="_csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
            await client.post("/signin", data={"login": "ward", "password": PASSWORD, "_csrf_token": csrf})
            village = json.loads((await client.get("/api/villages", headers=await _bearer(client))).text)[0][
                "id"
            ]
            # The last 90 days, which hold every visit: the report reads the whole history.
            days = f"from={(datetime.now(UTC) - timedelta(days=90)).date()}&to={datetime.now(UTC).date()}"
            for name, path in (
                ("ward dashboard", "/wards/01849"),
                ("periodic report, API", f"/api/wards/01849/reports?{days}"),
                ("periodic report, A4 page", f"/wards/01849/reports?{days}"),
                ("periodic report, Word file", f"/wards/01849/reports.docx?{days}"),
                ("village list, 1,000 households", f"/villages/{village}"),
                ("village list, filtered", f"/villages/{village}?reason=members_without_vneid"),
                ("API ward report", "/api/wards/01849/report"),
            ):
                headers = await _bearer(client) if path.startswith("/api/") else {}
                timings = []
                for _ in range(REPEAT):
                    started = time.perf_counter()
                    response = await client.get(path, headers=headers)
                    timings.append((time.perf_counter() - started) * 1000)
                    assert response.status_code == 200, (path, response.status_code)
                with sent_queries() as queries:
                    await client.get(path, headers=headers)
                p90 = sorted(timings)[int(0.9 * len(timings)) - 1]
                results.append((name, households, statistics.median(timings), p90, len(queries)))
        return results


async def _bearer(client: AsyncTestClient) -> dict[str, str]:  # type: ignore[type-arg]
    token = (await client.post("/api/session", json={"login": "ward", "password": PASSWORD})).json()["token"]
    return {"Authorization": f"Bearer {token}"}


async def main() -> None:
    rows = []
    for size in (1_000, 10_000):
        rows += await measure(size)
    print(f"{'page':<34} {'households':>10} {'median ms':>10} {'p90 ms':>8} {'queries':>8}")
    for name, size, median, p90, queries in sorted(rows, key=lambda r: (r[0], r[1])):
        print(f"{name:<34} {size:>10,} {median:>10.1f} {p90:>8.1f} {queries:>8}")


if __name__ == "__main__":
    asyncio.run(main())
