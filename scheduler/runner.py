"""The APScheduler 3.x process: its own (`phocap scheduler`) or embedded in the web process.

Idempotence of every job lives in the database, not in APScheduler's memory, so a restart or a second
scheduler running by mistake does no harm.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_SUBMITTED
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from scheduler import jobs
from surveys.core.db import bind, close_pool, engine_for_url, ensure_migrated, open_pool
from surveys.core.settings import Settings

log = logging.getLogger(__name__)
# How often due digests are made and the outbox is sent; each ward's own day and hour are in the
# database, so this only bounds how late after that time a digest goes out.
DIGEST_CHECK_MINUTES = 5
# How long a stopping scheduler lets its running jobs finish: under the 30 s most process managers
# wait between SIGTERM and SIGKILL.
STOP_GRACE_SECONDS = 20


def build_scheduler(settings: Settings) -> AsyncIOScheduler:
    """A scheduler with phocap's jobs, not yet started."""
    scheduler = AsyncIOScheduler(timezone=settings.timezone)
    scheduler.add_job(
        jobs.purge_sessions,
        "interval",
        hours=1,
        args=[settings],
        id="purge_sessions",
        replace_existing=True,
        coalesce=True,
        misfire_grace_time=3600,
    )
    scheduler.add_job(
        jobs.weekly_digests,
        "interval",
        minutes=DIGEST_CHECK_MINUTES,
        args=[settings],
        id="weekly_digests",
        replace_existing=True,
        # At start too: a process that was down on Monday morning sends this week's digest on return.
        next_run_time=datetime.now(UTC),
        coalesce=True,
        max_instances=1,
        misfire_grace_time=24 * 3600,
    )
    scheduler.add_job(
        jobs.erase_expired_households,
        "cron",
        hour=2,
        args=[settings],
        id="erase_expired_households",
        replace_existing=True,
        coalesce=True,
        max_instances=1,
        # Nightly, and at start too: a process that was down at 2 a.m. does not skip the day.
        next_run_time=datetime.now(UTC),
        misfire_grace_time=24 * 3600,
    )
    scheduler.add_job(
        jobs.new_year_counts,
        "cron",
        month=1,
        day=1,
        hour=0,
        minute=5,
        args=[settings],
        id="new_year_counts",
        replace_existing=True,
        coalesce=True,
        max_instances=1,
        misfire_grace_time=7 * 24 * 3600,
    )
    return scheduler


class _Running:
    """Whether job runs are in flight (APScheduler's events, delivered on the event loop), so a stop
    can let them finish."""

    def __init__(self, scheduler: AsyncIOScheduler) -> None:
        self.count = 0
        self._idle = asyncio.Event()
        self._idle.set()
        scheduler.add_listener(self._submitted, EVENT_JOB_SUBMITTED)
        scheduler.add_listener(self._ended, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)

    def _submitted(self, _event: object) -> None:
        self.count += 1
        self._idle.clear()

    def _ended(self, _event: object) -> None:
        self.count = max(0, self.count - 1)
        if not self.count:
            self._idle.set()

    async def finished(self, seconds: float) -> bool:
        try:
            await asyncio.wait_for(self._idle.wait(), seconds)
        except TimeoutError:
            return False
        return True


@asynccontextmanager
async def embedded(settings: Settings) -> AsyncIterator[AsyncIOScheduler]:
    """The scheduler running inside the current event loop (the web process), stopped on exit.

    On exit no new run starts, and a run in flight (a digest being sent) may finish first: APScheduler
    cancels the runs still going at its shutdown. A run cut short is safe (every job's progress is
    claimed in the database and taken up again at the next start), only later."""
    scheduler = build_scheduler(settings)
    running = _Running(scheduler)
    scheduler.start()
    log.info("scheduler started (embedded)")
    try:
        yield scheduler
    finally:
        scheduler.pause()
        if not await running.finished(STOP_GRACE_SECONDS):
            log.warning(
                "scheduler stopping: %d job run(s) cut short, taken up at the next start", running.count
            )
        scheduler.shutdown(wait=False)


async def run_forever(settings: Settings) -> None:
    """The scheduler as its own process, until SIGTERM (how a process manager stops it) or SIGINT:
    either stops it cleanly (runs in flight finish first), with exit status 0."""
    engine = engine_for_url(settings.resolved_database_url, settings.replica_urls)
    bind(engine)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)
    await open_pool(engine, settings.database_pool_size)
    try:
        await ensure_migrated()
        async with embedded(settings):
            await stopping.wait()
        log.info("scheduler stopped")
    finally:
        await close_pool(engine)
