"""`phocap generate` at a small size: a province's villages with Vietnamese names, ages, answers and a
year of visits, the same on both databases, with the daily counts matching the households."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from surveys.core.clock import local_now, now, this_year
from surveys.core.text import fold
from surveys.generate import generate
from surveys.reporting.periodic import PeriodReport, province_period_report, ward_period_report
from surveys.reporting.periods import Period, named_period
from surveys.reporting.village_counts import count_villages, stored_counts
from surveys.tables import Household, Member, Province, Village, Visit, Ward
from tests.surveys.test_activity_counts import assert_recounted


async def test_generate_fills_a_small_province_with_believable_households(database_url: str) -> None:
    made = await generate("19", wards=3, households=900)
    assert (made.wards, made.villages, made.households) == (3, 3, 900)
    assert await Household.count() == 900
    # 2 to 5 members a household, ages from newborn to 85, the head the oldest kind of member.
    assert 2 * 900 <= made.members == await Member.count() <= 5 * 900
    years = [m["birth_year"] for m in await Member.select(Member.birth_year)]
    assert this_year() - 86 <= min(years) and max(years) <= this_year()
    heads = await Member.select(Member.full_name).where(Member.is_head.eq(True))
    assert len(heads) == 900 and any(fold(h["full_name"]) != h["full_name"].lower() for h in heads)
    # A year of visits: about 70% of the households completed, some first found nobody at home.
    done = await Visit.count().where(Visit.outcome == "done")
    assert 0.6 * 900 < done < 0.8 * 900
    assert await Visit.count().where(Visit.outcome == "nobody_home") > 0
    oldest = await Visit.select(Visit.at).order_by(Visit.at).first()
    assert oldest is not None and oldest["at"] >= now() - timedelta(days=400)
    assert await Member.count().where(Member.vneid == "level2") > 0
    # Made-up visits reached the server when they were made.
    late = await Visit.raw("SELECT COUNT(*) AS n FROM visit WHERE received_at IS NULL OR received_at <> at")
    assert late[0]["n"] == 0
    # The daily counts were made, and are what the households say.
    villages = [int(v["id"]) for v in await Village.select(Village.id)]
    assert await stored_counts("1 = 1") == await count_villages(villages)
    assert sum(c["visited"] for c in (await stored_counts("1 = 1")).values()) == done


async def test_generate_refuses_a_database_with_households(database_url: str) -> None:
    await generate("19", wards=1, households=10)
    with pytest.raises(ValueError, match="empty"):
        await generate("19", wards=1, households=10)


async def test_a_generated_provinces_past_days_and_activity_equal_a_recount_from_its_visits(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The daily counts' past days and the daily activity, written by the database for the whole
    province at once, are what the reports count from the visits themselves: the periodic reports of
    past quarters (one across 1 January, when members reach the identity age) from the counts equal
    those from the visit history, and every activity row equals a recount in Python."""
    await generate("19", wards=2, households=600, villages=2)
    await assert_recounted("generated")
    today = local_now().date()
    periods = (
        named_period(f"{today.year - 1}-Q4"),
        named_period(f"{today.year}-Q1"),
        Period(date(today.year - 1, 9, 15), date(today.year, 2, 10)),
        Period(date(today.year, 1, 1), today - timedelta(days=1)),
    )
    province = await Province.select(Province.id).where(Province.code == "19").first()
    assert province is not None
    wards = [int(w["id"]) for w in await Ward.select(Ward.id).where(Ward.id.is_in(
        [int(v["ward"]) for v in await Village.select(Village.ward)]))]  # fmt: skip
    assert len(wards) == 2

    async def reports() -> list[PeriodReport]:
        found = [await ward_period_report(w, p) for p in periods for w in wards]
        return found + [await province_period_report(province["id"], p) for p in periods]

    from_counts = await reports()
    monkeypatch.setattr("surveys.reporting.periodic.counts_read", lambda: False)
    from_visits = await reports()
    for counted, told in zip(from_counts, from_visits, strict=True):
        assert [(a.code, a.start, a.end, a.activity) for a in [*counted.lines, counted.total]] == [
            (b.code, b.start, b.end, b.activity) for b in [*told.lines, told.total]
        ], counted.period
    # Something happened in each: households registered during the first, visits and coverage in each.
    assert all(r.total.end.visited > r.total.start.visited and r.total.activity.visits for r in from_counts)
    assert all(r.total.end.covered for r in from_counts) and any(r.total.start.visited for r in from_counts)
    assert from_counts[0].total.start.households < from_counts[0].total.end.households
