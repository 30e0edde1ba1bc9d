"""Scheduled jobs are plain functions; the scheduler only runs them."""

from __future__ import annotations

from datetime import timedelta

from scheduler import jobs
from scheduler.runner import build_scheduler
from surveys.core.clock import now
from surveys.core.settings import Settings
from surveys.people.accounts import open_session
from surveys.tables import AuthSession
from tests.factories import World


async def test_purge_removes_expired_and_idle_sessions_only(world: World, settings: Settings) -> None:
    user = world.users["volunteer1"]
    await open_session(user, "web", timedelta(hours=1))
    expired = await open_session(user, "web", timedelta(hours=1))
    idle = await open_session(user, "api", timedelta(days=30))
    from surveys.people.accounts import _token_hash

    await AuthSession.update({AuthSession.expires_at: now() - timedelta(minutes=1)}).where(
        AuthSession.token_hash == _token_hash(expired)
    )
    await AuthSession.update(
        {AuthSession.last_seen_at: now() - timedelta(hours=settings.session_idle_hours + 1)}
    ).where(AuthSession.token_hash == _token_hash(idle))
    assert await jobs.purge_sessions(settings) == 2
    assert await AuthSession.count() == 1


def test_scheduler_has_the_jobs_with_a_generous_misfire_grace(settings: Settings) -> None:
    scheduler = build_scheduler(settings)
    job = scheduler.get_job("purge_sessions")
    assert job is not None and job.misfire_grace_time >= 3600 and job.coalesce
