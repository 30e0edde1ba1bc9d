"""The database going away while the app runs: every request answers 503 with `Retry-After` (a short
problem body for the API, a Vietnamese page for people), and the log says so once, without tracebacks
(a fault run logged 808 traceback lines for one outage)."""

from __future__ import annotations

import logging
import socket
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from surveys.core.db import bind, engine_for_url
from surveys.core.outages import RETRY_AFTER_SECONDS, outages
from tests.conftest import api_token, sign_in
from tests.factories import World
from tests.server.helpers import soup


def _closed_port() -> int:
    """A local port nothing listens on: connecting to it is refused, as to a stopped database."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_with_the_database_down_every_request_is_503_and_logged_once(
    client: AsyncTestClient[Any], world: World, caplog: pytest.LogCaptureFixture
) -> None:
    await sign_in(client, "volunteer1")
    headers = await api_token(client, "volunteer1")
    outages.reset()
    # The database server stops: every table now reaches an address that refuses connections.
    bind(engine_for_url(f"postgresql://phocap:phocap@127.0.0.1:{_closed_port()}/phocap"))
    with caplog.at_level(logging.INFO):
        page = await client.get(f"/h/{world.households['an']}")
        api = await client.get("/api/villages", headers=headers)
        visit = await client.post(
            f"/api/households/{world.households['an']}/visits", json={}, headers=headers
        )
        health = await client.get("/healthz")
        for _ in range(5):
            await client.get("/villages")
    for response in (page, api, visit, health):
        assert response.status_code == 503
        assert response.headers["retry-after"] == str(RETRY_AFTER_SECONDS)
    assert soup(page).find("h1").text.strip() == (
        "Máy chủ đang bận hoặc cơ sở dữ liệu chưa trả lời. Hãy thử lại sau giây lát."
    )
    assert api.headers["content-type"] == "application/problem+json"
    assert api.json() == {
        "type": "about:blank",
        "title": "The database is not answering; try again shortly.",
        "status": 503,
    }
    assert health.json() == {"status": "error", "database": "error"}
    errors = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.name for r in errors] == ["phocap.database"]
    assert errors[0].exc_info is None and "ConnectionRefusedError" in errors[0].getMessage()
