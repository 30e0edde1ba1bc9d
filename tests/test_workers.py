"""The suite in several worker processes (pytest-xdist): each worker keeps its database, folders and
ports to itself (tests/workers.py, tests/ports.py)."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests import workers
from tests.browser.processes import PhocapProcess
from tests.conftest import GIVEN_POSTGRES_URL, POSTGRES_URL
from tests.ports import closed_port, listener

# What another process does to take a port: bind it as servers do (SO_REUSEADDR, as uvicorn and
# PostgreSQL set it). It prints the error it got, or "bound".
TAKE_PORT = """
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
    print("bound")
except OSError as error:
    print(error.strerror)
"""


def another_process_binds(port: int) -> str:
    run = subprocess.run(
        [sys.executable, "-c", TAKE_PORT, str(port)], capture_output=True, text=True, timeout=60, check=True
    )
    return run.stdout.strip()


def refused(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=10).close()
    except ConnectionRefusedError:
        return True
    return False


def test_a_database_url_is_renamed_for_the_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    url = "postgresql://phocap:phocap@127.0.0.1:5432/phocap_test?sslmode=disable"
    monkeypatch.setattr(workers, "WORKER", "gw3")
    assert workers.for_this_worker(url) == (
        "postgresql://phocap:phocap@127.0.0.1:5432/phocap_test_gw3?sslmode=disable"
    )
    monkeypatch.setattr(workers, "WORKER", "")
    assert workers.for_this_worker(url) == url


async def test_a_test_in_a_worker_has_the_workers_database_and_folders(
    database_url: str, tmp_path: Path
) -> None:
    if not workers.WORKER:
        pytest.skip("run without workers (-n 0)")
    assert f"popen-{workers.WORKER}" in tmp_path.parts
    if GIVEN_POSTGRES_URL:
        assert database_url == POSTGRES_URL
        assert (
            workers.database_name(database_url)
            == f"{workers.database_name(GIVEN_POSTGRES_URL)}_{workers.WORKER}"
        )
    else:
        assert Path(database_url.removeprefix("sqlite:///")).is_relative_to(tmp_path)


def test_a_held_port_refuses_connections_no_other_process_takes_it_and_a_server_of_the_test_may() -> None:
    with closed_port() as port:
        assert refused(port)
        assert another_process_binds(port) == "Address already in use"
        with listener(port) as server:
            server.listen()
            socket.create_connection(("127.0.0.1", port), timeout=10).close()
        assert refused(port)
        assert another_process_binds(port) == "Address already in use"
    assert another_process_binds(port) == "bound"


@pytest.mark.timeout(300)  # two starts of a phocap process: as long as a browser test's on a busy machine
def test_a_stopped_phocap_process_keeps_its_port_until_closed(database_url: str, tmp_path: Path) -> None:
    server = PhocapProcess(database_url, tmp_path, "http://127.0.0.1")
    try:
        server.start()
        assert httpx.get(f"http://127.0.0.1:{server.port}/healthz", timeout=10).status_code == 200
        server.stop()
        assert refused(server.port)
        assert another_process_binds(server.port) == "Address already in use"
        server.start()  # back on the same port
        assert httpx.get(f"http://127.0.0.1:{server.port}/healthz", timeout=10).status_code == 200
    finally:
        server.close()
    assert another_process_binds(server.port) == "bound"
