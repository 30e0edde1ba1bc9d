"""Recording a visit: the household survey and each member's answers, accepted once, never lost.

A visit is one transaction: the household and its members change and a `Visit` row keeps the answers
as submitted, or nothing changes at all. The client's `client_id` makes a retried submission a no-op
that returns the same result; the household's `version` makes a concurrent edit a conflict instead of
a silent overwrite.

A visit sent later from the phone carries when it was saved (`saved_at`, `surveys.core.work_time`): that
is the visit's time (`at`), which every count, digest and report reads; `received_at` keeps its arrival.
The household's state is what its latest completed visit *by the time it was made* left (ties: the one
recorded last). A visit drawn before a newer one was recorded is a conflict (its `version` is outdated),
never an overwrite of answers its volunteer did not see; one drawn on the household as the newer visit
left it (a conflict reviewed and saved again, which keeps its first moment; a phone whose clock is
behind) was saved over it, and is dated just after it. The daily counts of the past days a visit
changes are counted again (`surveys.reporting.village_counts`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any, NoReturn

import msgspec

from surveys import schemas
from surveys.core.audit import audit
from surveys.core.changes import AddedVisit, households_changed, households_changing
from surveys.core.clock import now, this_year
from surveys.core.db import fetch, short_statements, write_later, write_transaction
from surveys.core.rows import Row, still_there
from surveys.core.text import clean, name_sort_key
from surveys.core.validation import FieldError, InvalidInput, ReusedClientId, parse
from surveys.core.work_time import saved_at_errors, time_made
from surveys.people.accounts import Actor
from surveys.register.consent import NOTICE_VERSION, consent_current
from surveys.register.households import household_by_token
from surveys.register.members import check_members, refresh_household_keys
from surveys.survey.criteria import OUTCOMES, identity_counts
from surveys.survey.help import record_visit_help
from surveys.survey.status import (
    HouseholdState,
    detail_of,
    household_detail,
    household_rules,
    household_state,
)
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
    # Its statements are short by construction (one household held, its counts and the village's
    # rows of the day): on SQLite they run in the event loop's thread, a hop each no more.
    with short_statements():
        return await _record_visit(row, visit, actor, client_addr)


async def _record_visit(row: Row, visit: ValidVisit, actor: Actor, client_addr: str) -> VisitResult:
    # Python's work before the write turn: on SQLite one writer of the process is in at a time, and
    # holds the turn only for the statements.
    prepared = _prepare(row, visit, actor)
    replay: bool | None = None
    try:
        async with write_transaction():
            # A client_id recorded before is found when its visit is written (the unique client_id
            # fails the transaction, answered below as a replay), not by a read of its own: retries
            # are few, and every new visit would pay for that read (issue 27).
            late = saved_at_errors(visit.saved_at, prepared.received_at)
            if late:
                # A visit recorded days ago and sent again answers as then.
                if await _replayed(row, visit):
                    raise _AlreadyRecorded()
                raise InvalidInput(late)
            # A completed visit made before today changes the counts of the days since.
            made = prepared.at if visit.outcome == "done" else None
            # A visit that is not a completed survey leaves the household as it was: its only change.
            added = None if made else AddedVisit(prepared.at, actor.id, visit.outcome)
            # The household's members and last visit, read once held: its counts before (and, for a
            # visit that leaves it as it was, after) are counted from them, and the answer is drawn from
            # them.
            before = await households_changing(
                [row.id],
                since=made,
                added=added,
                read=partial(household_state, row.id),
                expected={int(row.id): int(row.village)},
            )
            # Its village as held in this transaction: a move waits for it, or went first.
            village = before.villages.get(int(row.id), int(row.village))
            written = await _apply(row, visit, actor, prepared, village)
            details = {
                "client_id": str(visit.client_id),
                "outcome": visit.outcome,
                "version": written.version,
            }
            await audit("visit.recorded", "household", row.id, actor.id, details, client_addr)
            await households_changed([row.id], before=before)
    except VisitConflict:
        raise
    except (InvalidInput, ReusedClientId):
        raise
    except _AlreadyRecorded:
        replay = True
    except Exception:
        # The client_id was recorded before (a retry), or by another copy of this submission racing
        # this one: answer as for a replay. Another household's client_id, or other answers, are
        # refused (`_replayed`).
        if await _replayed(row, visit) is None:
            raise
        replay = True
    if replay is None:
        if added is not None and isinstance(before.known, HouseholdState):
            # The household as it was, and this visit: nothing else changed it, held.
            answer = detail_of(written.household, before.known.with_visit(added.outcome, added.at))
            return VisitResult(household=answer, created=True)
        # The household as just written: no need to read its row again.
        return VisitResult(household=await household_detail(written.household), created=True)
    fresh = still_there(await household_by_token(row.token), f"household {row.id}")
    return VisitResult(household=await household_detail(fresh), created=False)


@dataclass(frozen=True)
class _Prepared:
    """What a visit writes, worked out before its transaction."""

    at: Any
    received_at: Any
    answers: str
    household: dict[Any, Any]
    members: list[tuple[schemas.MemberAnswers, dict[Any, Any]]]


@dataclass(frozen=True)
class _Written:
    """The household's row after the visit, and its version."""

    household: Row
    version: int


