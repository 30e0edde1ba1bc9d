"""The household register's own rules, below the pages (those are in tests/server/test_register.py)."""

from __future__ import annotations

import asyncio

from surveys.register.register import create_household
from surveys.register.schemas import HouseholdCreate, RegisterMember
from surveys.tables import Household
from tests.factories import World


async def test_twenty_households_added_at_once_in_one_village_each_get_their_own_code(world: World) -> None:
    # Volunteers of one village adding households found in the field at the same moment: on PostgreSQL
    # 17 of 20 failed on the unique code before the codes were handed out one at a time.
    village = world.villages["v3"]
    before = {r["code"] for r in await Household.select(Household.code).where(Household.village == village)}
    adds = [
        create_household(
            village,
            HouseholdCreate(
                address=f"Xóm Mới, số {n}",
                members=[RegisterMember(full_name=f"Hà Văn Số {n}", birth_year=1980, is_head=True)],
            ),
            world.users["volunteer1"],
        )
        for n in range(20)
    ]
    tokens = await asyncio.gather(*adds)
    assert len(set(tokens)) == 20
    after = [r["code"] for r in await Household.select(Household.code).where(Household.village == village)]
    new = sorted(set(after) - before)
    assert len(after) == len(set(after)) == len(before) + 20
    assert len(new) == 20 and all(code.startswith("01849-03-") for code in new)
