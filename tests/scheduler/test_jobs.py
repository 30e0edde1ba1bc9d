"""Scheduled jobs are plain functions; the scheduler only runs them."""

from __future__ import annotations

from datetime import timedelta

from scheduler import jobs
from scheduler.runner import build_scheduler
from surveys.core.clock import now
from surveys.core.settings import Settings
from surveys.people.accounts import open_session
from surveys.tables import AuthSession, ImportUpload
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


async def test_uploaded_household_lists_are_deleted_a_day_after_their_preview(
    world: World, settings: Settings
) -> None:
    # SECURITY.md: an uploaded list holds names; none stays longer than a day.
    user = world.users["head1"]
    for token, age in (("stale", timedelta(hours=25)), ("fresh", timedelta(hours=23))):
        await ImportUpload.insert(
            ImportUpload(
                token=token, user=user, filename="ds.csv", content=b"ho_ten\n", created_at=now() - age
            )
        )
    await jobs.purge_sessions(settings)
    assert [r["token"] for r in await ImportUpload.select(ImportUpload.token)] == ["fresh"]