def _prepare(row: Row, visit: schemas.VisitCreate, actor: Actor) -> _Prepared:
    received_at = now()
    at = time_made(visit.saved_at, received_at)
    answers = visit.household
    household: dict[Any, Any] = {
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
        # When the row changed, for what reads changes since a moment: the arrival, not the visit's time.
        Household.updated_at: received_at,
    }
    members = [(m, _member_values(m)) for m in visit.members] if visit.outcome == "done" else []
    return _Prepared(at, received_at, msgspec.json.encode(visit).decode(), household, members)


async def _replayed(row: Row, visit: schemas.VisitCreate) -> bool | None:
    """None: `visit.client_id` is new. True: this very visit was recorded before (a retry sends the same
    body: the household and every answer). Another household's is `already_used`; the same household
    with other answers is ReusedClientId."""
    found = await fetch("SELECT household, answers FROM visit WHERE client_id = {} LIMIT 1", visit.client_id)
    if not found:
        return None
    existing = found[0]
    if existing["household"] != row.id:
        raise InvalidInput([FieldError("client_id", "already_used")])
    stored = existing["answers"]
    if (msgspec.json.decode(stored) if isinstance(stored, str | bytes) else stored) != msgspec.to_builtins(
        visit
    ):
        raise ReusedClientId(visit.client_id)
    return True


async def _apply(
    row: Row, visit: schemas.VisitCreate, actor: Actor, prepared: _Prepared, village: int
) -> _Written:
    """Apply the visit to the household, now in `village`; the household as it stands after it."""
    at = prepared.at
    household = row
    snapshot: dict[str, Any] = {}
    if visit.outcome == "done":
        later = await _latest_visit_after(row, at)
        if later is not None:
            # A completed visit made after this one's moment is recorded already. This visit's form was
            # drawn on the household as that visit left it, or the version check below refuses it: the
            # volunteer saw it and saved over it (a conflict reviewed and saved again, keeping its first
            # moment; a phone whose clock is behind). So this visit comes after it, in every count too.
            at = later + timedelta(microseconds=1)
        updated = (
            await Household.update({Household.version: Household.version + 1, **prepared.household})
            .where((Household.id == row.id) & (Household.version == visit.household_version))
            .returning(Household.id)
        )
        if not updated:
            await _conflict(row, visit)
        members = await _apply_members(row.id, prepared.members, prepared.received_at)
        keys = await refresh_household_keys(row.id, row.code, row.address, members)
        household = Row({**row, **{c._meta.name: v for c, v in prepared.household.items()}, **keys,
                         "version": int(row.version) + 1})  # fmt: skip
        snapshot = {**status_snapshot_of(household, members), "informed": visit.household.informed}
    # With the transaction's next statement (`write_later`): a client_id recorded meanwhile fails the
    # transaction there, which `record_visit` answers as a replay.
    await write_later(
        _INSERT_VISIT_SQL,
        row.id,
        village,
        actor.id,
        visit.client_id,
        at,
        prepared.received_at,
        visit.outcome,
        prepared.answers,
        visit.household_version,
        *[snapshot.get(name, default) for name, default in _SNAPSHOT_DEFAULTS],
    )
    await record_visit_help(visit.client_id, row.id, visit.members, actor.id, at)
    return _Written(household, int(household.version))


