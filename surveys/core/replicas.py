"""Read replicas: which reads may go to a PostgreSQL streaming replica, and the one place that sends them.

`DATABASE_REPLICA_URL` names one or more replicas (docs/design.md §5, §6; issue 16 item 3). The rules:

- Only code that says so reads from a replica: the reporting entry points (dashboards, reports, exports,
  digests) are decorated with `replica_reads`. Everything else — sign-in, access checks, household
  pages, forms — reads the primary, so a revoked access or an ended session is never served stale.
- Every write goes to the primary (a transaction, or any statement that is not a plain read), and once a
  request (a `read_scope`) has written, all its later reads go to the primary too.
- Read-your-writes across requests: after a request that wrote, the server hands the client the primary's
  WAL position (`written_position`, in a signed cookie); the client's next requests open their
  `read_scope` with it, and a replica serves them only once its replay position has passed it
  (asked once per request and replica). A volunteer's own pages show their visit even while a replica
  lags, or has its replay paused; other users' dashboards go on reading the replica.
- A replica that cannot be reached is skipped for `retry_seconds`, its reads go to the primary, and
  the log says so once per interval (`replica_outages`), not per request.

Where it plugs in: `ReplicaRoutingEngine` is Piccolo's `PostgresEngine` with two methods overridden,
`run_querystring` (every Piccolo query and `Table.raw` pass there) and `transaction` (a transaction
counts as a write). The replicas are the engine's `extra_nodes`, so `.run(node="replica1")` works too.
`surveys.core.db.engine_for_url` makes it when replicas are configured. It is built on the engine that
holds one primary connection per request (`surveys.core.pg_request`): a read sent to a replica never
touches the request's primary connection, and everything else goes to `super()`, so writes, reads after
a write and transactions use that one connection.

SQLite has no replicas: its engine ignores the setting.
"""

from __future__ import annotations

import functools
import hmac
import itertools
import re
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from hashlib import sha256
from typing import Any, ParamSpec, TypeVar

import asyncpg
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine, PostgresTransaction
from piccolo.querystring import QueryString

from surveys.core.outages import OutageLog, database_unreachable
from surveys.core.pg_request import RequestPostgresEngine
from surveys.core.statements import compiled

P = ParamSpec("P")
T = TypeVar("T")

# Seconds a replica that could not be reached is left alone before it is tried again.
RETRY_SECONDS = 10.0
# Seconds a connection attempt to a replica may take: past it the read goes to the primary.
CONNECT_TIMEOUT_SECONDS = 5.0

replica_outages = OutageLog(subject="read replica", counted="read(s) sent to the primary instead")

_may_read_replica: ContextVar[bool] = ContextVar("phocap_may_read_replica", default=False)


@dataclass
class ReadScope:
    """One request's (or job's) dealings with the database: the primary's WAL position its client last
    wrote at, whether it has written itself, and which replicas were found to have replayed that far."""

    seen: int = 0
    wrote: bool = False
    replayed: dict[str, bool] = field(default_factory=dict)


_scope: ContextVar[ReadScope | None] = ContextVar("phocap_read_scope", default=None)


@contextmanager
def read_scope(seen: int = 0) -> Iterator[ReadScope]:
    """Track one request: reads after its first write, and reads of a client that wrote at WAL position
    `seen` (0: none known) until a replica has replayed it, go to the primary. Inside one already (a
    page made within a request, server/offline_parts.py), it is that one: the request's reads and
    writes are one scope, and the outer answer tells the client of a write its pages made."""
    outer = _scope.get()
    if outer is not None:
        yield outer
        return
    scope = ReadScope(seen=seen)
    token = _scope.set(scope)
    try:
        yield scope
    finally:
        _scope.reset(token)


def replica_reads(fn: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[T]]:
    """Let the reads of `fn` (a dashboard, report, export or digest) go to a read replica."""

    @functools.wraps(fn)
    async def reading(*args: P.args, **kwargs: P.kwargs) -> T:
        token = _may_read_replica.set(True)
        try:
            return await fn(*args, **kwargs)
        finally:
            _may_read_replica.reset(token)

    return reading


def note_write() -> None:
    """The current request wrote (or may have): its later reads go to the primary."""
    scope = _scope.get()
    if scope is not None:
        scope.wrote = True


# A statement that only reads: SELECT, or WITH … SELECT without a data-modifying part (the reports'
# raw queries start with WITH). `FOR UPDATE` and friends read for a writer: the primary's.
_READ_START = re.compile(r"^\s*(select|with)\b", re.I)
_MODIFYING = re.compile(r"\b(insert|update|delete|merge|for\s+share|nextval|setval|pg_advisory\w*)\b", re.I)


def reads_only(sql: str) -> bool:
    """Whether `sql` is a read a replica can answer."""
    return bool(_READ_START.match(sql)) and not _MODIFYING.search(sql)


def parse_lsn(text: str) -> int:
    """A WAL position as PostgreSQL writes it (`16/B374D848`) as a number."""
    high, low = text.strip().split("/")
    return (int(high, 16) << 32) + int(low, 16)


