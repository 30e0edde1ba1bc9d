"""Test fixtures: a clean database per test (SQLite, or PostgreSQL when PHOCAP_TEST_DATABASE_URL is set),
the app built by its one factory, and signed-in clients."""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import functools
import logging
import os
import re
import shutil
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import closing
from datetime import date, datetime
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from server.app import create_app, serve_from
from surveys.core import clock
from surveys.core.clock import start_clock_at
from surveys.core.db import bind, close_pool, engine_for_url, migrate, open_pool
from surveys.core.settings import Settings, get_settings, load_settings
from surveys.demo import load_demo
from surveys.tables import ALL_TABLES
from tests import log_scan
from tests.factories import PASSWORD, World, make_world
from tests.live import serve
from tests.replica import Replica, one_test_at_a_time, replica_or_skip
from tests.workers import database_name, for_this_worker

_LOG_HANDLER = pytest.StashKey[logging.Handler]()
_WORKER_LOGS = pytest.StashKey[list[Path]]()

# The PostgreSQL database given, and this process's: under pytest-xdist each worker has a database of
# its own, made from the one given (tests/workers.py).
GIVEN_POSTGRES_URL = os.environ.get("PHOCAP_TEST_DATABASE_URL", "")
POSTGRES_URL = for_this_worker(GIVEN_POSTGRES_URL)
BASE_URL = "https://testserver.local"
# Connections the test's own PostgreSQL engine keeps (see `database_url`).
TEST_POOL_SIZE = 4


# A run can start at a chosen instant (ISO 8601 with its offset), e.g. a Sunday 23:30 in Vietnam, when
# the UTC week is not Vietnam's: `.ci/run` runs the suite once so. The clock moves on from there.
TEST_NOW = os.environ.get("PHOCAP_TEST_NOW", "")


def pytest_configure(config: pytest.Config) -> None:
    # A worker of pytest-xdist logs to the file the run named for it (`pytest_configure_node`).
    worker_log = getattr(config, "workerinput", {}).get("phocap_log_file")
    config.stash[_LOG_HANDLER] = log_scan.start(Path(worker_log) if worker_log else None)
    config.stash[_WORKER_LOGS] = []
    if TEST_NOW:
        start_clock_at(datetime.fromisoformat(TEST_NOW))
    # phocap's own time zone setting is read from TZ too. The suite checks phocap as configured for
    # Vietnam (its default) on a machine whose clock is in whatever zone TZ names (CI runs it in UTC
    # and in Vietnam's): read the process's settings once without the machine's TZ, then put it back.
    _read_settings_for_vietnam()


def _read_settings_for_vietnam() -> None:
    """Read the process's settings as phocap's defaults give them, whatever zone the machine's TZ names."""
    machine_tz = os.environ.pop("TZ", None)
    try:
        get_settings.cache_clear()
        get_settings()
    finally:
        if machine_tz is not None:
            os.environ["TZ"] = machine_tz


@pytest.fixture
def clock_at(monkeypatch: pytest.MonkeyPatch) -> Callable[[datetime], None]:
    """Move phocap's clock for one test: `now()` reads the instant given and moves on from there (the
    run's own clock is back after the test). For a test about a time of day that the run's real time
    may not allow, such as "a class later today" at 23:59."""

    monkeypatch.setattr(clock, "_shift", clock._shift)  # the run's own shift, put back after the test
    return start_clock_at


@pytest.fixture(autouse=True)
def _settings_stay_vietnamese() -> Iterator[None]:
    """A test that reads the settings afresh (the command line's) leaves them to be read again: read them
    for Vietnam then, or every test after it would run in the machine's zone (TZ=UTC in CI's second pass)."""
    yield
    if get_settings.cache_info().currsize == 0:
        _read_settings_for_vietnam()


