"""A ward's targets for a year, in percent. The plans' defaults hold until the ward office sets its own
(targets differ by commune and by year: docs/architecture.md §1)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from surveys.core.audit import audit
from surveys.core.db import write_transaction
from surveys.reporting.schemas import TargetsUpdate
from surveys.tables import WardTarget

# Which target each indicator is measured against.
TARGET_OF = {
    "informed": "informed",
    "digital_family": "digital_family",
    "vneid": "identity",
    "skills_confirmed": "skills_confirmed",
    "vneid_level2": "vneid_level2",
    "bank": "bank",
    "basic_skills": "basic_skills",
    "ai_tool": "ai_tool",
}
# Every target, in the order the form shows them.
TARGET_FIELDS: tuple[str, ...] = (
    "informed", "digital_family", "identity", "vneid_level2", "bank", "basic_skills", "skills_confirmed", "ai_tool",
)  # fmt: skip


@dataclass(frozen=True)
class Targets:
    """Percent targets of one year; defaults from the 2025-2026 plans: households informed 100% (2026),
    every household a digital family and every citizen 16+ with VNeID and a digital bank account, 100%
    of adults with basic digital skills, 80% with skills confirmed on VNeID (2026), 60% of learners
    able to use at least one AI tool."""

    year: int
    informed: int = 100
    digital_family: int = 100
    identity: int = 100
    skills_confirmed: int = 80
    vneid_level2: int = 100
    bank: int = 100
    basic_skills: int = 100
    ai_tool: int = 60

    def for_indicator(self, indicator: str) -> int | None:
        """The target an indicator is measured against, if it has one."""
        name = TARGET_OF.get(indicator)
        return getattr(self, name) if name else None


async def targets_for(ward_id: int, year: int) -> Targets:
    """The ward's targets for `year` (the defaults when none were set)."""
    row = await WardTarget.select().where((WardTarget.ward == ward_id) & (WardTarget.year == year)).first()
    if row is None:
        return Targets(year=year)
    return Targets(year=year, **{name: int(row[name]) for name in TARGET_FIELDS})


async def save_targets(
    ward_id: int, year: int, update: TargetsUpdate, user_id: int, client_addr: str = ""
) -> Targets:
    """Set the ward's targets for `year`, recording the change in the audit log."""
    values: dict[Any, Any] = {name: getattr(update, name) for name in TARGET_FIELDS}
    async with write_transaction():
        before = await targets_for(ward_id, year)
        where = (WardTarget.ward == ward_id) & (WardTarget.year == year)
        if await WardTarget.exists().where(where):
            await WardTarget.update(values).where(where)
        else:
            await WardTarget.insert(WardTarget({WardTarget.ward: ward_id, WardTarget.year: year, **values}))
        after = Targets(year=year, **values)
        await audit(
            "targets.saved",
            "ward",
            ward_id,
            user_id,
            {"before": asdict(before), "after": asdict(after)},
            client_addr,
        )
    return after
