"""Local ports for the test servers (phocap processes, SMTP servers) that stay this test's for as long as
it needs them, even while its server is stopped: the suite runs in several processes at once
(pytest-xdist), and other test runs may share the machine.

A port is held by a guard socket, bound and never listening: a connection to it is refused, as a stopped
server's is, and no other process can bind it (a bind to port 0 is never handed a bound port; an explicit
bind fails). The test's own servers bind it beside the guard with SO_REUSEPORT (`listener`), as many
times as they start and stop again."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager


def _reserve() -> socket.socket:
    """The guard socket of a port the kernel chooses. Without SO_REUSEADDR: a bind to port 0 with that
    option may otherwise be handed a port bound without listening."""
    guard = socket.socket()
    guard.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    guard.bind(("127.0.0.1", 0))
    return guard


@contextmanager
def closed_port() -> Iterator[int]:
    """A local port that refuses connections for the length of the block, and that no other process may
    take meanwhile: a connection then reaches no other run's server instead of being refused. A server
    of this test may listen on it inside the block (`listener`); once it stops, it refuses again."""
    with _reserve() as guard:
        yield int(guard.getsockname()[1])


class ReservedPort:
    """A port held (as `closed_port` holds one) until `release`, for an object that outlives a block."""

    def __init__(self) -> None:
        self._guard: socket.socket | None = _reserve()
        self.number = int(self._guard.getsockname()[1])

    def release(self) -> None:
        """Let the port go."""
        if self._guard is not None:
            self._guard.close()
            self._guard = None


def listener(port: int) -> socket.socket:
    """A socket bound to `port` (held by `closed_port` or `ReservedPort` in this process), for a server
    to listen on: while it listens, connections reach it; once it is closed, they are refused again."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(("127.0.0.1", port))
    return sock