_VISIT_OWN = ("household", "village", "volunteer", "client_id", "at", "received_at", "outcome", "answers",
              "household_version")  # fmt: skip
# The rest of a visit's columns: the household's state after a completed visit (`status_snapshot_of`),
# with their value for any other visit.
_SNAPSHOT_DEFAULTS = tuple(
    (c._meta.name, c.default) for c in Visit._meta.columns if c._meta.name not in ("id", *_VISIT_OWN)
)
_VISIT_COLUMNS = (*_VISIT_OWN, *(name for name, _ in _SNAPSHOT_DEFAULTS))
# Every visit writes this: written once, not built by Piccolo on every visit (issue 27). Names from the
# table's definition only; the values are parameters.
_INSERT_VISIT_SQL = (
    f"INSERT INTO {Visit._meta.tablename} ({', '.join(_VISIT_COLUMNS)}) "  # noqa: S608
    f"VALUES ({', '.join('{}' for _ in _VISIT_COLUMNS)})"
)


async def _conflict(row: Row, visit: schemas.VisitCreate) -> NoReturn:
    """The household moved on since the visit was made: a conflict, unless it was a copy of this same
    submission (on PostgreSQL one sent at the same moment waits for the first copy's lock, then finds
    the household changed): that is a replay."""
    if await _replayed(row, visit):
        raise _AlreadyRecorded()
    # The household as it stands now, read in this transaction, not the copy read before it.
    current = await household_by_token(row.token, archived=True)
    raise VisitConflict(await household_detail(current or row))


async def _latest_visit_after(row: Row, at: Any) -> Any:
    """When the household's latest completed visit made after `at` was made, None when there is none
    (with the household held): one walk back the index on visit (household, at, id)."""
    found = await fetch(
        "SELECT at FROM visit WHERE household = {} AND outcome = 'done' AND at > {} ORDER BY at DESC, id DESC "
        "LIMIT 1",
        row.id,
        at,
    )
    return found[0]["at"] if found else None


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


async def _apply_members(
    household_id: int, members: list[tuple[schemas.MemberAnswers, dict[Any, Any]]], at: Any
) -> list[Row]:
    """Write the members' answers; the household's present members after it, from the one read of
    them before and the rows the writes returned."""
    current = await check_members(household_id, [m for m, _ in members])
    after = {member_id: dict(r) for member_id, r in current.items()}
    if any(m.is_head and not m.removed for m, _ in members):
        for r in after.values():
            r["is_head"] = False  # as check_members just wrote
    for m, values in members:
        if m.id:
            rows = await (
                Member.update({**values, "updated_at": at})
                .where(Member.id == m.id)
                .returning(*Member.all_columns())
            )
        elif not m.removed:
            rows = await Member.insert(
                Member(household=household_id, created_at=at, updated_at=at, **values)
            ).returning(*Member.all_columns())
        else:
            continue
        after[rows[0]["id"]] = rows[0]
    return [Row(r) for r in after.values() if not r["removed"]]


async def status_snapshot(row: Row) -> dict[str, Any]:
    """The household's derived counts now, as `Visit` columns (the weekly trend reads them)."""
    members = [
        Row(m) for m in await Member.select().where((Member.household == row.id) & Member.removed.eq(False))
    ]
    flags = await Household.select(Household.priority_poor, Household.priority_elderly_alone).where(
        Household.id == row.id
    )
    return status_snapshot_of(Row({**row, **(flags[0] if flags else {})}), members)


def status_snapshot_of(household: Row, members: list[Row]) -> dict[str, Any]:
    """As `status_snapshot`, from the household's row and present members the caller has."""
    counts = identity_counts(members, this_year(), household_rules(household))
    flags = {
        "priority_poor": household.priority_poor,
        "priority_elderly_alone": household.priority_elderly_alone,
    }
    return {**counts, **flags, "digital_family": bool(counts["digital_family"])}
