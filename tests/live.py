"""phocap served by uvicorn on a free local port in a thread: for browser tests and benchmarks."""

from __future__ import annotations

import dataclasses
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

from server.app import create_app
from surveys.core.settings import Settings


@contextmanager
def serve(settings: Settings) -> Iterator[str]:
    """The app on a free local port in a thread, until the block ends; yields its base URL."""
    # The socket stays bound from the moment its port is chosen: a port let go and bound again by
    # uvicorn could be taken in between by another test run on the machine (uvicorn then never starts).
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    live = dataclasses.replace(
        settings, base_url=f"http://127.0.0.1:{port}", allowed_hosts="127.0.0.1", cookie_secure=False
    )
    server = uvicorn.Server(
        uvicorn.Config(create_app(live), host="127.0.0.1", port=port, log_config=None, access_log=False)
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30  # a busy CI machine starts slowly
    try:
        while not server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not start")
            time.sleep(0.05)
        yield live.base_url
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        listener.close()
