"""Reading households: one household with its members and status, and a village's household list."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from surveys import schemas
from surveys.access import village_filter
from surveys.accounts import Actor
from surveys.clock import this_year
from surveys.coverage import status_out, village_coverage
from surveys.criteria import (
    CoverageRules,
    has_vneid,
    household_status,
    is_digital_core,
    needs_identity,
    skills_met,
)
from surveys.privacy import consent_current
from surveys.rows import Row
from surveys.tables import Household, Member, Village, Visit


async def household_by_token(token: str, archived: bool = False) -> Row | None:
    """The household with this sticker token, with its village and ward, or None. An archived one
    (moved away, not yet erased) only with `archived`: the ward office still answers its requests."""
    if not token or len(token) > 64:
        return None
    shown = Household.erased_at.is_null() if archived else Household.archived.eq(False)
    row = (
        await Household.select(
            *Household.all_columns(),
            Household.village._.name.as_alias("village_name"),
            Household.village._.ward.as_alias("ward_id"),
            Household.village._.ward._.code.as_alias("ward_code"),
            Household.village._.ward._.name.as_alias("ward_name"),
            *[c.as_alias(f"rule_{c._meta.name}") for c in _rule_columns()],
        )
        .where((Household.token == token) & shown)
        .first()
    )
    return Row(row) if row else None


def _rule_columns() -> list[Any]:
    ward = Household.village._.ward._
    return [ward.identity_age, ward.identity_min_level, ward.identity_requires_bank, ward.family_criteria]


def household_rules(row: dict[str, Any]) -> CoverageRules:
    """The coverage rules of the ward of a row read by `household_by_token`."""
    return CoverageRules.of_ward(
        Row({k.removeprefix("rule_"): v for k, v in row.items() if k.startswith("rule_")})
    )


def member_out(m: Row, year: int, rules: CoverageRules) -> schemas.Member:
    """A member row with what its answers mean."""
    return schemas.Member(
        id=m.id,
        full_name=m.full_name,
        birth_year=m.birth_year,
        age=year - m.birth_year,
        sex=m.sex,
        is_head=m.is_head,
        needs_identity=needs_identity(m, year, rules),
        vneid=m.vneid,
        bank_account=m.bank_account,
        smartphone=m.smartphone,
        skills=skills_met(m),
        skills_confirmed=m.skills_confirmed,
        digital_core=is_digital_core(m, rules),
        has_vneid=has_vneid(m, rules),
        answer_source=m.answer_source,
    )


async def household_detail(row: Row) -> schemas.Household:
    """The full household: members, last visit and derived status."""
    year = this_year()
    rules = household_rules(row)
    members = [
        Row(m)
        for m in await Member.select()
        .where((Member.household == row.id) & (Member.removed.eq(False)))
        .order_by(Member.is_head, ascending=False)
        .order_by(Member.birth_year)
    ]
    visits = await Visit.select(Visit.outcome, Visit.at).where(Visit.household == row.id).order_by(Visit.at)
    last = visits[-1] if visits else None
    status = household_status(
        members,
        last_outcome=last["outcome"] if last else None,
        ever_done=any(v["outcome"] == "done" for v in visits),
        year=year,
        rules=rules,
    )
    return schemas.Household(
        token=row.token,
        code=row.code,
        village_id=row.village,
        village_name=row.village_name,
        ward_code=row.ward_code,
        ward_name=row.ward_name,
        address=row.address,
        head_name=row.head_name,
        version=row.version,
        informed=row.informed_at is not None,
        consent=consent_current(row.consent_at, row.consent_notice),
        consent_at=row.consent_at,
        consent_notice=row.consent_notice,
        priority_elderly_alone=row.priority_elderly_alone,
        priority_poor=row.priority_poor,
        priority_other=row.priority_other,
        notes=row.notes,
        last_visit_at=last["at"] if last else None,
        last_outcome=last["outcome"] if last else None,
        status=status_out(status),
        members=[member_out(m, year, rules) for m in members],
    )


async def visible_villages(actor: Actor) -> list[schemas.Village]:
    """The villages the actor may see, with their household counts, in ward then village order."""
    return await _villages(village_filter(actor))


async def village_info(village_id: int) -> schemas.Village | None:
    """One village with its ward and household count (access is the caller's to check)."""
    found = await _villages(Village.id == village_id)
    return found[0] if found else None


async def _villages(where: Any) -> list[schemas.Village]:
    rows = (
        await Village.select(
            Village.id,
            Village.name,
            Village.code,
            Village.ward._.code.as_alias("ward_code"),
            Village.ward._.name.as_alias("ward_name"),
            Village.ward._.village_word.as_alias("village_word"),
        )
        .where(where)
        .order_by(Village.ward._.code)
        .order_by(Village.code)
    )
    counts: dict[int, int] = defaultdict(int)
    if rows:
        for r in await Household.select(Household.village).where(
            Household.village.is_in([r["id"] for r in rows]) & Household.archived.eq(False)
        ):
            counts[r["village"]] += 1
    return [schemas.Village(**r, households=counts[r["id"]]) for r in rows]


async def archived_households(village_id: int) -> list[dict[str, Any]]:
    """A village's archived households whose data is still held, most recently archived first."""
    return list(
        await Household.select(Household.token, Household.code, Household.head_name, Household.archived_at)
        .where(
            (Household.village == village_id) & Household.archived.eq(True) & Household.erased_at.is_null()
        )
        .order_by(Household.archived_at, ascending=False)
    )


async def village_households(village_id: int, query: str = "") -> list[schemas.HouseholdSummary]:
    """A village's households matching `query` (accents and case ignored), in Vietnamese order of the
    head's name. Access is the caller's to check."""
    listed = await village_coverage(village_id, q=query, order="name", per_page=1_000_000)
    return [
        schemas.HouseholdSummary(
            token=r.token,
            code=r.code,
            head_name=r.head_name,
            address=r.address,
            last_visit_at=r.last_visit_at,
            status=status_out(r),
        )
        for r in listed.rows
    ]
