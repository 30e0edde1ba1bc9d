"""Coverage counted in SQL agrees with the rules in Python, household by household; filters and order."""

from __future__ import annotations

import pytest

from surveys.core.clock import this_year
from surveys.core.rows import Row
from surveys.register.households import household_by_token
from surveys.register.register import archive_household
from surveys.reporting.coverage import village_coverage
from surveys.reporting.village_counts import COLUMNS, _household_counts, state_counts
from surveys.survey.criteria import REASONS, CoverageRules
from surveys.survey.status import household_detail, household_state
from surveys.tables import Household, User, Village, Ward
from tests.factories import World, make_household, person


@pytest.mark.parametrize("requires_bank", [False, True])
async def test_sql_status_equals_the_python_rules_for_every_demo_household(
    demo: None, requires_bank: bool
) -> None:
    await Ward.update({Ward.identity_requires_bank: requires_bank}).where(Ward.code == "01849")
    checked = 0
    for village in await Village.select(Village.id):
        listed = await village_coverage(village["id"], per_page=1000)
        for row in listed.rows:
            found = await household_by_token(row.token)
            assert found is not None
            detail = await household_detail(found)
            status = detail.status
            assert (row.visited, row.digital_family, row.identity_complete, row.covered, list(row.reasons)) == (
                status.visited, status.digital_family, status.identity_complete, status.covered, status.reasons,
            ), row.code  # fmt: skip
            assert (row.members_without_vneid, row.members_without_bank) == (
                status.members_without_vneid,
                status.members_without_bank,
            )
            checked += 1
    assert checked >= 250


async def test_filters_counts_and_pages(world: World) -> None:
    village = world.villages["v2"]
    for n in range(7):
        await make_household(village, f"PQ-02-{n:04d}", [person(f"Lê Văn Số{n}", 1980)])
    everything = await village_coverage(village, per_page=3)
    assert (everything.total, everything.pages, len(everything.rows)) == (7, 3, 3)
    last = await village_coverage(village, per_page=3, page=3)
    assert len(last.rows) == 1
    assert (await village_coverage(village, per_page=3, page=99)).page == 3
    assert everything.counts["all"] == 7 and everything.counts["not_visited"] == 7
    assert everything.counts["covered"] == 0 and everything.counts["uncovered"] == 7
    assert (await village_coverage(village, status="covered")).total == 0
    assert (await village_coverage(village, reason="not_visited")).total == 7
    assert (await village_coverage(village, reason="no_digital_core")).total == 0
    assert set(everything.counts) == {*REASONS, "all", "covered", "uncovered"}


async def test_priority_households_come_first_then_the_order_to_visit(world: World) -> None:
    from surveys.tables import Household

    v1 = world.villages["v1"]
    await Household.update({Household.priority_elderly_alone: True}).where(
        Household.token == world.households["dang"]
    )
    listed = await village_coverage(v1)
    assert [r.code for r in listed.rows] == ["PQ-01-0002", "PQ-01-0001"]
    assert listed.rows[0].priority
    by_name = await village_coverage(v1, order="name")
    assert [r.head_name for r in by_name.rows] == ["Nguyễn Văn An", "Đặng Thị Ánh"]


async def test_search_in_the_coverage_list(world: World) -> None:
    listed = await village_coverage(world.villages["v1"], q="ĐẶNG thi")
    assert [r.head_name for r in listed.rows] == ["Đặng Thị Ánh"]
    assert listed.counts["all"] == 1


@pytest.mark.parametrize("requires_bank", [False, True])
async def test_a_households_counts_from_its_state_equal_the_sql_count_for_every_demo_household(
    demo: None, requires_bank: bool
) -> None:
    # A visit counts its household's counts before and after from the state it read (`state_counts`);
    # every other write counts them in SQL (`_household_counts`). The two must never differ.
    await Ward.update({Ward.identity_requires_bank: requires_bank}).where(Ward.code == "01849")
    year = this_year()
    first = await Household.select(Household.id).order_by(Household.id).first()
    ward_user = await User.select(User.id).where(User.role == "ward_officer").first()
    assert first is not None and ward_user is not None
    await archive_household(first["id"], ward_user["id"])  # no row in SQL; all 0 from its state
    rules = {int(v["id"]): CoverageRules.of_ward(Row({k.removeprefix("ward."): x for k, x in v.items()}))
             for v in await Village.select(Village.id, *Village.ward.all_columns())}  # fmt: skip
    checked = 0
    for h in await Household.select(Household.id, Household.village):
        household, village = int(h["id"]), int(h["village"])
        state = await household_state(household)
        assert state is not None
        sql = await _household_counts({household: village}, rules, year)
        assert state_counts(state, village, rules[village], year) == sql[household], household
        checked += 1
    assert checked >= 250
    archived = await household_state(first["id"])
    assert archived is not None
    assert state_counts(archived, 0, CoverageRules(), year) == (None, dict.fromkeys(COLUMNS, 0))