def lsn_text(position: int) -> str:
    """A WAL position as PostgreSQL writes it."""
    return f"{position >> 32:X}/{position & 0xFFFFFFFF:X}"


def signed_position(position: int, secret: str) -> str:
    """A WAL position with its signature, for a cookie."""
    text = f"{position:x}"
    return f"{text}.{_signature(text, secret)}"


def position_from_signed(value: str, secret: str) -> int:
    """The WAL position of a `signed_position` value, or 0 when it is missing, malformed or forged."""
    text, _, signature = value.partition(".")
    if not text or len(text) > 16 or not hmac.compare_digest(signature, _signature(text, secret)):
        return 0
    try:
        return int(text, 16)
    except ValueError:
        return 0


def _signature(text: str, secret: str) -> str:
    return hmac.new(secret.encode(), f"replica-position:{text}".encode(), sha256).hexdigest()[:32]


class ReplicaEngine(PostgresEngine):
    """A read replica. It may be down when the process starts: no version check, no extensions (it is
    read-only), a short connection timeout."""

    def __init__(self, url: str) -> None:
        super().__init__(config={"dsn": url, "timeout": CONNECT_TIMEOUT_SECONDS}, extensions=())

    async def check_version(self) -> None:
        """Nothing: a streaming replica runs the primary's version, and may not be up yet."""

    async def prep_database(self) -> None:
        """Nothing: a replica takes no `CREATE EXTENSION`."""


class ReplicaRoutingEngine(RequestPostgresEngine):
    """The primary, sending the reads that may go to a replica there (see the module's docstring)."""

    def __init__(self, config: dict[str, Any], replicas: Mapping[str, PostgresEngine], **kwargs: Any) -> None:
        self.retry_seconds = RETRY_SECONDS
        self._down_until: dict[str, float] = {}
        self._rotation = itertools.cycle(list(replicas))
        super().__init__(config=config, extra_nodes=replicas, **kwargs)

    async def run_querystring(self, querystring: QueryString, in_pool: bool = True) -> Any:
        """Run on a replica when the caller may read one and nothing says otherwise; else the primary."""
        sql = compiled(querystring, self.engine_type)[0]
        in_transaction = self.current_transaction.get() is not None
        if not in_transaction and _may_read_replica.get() and reads_only(sql):
            node = await self._replica()
            if node is not None:
                try:
                    return await self.extra_nodes[node].run_querystring(querystring, in_pool)
                except Exception as exc:
                    if not self._failed_over(node, exc):
                        raise
        elif not in_transaction and not reads_only(sql):
            note_write()
        return await super().run_querystring(querystring, in_pool)

    def transaction(self, allow_nested: bool = True) -> PostgresTransaction:
        """A transaction on the primary; the request's later reads stay there."""
        note_write()
        return super().transaction(allow_nested)

    async def written_position(self) -> int:
        """The primary's current WAL position: a replica that has replayed it shows every write so far."""
        rows = await super().run_querystring(QueryString("SELECT pg_current_wal_lsn()::text AS lsn"))
        return parse_lsn(rows[0]["lsn"])

    async def _replica(self) -> str | None:
        """The next replica in turn that is up and, for a client that wrote, has replayed its write."""
        scope = _scope.get()
        if scope is not None and scope.wrote:
            return None
        now = time.monotonic()
        for _ in range(len(self.extra_nodes)):
            node = next(self._rotation)
            if self._down_until.get(node, 0.0) > now:
                continue
            if scope is not None and scope.seen and not await self._has_replayed(node, scope):
                continue
            return node
        return None

    async def _has_replayed(self, node: str, scope: ReadScope) -> bool:
        if node not in scope.replayed:
            try:
                rows = await self.extra_nodes[node].run_querystring(
                    QueryString("SELECT pg_last_wal_replay_lsn()::text AS lsn")
                )
            except Exception as exc:
                if not self._failed_over(node, exc):
                    raise
                return False
            replayed = rows[0]["lsn"]
            # NULL: not in recovery (a primary named as a replica), which has every write it has.
            scope.replayed[node] = replayed is None or parse_lsn(replayed) >= scope.seen
        return scope.replayed[node]

    def _failed_over(self, node: str, exc: Exception) -> bool:
        """Whether the read goes to the primary instead: the replica is unreachable (left alone for a
        while, and logged once per interval), or replay cancelled the query (a hot standby conflict)."""
        if isinstance(exc, asyncpg.exceptions.SerializationError):
            return True
        if not database_unreachable(exc):
            return False
        self._down_until[node] = time.monotonic() + self.retry_seconds
        replica_outages.report(exc)
        return True


async def written_position(engine: Engine[Any]) -> int | None:
    """The primary's WAL position after this request's writes, when `engine` routes reads to replicas."""
    if isinstance(engine, ReplicaRoutingEngine):
        return await engine.written_position()
    return None


def routes_reads(engine: Engine[Any]) -> bool:
    """Whether `engine` sends reads to replicas."""
    return isinstance(engine, ReplicaRoutingEngine)
