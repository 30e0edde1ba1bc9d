"""The survey criteria, table-driven: which answers make a digital family, who needs an identity."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from surveys.survey.criteria import CoverageRules, household_status, is_digital_family, needs_identity


@dataclass
class M:
    birth_year: int = 1980
    vneid: str = "unknown"
    bank_account: str = "unknown"
    skill_learned: bool = False
    skill_understands: bool = False
    skill_uses_services: bool = False
    skill_guides_others: bool = False


ALL_SKILLS = {
    "skill_learned": True,
    "skill_understands": True,
    "skill_uses_services": True,
    "skill_guides_others": True,
}
YEAR = 2026


@pytest.mark.parametrize(
    ("members", "expected"),
    [
        ([], False),
        ([M()], False),
        ([M(**ALL_SKILLS)], True),
        ([M(), M(**ALL_SKILLS)], True),
        ([M(**{**ALL_SKILLS, "skill_guides_others": False})], False),
        ([M(**{**ALL_SKILLS, "skill_learned": False})], False),
        ([M(**{**ALL_SKILLS, "skill_understands": False})], False),
        ([M(**{**ALL_SKILLS, "skill_uses_services": False})], False),
        # Criteria split across two members do not make one digital core member.
        (
            [
                M(skill_learned=True, skill_understands=True),
                M(skill_uses_services=True, skill_guides_others=True),
            ],
            False,
        ),
    ],
)
def test_digital_family_needs_one_member_meeting_all_four_criteria(members: list[M], expected: bool) -> None:
    assert is_digital_family(members) is expected


def test_a_ward_may_count_fewer_criteria() -> None:
    rules = CoverageRules(family_criteria=("learned", "uses_services"))
    assert is_digital_family([M(skill_learned=True, skill_uses_services=True)], rules)


@pytest.mark.parametrize(
    ("birth_year", "identity_age", "expected"),
    [
        (2010, 16, True),
        (2011, 16, False),
        (1940, 16, True),
        (2026, 16, False),
        (2008, 18, True),
        (2009, 18, False),
    ],
)
def test_identity_survey_applies_at_or_over_the_identity_age(
    birth_year: int, identity_age: int, expected: bool
) -> None:
    rules = CoverageRules(identity_age=identity_age)
    assert needs_identity(M(birth_year=birth_year), YEAR, rules) is expected


@pytest.mark.parametrize(
    ("vneid", "min_level", "complete"),
    [
        ("level2", 1, True),
        ("level1", 1, True),
        ("installed", 1, False),
        ("not_installed", 1, False),
        ("unknown", 1, False),
        ("level1", 2, False),
        ("level2", 2, True),
    ],
)
def test_identity_complete_needs_vneid_activated(vneid: str, min_level: int, complete: bool) -> None:
    rules = CoverageRules(identity_min_level=min_level)
    status = household_status([M(vneid=vneid, **ALL_SKILLS)], "done", True, YEAR, rules)
    assert status.identity_complete is complete


def test_children_do_not_count_against_identity() -> None:
    adult = M(birth_year=1980, vneid="level2", **ALL_SKILLS)
    child = M(birth_year=2015, vneid="unknown")
    status = household_status([adult, child], "done", True, YEAR)
    assert status.identity_complete
    assert status.members_needing_identity == 1
    assert status.covered


def test_covered_household_has_no_reasons() -> None:
    status = household_status([M(vneid="level1", **ALL_SKILLS)], "done", True, YEAR)
    assert status.covered and status.reasons == ()


@pytest.mark.parametrize(
    ("last_outcome", "ever_done", "members", "reasons"),
    [
        (None, False, [M(vneid="level2", **ALL_SKILLS)], ("not_visited",)),
        ("nobody_home", False, [M()], ("not_visited", "nobody_home")),
        ("come_back", False, [M()], ("not_visited", "come_back")),
        ("declined", False, [M()], ("not_visited", "declined")),
        ("done", True, [M(vneid="level2")], ("no_digital_core",)),
        ("done", True, [M(**ALL_SKILLS, vneid="level2"), M(), M()], ("members_without_vneid",)),
        ("done", True, [M(), M(vneid="installed")], ("no_digital_core", "members_without_vneid")),
        # A later "nobody home" changes nothing once a visit was completed.
        ("nobody_home", True, [M()], ("no_digital_core", "members_without_vneid")),
    ],
)
def test_reasons_a_household_is_uncovered(
    last_outcome: str | None, ever_done: bool, members: list[M], reasons: tuple[str, ...]
) -> None:
    status = household_status(members, last_outcome, ever_done, YEAR)
    assert status.reasons == reasons
    assert not status.covered


def test_bank_account_counts_only_where_the_ward_requires_it() -> None:
    member = M(vneid="level2", bank_account="no", **ALL_SKILLS)
    assert household_status([member], "done", True, YEAR).covered
    strict = household_status([member], "done", True, YEAR, CoverageRules(identity_requires_bank=True))
    assert strict.reasons == ("members_without_bank",)
    assert strict.members_without_bank == 1


def test_a_wards_rules_are_read_from_its_rows_columns_with_the_plans_for_one_not_read() -> None:
    """`CoverageRules.of_ward` reads a ward's rules from any read of them: its own row, or another row
    with them under a prefix (a household's read has them as `rule_…`); a rule not read is the plans'."""
    ward = {"identity_age": 18, "identity_min_level": 2, "identity_requires_bank": True,
            "family_criteria": "learned,uses_services,unknown"}  # fmt: skip
    expected = CoverageRules(18, 2, True, ("learned", "uses_services"))
    assert CoverageRules.of_ward(ward) == expected
    household = {"id": 7, "identity_age": 99, **{f"rule_{k}": v for k, v in ward.items()}}
    assert CoverageRules.of_ward(household, "rule_") == expected
    assert CoverageRules.of_ward({"identity_age": 18}, "rule_") == CoverageRules()
    assert CoverageRules.of_ward({"rule_identity_age": 17}, "rule_") == CoverageRules(identity_age=17)


def test_a_households_state_works_out_its_status_and_a_visits_state_once_each() -> None:
    """A visit asks its household's state for the state after it and that state's status twice (its
    counts, its answer): the same each time, and as `household_status` says."""
    from datetime import UTC, datetime, timedelta

    from surveys.core.rows import Row
    from surveys.survey.status import HouseholdState

    at = datetime(2026, 12, 6, 20, 30, tzinfo=UTC)
    member = Row({**M(birth_year=1990, vneid="level1").__dict__, **ALL_SKILLS})
    state = HouseholdState(Row(archived=False), [member], "done", at - timedelta(days=3), True)
    after = state.with_visit("nobody_home", at)
    assert after is state.with_visit("nobody_home", at) and after is not state.with_visit("declined", at)
    assert (after.last_outcome, after.last_at, after.ever_done) == ("nobody_home", at, True)
    # A visit made before the last one leaves it the last.
    earlier = state.with_visit("declined", at - timedelta(days=5))
    assert (earlier.last_outcome, earlier.last_at) == ("done", at - timedelta(days=3))
    strict = CoverageRules(identity_requires_bank=True)
    for rules in (CoverageRules(), strict):
        assert after.status(YEAR, rules) is after.status(YEAR, rules)
        assert after.status(YEAR, rules) == household_status([member], "nobody_home", True, YEAR, rules)
    assert after.status(YEAR, CoverageRules()).covered and not after.status(YEAR, strict).covered
    assert state.status(YEAR, strict) is not after.status(YEAR, strict)
