"""phocap as a real server process that a test can stop and start again, and a small TCP proxy in front
of it that can take the signal away (the server up: each connection refused or broken off, as when the
server is stopped, a second's restart cheaper; Playwright's `set_offline` does not stop a service
worker's own requests, playwright#2311), lose the server's answer to a visit or an attendance, answer
those posts itself as something between the phone and the server might (a redirect to sign in, a
refusal, an error), counts the phone's GETs, and can play an older server that lacks a route (404)."""

from __future__ import annotations

import asyncio
import multiprocessing
import multiprocessing.process
import os
import re
import socket
import time
from pathlib import Path

import httpx

from tests.ports import ReservedPort, listener

ROOT = Path(__file__).resolve().parents[2]
# What the phone sends once and the proxy may lose the answer to: a visit, a class attendance.
VISIT_POST = re.compile(rb"^POST /(h/[^/ ]+/visits|wards/[^/ ]+/classes/\d+/attendance) ")


# The phocap processes start from a fork server that has imported the app once (per test process):
# a fresh `python -m uvicorn` spent 2-3 s importing before it answered (7-10 s on a loaded machine), and a
# browser test starts one two or three times (the network taken away and given back). Each start is
# still a process of its own, started as uvicorn's command line starts it, on its own socket and
# environment; it only skips the imports, as a preloading server (gunicorn --preload) does.
_FORK_SERVER = multiprocessing.get_context("forkserver")
_FORK_SERVER.set_forkserver_preload(["tests.browser.preload"])


def _serve(env: dict[str, str], sock: socket.socket, log_path: str) -> None:
    """In the new process: `uvicorn server.app:create_app --factory --fd N --no-access-log` with `env`
    as its whole environment, its output to `log_path`."""
    os.environ.clear()
    os.environ.update(env)
    time.tzset()
    log = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.chdir(ROOT)
    import uvicorn

    uvicorn.run("server.app:create_app", factory=True, fd=sock.fileno(), access_log=False)


class PhocapProcess:
    """phocap served as `uvicorn server.app:create_app --factory` serves it, in a process of its own on a
    fixed port and database, stoppable. The port stays this object's until `close`, the server stopped
    or not (tests/ports.py): while it is stopped, the phone's requests are refused, never answered by a
    server of another test or another run."""

    def __init__(
        self, database_url: str, data_dir: Path, public_url: str, settings: dict[str, str] | None = None
    ) -> None:
        self._reserved = ReservedPort()
        self.port = self._reserved.number
        self.log = data_dir / "server.log"
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "PHOCAP_DATA_DIR": str(data_dir),
            "SECRET_KEY": "test-secret-key-for-csrf-signing-only",
            "BASE_URL": public_url,
            "ALLOWED_HOSTS": "127.0.0.1",
            "COOKIE_SECURE": "false",
            "DATABASE_POOL_SIZE": "0",
            "LOG_LEVEL": "WARNING",
            **(settings or {}),
        }
        self.process: multiprocessing.process.BaseProcess | None = None

    def start(self) -> None:
        """Start the server and wait until it answers."""
        # uvicorn listens on a socket bound here to the held port (`fd`): binding it itself, it would
        # find the port taken by the guard.
        with listener(self.port) as sock:
            self.process = _FORK_SERVER.Process(target=_serve, args=(self.env, sock, str(self.log)))
            # Not a daemon: a daemon process may not start processes of its own (the stickers' pool).
            self.process.start()
        # Over two busy cores (CI, or a run beside others) the server took more than 30 s to start once
        # (a load run of tests/browser): the wait ends as soon as the server answers.
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.exitcode is not None:
                raise RuntimeError(f"phocap exited: {self.log.read_text(errors='replace')[-2000:]}")
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"phocap did not start: {self.log.read_text(errors='replace')[-2000:]}")

    def stop(self) -> None:
        """Stop the server process: from the phone's side, the network is gone."""
        if self.process is None:
            return
        self.process.terminate()
        self.process.join(timeout=10)
        if self.process.exitcode is None:
            self.process.kill()
            self.process.join()
        self.process.close()
        self.process = None

    def close(self) -> None:
        """Stop the server and let its port go."""
        self.stop()
        self._reserved.release()


