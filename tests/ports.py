"""A local port that refuses connections, as a stopped server's does: for tests of a database or mail
server that is down."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def closed_port() -> Iterator[int]:
    """A local port that refuses connections for the length of the block. It stays bound, never
    listening: a port merely let go could be taken meanwhile by another test run on the machine, and a
    connection would then reach that run's server instead of being refused."""
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        yield int(held.getsockname()[1])
