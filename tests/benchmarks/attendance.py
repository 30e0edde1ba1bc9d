"""Recording attendance for a class of 60, one request per attendee as a phone sends them, against the
visit-recording rate in the same run, and the raw baseline (the same 60 rows through plain sqlite3, one
transaction each).

Run on demand: `python -m tests.benchmarks.attendance [ATTENDEES]`. Builds a ward with one village of
ATTENDEES households (one adult each) in a temporary SQLite database, then, through the app in-process
with an API token: ATTENDEES POSTs of attendance to a class held yesterday, then one visit per
household. Prints a table for people and a JSON line last for machines.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from litestar.testing import AsyncTestClient

from server.app import create_app
from surveys.core.db import bind, engine_for_url, migrate
from surveys.core.settings import load_settings
from surveys.people.accounts import create_user
from surveys.register.admin_units import import_units
from surveys.tables import Household, Member, Village, Ward
from tests.factories import make_household, person

PASSWORD = "benchmark-password"


async def _setup(attendees: int) -> tuple[int, list[str], list[int]]:
    await import_units()
    ward = await Ward.select(Ward.id).where(Ward.code == "01849").first()
    assert ward is not None
    village = (await Village.insert(Village(ward=ward["id"], code="01", name="Thôn Đồng Tâm")))[0]["id"]
    await create_user(
        "volunteer", PASSWORD, "volunteer", "Tình nguyện viên", ward_id=ward["id"], village_ids=(village,)
    )
    tokens = [
        await make_household(village, f"PQ-01-{n:04d}", [person(f"Nguyễn Văn Số{n}", 1980)])
        for n in range(attendees)
    ]
    members = [int(r["id"]) for r in await Member.select(Member.id).order_by(Member.id)]
    return int(ward["id"]), tokens, members


async def measure(attendees: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        bind(engine_for_url(url))
        await migrate()
        _, tokens, members = await _setup(attendees)
        settings = load_settings(environ={}, data_dir=tmp, database_url=url, allowed_hosts="testserver.local")
        async with AsyncTestClient(create_app(settings), base_url="https://testserver.local") as client:
            token = (
                await client.post("/api/session", json={"login": "volunteer", "password": PASSWORD})
            ).json()
            headers = {"Authorization": f"Bearer {token['token']}"}
            # A volunteer does not plan classes: the class is there, as the ward office planned it.
            from surveys.tables import ClassSession

            starts = datetime.now(UTC) - timedelta(days=1)
            ward = await Ward.select(Ward.id).where(Ward.code == "01849").first()
            assert ward is not None
            session = (await ClassSession.insert(ClassSession(ward=ward["id"], starts_at=starts, topics=["vneid"],
                                                              client_id=uuid.uuid4())))[0]["id"]  # fmt: skip
            url_attend = f"/api/wards/01849/classes/{session}/attendance"
            began = time.perf_counter()
            for member in members:
                body = {"client_id": str(uuid.uuid4()), "member": member, "can_use": ["vneid"]}
                response = await client.post(url_attend, json=body, headers=headers)
                assert response.status_code == 201, response.text
            attendance_s = time.perf_counter() - began
            began = time.perf_counter()
            for household_token in tokens:
                row = (
                    await Household.select(Household.version)
                    .where(Household.token == household_token)
                    .first()
                )
                assert row is not None
                body = {
                    "client_id": str(uuid.uuid4()),
                    "outcome": "nobody_home",
                    "household_version": row["version"],
                }
                response = await client.post(
                    f"/api/households/{household_token}/visits", json=body, headers=headers
                )
                assert response.status_code == 201, response.text
            visits_s = time.perf_counter() - began
        raw = sqlite3.connect(url.removeprefix("sqlite:///"))
        began = time.perf_counter()
        for _ in members:
            with raw:
                raw.execute(
                    "INSERT INTO attendance (session, member, age_group, sex, can_use, client_id, at) "
                    "VALUES (?, NULL, '16_59', '', '[]', ?, ?)",
                    (session, str(uuid.uuid4()), datetime.now(UTC).isoformat()),
                )
        raw_s = time.perf_counter() - began
        raw.close()
    return {
        "attendees": attendees,
        "attendance_per_s": attendees / attendance_s,
        "visits_per_s": attendees / visits_s,
        "raw_sqlite_inserts_per_s": attendees / raw_s,
    }


async def main() -> None:
    attendees = int(sys.argv[1]) if len(sys.argv) > 1 else 60
    result = await measure(attendees)
    print(f"{'what':<44}{'requests/s':>12}")
    print(f"{'attendance, one POST per attendee (API)':<44}{result['attendance_per_s']:>12.1f}")
    print(f"{'visits, one POST per household (API)':<44}{result['visits_per_s']:>12.1f}")
    print(f"{'raw sqlite3 insert, one transaction each':<44}{result['raw_sqlite_inserts_per_s']:>12.1f}")
    print(json.dumps({"benchmark": "attendance", **result}))


if __name__ == "__main__":
    asyncio.run(main())
