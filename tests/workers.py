"""The suite runs in several processes at once (pytest-xdist, `-n` in pyproject.toml): what each worker
process keeps to itself. SQLite files and data folders are already each test's (`tmp_path`, which
pytest-xdist makes per worker); a PostgreSQL database is each worker's (`<name>_gw0`, `<name>_gw1` …,
made from the URL given, `tests/conftest.py`); ports are held per test (tests/ports.py)."""

from __future__ import annotations

import os
from urllib.parse import urlsplit, urlunsplit

# The worker's id ("gw0", "gw1" …) in a worker process of pytest-xdist, "" in a run without workers.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")


def database_name(url: str) -> str:
    """The database a PostgreSQL URL names."""
    return urlsplit(url).path.lstrip("/")


def for_this_worker(url: str) -> str:
    """`url` with its database renamed for this worker (`phocap_test` → `phocap_test_gw0`), or as it is
    outside a worker (and when empty)."""
    if not url or not WORKER:
        return url
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{database_name(url)}_{WORKER}"))
