"""A real PostgreSQL streaming replica for the replica tests: its URLs, pausing and resuming its replay,
waiting until it has caught up, and stopping and starting it.

The environment names it (`.ci/run` sets it up with `pg_basebackup -R` from the CI primary):
- `PHOCAP_TEST_REPLICA_URL`: the replica of `PHOCAP_TEST_DATABASE_URL`'s database, as the app reads it;
- `PHOCAP_TEST_REPLICA_ADMIN_URL`: the same as a superuser, who may pause replay (default: the above);
- `PHOCAP_TEST_REPLICA_PG_CTL`: the command that runs `pg_ctl` on the replica's data directory, to which
  `stop`/`start` is appended (e.g. `runuser -u postgres -- …/pg_ctl -D /tmp/replica -l /tmp/replica/log`).

Without a replica the tests are skipped on a laptop; in CI's replica pass (`-m replica`) they fail.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import shlex
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import pytest

from tests.workers import for_this_worker

# Under pytest-xdist, the replica of this worker's database (tests/workers.py): streaming replication
# copies every database of the primary's cluster.
REPLICA_URL = for_this_worker(os.environ.get("PHOCAP_TEST_REPLICA_URL", ""))
REPLICA_ADMIN_URL = for_this_worker(os.environ.get("PHOCAP_TEST_REPLICA_ADMIN_URL", "")) or REPLICA_URL
REPLICA_PG_CTL = os.environ.get("PHOCAP_TEST_REPLICA_PG_CTL", "")
# A safety bound on waiting for the replica, not a budget: replay of a test's writes takes milliseconds.
CATCH_UP_LIMIT_SECONDS = 60


@dataclass
class Replica:
    """The streaming replica of the test database, and its primary."""

    url: str
    admin_url: str
    primary_url: str
    pg_ctl: list[str]

    async def _value(self, url: str, sql: str) -> object:
        connection = await asyncpg.connect(url)
        try:
            return await connection.fetchval(sql)
        finally:
            await connection.close()

    async def count(self, sql: str) -> int:
        """A number the replica answers (a query of the tests' own, outside the app)."""
        return int(str(await self._value(self.url, sql)))

    async def pause(self) -> None:
        """Stop replaying the primary's changes: from now on the replica shows the past."""
        await self._value(self.admin_url, "SELECT pg_wal_replay_pause()")
        for _ in range(CATCH_UP_LIMIT_SECONDS * 50):
            if await self._value(self.admin_url, "SELECT pg_get_wal_replay_pause_state()") == "paused":
                return
            await asyncio.sleep(0.02)
        pytest.fail(f"the replica's replay did not pause in {CATCH_UP_LIMIT_SECONDS} s")

    async def resume(self) -> None:
        """Replay again."""
        await self._value(self.admin_url, "SELECT pg_wal_replay_resume()")

    async def catch_up(self) -> None:
        """Wait until the replica has replayed everything the primary has written so far."""
        target = await self._value(self.primary_url, "SELECT pg_current_wal_lsn()::text")
        sql = f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn"
        for _ in range(CATCH_UP_LIMIT_SECONDS * 50):
            if await self._value(self.url, sql):
                return
            await asyncio.sleep(0.02)
        pytest.fail(f"the replica did not replay up to {target} in {CATCH_UP_LIMIT_SECONDS} s")

    async def stop(self) -> None:
        """Stop the replica's server (fast: its connections are cut, as in a crash of the machine)."""
        await asyncio.to_thread(subprocess.run, [*self.pg_ctl, "stop", "-m", "fast", "-w"], check=True)

    async def start(self) -> None:
        """Start the replica's server again and wait until it takes connections."""
        await asyncio.to_thread(subprocess.run, [*self.pg_ctl, "start", "-w"], check=True)


def replica_or_skip(primary_url: str, config: pytest.Config, needs_pg_ctl: bool = False) -> Replica:
    """The replica the environment names. Without one: a failure in a CI run that selects the replica
    tests (`.ci/run` gives them a pass of their own, `-m replica`, after the PostgreSQL pass), else a skip
    (a laptop; CI's SQLite and PostgreSQL passes, which run before the replica is set up)."""
    missing = []
    if not primary_url:
        missing.append("PHOCAP_TEST_DATABASE_URL")
    if not REPLICA_URL:
        missing.append("PHOCAP_TEST_REPLICA_URL")
    if needs_pg_ctl and not REPLICA_PG_CTL:
        missing.append("PHOCAP_TEST_REPLICA_PG_CTL")
    if missing:
        message = f"no streaming replica to test with (set {', '.join(missing)}; see tests/replica.py)"
        selected = str(config.getoption("markexpr") or "").strip() == "replica"
        if os.environ.get("CI") and selected:
            pytest.fail(message)
        pytest.skip(message)
    return Replica(REPLICA_URL, REPLICA_ADMIN_URL, primary_url, shlex.split(REPLICA_PG_CTL))


@contextmanager
def one_test_at_a_time(replica: Replica) -> Iterator[None]:
    """Hold the replica for one test: one test pauses its replay, one stops its server, and every
    worker of the run (pytest-xdist) and every other run on the machine reads the same replica. A lock
    file per replica server, taken for the length of the test."""
    lock = Path(tempfile.gettempdir()) / f"phocap-test-replica-{urlsplit(replica.url).port}.lock"
    with lock.open("a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # the next test waits here; the lock goes with the file
        yield
