"""A walk-in of a class joins a household of the register (issue 14 item 2): a new member of that
household, and the walk-in's attendance becomes theirs (so it sets their "took part in learning")."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

import msgspec
from msgspec import Meta, Struct

from surveys.core.audit import audit
from surveys.core.changes import households_changing
from surveys.core.clock import now
from surveys.core.db import write_transaction
from surveys.core.text import clean, name_sort_key
from surveys.core.validation import FieldError, InvalidInput, parse
from surveys.learning.attendance import find_attendees, mark_learned, reachable_villages
from surveys.people.accounts import Actor
from surveys.schemas import BirthYear, Name
from surveys.tables import Attendance, Household, Member


class WalkInEnrol(Struct, kw_only=True):
    """The household (its code) a walk-in joins, with the name and birth year the register keeps."""

    household: Annotated[str, Meta(min_length=1, max_length=20)]
    full_name: Name
    birth_year: BirthYear


def enrol_payload(form: Mapping[str, Any]) -> dict[str, Any]:
    """The form as posted; a birth year that is not a number stays as typed, so the check names it."""
    raw: dict[str, Any] = {k: str(form.get(k, "")) for k in ("household", "full_name", "birth_year")}
    year = raw.pop("birth_year").strip()
    if year:
        raw["birth_year"] = int(year) if year.isdigit() else year
    return raw


def parse_enrol(raw: Any) -> WalkInEnrol:
    """The form's fields, every bad one named at once (a name of spaces only is no name)."""
    errors: list[FieldError] = []
    if (
        isinstance(raw, dict)
        and isinstance(raw.get("full_name"), str)
        and raw["full_name"]
        and not clean(raw["full_name"])
    ):
        errors.append(FieldError("full_name", "required"))
    return parse(raw, WalkInEnrol, errors)


async def households_to_join(ward_id: int, actor: Actor, q: str) -> list[dict[str, Any]]:
    """The households a walk-in may join, found as the attendee search finds people (a member's name,
    the household's code or address; accents and case ignored): code, address and the names found."""
    households: dict[str, dict[str, Any]] = {}
    for m in await find_attendees(ward_id, actor, q):
        found = households.setdefault(m["code"], {"code": m["code"], "address": m["address"], "names": []})
        found["names"].append(m["full_name"])
    return list(households.values())


async def enrol_walk_in(
    ward_id: int, session: dict[str, Any], attendance_id: int, data: WalkInEnrol, actor: Actor,
    client_addr: str = "",
) -> int:  # fmt: skip
    """Add walk-in `attendance_id` of class `session` to the household coded `data.household` (one of
    the actor's villages, not archived) as a new member; returns the member's id. LookupError: no such
    walk-in at this class."""
    villages = await reachable_villages(actor, ward_id)
    household = await Household.select(Household.id).where(
        (Household.code == data.household.strip()) & Household.archived.eq(False) & Household.village.is_in(villages)
    ).first() if villages else None  # fmt: skip
    if household is None:
        raise InvalidInput([FieldError("household", "unknown_household")])
    async with write_transaction():
        held = await households_changing([household["id"]])
        walk_in = await Attendance.select(Attendance.sex, Attendance.can_use).where(
            (Attendance.id == attendance_id) & (Attendance.session == session["id"]) & Attendance.member.is_null()
        ).first()  # fmt: skip
        if walk_in is None:
            raise LookupError(attendance_id)
        name, at = clean(data.full_name), now()
        inserted = await Member.insert(
            Member(household=household["id"], full_name=name, sort_key=name_sort_key(name),
                   birth_year=data.birth_year, sex=walk_in["sex"], created_at=at, updated_at=at)
        )  # fmt: skip
        member = {"id": int(inserted[0]["id"]), "household": household["id"]}
        await Attendance.update({Attendance.member: member["id"], Attendance.age_group: "", Attendance.sex: ""}).where(
            Attendance.id == attendance_id
        )  # fmt: skip
        can_use = walk_in["can_use"]
        taught = msgspec.json.decode(can_use) if isinstance(can_use, str) else list(can_use or [])
        await mark_learned(member, "ai" in taught, held)
        details = {"class": session["id"], "attendance": attendance_id, "member": member["id"]}
        await audit("class.walk_in_enrolled", "household", household["id"], actor.id, details, client_addr)
    return int(member["id"])
