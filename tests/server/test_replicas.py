"""Read replicas through the app (issue 16 item 3), against a real PostgreSQL streaming replica: the ward
dashboard's numbers come from the replica, a visit is written to the primary, the volunteer who recorded
it sees it at once even while the replica's replay is paused, and a replica that stops leaves the app
answering from the primary until it is back."""

from __future__ import annotations

import csv
import dataclasses
import io
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from server.app import create_app
from surveys.core.db import current_engine
from surveys.core.replicas import ReplicaRoutingEngine, position_from_signed, replica_outages
from surveys.core.settings import Settings
from surveys.tables import Visit
from tests.conftest import BASE_URL, POSTGRES_URL, api_token, sign_in
from tests.factories import PASSWORD, World, make_household, person
from tests.ports import closed_port
from tests.replica import Replica, replica_or_skip
from tests.server.helpers import soup
from tests.server.test_household_pages import record_visit_through_the_form


@asynccontextmanager
async def app_client(settings: Settings) -> AsyncIterator[AsyncTestClient[Any]]:
    """A browser of its own (its own cookies) on an app with the replica."""
    async with AsyncTestClient(app=create_app(settings), base_url=BASE_URL) as client:
        yield client


async def ward_report(client: AsyncTestClient[Any], headers: dict[str, str]) -> dict[str, Any]:
    """The ward dashboard's numbers, as the API gives them."""
    response = await client.get("/api/wards/01849/report", headers=headers)
    assert response.status_code == 200, response.text
    report: dict[str, Any] = response.json()
    return report


async def ward_households(client: AsyncTestClient[Any], headers: dict[str, str]) -> int:
    return int((await ward_report(client, headers))["total"]["households"])


async def dashboard_households(client: AsyncTestClient[Any]) -> int:
    """The "whole ward" households on the ward dashboard page (the first line under the villages)."""
    page = soup(await client.get("/wards/01849"))
    cell = page.select_one("table.numbers tfoot tr td .cell-value")
    assert cell is not None
    return int(cell.get_text(strip=True))


async def household_only_on_the_primary(world: World, code: str) -> None:
    """A household added while the replica's replay is paused (or the replica is down)."""
    await make_household(world.villages["v2"], code, [person("Hoàng Văn Nam", 1990, sex="male")])


@pytest.mark.replica
async def test_the_ward_dashboard_reads_the_replica(
    replica: Replica, replica_settings: Settings, world: World
) -> None:
    async with app_client(replica_settings) as officer:
        await sign_in(officer, "ward")
        headers = await api_token(officer, "ward")
        await replica.catch_up()
        assert await ward_households(officer, headers) == 3
        await replica.pause()
        await household_only_on_the_primary(world, "PQ-02-0100")

        # The primary has 4 households; the dashboard, its API and its export show the replica's 3.
        assert await ward_households(officer, headers) == 3
        assert await dashboard_households(officer) == 3
        export = await officer.get("/wards/01849/report.csv")
        assert export.status_code == 200
        [whole_ward] = [row for row in csv.reader(io.StringIO(export.text)) if row[1:2] == ["Toàn xã"]]
        assert whole_ward[2] == "3"

        await replica.resume()
        await replica.catch_up()
        assert await ward_households(officer, headers) == 4


