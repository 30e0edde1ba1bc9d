"""Telling "the database is down" apart from a bug, and saying so in the log once, not per request.

With the database unreachable every request fails the same way; a fault run logged 808 traceback lines
for one outage. Callers answer 503 with `Retry-After` and report here; the log gets one line per
`interval` with how many failures it stands for.
"""

from __future__ import annotations

import errno
import logging
import sqlite3
import threading
import time

import asyncpg

log = logging.getLogger("phocap.database")

# Seconds a client is told to wait before trying again while the database is down.
RETRY_AFTER_SECONDS = 10

_CONNECTION_ERRNOS = {
    errno.ECONNREFUSED,
    errno.ECONNRESET,
    errno.ECONNABORTED,
    errno.EHOSTUNREACH,
    errno.ENETUNREACH,
    errno.ETIMEDOUT,
    errno.EPIPE,
}
_UNREACHABLE_TYPES: tuple[type[BaseException], ...] = (
    ConnectionError,
    TimeoutError,
    asyncpg.exceptions.PostgresConnectionError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.ConnectionDoesNotExistError,
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.InterfaceError,
    # A connection the server closed while asyncpg was between two steps of a statement.
    asyncpg.exceptions.InternalClientError,
)


def _unreachable(exc: BaseException) -> bool:
    if isinstance(exc, _UNREACHABLE_TYPES):
        return True
    if isinstance(exc, sqlite3.OperationalError):
        return "unable to open" in str(exc) or "disk i/o" in str(exc).lower()
    if isinstance(exc, OSError):
        # asyncpg trying each address of a host reports "Multiple exceptions: [Errno 111] …".
        return exc.errno in _CONNECTION_ERRNOS or str(exc).startswith("Multiple exceptions")
    return False


def database_unreachable(exc: BaseException) -> bool:
    """Whether `exc` (or what caused it) says the database cannot be reached, rather than a bug."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if _unreachable(current):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


class OutageLog:
    """Logs an outage of `subject` (the database, a read replica) once per `interval` seconds, with the
    count of failures since."""

    def __init__(
        self, interval: float = 60.0, subject: str = "database", counted: str = "failed request(s)"
    ) -> None:
        self.interval = interval
        self.subject = subject
        self.counted = counted
        self._lock = threading.Lock()
        self._last = float("-inf")
        self._since = 0

    def report(self, exc: BaseException) -> None:
        """One failure to reach `subject`; logged when the last line is `interval` old."""
        with self._lock:
            self._since += 1
            at = time.monotonic()
            if at - self._last < self.interval:
                return
            count, self._since, self._last = self._since, 0, at
        # The kind of error only: no traceback (it is the same each time), no query, no data.
        log.error(
            "%s unreachable (%s), %d %s since the last report",
            self.subject,
            type(exc).__name__,
            count,
            self.counted,
        )

    def reset(self) -> None:
        """Forget the last report (the next failure is logged at once)."""
        with self._lock:
            self._last, self._since = float("-inf"), 0


outages = OutageLog()


class DriverReconnects(logging.Filter):
    """Keeps the driver's own outage lines out of the log: asyncpg's pool, trying every second (then
    less often) to reopen the connections it keeps, logs each failure with a traceback. A failure to
    reach the database goes to `outages` instead, once per interval with the others; anything else the
    pool logs passes."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if exc is not None and database_unreachable(exc):
            outages.report(exc)
            return False
        return True


def quiet_driver_reconnects() -> None:
    """Install `DriverReconnects` on asyncpg's pool logger (once, whoever calls it first)."""
    pool_log = logging.getLogger("asyncpg.pool")
    if not any(isinstance(f, DriverReconnects) for f in pool_log.filters):
        pool_log.addFilter(DriverReconnects())
