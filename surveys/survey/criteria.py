"""What counts as a digital family, a complete digital identity and a covered household.

The rules come from the movement's local plans (docs/architecture.md §1 and §5): a "Gia đình số" has at least
one member who took part in learning, understands digital transformation and basic digital skills, uses
digital platforms and services, and guides the other members; "Mỗi công dân - Một danh tính số" asks
that every citizen aged 16 and over has VNeID activated (level 1 or 2). Communes differ, so each ward
keeps its own thresholds (`CoverageRules`), with these defaults. Nothing here is stored: it is derived.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol

SKILL_CRITERIA: tuple[str, ...] = ("learned", "understands", "uses_services", "guides_others")
VNEID_STATUSES: tuple[str, ...] = ("not_installed", "installed", "level1", "level2", "unknown")
YES_NO_UNKNOWN: tuple[str, ...] = ("yes", "no", "unknown")
OUTCOMES: tuple[str, ...] = ("done", "nobody_home", "declined", "come_back")
VNEID_LEVEL = {"level1": 1, "level2": 2}
# The plans' priority group "người cao tuổi": citizens aged 60 and over (Law on the Elderly 2009, art. 2).
SENIOR_AGE = 60

# Reason codes, in the order they are shown.
REASONS: tuple[str, ...] = (
    "not_visited",
    "nobody_home",
    "declined",
    "come_back",
    "no_digital_core",
    "members_without_vneid",
    "members_without_bank",
)


class MemberAnswers(Protocol):
    """The member fields the criteria read (a table row or a schema both fit)."""

    birth_year: int
    vneid: str
    bank_account: str
    skill_learned: bool
    skill_understands: bool
    skill_uses_services: bool
    skill_guides_others: bool


@dataclass(frozen=True)
class CoverageRules:
    """A ward's thresholds; the defaults are the plans'."""

    identity_age: int = 16
    identity_min_level: int = 1
    identity_requires_bank: bool = False
    family_criteria: tuple[str, ...] = SKILL_CRITERIA

    def __post_init__(self) -> None:
        # VNeID has levels 1 and 2 only: a higher minimum would count nobody (and once built the SQL
        # `vneid IN ()`, which no database accepts).
        if self.identity_min_level not in VNEID_LEVEL.values():
            raise ValueError(f"the minimum VNeID level is 1 or 2, not {self.identity_min_level}")
        if not self.family_criteria or not set(self.family_criteria) <= set(SKILL_CRITERIA):
            raise ValueError(f"family criteria are some of {', '.join(SKILL_CRITERIA)}")

    @classmethod
    def of_ward(cls, ward: Mapping[str, Any], prefix: str = "") -> CoverageRules:
        """The rules stored on a ward's row, read into `ward`'s columns named `prefix` + a rule column
        (`surveys.tables.RULE_COLUMNS`; a rule not read is the plans')."""
        # Every visit reads its ward's rules from a row: the same few values each time.
        get = ward.get
        return _rules_of(
            int(get(f"{prefix}identity_age", 16)),
            int(get(f"{prefix}identity_min_level", 1)),
            bool(get(f"{prefix}identity_requires_bank", False)),
            str(get(f"{prefix}family_criteria", "")),
        )


@lru_cache(maxsize=256)
def _rules_of(age: int, min_level: int, requires_bank: bool, family_criteria: str) -> CoverageRules:
    criteria = tuple(c for c in family_criteria.split(",") if c in SKILL_CRITERIA)
    return CoverageRules(
        identity_age=age,
        identity_min_level=min_level,
        identity_requires_bank=requires_bank,
        family_criteria=criteria or SKILL_CRITERIA,
    )


@dataclass(frozen=True)
class HouseholdStatus:
    """A household's derived status and, when uncovered, why."""

    visited: bool
    digital_family: bool
    identity_complete: bool
    members_needing_identity: int
    members_without_vneid: int
    members_without_bank: int
    reasons: tuple[str, ...]

    @property
    def covered(self) -> bool:
        """Visited, a digital family, and every citizen of identity age with a digital identity."""
        return not self.reasons


def age_in(year: int, birth_year: int) -> int:
    """Age reached during `year`; phocap keeps the birth year only (data minimisation)."""
    return year - birth_year


def needs_identity(member: MemberAnswers, year: int, rules: CoverageRules = CoverageRules()) -> bool:
    """Whether the identity survey applies to this member: at or over the ward's identity age."""
    return age_in(year, member.birth_year) >= rules.identity_age


def skills_met(member: MemberAnswers) -> dict[str, bool]:
    """Each digital-skills criterion and whether the member meets it."""
    return {
        "learned": bool(member.skill_learned),
        "understands": bool(member.skill_understands),
        "uses_services": bool(member.skill_uses_services),
        "guides_others": bool(member.skill_guides_others),
    }


def is_digital_core(member: MemberAnswers, rules: CoverageRules = CoverageRules()) -> bool:
    """Whether the member meets every digital-skills criterion the ward counts."""
    met = skills_met(member)
    return all(met[c] for c in rules.family_criteria)


def is_digital_family(members: Iterable[MemberAnswers], rules: CoverageRules = CoverageRules()) -> bool:
    """At least one member is a digital core member."""
    return any(is_digital_core(m, rules) for m in members)


def has_vneid(member: MemberAnswers, rules: CoverageRules = CoverageRules()) -> bool:
    """VNeID activated at the ward's minimum level (level 1 by default)."""
    return VNEID_LEVEL.get(member.vneid, 0) >= rules.identity_min_level


def household_status(
    members: Sequence[MemberAnswers],
    last_outcome: str | None,
    ever_done: bool,
    year: int,
    rules: CoverageRules = CoverageRules(),
) -> HouseholdStatus:
    """Derive a household's status from its members and its visits.

    `last_outcome` is the outcome of the latest visit (None when never visited); `ever_done` whether a
    visit was ever completed. A household is visited once a visit was completed.
    """
    adults = [m for m in members if needs_identity(m, year, rules)]
    without_vneid = sum(1 for m in adults if not has_vneid(m, rules))
    without_bank = sum(1 for m in adults if m.bank_account != "yes")
    family = is_digital_family(members, rules)
    identity = without_vneid == 0 and (without_bank == 0 or not rules.identity_requires_bank)

    reasons: list[str] = []
    if not ever_done:
        reasons.append("not_visited")
    if not ever_done and last_outcome in ("nobody_home", "declined", "come_back"):
        # An attempt tells why a household is still unvisited; after a completed visit it changes nothing.
        reasons.append(last_outcome)
    if ever_done and not family:
        reasons.append("no_digital_core")
    if ever_done and without_vneid:
        reasons.append("members_without_vneid")
    if ever_done and rules.identity_requires_bank and without_bank:
        reasons.append("members_without_bank")
    return HouseholdStatus(
        visited=ever_done,
        digital_family=family,
        identity_complete=identity,
        members_needing_identity=len(adults),
        members_without_vneid=without_vneid,
        members_without_bank=without_bank,
        reasons=tuple(reasons),
    )


def identity_counts(
    members: Sequence[MemberAnswers], year: int, rules: CoverageRules = CoverageRules()
) -> dict[str, int]:
    """Counts among members of identity age: all, with VNeID, with level 2, with a bank account, with
    skills confirmed, with the basic digital skills the ward counts, using an AI tool; citizens 60+ (a
    priority group of the plans) and those of them with VNeID; and whether the household is a digital
    family (1 or 0)."""
    adults = [m for m in members if needs_identity(m, year, rules)]
    seniors = [m for m in members if age_in(year, m.birth_year) >= SENIOR_AGE]
    return {
        "digital_family": int(is_digital_family(members, rules)),
        "adults": len(adults),
        "adults_vneid": sum(1 for m in adults if has_vneid(m, rules)),
        "adults_vneid_level2": sum(1 for m in adults if m.vneid == "level2"),
        "adults_bank": sum(1 for m in adults if m.bank_account == "yes"),
        "adults_confirmed": sum(1 for m in adults if getattr(m, "skills_confirmed", False)),
        "adults_skilled": sum(1 for m in adults if is_digital_core(m, rules)),
        "adults_ai": sum(1 for m in adults if getattr(m, "uses_ai", "unknown") == "yes"),
        "seniors": len(seniors),
        "seniors_vneid": sum(1 for m in seniors if has_vneid(m, rules)),
    }


# SQL twins of the rules above, for counting in the database instead of looping in Python. They mean
# exactly what the functions above mean; tests/surveys/test_coverage.py checks the two agree on every
# household. Only integers and fixed words are put into the SQL text, never input.

_SKILL_COLUMNS = {
    "learned": "skill_learned",
    "understands": "skill_understands",
    "uses_services": "skill_uses_services",
    "guides_others": "skill_guides_others",
}


def member_sql(rules: CoverageRules, year: int, m: str = "m") -> dict[str, str]:
    """Boolean SQL expressions over a member row aliased `m`: core, adult, vneid, level2, bank,
    confirmed, ai (uses an AI tool), senior (60+ in `year`)."""
    cutoff = int(year) - int(rules.identity_age)
    levels = ", ".join(f"'{level}'" for level, n in VNEID_LEVEL.items() if n >= rules.identity_min_level)
    core = " AND ".join(f"{m}.{_SKILL_COLUMNS[c]}" for c in rules.family_criteria)
    return {
        "core": f"({core})",
        "adult": f"({m}.birth_year <= {cutoff})",
        "vneid": f"({m}.vneid IN ({levels}))",
        "level2": f"({m}.vneid = 'level2')",
        "bank": f"({m}.bank_account = 'yes')",
        "confirmed": f"({m}.skills_confirmed)",
        "ai": f"({m}.uses_ai = 'yes')",
        "senior": f"({m}.birth_year <= {int(year) - SENIOR_AGE})",
    }


def reason_sql(rules: CoverageRules) -> dict[str, str]:
    """Each reason code as a boolean SQL expression over a household's aggregates: `done` (completed
    visits), `last_outcome`, `core` (digital core members), `without_vneid`, `without_bank`."""
    attempt = "done = 0 AND last_outcome = '{}'"
    return {
        "not_visited": "done = 0",
        "nobody_home": attempt.format("nobody_home"),
        "declined": attempt.format("declined"),
        "come_back": attempt.format("come_back"),
        "no_digital_core": "done > 0 AND core = 0",
        "members_without_vneid": "done > 0 AND without_vneid > 0",
        "members_without_bank": "done > 0 AND without_bank > 0" if rules.identity_requires_bank else "1 = 0",
    }


def covered_sql(rules: CoverageRules) -> str:
    """A household is covered when no reason holds."""
    return "NOT (" + " OR ".join(f"({r})" for r in reason_sql(rules).values()) + ")"


def visit_covered_sql(alias: str, rules: CoverageRules) -> str:
    """SQL: the completed visit `alias` (a row of `visit`, NULL when none) left its household covered: a
    digital family, every citizen of identity age with VNeID (and a bank account where the ward asks).
    `covered_sql` read from the counts a visit keeps (`identity_counts`)."""
    bank = f" AND {alias}.adults_bank = {alias}.adults" if rules.identity_requires_bank else ""
    return _visit_covered(alias, bank)


def visit_covered_in_ward_sql(alias: str, ward: str) -> str:
    """SQL: as `visit_covered_sql`, with the rules of the ward row `ward` (a row of `ward`), so visits of
    wards with different rules are counted in one statement."""
    bank = f" AND (NOT {ward}.identity_requires_bank OR {alias}.adults_bank = {alias}.adults)"
    return _visit_covered(alias, bank)


def _visit_covered(alias: str, bank: str) -> str:
    return (
        f"({alias}.household IS NOT NULL AND {alias}.digital_family"
        f" AND {alias}.adults_vneid = {alias}.adults{bank})"
    )