@pytest.mark.replica
async def test_a_visit_goes_to_the_primary_and_its_volunteer_sees_it_while_replay_is_paused(
    replica: Replica, replica_settings: Settings, world: World
) -> None:
    token = world.households["an"]
    async with app_client(replica_settings) as volunteer, app_client(replica_settings) as officer:
        await sign_in(volunteer, "volunteer1")
        volunteer_api = await api_token(volunteer, "volunteer1")
        officer_api = await api_token(officer, "ward")
        await replica.catch_up()
        await replica.pause()

        response = await record_visit_through_the_form(
            volunteer, token, {"outcome": "done", "consent": "on", "informed": "on"}
        )
        assert response.status_code == 200
        assert soup(response).find(role="status") is not None  # "Đã lưu lượt thăm."

        # Written to the primary; the replica, paused, has not seen it.
        assert await Visit.count() == 1
        assert await replica.count("SELECT count(*) FROM visit") == 0

        # The volunteer's own coverage list (a replica read) shows the visit: their cookie says where
        # the primary was after it, and the paused replica is not there yet.
        coverage = await volunteer.get(
            f"/api/villages/{world.villages['v1']}/coverage", headers=volunteer_api
        )
        assert coverage.status_code == 200
        [an] = [h for h in coverage.json()["households"] if h["token"] == token]
        assert an["last_outcome"] == "done"

        # The ward office, which wrote nothing since, still reads the replica.
        report = await ward_report(officer, officer_api)
        assert report["total"]["indicators"]["visited"]["count"] == 0

        await replica.resume()
        await replica.catch_up()
        report = await ward_report(officer, officer_api)
        assert report["total"]["indicators"]["visited"]["count"] == 1


@pytest.mark.replica
async def test_with_the_replica_stopped_the_app_answers_from_the_primary_and_logs_it_once(
    replica: Replica,
    replica_settings: Settings,
    world: World,
    request: pytest.FixtureRequest,
    caplog: pytest.LogCaptureFixture,
) -> None:
    replica = replica_or_skip(POSTGRES_URL, request.config, needs_pg_ctl=True)
    replica_outages.reset()
    async with app_client(replica_settings) as officer:
        headers = await api_token(officer, "ward")
        engine = current_engine()
        assert isinstance(engine, ReplicaRoutingEngine)
        # Try the replica again at once after a failure (it waits RETRY_SECONDS in production), so
        # the test sees it come back as soon as it is started.
        engine.retry_seconds = 0
        await replica.catch_up()
        assert await ward_households(officer, headers) == 3

        await replica.stop()
        try:
            await household_only_on_the_primary(world, "PQ-02-0100")
            with caplog.at_level(logging.INFO):
                answers = [await ward_households(officer, headers) for _ in range(4)]
            assert answers == [4, 4, 4, 4]
            errors = [r for r in caplog.records if r.levelno >= logging.WARNING]
            assert [r.name for r in errors] == ["phocap.database"]
            assert errors[0].getMessage().startswith("read replica unreachable (")
            assert errors[0].exc_info is None
        finally:
            await replica.start()

        # Back: the replica serves the dashboard again (it shows the past while its replay is paused).
        await replica.catch_up()
        await replica.pause()
        await household_only_on_the_primary(world, "PQ-02-0101")
        assert await ward_households(officer, headers) == 4


@pytest.mark.skipif(not POSTGRES_URL, reason="read replicas are PostgreSQL's; SQLite ignores the setting")
async def test_after_a_write_the_client_gets_a_signed_secure_cookie_of_the_primarys_position(
    settings: Settings, world: World
) -> None:
    # No replica needed: a replica that does not answer (a closed port) is enough, and the app answers.
    with closed_port() as closed:
        unreachable = f"postgresql://phocap:phocap@127.0.0.1:{closed}/phocap_test"
        async with app_client(dataclasses.replace(settings, database_replica_url=unreachable)) as officer:
            response = await officer.post("/api/session", json={"login": "ward", "password": PASSWORD})
            assert response.status_code == 200
            [cookie] = [c for c in response.headers.get_list("set-cookie") if c.startswith("phocap_written=")]
            value, *attributes = [part.strip() for part in cookie.split(";")]
            assert set(attributes) == {"HttpOnly", "Max-Age=600", "Path=/", "SameSite=lax", "Secure"}
            assert position_from_signed(value.removeprefix("phocap_written="), settings.secret_key) > 0
            headers = {"Authorization": f"Bearer {response.json()['token']}"}
            assert await ward_households(officer, headers) == 3
