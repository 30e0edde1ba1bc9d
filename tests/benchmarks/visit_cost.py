"""What one visit costs the database at province size, and what keeping the daily counts adds to it.

Run on demand against a database filled by `phocap generate`:
`python -m tests.benchmarks.visit_cost postgresql://…/gen600 [VISITS]` (default 200). Records VISITS
"done" visits one after another through `record_visit` (the same function the API calls, without
HTTP), then times the recount of one village alone (`recount_changed` without a snapshot: what every
visit added inside its transaction before it added only its household's difference, and what an
import or a new household still adds) and, for the raw baseline, the same visit's statements' least: one INSERT of a visit
row in its own transaction through the driver. One JSON line last.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
import uuid
from typing import Any

import asyncpg

from surveys.core.db import bind, close_pool, current_engine, engine_for_url, open_pool, write_transaction
from surveys.people.accounts import actor_by_id
from surveys.register.households import household_by_token
from surveys.reporting.village_counts import recount_changed
from surveys.survey.visits import parse_visit, record_visit
from surveys.tables import Household, Member, User


def _ms(timings: list[float]) -> dict[str, float]:
    ordered = sorted(timings)
    return {
        "p50_ms": round(statistics.median(ordered), 2),
        "p99_ms": round(ordered[int(0.99 * (len(ordered) - 1))], 2),
    }


async def main() -> None:
    url = sys.argv[1]
    visits = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    engine = engine_for_url(url)
    bind(engine)
    await open_pool(engine, 4)
    volunteer = await User.select(User.id).where(User.login.like("gen-%")).first()
    assert volunteer is not None
    actor = await actor_by_id(volunteer["id"])
    assert actor is not None
    picked = await Household.select(Household.id, Household.token).order_by(Household.id).limit(visits)
    timings, recounts = [], []
    for h in picked:
        row = await household_by_token(h["token"])
        assert row is not None
        members = [{"id": m["id"], "full_name": m["full_name"], "birth_year": m["birth_year"], "vneid": "level2",
                    "bank_account": "yes", "skill_learned": True, "skill_understands": True,
                    "skill_uses_services": True, "skill_guides_others": True}
                   for m in await Member.select().where((Member.household == row.id) & Member.removed.eq(False))]  # fmt: skip
        body = {"client_id": str(uuid.uuid4()), "outcome": "done", "household_version": row.version,
                "household": {"consent": True, "informed": True}, "members": members}  # fmt: skip
        visit = parse_visit(body)
        started = time.perf_counter()
        await record_visit(row, visit, actor)
        timings.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        async with write_transaction():
            await recount_changed([int(h["id"])], [])
        recounts.append((time.perf_counter() - started) * 1000)
    raw: list[float] = []
    if url.startswith("postgresql"):
        connection = await asyncpg.connect(url)
        try:
            for h in picked:
                started = time.perf_counter()
                async with connection.transaction():
                    await connection.execute(
                        "INSERT INTO visit (household, volunteer, client_id, at, outcome, answers, household_version) "
                        "VALUES ($1, $2, $3, now(), 'nobody_home', '{}', 1)",
                        h["id"], volunteer["id"], uuid.uuid4(),
                    )  # fmt: skip
                raw.append((time.perf_counter() - started) * 1000)
        finally:
            await connection.close()
    await close_pool(current_engine())
    result: dict[str, Any] = {"database": url.split(":")[0], "visits": len(timings),
                              "record_visit": _ms(timings), "recount_one_village": _ms(recounts),
                              "raw_insert_tx": _ms(raw) if raw else None,
                              "visits_per_s_one_client": round(1000 / statistics.mean(timings), 1)}  # fmt: skip
    print(
        f"record_visit p50 {result['record_visit']['p50_ms']} ms; recount of a village p50 "
        f"{result['recount_one_village']['p50_ms']} ms; raw insert p50 {result['raw_insert_tx']}"
    )
    print(json.dumps(result))


if __name__ == "__main__":
    asyncio.run(main())
