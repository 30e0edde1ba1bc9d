"""A ward's thresholds: identity age, adult age, minimum VNeID level, whether a bank account is
required, which digital-skills criteria make a digital family (docs/architecture.md §5: communes differ,
so these are ward settings with the plans' defaults).

A change applies to the numbers from then on (past weeks keep what the visits of then recorded), is
written to the audit log, and can be previewed first: how many households would change status.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from surveys.core.audit import audit
from surveys.core.clock import now, this_year
from surveys.core.db import write_transaction
from surveys.core.validation import parse
from surveys.reporting.activity_counts import count_villages_again as count_activity_again
from surveys.reporting.coverage import households_sql
from surveys.reporting.schemas import ThresholdsUpdate
from surveys.reporting.village_counts import rebuild_villages
from surveys.survey.criteria import SKILL_CRITERIA, CoverageRules, covered_sql
from surveys.tables import Household, Village, Ward


@dataclass(frozen=True)
class Thresholds:
    """A ward's thresholds as stored."""

    identity_age: int
    adult_age: int
    identity_min_level: int
    identity_requires_bank: bool
    family_criteria: tuple[str, ...]

    @property
    def rules(self) -> CoverageRules:
        """The coverage rules these thresholds make."""
        return CoverageRules(
            self.identity_age, self.identity_min_level, self.identity_requires_bank, self.family_criteria
        )

    @classmethod
    def of(cls, update: ThresholdsUpdate) -> Thresholds:
        """From a checked update; criteria in the plan's order, each once."""
        return cls(
            identity_age=update.identity_age,
            adult_age=update.adult_age,
            identity_min_level=update.identity_min_level,
            identity_requires_bank=update.identity_requires_bank,
            family_criteria=tuple(c for c in SKILL_CRITERIA if c in update.family_criteria),
        )


@dataclass(frozen=True)
class ThresholdsPreview:
    """What saving would change today: covered households before and after, and how many change."""

    households: int
    covered_before: int
    covered_after: int
    newly_covered: int
    no_longer_covered: int

    @property
    def changed(self) -> int:
        """Households whose status (covered or not) would change."""
        return self.newly_covered + self.no_longer_covered


def parse_thresholds(raw: dict[str, Any]) -> ThresholdsUpdate:
    """The form (or options) as an update; `InvalidInput` names every bad field."""
    return parse(raw, ThresholdsUpdate)


async def ward_thresholds(ward_id: int) -> Thresholds:
    """The ward's thresholds now."""
    ward = await Ward.select().where(Ward.id == ward_id).first()
    if ward is None:
        raise LookupError(f"no ward {ward_id}")
    rules = CoverageRules.of_ward(ward)
    return Thresholds(
        identity_age=rules.identity_age,
        adult_age=int(ward["adult_age"]),
        identity_min_level=rules.identity_min_level,
        identity_requires_bank=rules.identity_requires_bank,
        family_criteria=rules.family_criteria,
    )


async def _covered_ids(ward_id: int, rules: CoverageRules) -> tuple[int, set[int]]:
    query = households_sql(rules, this_year(), "h.village IN (SELECT id FROM village WHERE ward = {})")
    rows = await Household.raw(
        f"{query} SELECT id, CASE WHEN {covered_sql(rules)} THEN 1 ELSE 0 END AS covered FROM base",
        *[ward_id] * 3,
    )
    return len(rows), {int(r["id"]) for r in rows if int(r["covered"])}


async def preview_thresholds(ward_id: int, update: ThresholdsUpdate) -> ThresholdsPreview:
    """How many of the ward's households would change status under the new thresholds, today."""
    households, before = await _covered_ids(ward_id, (await ward_thresholds(ward_id)).rules)
    _, after = await _covered_ids(ward_id, Thresholds.of(update).rules)
    return ThresholdsPreview(
        households=households,
        covered_before=len(before),
        covered_after=len(after),
        newly_covered=len(after - before),
        no_longer_covered=len(before - after),
    )


async def save_thresholds(
    ward_id: int, update: ThresholdsUpdate, user_id: int | None, client_addr: str = ""
) -> Thresholds:
    """Store the ward's new thresholds, with the change in the audit log (who, before, after)."""
    after = Thresholds.of(update)
    async with write_transaction():
        before = await ward_thresholds(ward_id)
        await Ward.update(
            {
                Ward.identity_age: after.identity_age,
                Ward.adult_age: after.adult_age,
                Ward.identity_min_level: after.identity_min_level,
                Ward.identity_requires_bank: after.identity_requires_bank,
                Ward.family_criteria: ",".join(after.family_criteria),
                Ward.rules_changed_at: now(),
            }
        ).where(Ward.id == ward_id)
        # The ward's households may change status without a write of theirs: count its villages again.
        villages = await Village.select(Village.id).where(Village.ward == ward_id)
        await rebuild_villages([int(r["id"]) for r in villages])
        # A visit's "covered" reads the rules now: each household's changes of state are counted again.
        await count_activity_again([int(r["id"]) for r in villages])
        await audit(
            "ward.thresholds_saved",
            "ward",
            ward_id,
            user_id,
            {"before": asdict(before), "after": asdict(after)},
            client_addr,
        )
    return after
