"""Help given to one person ("hướng dẫn từng người"): a row per help (who, whom, what, when, at a visit or
a class), so the ward counts people helped per week and per volunteer (docs/design.md §7). A visit stores its
members' help in its own write transaction (`record_visit_help`); help outside a visit comes one at a time
(`record_help`), accepted once per `client_id`. The pages read a member's help (`member_help`), the JSON API
a household's or one help (`household_help`, `help_out`; shapes in surveys/survey/schemas.py)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from surveys import schemas
from surveys.core.audit import audit
from surveys.core.clock import now
from surveys.core.db import write_transaction
from surveys.core.rows import newest_per_member
from surveys.core.text import clean
from surveys.core.validation import FieldError, InvalidInput, ReusedClientId, parse
from surveys.survey.schemas import HelpCreate, HelpOut
from surveys.tables import ClassSession, Help, Household, Member, Visit


@dataclass(frozen=True)
class HelpResult:
    """The help's id, and whether this call recorded it (False for a replayed `client_id`)."""

    id: int
    created: bool


async def record_visit_help(
    visit_client_id: uuid.UUID,
    household_id: int,
    members: list[schemas.MemberAnswers],
    given_by: int,
    at: datetime,
) -> int:
    """Inside the visit's write transaction, after its members were written: a help row per kind ticked
    for each member (a member added at this visit is found by name and birth year). Returns how many."""
    helped = [m for m in members if m.helped and not m.removed]
    if not helped:
        return 0
    visit = await Visit.select(Visit.id).where(Visit.client_id == visit_client_id).first()
    rows = await Member.select(Member.id, Member.full_name, Member.birth_year).where(
        (Member.household == household_id) & Member.removed.eq(False)
    )
    new_ids = {(r["full_name"], r["birth_year"]): r["id"] for r in sorted(rows, key=lambda r: r["id"])}
    inserts = []
    for m in helped:
        member_id = m.id or new_ids.get((m.full_name, m.birth_year))
        if member_id is None:
            continue
        for kind in dict.fromkeys(m.helped):
            inserts.append(
                Help(
                    member=member_id,
                    given_by=given_by,
                    kind=kind,
                    note=clean(m.help_note) if kind == "other" else "",
                    at=at,
                    visit=visit["id"] if visit else None,
                    client_id=uuid.uuid4(),
                )
            )
    if inserts:
        await Help.insert(*inserts)
    return len(inserts)


async def record_help(
    household_id: int,
    member_id: int,
    kind: str,
    note: str,
    client_id: uuid.UUID,
    given_by: int,
    session_id: int | None = None,
    client_addr: str = "",
) -> HelpResult:
    """Help given to a member of household `household_id` (access to it already checked), outside a visit
    or at class `session_id`."""
    note = clean(note) if kind == "other" else ""
    async with write_transaction():
        # The member and class first: a `client_id` never answers with a record the caller may not see.
        errors = []
        if not await Member.exists().where(
            (Member.id == member_id) & (Member.household == household_id) & Member.removed.eq(False)
        ):
            errors.append(FieldError("member", "unknown_member"))
        if session_id is not None and not await _class_of_households_ward(session_id, household_id):
            errors.append(FieldError("session", "unknown_class"))
        if errors:
            raise InvalidInput(errors)
        existing = (
            await Help.select(Help.id, Help.member, Help.kind, Help.note, Help.session)
            .where(Help.client_id == client_id)
            .first()
        )
        if existing is not None:
            if existing["member"] != member_id:
                raise InvalidInput([FieldError("client_id", "already_used")])
            if (existing["kind"], existing["note"], existing["session"]) != (kind, note, session_id):
                raise ReusedClientId(client_id)
            return HelpResult(int(existing["id"]), created=False)
        inserted = await Help.insert(
            Help(
                member=member_id,
                given_by=given_by,
                kind=kind,
                note=note,
                at=now(),
                session=session_id,
                client_id=client_id,
            )
        )
        help_id = int(inserted[0]["id"])
        await audit("help.given", "household", household_id, given_by, {"kind": kind}, client_addr)
    return HelpResult(help_id, created=True)


async def _class_of_households_ward(session_id: int, household_id: int) -> bool:
    ward = Household.select(Household.village._.ward).where(Household.id == household_id)
    return bool(
        await ClassSession.exists().where((ClassSession.id == session_id) & ClassSession.ward.is_in(ward))
    )


async def member_help(member_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """For each member, the help they were given (newest first): what, when, by whom, at a visit or class."""
    query = Help.select(
        Help.id,
        Help.member,
        Help.kind,
        Help.note,
        Help.at,
        Help.visit,
        Help.session,
        Help.given_by._.display_name.as_alias("given_by_name"),
    )
    return await newest_per_member(member_ids, query, Help.member, Help.at, _with_via)


def _via(r: dict[str, Any]) -> Literal["visit", "class", "other"]:
    """Where the help was given: at a visit, at a class, or neither."""
    return "visit" if r["visit"] else "class" if r["session"] else "other"


def _with_via(r: dict[str, Any]) -> dict[str, Any]:
    return {**r, "via": _via(r)}


def parse_help(raw: Any) -> HelpCreate:
    """Help from JSON, every bad field named at once."""
    return parse(raw, HelpCreate)


def _out(r: dict[str, Any]) -> HelpOut:
    return HelpOut(id=r["id"], member=r["member"], kind=r["kind"], note=r["note"], at=r["at"], via=_via(r))


_COLUMNS = (Help.id, Help.member, Help.kind, Help.note, Help.at, Help.visit, Help.session)


async def household_help(household_id: int) -> list[HelpOut]:
    """The help given to the household's members, newest first."""
    rows = (
        await Help.select(*_COLUMNS)
        .where(Help.member._.household == household_id)
        .order_by(Help.at, ascending=False)
        .order_by(Help.id, ascending=False)
    )
    return [_out(r) for r in rows]


async def help_out(help_id: int) -> HelpOut:
    """One help given."""
    row = await Help.select(*_COLUMNS).where(Help.id == help_id).first()
    if row is None:
        raise LookupError(help_id)
    return _out(row)
