"""One query per question: the ward dashboard and the village list count the village's (or the ward's)
households once per request, whatever else the page shows; with the daily counts on, the dashboard's
numbers and trend are read from them and no household is counted."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import asyncpg
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from surveys.core.settings import Settings
from surveys.core.sqlite_writer import Connection, _WalSync
from tests.conftest import BASE_URL, POSTGRES_URL, api_token, sign_in
from tests.factories import World
from tests.queries import sent_queries
from tests.server.helpers import visit_body
from tests.surveys.test_reports import visit_an

# Every query that counts households over members and visits starts with this CTE (households_sql).
COVERAGE_QUERY = "WITH mem AS"


@contextmanager
def coverage_queries() -> Iterator[list[str]]:
    """The coverage queries sent while the block runs."""
    with sent_queries(COVERAGE_QUERY) as seen:
        yield seen


async def test_the_ward_dashboard_reads_the_daily_counts_and_counts_live_once_without_them(
    client: AsyncTestClient[Any], world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    await visit_an(world)
    await sign_in(client, "ward")
    # Today's numbers and the trend both come from the daily counts: no household is counted.
    with coverage_queries() as seen:
        response = await client.get("/wards/01849")
    assert response.status_code == 200
    assert len(seen) == 0
    # Counting live (`COUNTS_READ=false`): one query for today's numbers, one for the trend from history
    # (before this, the dashboard ran the whole-ward query twice for today's numbers alone).
    monkeypatch.setattr("surveys.reporting.reports.counts_read", lambda: False)
    with coverage_queries() as seen:
        response = await client.get("/wards/01849")
    assert response.status_code == 200
    assert len(seen) == 2 and sum("FROM held" in q for q in seen) == 1


async def test_the_village_list_counts_the_households_once(
    client: AsyncTestClient[Any], world: World
) -> None:
    await visit_an(world)
    await sign_in(client, "head1")
    v1 = world.villages["v1"]
    for path in (f"/villages/{v1}", f"/villages/{v1}?reason=not_visited", f"/villages/{v1}?status=covered"):
        with coverage_queries() as seen:
            response = await client.get(path)
        assert response.status_code == 200
        assert len(seen) == 1, path


# What one visit request sends (docs/scaling.md §3), a later one of the day (the day's first to the village
# also counts it): the session with the household its access check reads (one statement,
# `actor_and_household`); the household read once held (its members and last visit, in one statement:
# its counts before and after the visit are counted from that, and so is the answer); the daily counts'
# snapshot (its ward's rules with whether today's row is there); the visit, its audit entry and today's
# additions; no read looks for the client_id first (a retry fails at the visit's insert). A completed
# visit also looks for a later one, writes the household, its members (one statement each, here three)
# and its search keys, and reads its counts after, the household's visits for its activity before and
# after, and the answer. PostgreSQL adds the lock on the household and on its village's counts (one
# statement, `surveys.core.db.hold_households`), and reads the snapshot's rules in the household's read
# (`surveys.core.changes`, `reads`); on SQLite an IMMEDIATE transaction already holds them.
VISIT_STATEMENTS = {
    ("nobody_home", "sqlite"): 7,
    ("nobody_home", "postgres"): 7,
    ("done", "sqlite"): 18,
    ("done", "postgres"): 18,
}


# On SQLite, the hops to a connection's thread (surveys/core/sqlite_writer.py): a visit's statements are
# short and run in the event loop's thread, its COMMIT too (with the writes nobody reads: the visit, its
# audit entry, the additions to today's rows); then it waits for one sync of the WAL, in the sync thread,
# which the commits made meanwhile share (group commit).
VISIT_HOPS = {"nobody_home": 0, "done": 0}
VISIT_SYNCS = 1
# On PostgreSQL, the round trips to the database (the pool's reset of the connection at the end is not
# counted): the session's; BEGIN with the lock (`run_without_rows`), one script; the household's read;
# the writes nobody reads, left for the next statement or the COMMIT and sent with it (those of different
# tables as one statement, those that wait for other writers' rows chained in it), with the COMMIT as
# one script (surveys/core/pg_request.py, surveys/core/pg_script.py).
VISIT_ROUND_TRIPS = {"nobody_home": 4, "done": 16}


def _counting(sent: Any, trips: list[str]) -> Any:
    async def counted(self: Any, query: str, *args: Any, **kwargs: Any) -> Any:
        trips.append(" ".join(query.split())[:90])
        return await sent(self, query, *args, **kwargs)

    return counted


@pytest.mark.parametrize("outcome", ["nobody_home", "done"])
async def test_one_visit_request_sends_a_fixed_number_of_statements(
    settings: Settings,
    _apps: Callable[[Settings], Litestar],
    world: World,
    outcome: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # As served: a pool of kept connections, on which the visit's statements are prepared once.
    served = dataclasses.replace(settings, database_pool_size=1) if POSTGRES_URL else settings
    async with AsyncTestClient(app=_apps(served), base_url=BASE_URL) as client:
        await _one_visit_request(client, world, outcome, monkeypatch)


async def _one_visit_request(
    client: AsyncTestClient[Any], world: World, outcome: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    headers = await api_token(client, "volunteer1")
    token = world.households["an"]
    detail = (await client.get(f"/api/households/{token}", headers=headers)).json()
    # The day's first visit to the village counts it; the first of its kind in the process learns the
    # types of its writes' values (`pg_request._fetch`): the visit counted is a later one.
    for _ in range(2):
        warm = visit_body(detail, outcome)
        answer = await client.post(f"/api/households/{token}/visits", json=warm, headers=headers)
        assert answer.status_code == 201, answer.text
        detail = (await client.get(f"/api/households/{token}", headers=headers)).json()
    body = visit_body(detail, outcome)
    hops: list[str] = []
    call = Connection._call

    async def counted(self: Connection, function: Any, *args: Any) -> Any:
        hops.append(getattr(function, "__name__", ""))
        return await call(self, function, *args)

    monkeypatch.setattr(Connection, "_call", counted)
    syncs: list[bool] = []
    sync_now = _WalSync._sync_now

    def synced(self: _WalSync) -> None:
        syncs.append(True)
        sync_now(self)

    monkeypatch.setattr(_WalSync, "_sync_now", synced)
    trips: list[str] = []
    for name in ("fetch", "execute", "prepare"):
        sent = getattr(asyncpg.Connection, name)
        monkeypatch.setattr(asyncpg.Connection, name, _counting(sent, trips))
    prepared_fetch = asyncpg.prepared_stmt.PreparedStatement.fetch

    async def fetched(self: Any, *args: Any, **kwargs: Any) -> Any:
        trips.append("(prepared) " + " ".join(self.get_query().split())[:80])
        return await prepared_fetch(self, *args, **kwargs)

    monkeypatch.setattr(asyncpg.prepared_stmt.PreparedStatement, "fetch", fetched)
    with sent_queries() as seen:
        response = await client.post(f"/api/households/{token}/visits", json=body, headers=headers)
    assert response.status_code == 201, response.text
    engine = "postgres" if POSTGRES_URL else "sqlite"
    assert len(seen) == VISIT_STATEMENTS[(outcome, engine)], "\n".join(q.split("\n")[0][:90] for q in seen)
    assert len(hops) == (0 if POSTGRES_URL else VISIT_HOPS[outcome]), hops
    assert len(syncs) == (0 if POSTGRES_URL else VISIT_SYNCS)
    assert len(trips) == (VISIT_ROUND_TRIPS[outcome] if POSTGRES_URL else 0), "\n".join(trips)
    # Every statement is one the visit needs: none reads the session, the household or its rules twice.
    assert sum("FROM auth_session" in q for q in seen) == 1
    assert sum("FROM household h JOIN village v" in q for q in seen) == 1
    assert any("FROM auth_session" in q and "FROM household h JOIN village v" in q for q in seen)
    assert sum("FROM village v JOIN ward w" in q for q in seen) == 1
