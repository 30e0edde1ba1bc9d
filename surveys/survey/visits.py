"""Recording a visit: the household survey and each member's answers, accepted once, never lost.

A visit is one transaction: the household and its members change and a `Visit` row keeps the answers
as submitted, or nothing changes at all. The client's `client_id` makes a retried submission a no-op
that returns the same result; the household's `version` makes a concurrent edit a conflict instead of
a silent overwrite.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import msgspec

from surveys import schemas
from surveys.core.audit import audit
from surveys.core.clock import now, this_year
from surveys.core.db import write_transaction
from surveys.core.rows import Row, still_there
from surveys.core.text import clean, name_sort_key
from surveys.core.validation import FieldError, InvalidInput, parse
from surveys.people.accounts import Actor
from surveys.register.consent import NOTICE_VERSION, consent_current
from surveys.register.households import household_by_token
from surveys.register.members import check_members, refresh_household_keys
from surveys.survey.criteria import OUTCOMES, identity_counts
from surveys.survey.help import record_visit_help
from surveys.survey.status import household_detail, household_rules
from surveys.tables import Household, Member, Visit


class _AlreadyRecorded(Exception):
    """Raised inside the transaction when another copy of this submission committed first."""


class VisitConflict(Exception):
    """The household changed since the volunteer opened it; `current` is how it stands now."""

    def __init__(self, current: schemas.Household) -> None:
        super().__init__("household changed since it was read")
        self.current = current


@dataclass(frozen=True)
class VisitResult:
    """The household after the visit, and whether this call recorded it (False for a replay)."""

    household: schemas.Household
    created: bool


def rule_errors(data: Any) -> list[FieldError]:
    """The rules a visit must keep beyond its schema, checked on the raw input (decoded JSON or a
    form), so a form shows them together with the schema's errors. Values of the wrong shape are
    left to the schema check."""
    if not isinstance(data, Mapping):
        return []
    errors: list[FieldError] = []
    year = this_year()
    raw_household, raw_members = data.get("household"), data.get("members")
    household: Mapping[str, Any] = raw_household if isinstance(raw_household, Mapping) else {}
    members = [m for m in raw_members if isinstance(m, Mapping)] if isinstance(raw_members, list) else []
    outcome = data.get("outcome")
    if outcome in OUTCOMES and outcome != "done" and members:
        errors.append(FieldError("members", "only_when_done"))
    if outcome == "done" and household.get("consent") is not True:
        # Law 91/2025/QH15 art. 9: personal data is recorded only with the data subject's consent.
        errors.append(FieldError("household.consent", "consent_required"))
    heads = [i for i, m in enumerate(members) if m.get("is_head") is True and m.get("removed") is not True]
    errors += [FieldError(f"members.{i}.is_head", "one_head") for i in heads[1:]]
    for i, m in enumerate(members):
        name = m.get("full_name")
        if isinstance(name, str) and name and not clean(name):
            errors.append(FieldError(f"members.{i}.full_name", "required"))
        born = _as_int(m.get("birth_year"))
        if born is not None and not year - 120 <= born <= year:
            errors.append(FieldError(f"members.{i}.birth_year", "out_of_range"))
    return errors


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class ValidVisit(schemas.VisitCreate, kw_only=True):
    """A visit that went through `parse_visit`: schema and rules checked, text cleaned. `record_visit`
    takes only this type, so the rules run once per submission and no path records an unchecked visit."""


def parse_visit(raw: Any) -> ValidVisit:
    """A visit from raw input (decoded JSON or a form's payload), its text cleaned (NFC, trimmed);
    every schema and rule error is reported at once (InvalidInput)."""
    visit = parse(raw, schemas.VisitCreate, rule_errors(raw))
    members = [msgspec.structs.replace(m, full_name=clean(m.full_name)) for m in visit.members]
    household = msgspec.structs.replace(visit.household, notes=visit.household.notes.strip())
    fields = {name: getattr(visit, name) for name in visit.__struct_fields__}
    return ValidVisit(**{**fields, "members": members, "household": household})


async def record_visit(row: Row, visit: ValidVisit, actor: Actor, client_addr: str = "") -> VisitResult:
    """Record `visit` at the household `row` (access already checked) by `actor`, from `client_addr`."""
    try:
        async with write_transaction():
            replay = await _replayed(row, visit)
            if replay is None:
                version = await _apply(row, visit, actor)
                details = {"client_id": str(visit.client_id), "outcome": visit.outcome, "version": version}
                await audit("visit.recorded", "household", row.id, actor.id, details, client_addr)
    except VisitConflict:
        raise
    except InvalidInput:
        raise
    except _AlreadyRecorded:
        replay = True
    except Exception:
        # Two copies of one submission racing: the other one won; answer as for a replay.
        if await _replayed(row, visit) is None:
            raise
        replay = True
    fresh = still_there(await household_by_token(row.token), f"household {row.id}")
    return VisitResult(household=await household_detail(fresh), created=replay is None)


async def _replayed(row: Row, visit: schemas.VisitCreate) -> bool | None:
    existing = await Visit.select(Visit.household).where(Visit.client_id == visit.client_id).first()
    if existing is None:
        return None
    if existing["household"] != row.id:
        raise InvalidInput([FieldError("client_id", "already_used")])
    return True


async def _apply(row: Row, visit: schemas.VisitCreate, actor: Actor) -> int:
    """Apply the visit; returns the household's version after it."""
    at = now()
    version = int(row.version)
    snapshot: dict[str, Any] = {}
    if visit.outcome == "done":
        answers = visit.household
        updated = (
            await Household.update(
                {
                    Household.version: Household.version + 1,
                    Household.informed_at: (row.informed_at or at) if answers.informed else None,
                    # A consent is kept until the notice changes; then it is asked (and recorded) again.
                    **(
                        {}
                        if consent_current(row.consent_at, row.consent_notice)
                        else {
                            Household.consent_at: at,
                            Household.consent_by: actor.login,
                            Household.consent_notice: NOTICE_VERSION,
                        }
                    ),
                    Household.priority_elderly_alone: answers.priority_elderly_alone,
                    Household.priority_poor: answers.priority_poor,
                    Household.priority_other: answers.priority_other,
                    Household.notes: answers.notes,
                    Household.updated_at: at,
                }
            )
            .where((Household.id == row.id) & (Household.version == visit.household_version))
            .returning(Household.id)
        )
        if not updated:
            # On PostgreSQL a copy of this same submission sent at the same moment waits here for the
            # first copy's row lock, then finds the version moved on: that is a replay, not a conflict.
            if await _replayed(row, visit):
                raise _AlreadyRecorded()
            # The household as it stands now, read in this transaction, not the copy read before it.
            current = await household_by_token(row.token, archived=True)
            raise VisitConflict(await household_detail(current or row))
        await _apply_members(row.id, visit.members, at)
        await refresh_household_keys(row.id, row.code, row.address)
        version += 1
        snapshot = {**await status_snapshot(row), "informed": answers.informed}
    await Visit.insert(
        Visit(
            household=row.id,
            volunteer=actor.id,
            client_id=visit.client_id,
            at=at,
            outcome=visit.outcome,
            answers=msgspec.json.encode(visit).decode(),
            household_version=visit.household_version,
            **(snapshot if visit.outcome == "done" else {}),
        )
    )
    await record_visit_help(visit.client_id, row.id, visit.members, actor.id, at)
    return version


_ANSWER_FIELDS = (
    "sex",
    "is_head",
    "removed",
    "vneid",
    "bank_account",
    "smartphone",
    "skill_learned",
    "skill_understands",
    "skill_uses_services",
    "skill_guides_others",
    "skills_confirmed",
    "uses_ai",
    "answer_source",
)


def _member_values(m: schemas.MemberAnswers) -> dict[Any, Any]:
    values: dict[Any, Any] = {name: getattr(m, name) for name in _ANSWER_FIELDS}
    values.update(full_name=m.full_name, sort_key=name_sort_key(m.full_name), birth_year=m.birth_year)
    return values


async def _apply_members(household_id: int, members: list[schemas.MemberAnswers], at: Any) -> None:
    await check_members(household_id, members)
    for m in members:
        values = _member_values(m)
        if m.id:
            await Member.update({**values, "updated_at": at}).where(Member.id == m.id)
        elif not m.removed:
            await Member.insert(Member(household=household_id, created_at=at, updated_at=at, **values))


async def status_snapshot(row: Row) -> dict[str, Any]:
    """The household's derived counts now, as `Visit` columns (the weekly trend reads them)."""
    members = [
        Row(m) for m in await Member.select().where((Member.household == row.id) & Member.removed.eq(False))
    ]
    counts = identity_counts(members, this_year(), household_rules(row))
    # Read again: `row` is the household as it was before this visit changed its priority answers.
    flags = await Household.select(Household.priority_poor, Household.priority_elderly_alone).where(
        Household.id == row.id
    )
    return {**counts, **(flags[0] if flags else {}), "digital_family": bool(counts["digital_family"])}
