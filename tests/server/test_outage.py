"""The database going away while the app runs: every request answers 503 with `Retry-After` (a short
problem body for the API, a Vietnamese page for people), and the log says so once, without tracebacks
(a fault run logged 808 traceback lines for one outage)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlparse

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from surveys.core.db import bind, engine_for_url
from surveys.core.outages import RETRY_AFTER_SECONDS, outages
from tests import ports
from tests.conftest import POSTGRES_URL, api_token, sign_in
from tests.factories import World
from tests.server.helpers import soup


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A local port that refuses connections for the length of the test, as a stopped database does."""
    with ports.closed_port() as port:
        yield port


async def test_with_the_database_down_every_request_is_503_and_logged_once(
    client: AsyncTestClient[Any], world: World, caplog: pytest.LogCaptureFixture, closed_port: int
) -> None:
    await sign_in(client, "volunteer1")
    headers = await api_token(client, "volunteer1")
    outages.reset()
    # The database server stops: every table now reaches an address that refuses connections.
    bind(engine_for_url(f"postgresql://phocap:phocap@127.0.0.1:{closed_port}/phocap"))
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


class _Cable:
    """A TCP relay between asyncpg and the test's PostgreSQL that can be pulled out: every connection
    through it is cut, and new ones are refused, as when the database server stops."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.server: asyncio.Server | None = None
        self.writers: list[asyncio.StreamWriter] = []

    async def plug(self) -> int:
        self.server = await asyncio.start_server(self._relay, "127.0.0.1", 0)
        return int(self.server.sockets[0].getsockname()[1])

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection(self.host, self.port)
        self.writers += [writer, upstream_writer]

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError):
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            sink.close()

        await asyncio.gather(pipe(reader, upstream_writer), pipe(upstream_reader, writer))

    async def pull(self) -> None:
        assert self.server is not None
        self.server.close()
        for writer in self.writers:
            writer.close()
        await self.server.wait_closed()


async def test_the_pools_reconnect_attempts_are_said_in_the_outage_line_without_tracebacks(
    client: AsyncTestClient[Any], database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    # asyncpg's pool keeps its floor of connections: while the database is down it tries to reopen
    # them every second, then less often, and logs each failure with a traceback (a fault run: 9
    # tracebacks in a 4 s outage across the server and the schedulers). The app's logging sends them to
    # the one outage line instead.
    if not POSTGRES_URL:
        pytest.skip("the connection pool is PostgreSQL's")
    url = urlparse(database_url)
    cable = _Cable(url.hostname or "127.0.0.1", url.port or 5432)
    port = await cable.plug()
    pool = await asyncpg.create_pool(
        database_url.replace(f":{url.port}/", f":{port}/"), min_size=2, max_size=2
    )
    outages.reset()
    try:
        assert await pool.fetchval("SELECT 1") == 1
        with caplog.at_level(logging.INFO):
            await cable.pull()
            # The pool finds its connections gone and tries again at 1 s and 3 s.
            for _ in range(40):
                await asyncio.sleep(0.1)
                with contextlib.suppress(Exception):
                    await pool.fetchval("SELECT 1")
    finally:
        pool.terminate()
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert warnings, "the pool did not try to reconnect: the test saw nothing"
    assert {r.name for r in warnings} == {"phocap.database"}
    assert all(r.exc_info is None for r in warnings)
    assert len(warnings) == 1
