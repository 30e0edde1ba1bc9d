"""Database connections under a request: SQLite keeps its connections open, PostgreSQL gives a request
one connection for all its queries (issue 16 item 2), and parallel SQLite writers never meet
"database is locked" (issue 15 item 2). An app serves from the database it is handed (`serve_from`), as
the tests' one app serves each test's database in turn."""

from __future__ import annotations

import dataclasses
import sqlite3
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from server.app import create_app, serve_from
from surveys.core.db import engine_for_url
from surveys.core.settings import Settings
from tests.conftest import BASE_URL, POSTGRES_URL, api_token
from tests.factories import World


def _visit(version: int) -> dict[str, Any]:
    return {"client_id": str(uuid.uuid4()), "outcome": "done", "household_version": version,
            "household": {"consent": True, "informed": True},
            "members": [{"full_name": "Đặng Văn Tú", "birth_year": 1988, "vneid": "level2"}]}  # fmt: skip


class Counted:
    """A connect function that counts its calls (from any thread) and then connects for real."""

    def __init__(self, connect: Callable[..., Any]) -> None:
        self.connect, self.calls, self._lock = connect, 0, threading.Lock()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            self.calls += 1
        return self.connect(*args, **kwargs)


async def _record(client: AsyncTestClient[Any], headers: dict[str, str], token: str, version: int) -> None:
    response = await client.post(f"/api/households/{token}/visits", json=_visit(version), headers=headers)
    assert response.status_code == 201, response.text


@pytest.mark.skipif(bool(POSTGRES_URL), reason="SQLite only")
async def test_sqlite_visits_open_no_connection_once_the_app_has_its_own(
    client: AsyncTestClient[Any], world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    headers = await api_token(client, "volunteer1")
    token = world.households["dang"]
    await _record(client, headers, token, 1)  # the app opens its write and read connections
    connect = Counted(sqlite3.connect)
    monkeypatch.setattr(sqlite3, "connect", connect)
    for version in (2, 3, 4):
        await _record(client, headers, token, version)
    # Piccolo's own engine opened a connection (and a thread) per query: ~20 per visit.
    assert connect.calls == 0


@pytest.mark.skipif(not POSTGRES_URL, reason="PostgreSQL only")
async def test_a_postgres_request_runs_all_its_queries_on_one_connection(
    client: AsyncTestClient[Any], world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    headers = await api_token(client, "volunteer1")
    token = world.households["dang"]
    connect = Counted(asyncpg.connect)
    monkeypatch.setattr(asyncpg, "connect", connect)
    # The test settings run without a pool, so each connection is a new one: a visit's request (access
    # checks, the write transaction, the answer) opens exactly one.
    await _record(client, headers, token, 1)
    assert connect.calls == 1
    response = await client.get(f"/api/households/{token}", headers=headers)
    assert response.status_code == 200
    assert connect.calls == 2


async def test_an_app_serves_from_the_database_it_is_handed_not_the_one_it_was_built_for(
    settings: Settings, world: World, tmp_path: Path
) -> None:
    # Built for an empty SQLite file (never migrated: its lifespan would refuse to start on it)...
    app = create_app(dataclasses.replace(settings, database_url=f"sqlite:///{tmp_path / 'empty.sqlite3'}"))
    # ...and handed the test's database, where the fixture's accounts are.
    serve_from(app, engine_for_url(settings.resolved_database_url))
    async with AsyncTestClient(app=app, base_url=BASE_URL) as client:
        headers = await api_token(client, "volunteer1")
        villages = (await client.get("/api/villages", headers=headers)).json()
    assert sorted(v["name"] for v in villages) == ["Thôn Khuôn Ngọa", "Thôn Đồng Tâm"]