@pytest.fixture(autouse=True)
def _logs_reach_the_scanned_file(request: pytest.FixtureRequest) -> None:
    """Put the scanned log file back on the root logger if something (a logging set-up of a library)
    took it off."""
    handler = request.config.stash.get(_LOG_HANDLER, None)
    if handler is not None and handler not in logging.getLogger().handlers:
        logging.getLogger().addHandler(handler)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """A worker of pytest-xdist starts: name its log file, which this process scans at the run's end."""
    log_file = log_scan.LOG_FILE.with_name(f"{log_scan.LOG_FILE.stem}-{node.gateway.id}.log")
    node.workerinput["phocap_log_file"] = str(log_file)
    node.config.stash[_WORKER_LOGS].append(log_file)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run when the logs it wrote hold personal data (tests/log_scan.py): its own and, under
    pytest-xdist, each worker's (a worker closes its file; the process that started them scans)."""
    handler = session.config.stash.get(_LOG_HANDLER, None)
    if handler is None:
        return
    handler.close()
    if hasattr(session.config, "workerinput"):
        return
    logs = [log_scan.LOG_FILE, *session.config.stash.get(_WORKER_LOGS, [])]
    found = {log: log_scan.leaks(log.read_text(encoding="utf-8")) for log in logs if log.exists()}
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    for log, lines in found.items():
        if not lines:
            log.unlink()
            continue
        if reporter is not None:
            reporter.write_line(f"Personal data in the logs ({log}):", red=True)
            for line in lines[:20]:
                reporter.write_line(f"  {line}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_report_header(config: pytest.Config) -> list[str]:
    database = "PostgreSQL " + POSTGRES_URL.rsplit("@", 1)[-1] if POSTGRES_URL else "SQLite"
    if GIVEN_POSTGRES_URL and config.getoption("numprocesses", None):
        database += f" (a database per worker: {database_name(GIVEN_POSTGRES_URL)}_gw0, _gw1 …)"
    clock = f"from {TEST_NOW}" if TEST_NOW else "real time"
    return [f"phocap database: {database}", f"phocap clock: {clock}, TZ={os.environ.get('TZ', '(unset)')}"]


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated database made once per run (per worker): a SQLite file to copy, or the PostgreSQL
    database."""
    url = POSTGRES_URL or f"sqlite:///{tmp_path_factory.mktemp('template') / 'phocap.sqlite3'}"

    async def run() -> None:
        if POSTGRES_URL != GIVEN_POSTGRES_URL:
            await _create_worker_database()
        engine = engine_for_url(url)
        bind(engine)
        await migrate()
        # Each test copies the SQLite file: its connections closed, the file holds every page.
        await close_pool(engine)

    asyncio.run(run())
    return url


async def _create_worker_database() -> None:
    """This worker's PostgreSQL database, new and empty (one left by an earlier run is dropped), made
    through the database given, by its role (which needs CREATEDB)."""
    name = database_name(POSTGRES_URL)
    connection = await asyncpg.connect(GIVEN_POSTGRES_URL)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


# Fixture data on SQLite (`world`, `demo`), built by a worker's first test of each day that asks for it
# (its daily counts are that day's, its members' ages that year's) and kept as a file: a later test that
# asks for it starts from a copy of that file instead of the migrated one, with the same ids and tokens.
# Building the world cost 20-30 ms in each of a thousand tests, the demo 2-5 s in each of eight; a copy
# costs under 1 ms. (On PostgreSQL each test builds its own.)
@dataclasses.dataclass(frozen=True)
class _Kept:
    path: Path
    value: Any


_KEPT: dict[tuple[str, date], _Kept] = {}
# The fixtures kept, most specific first (a test module may put its own in front).
KEPT_FIXTURES = ["world", "demo"]
_KEPT_FOR_TEST = pytest.StashKey[tuple[str, Any]]()


def table_rows(database: str | Path) -> dict[str, int]:
    """The rows of each table of the SQLite database at `database` (a path or a sqlite:/// URL)."""
    with closing(sqlite3.connect(str(database).removeprefix("sqlite:///"))) as connection:
        tables = [r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        # The names are the database's own tables'.
        return {t: connection.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}  # noqa: S608


@functools.cache
def _migrated_rows(template: str) -> dict[str, int]:
    """`table_rows` of the run's migrated database, which tests copy and never change."""
    return table_rows(template)


async def built_or_kept(
    name: str, request: pytest.FixtureRequest, database_url: str, build: Callable[[], Any]
) -> Any:
    """The fixture `name`'s value: the kept one when the test's database was copied from it (see
    `database_url`), else built now, and on SQLite kept for the day's later tests."""
    kept = request.node.stash.get(_KEPT_FOR_TEST, None)
    if kept is not None and kept[0] == name:
        return copy.deepcopy(kept[1])
    day = clock.local_now().date()
    path = database_url.removeprefix("sqlite:///")
    # Kept only when built on the migrated database alone: not on another fixture's rows.
    keep = not POSTGRES_URL and table_rows(path) == _migrated_rows(
        request.getfixturevalue("migrated_template")
    )
    built = await build()
    if keep and day == clock.local_now().date():
        kept_path = request.getfixturevalue("tmp_path_factory").mktemp(name) / "phocap.sqlite3"
        # SQLite's backup: every committed page, the ones still in the -wal file included.
        with (
            closing(sqlite3.connect(path)) as source,
            closing(sqlite3.connect(kept_path)) as copy_of_it,
        ):
            source.backup(copy_of_it)
        _KEPT[(name, day)] = _Kept(kept_path, copy.deepcopy(built))
    return built


@pytest.fixture
async def database_url(
    migrated_template: str, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[str]:
    """A clean, migrated database bound to the tables (on SQLite, with fixture data already in it when
    the test asks for fixture data kept today: see `_KEPT`)."""
    if POSTGRES_URL:
        engine = engine_for_url(POSTGRES_URL)
        # The test's own queries (fixtures, checks) take turns on a few kept connections of the test's
        # event loop: without a pool each statement opened a connection, 15-20 ms each. The pool is
        # the test's: its loop ends with the test. The app (`client`) binds an engine of its own.
        await open_pool(engine, TEST_POOL_SIZE)
        bind(engine)
        try:
            names = ", ".join(f'"{t._meta.tablename}"' for t in ALL_TABLES)
            await engine.run_ddl(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
            yield POSTGRES_URL
        finally:
            await close_pool(engine)
        return
    source = Path(migrated_template.removeprefix("sqlite:///"))
    day = clock.local_now().date()
    for name in KEPT_FIXTURES:
        if name in request.fixturenames and (kept := _KEPT.get((name, day))) is not None:
            source = kept.path
            request.node.stash[_KEPT_FOR_TEST] = (name, kept.value)
            break
    target = tmp_path / "phocap.sqlite3"
    shutil.copyfile(source, target)
    url = f"sqlite:///{target}"
    bind(engine_for_url(url))
    yield url


@pytest.fixture
async def world(database_url: str, request: pytest.FixtureRequest) -> World:
    """The fixture commune (see tests/factories.py), built or kept (see `_KEPT`)."""
    return await built_or_kept("world", request, database_url, make_world)  # type: ignore[no-any-return]


@pytest.fixture
async def demo(database_url: str, request: pytest.FixtureRequest) -> None:
    """The demo's data (`phocap demo`: surveys/demo.py), loaded or kept (see `_KEPT`)."""
    await built_or_kept("demo", request, database_url, load_demo)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """Test settings: the defaults (secure cookies included), this test's database."""
    return load_settings(
        environ={},
        data_dir=str(tmp_path),
        database_url=database_url,
        secret_key="test-secret-key-for-csrf-signing-only",
        base_url=BASE_URL,
        allowed_hosts="testserver.local",
        # The test client runs the app in a thread of its own, while fixtures write from the test's
        # event loop: a pool would be shared across loops.
        database_pool_size=0,
    )


@pytest.fixture(scope="session")
def _apps(tmp_path_factory: pytest.TempPathFactory) -> Callable[[Settings], Litestar]:
    """The app for a test's settings, built once per run for each set of settings that differ in more
    than their database and data dir: building one costs 0.15-0.35 s, nearly all of a short test's time.
    The next test's app is the same one served from that test's database (`serve_from`)."""
    apps: dict[Settings, Litestar] = {}
    data_dir = tmp_path_factory.mktemp("app")

    def app_for(settings: Settings) -> Litestar:
        # The app never reads its settings' database or data dir after it is built: the engine is
        # the one it serves from, and the data dir only holds a secret key, which tests set. (Built
        # for the first such test's database, so that its kind, replicas included, is the tests'.)
        key = dataclasses.replace(settings, database_url="", data_dir=str(data_dir))
        if key not in apps:
            apps[key] = create_app(dataclasses.replace(settings, data_dir=str(data_dir)))
        app = apps[key]
        serve_from(app, engine_for_url(settings.resolved_database_url, settings.replica_urls))
        return app

    return app_for


@pytest.fixture
async def client(
    settings: Settings, _apps: Callable[[Settings], Litestar]
) -> AsyncIterator[AsyncTestClient[Any]]:
    """A browser-like client of the app (no one signed in), its lifespan run for this test alone."""
    async with AsyncTestClient(app=_apps(settings), base_url=BASE_URL) as test_client:
        yield test_client


CSRF_INPUT = re.compile(r'name="_csrf_token" value="([^"]+)"')


async def csrf_token(client: AsyncTestClient[Any], path: str = "/signin") -> str:
    """The CSRF token a page hands out (and its cookie, kept by the client)."""
    response = await client.get(path)
    match = CSRF_INPUT.search(response.text)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


async def sign_in(client: AsyncTestClient[Any], login: str, password: str = PASSWORD) -> str:
    """Sign in through the form; returns a CSRF token of the new session for later posts (the one the
    sign-in form carried was bound to the browser before it signed in)."""
    token = await csrf_token(client)
    response = await client.post(
        "/signin", data={"login": login, "password": password, "_csrf_token": token}, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    return str((await client.get("/csrf")).json()["token"])


async def api_token(client: AsyncTestClient[Any], login: str, password: str = PASSWORD) -> dict[str, str]:
    """Authorization headers for the API."""
    response = await client.post("/api/session", json={"login": login, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


@pytest.fixture
def live_server(settings: Settings) -> Iterator[str]:
    """The app served by uvicorn on a free local port, for the length of one test."""
    with serve(settings) as url:
        yield url


@pytest.fixture
async def replica(database_url: str, request: pytest.FixtureRequest) -> AsyncIterator[Replica]:
    """The streaming replica of the test database (tests/replica.py), replaying again after the test."""
    found = replica_or_skip(POSTGRES_URL, request.config)
    with one_test_at_a_time(found):
        yield found
        await found.resume()


@pytest.fixture
def replica_settings(settings: Settings, replica: Replica) -> Settings:
    """The test settings with the replica as `DATABASE_REPLICA_URL`."""
    return dataclasses.replace(settings, database_replica_url=replica.url)
