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


async def test_on_new_years_day_the_daily_counts_are_counted_again(world: World, settings: Settings) -> None:
    # Members reach the identity age on 1 January without any write: the job recounts every village.
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    from scheduler.jobs import new_year_counts
    from surveys.reporting.village_counts import count_villages, stored_counts
    from surveys.tables import VillageCount

    await VillageCount.update({VillageCount.year: VillageCount.year - 1}).where(VillageCount.id > 0)
    # A row of a past day stays as written: a past period's report does not move on 1 January.
    today = now().astimezone(ZoneInfo(settings.timezone)).date()
    past = {
        "village": world.villages["v1"],
        "day": today - timedelta(days=3),
        "year": today.year - 1,
        "households": 7,
    }
    await VillageCount.insert(VillageCount.from_dict(past))
    assert await new_year_counts(settings) == len(world.villages)
    assert {
        r["year"] for r in await VillageCount.select(VillageCount.year).where(VillageCount.day == today)
    } == {today.year}
    kept = await VillageCount.select(VillageCount.households, VillageCount.year).where(
        VillageCount.day < today
    )
    assert kept == [{"households": 7, "year": today.year - 1}]
    assert await stored_counts("1 = 1") == await count_villages(list(world.villages.values()))
    job = build_scheduler(settings).get_job("new_year_counts")
    assert job is not None
    fire = job.trigger.get_next_fire_time(
        None, datetime(2026, 12, 31, 12, tzinfo=ZoneInfo(settings.timezone))
    )
    assert (fire.month, fire.day, fire.hour) == (1, 1, 0)
