"""One query per question: the ward dashboard and the village list count the village's (or the ward's)
households once per request, whatever else the page shows; with the daily counts on, the dashboard's
numbers and trend are read from them and no household is counted."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from tests.conftest import sign_in
from tests.factories import World
from tests.queries import sent_queries
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