class Proxy:
    """Passes bytes between the browser and the server. `lose_visit_answers` answers to visit posts
    are swallowed after the server sent them (the connection is cut instead): the visit is recorded,
    the phone never hears so. `visit_posts` counts the visit posts that reached the server."""

    def __init__(self, upstream_port: int) -> None:
        self.port = 0  # chosen by `start`, and held from then on
        self.upstream_port = upstream_port
        self.lose_visit_answers = 0
        self.visit_posts = 0
        self.answer_lost = asyncio.Event()
        self.server: asyncio.Server | None = None
        # `latency` seconds before each answer starts back to the phone (a slow link); `waiting`: GETs
        # sent on and not yet answered, and the most there were at one time since `most_waiting` = 0.
        self.latency = 0.0
        self.waiting = 0
        self.most_waiting = 0
        # The path (and query) of every GET the phone sent; GETs of paths `not_found` matches are
        # answered 404 by the proxy itself, as an older server without the route would.
        self.gets: list[str] = []
        self.not_found: re.Pattern[str] | None = None
        # The next `cut_answers` answers to GETs `cut` matches break off after their headers and a few
        # bytes of body (the link dropped mid-answer: the browser cannot quietly ask again).
        self.cut: re.Pattern[str] | None = None
        self.cut_answers = 0
        # While set, visit and attendance posts get this answer (a whole HTTP answer) from the proxy,
        # never reaching the server; `answered_posts` counts them.
        self.answer_posts: bytes | None = None
        self.answered_posts = 0
        # The next `busy_answers` GETs `busy` matches are answered 429 with `Retry-After: 1` by the proxy
        # itself, as a server drawing the user's other parts does.
        self.busy: re.Pattern[str] | None = None
        self.busy_answers = 0
        # While `no_signal`, every connection of the phone's is refused and the ones open are broken off,
        # as they are when the server's process is stopped (`_connection`): no signal, the server up.
        self.no_signal = False
        self._open: set[tuple[asyncio.StreamWriter, asyncio.StreamWriter]] = set()

    async def start(self) -> None:
        """Listen on a free port, `self.port` from then on (bound at once: a port chosen first and bound
        later may be handed to another test's server in between, or to another run's)."""
        self.server = await asyncio.start_server(self._connection, "127.0.0.1", 0)
        self.port = int(self.server.sockets[0].getsockname()[1])

    async def close(self) -> None:
        """Stop listening."""
        if self.server is not None:
            self.server.close()

    def lose_signal(self) -> None:
        """No signal: the phone's connections open now are broken off and new ones refused."""
        self.no_signal = True
        for pair in list(self._open):
            for side in pair:
                side.transport.abort()

    def signal_back(self) -> None:
        """The signal is back."""
        self.no_signal = False

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.no_signal:
            writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except OSError:  # the server is stopped: the phone's request fails
            writer.transport.abort()
            return
        if self.no_signal:  # lost while this connection was being made
            writer.transport.abort()
            up_writer.transport.abort()
            return
        pair = (writer, up_writer)
        self._open.add(pair)
        try:
            await self._pass(reader, writer, up_reader, up_writer)
        finally:
            self._open.discard(pair)

    async def _pass(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        up_reader: asyncio.StreamReader,
        up_writer: asyncio.StreamWriter,
    ) -> None:
        lose = asyncio.Event()
        cut = asyncio.Event()

        asked = 0  # this connection's GETs not yet answered (one at a time without pipelining)

        async def to_server() -> None:
            nonlocal asked
            while data := await reader.read(65536):
                if data.startswith(b"GET "):
                    path = data.split(b" ", 2)[1].decode("latin-1")
                    self.gets.append(path)
                    if self.not_found and self.not_found.search(path):
                        writer.write(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n")
                        await writer.drain()
                        continue
                    if self.busy and self.busy_answers and self.busy.search(path):
                        self.busy_answers -= 1
                        writer.write(
                            b"HTTP/1.1 429 Too Many Requests\r\nretry-after: 1\r\ncontent-length: 0\r\n\r\n"
                        )
                        await writer.drain()
                        continue
                    if self.cut and self.cut_answers and self.cut.search(path):
                        self.cut_answers -= 1
                        cut.set()
                    asked += 1
                    self.waiting += 1
                    self.most_waiting = max(self.most_waiting, self.waiting)
                if VISIT_POST.match(data) and self.answer_posts is not None:
                    self.answered_posts += 1
                    writer.write(self.answer_posts)
                    await writer.drain()
                    writer.close()
                    up_writer.close()
                    return
                if VISIT_POST.match(data):
                    self.visit_posts += 1
                    if self.lose_visit_answers:
                        self.lose_visit_answers -= 1
                        lose.set()
                up_writer.write(data)
                await up_writer.drain()
            up_writer.close()

        async def to_phone() -> None:
            nonlocal asked
            while data := await up_reader.read(65536):
                if asked and data.startswith(b"HTTP/"):
                    await asyncio.sleep(self.latency)
                    asked -= 1
                    self.waiting -= 1
                if cut.is_set() and data.startswith(b"HTTP/"):
                    writer.write(data[: data.find(b"\r\n\r\n") + 4 + 16])
                    await writer.drain()
                    writer.transport.abort()
                    up_writer.close()
                    return
                if lose.is_set():
                    self.answer_lost.set()
                    writer.transport.abort()
                    up_writer.close()
                    return
                writer.write(data)
                await writer.drain()
            writer.close()

        await asyncio.gather(to_server(), to_phone(), return_exceptions=True)
