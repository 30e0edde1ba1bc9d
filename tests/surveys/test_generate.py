"""`phocap generate` at a small size: a province's villages with Vietnamese names, ages, answers and a
year of visits, the same on both databases, with the daily counts matching the households."""

from __future__ import annotations

from datetime import timedelta

import pytest

from surveys.core.clock import now, this_year
from surveys.core.text import fold
from surveys.generate import generate
from surveys.reporting.village_counts import count_villages, stored_counts
from surveys.tables import Household, Member, Village, Visit


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
    # The daily counts were made, and are what the households say.
    villages = [int(v["id"]) for v in await Village.select(Village.id)]
    assert await stored_counts("1 = 1") == await count_villages(villages)
    assert sum(c["visited"] for c in (await stored_counts("1 = 1")).values()) == done


async def test_generate_refuses_a_database_with_households(database_url: str) -> None:
    await generate("19", wards=1, households=10)
    with pytest.raises(ValueError, match="empty"):
        await generate("19", wards=1, households=10)
