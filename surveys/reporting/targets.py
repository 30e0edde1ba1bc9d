"""A ward's targets for a year, in percent: its own when the ward office set them, else its province's
defaults for the year when the province set them, else the plans' defaults (targets differ by commune and
by year: docs/architecture.md §1)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from surveys.core.audit import audit
from surveys.core.db import write_transaction
from surveys.core.validation import parse
from surveys.reporting.schemas import TargetsOut, TargetsUpdate
from surveys.tables import ProvinceTarget, Ward, WardTarget

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
    # Where they come from: the ward's own ("ward"), its province's defaults ("province"), the plans'.
    source: str = "plans"

    def for_indicator(self, indicator: str) -> int | None:
        """The target an indicator is measured against, if it has one."""
        name = TARGET_OF.get(indicator)
        return getattr(self, name) if name else None


def targets_out(targets: Targets) -> TargetsOut:
    """The targets as the API gives them."""
    return TargetsOut(**asdict(targets))


def _targets(year: int, row: dict[str, Any] | None, source: str) -> Targets | None:
    return None if row is None else Targets(year, **{n: int(row[n]) for n in TARGET_FIELDS}, source=source)


async def province_targets_for(province_id: int, year: int) -> Targets:
    """The province's default targets for `year` (the plans' when it set none)."""
    row = (
        await ProvinceTarget.select()
        .where((ProvinceTarget.province == province_id) & (ProvinceTarget.year == year))
        .first()
    )
    return _targets(year, row, "province") or Targets(year=year)


async def targets_for(ward_id: int, year: int) -> Targets:
    """The ward's targets for `year`: its own, else its province's defaults, else the plans'."""
    row = await WardTarget.select().where((WardTarget.ward == ward_id) & (WardTarget.year == year)).first()
    own = _targets(year, row, "ward")
    if own is not None:
        return own
    ward = await Ward.select(Ward.province).where(Ward.id == ward_id).first()
    return await province_targets_for(int(ward["province"]), year) if ward else Targets(year=year)


async def wards_targets(province_id: int, ward_ids: list[int], year: int) -> dict[int, Targets]:
    """The targets for `year` of each of the province's wards in `ward_ids`, in two queries."""
    return await targets_of_wards(dict.fromkeys(ward_ids, province_id), year)


async def targets_of_wards(provinces: dict[int, int], year: int) -> dict[int, Targets]:
    """The targets for `year` of each ward of `provinces` (ward id -> its province's id), of any number of
    provinces (the national view), in two queries: its own, else its province's, else the plans'."""
    if not provinces:
        return {}
    defaults = {
        int(r["province"]): _targets(year, r, "province")
        for r in await ProvinceTarget.select().where(
            ProvinceTarget.province.is_in(sorted(set(provinces.values()))) & (ProvinceTarget.year == year)
        )
    }
    rows = await WardTarget.select().where(WardTarget.ward.is_in(list(provinces)) & (WardTarget.year == year))
    own = {int(r["ward"]): _targets(year, r, "ward") for r in rows}
    return {
        ward: own.get(ward) or defaults.get(province) or Targets(year=year)
        for ward, province in provinces.items()
    }


def targets_typed(form: Any) -> dict[str, str]:
    """Each target as typed in a form (to show again with its error)."""
    return {name: str(form.get(name, "")).strip() for name in TARGET_FIELDS}


def parse_targets(typed: dict[str, Any]) -> TargetsUpdate:
    """The targets typed in a form or sent as JSON; InvalidInput names each missing or bad one."""
    return parse({k: v for k, v in typed.items() if v != ""}, TargetsUpdate)


def _values(update: TargetsUpdate) -> dict[str, int]:
    return {name: getattr(update, name) for name in TARGET_FIELDS}


async def save_targets(
    ward_id: int, year: int, update: TargetsUpdate, user_id: int, client_addr: str = ""
) -> Targets:
    """Set the ward's targets for `year` (its own from now on), recording the change in the audit log."""
    values: dict[Any, Any] = _values(update)
    async with write_transaction():
        before = await targets_for(ward_id, year)
        where = (WardTarget.ward == ward_id) & (WardTarget.year == year)
        if await WardTarget.exists().where(where):
            await WardTarget.update(values).where(where)
        else:
            await WardTarget.insert(WardTarget({WardTarget.ward: ward_id, WardTarget.year: year, **values}))
        after = Targets(year=year, **values, source="ward")
        await audit(
            "targets.saved",
            "ward",
            ward_id,
            user_id,
            {"before": asdict(before), "after": asdict(after)},
            client_addr,
        )
    return after


async def inherit_targets(ward_id: int, year: int, user_id: int, client_addr: str = "") -> Targets:
    """Give up the ward's own targets for `year`: it inherits its province's defaults again (the plans'
    when the province set none). The change is in the audit log; a ward without its own changes nothing."""
    async with write_transaction():
        before = await targets_for(ward_id, year)
        if before.source != "ward":
            return before
        await WardTarget.delete().where((WardTarget.ward == ward_id) & (WardTarget.year == year))
        after = await targets_for(ward_id, year)
        details = {"year": year, "before": asdict(before), "after": asdict(after)}
        await audit("targets.inherited", "ward", ward_id, user_id, details, client_addr)
    return after


async def save_province_targets(
    province_id: int, year: int, update: TargetsUpdate, user_id: int, client_addr: str = ""
) -> Targets:
    """Set the province's default targets for `year`, which its wards without their own inherit; the
    change is in the audit log."""
    values: dict[Any, Any] = _values(update)
    async with write_transaction():
        before = await province_targets_for(province_id, year)
        where = (ProvinceTarget.province == province_id) & (ProvinceTarget.year == year)
        if await ProvinceTarget.exists().where(where):
            await ProvinceTarget.update(values).where(where)
        else:
            await ProvinceTarget.insert(
                ProvinceTarget({ProvinceTarget.province: province_id, ProvinceTarget.year: year, **values})
            )
        after = Targets(year=year, **values, source="province")
        details = {"year": year, "before": asdict(before), "after": asdict(after)}
        await audit("province_targets.saved", "province", province_id, user_id, details, client_addr)
    return after
