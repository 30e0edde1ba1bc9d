"""Attendance at a class, recorded on a phone one person at a time: a member of the register (found with
the register's accent-insensitive search) or a walk-in counted by age group and sex. Attending marks the
member's "took part in learning" criterion, which feeds the digital-family rule (surveys/survey/criteria.py).
An attendance sent later from the phone carries when it was saved (`saved_at`, `surveys.core.work_time`):
that is its time (`at`), and `received_at` its arrival.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec

from surveys.core.audit import audit
from surveys.core.changes import Before, households_changed, households_changing
from surveys.core.clock import now
from surveys.core.db import write_transaction
from surveys.core.rows import newest_per_member
from surveys.core.text import fold
from surveys.core.validation import FieldError, InvalidInput, ReusedClientId, parse
from surveys.core.work_time import saved_at_errors, time_made
from surveys.learning.learned import unmark_learned
from surveys.learning.schemas import AttendanceCreate, AttendeeOut
from surveys.people.access import check_writes_within, visible_village_ids
from surveys.people.accounts import Actor
from surveys.register.places import ward_village_ids
from surveys.register.search_matches import search_words
from surveys.tables import Attendance, Household, Member

# At most this many households answer one attendee search: a name typed on a phone, not a list.
SEARCH_LIMIT = 20


@dataclass(frozen=True)
class AttendanceResult:
    """The attendance's id, and whether this call recorded it (False for a replayed `client_id`)."""

    id: int
    created: bool


async def reachable_villages(actor: Actor, ward_id: int) -> list[int]:
    """The villages of the ward whose register entries `actor` may see."""
    return sorted(set(await ward_village_ids(ward_id)) & await visible_village_ids(actor))


def _class_errors(session: dict[str, Any], can_use: Any, at: Any = None) -> list[FieldError]:
    """The class's rules for an attendance saved `at` (None: now)."""
    errors: list[FieldError] = []
    if session["starts_at"] > (at or now()):
        errors.append(FieldError("class", "not_held_yet"))
    if isinstance(can_use, list) and any(t not in session["topics"] for t in can_use):
        errors.append(FieldError("can_use", "unknown_topic"))
    return errors


def parse_attendance(raw: Any, session: dict[str, Any] | None = None) -> AttendanceCreate:
    """An attendance from a form or JSON, every bad field named at once: a walk-in needs an age group;
    with `session`, the class must have begun and have taught each topic ticked."""
    errors: list[FieldError] = []
    if isinstance(raw, dict):
        if raw.get("member") in (None, "") and not raw.get("age_group"):
            errors.append(FieldError("age_group", "required"))
        if session is not None:
            errors += _class_errors(session, raw.get("can_use"))
    return parse(raw, AttendanceCreate, errors)


async def record_attendance(
    ward_id: int, session: dict[str, Any], data: AttendanceCreate, actor: Actor, client_addr: str = ""
) -> AttendanceResult:
    """Record one person at class `session` (a class of the ward, access to the ward checked). Refused:
    a class not yet begun, a member the actor may not see (or of another ward), a member already there,
    a topic the class did not teach."""
    received_at = now()
    at = time_made(data.saved_at, received_at)
    # A time not believed is the reason to give (checked once the attendance is known to be new).
    late = saved_at_errors(data.saved_at, received_at)
    errors = [] if late else _class_errors(session, data.can_use, at)
    member = None
    if data.member is not None:
        member = await Member.select(Member.id, Member.household, Member.household._.village.as_alias("village")).where(
            (Member.id == data.member) & Member.removed.eq(False) & Member.household._.archived.eq(False)
        ).first()  # fmt: skip
        if member is None or member["village"] not in await reachable_villages(actor, ward_id):
            errors.append(FieldError("member", "unknown_member"))
    if errors:
        raise InvalidInput(errors)
    async with write_transaction():
        held = await households_changing([member["household"]]) if member is not None else None
        existing = (
            await Attendance.select(
                Attendance.id, Attendance.session, Attendance.member, Attendance.age_group,
                Attendance.sex, Attendance.can_use,
            ).where(Attendance.client_id == data.client_id).first()
        )  # fmt: skip
        if existing is not None:
            if existing["session"] != session["id"]:
                raise InvalidInput([FieldError("client_id", "already_used")])
            if _body(existing) != _body(_as_row(data, member is not None)):
                raise ReusedClientId(data.client_id)
            return AttendanceResult(int(existing["id"]), created=False)
        if late:
            raise InvalidInput(late)
        if member is not None and await Attendance.exists().where(
            (Attendance.session == session["id"]) & (Attendance.member == member["id"])
        ):
            raise InvalidInput([FieldError("member", "already_attending")])
        inserted = await Attendance.insert(
            Attendance(
                session=session["id"],
                member=data.member,
                age_group="" if member else data.age_group,
                sex="" if member else data.sex,
                can_use=data.can_use,
                client_id=data.client_id,
                recorded_by=actor.id,
                at=at,
                received_at=received_at,
            )
        )
        if member is not None:
            await mark_learned(member, "ai" in data.can_use, held)
        attendance_id = int(inserted[0]["id"])
        details = {"class": session["id"], "walk_in": member is None, "can_use": data.can_use}
        await audit("class.attended", "class", session["id"], actor.id, details, client_addr)
    return AttendanceResult(attendance_id, created=True)


def _as_row(data: AttendanceCreate, of_register: bool) -> dict[str, Any]:
    """What recording `data` writes, as a row of the table reads."""
    walk_in = {"age_group": "", "sex": ""} if of_register else {"age_group": data.age_group, "sex": data.sex}
    return {"member": data.member, "can_use": data.can_use, **walk_in}


def _body(row: dict[str, Any]) -> tuple[Any, ...]:
    """An attendance's answers, to tell a retry (the same) from another submission under its id."""
    can_use = row["can_use"]
    topics = msgspec.json.decode(can_use) if isinstance(can_use, str) else list(can_use)
    return (row["member"], row["age_group"], row["sex"], topics)


async def mark_learned(member: dict[str, Any], uses_ai: bool, held: Before | None) -> None:
    """The member took part in learning (and, when the class taught it, can use an AI tool). The
    household's version moves on when that changed, so a visit form drawn before says "changed
    meanwhile" instead of putting the old answer back. `held`: what `households_changing` returned for
    the member's household at the start of this transaction."""
    values: dict[Any, Any] = {Member.skill_learned: True}
    changed: Any = Member.skill_learned.eq(False)
    if uses_ai:
        values[Member.uses_ai] = "yes"
        changed = changed | (Member.uses_ai != "yes")
    updated = (
        await Member.update({**values, Member.updated_at: now()})
        .where((Member.id == member["id"]) & changed)
        .returning(Member.id)
    )
    if updated:
        await Household.update({Household.version: Household.version + 1, Household.updated_at: now()}).where(
            Household.id == member["household"]
        )
        # Learning feeds the digital-family rule: the village's daily counts move with it.
        await households_changed([member["household"]], before=held)


async def remove_attendance(
    session: dict[str, Any], attendance_id: int, actor: Actor, client_addr: str = ""
) -> None:
    """Take back an attendance recorded by mistake: a member's by those who may write to their village, a
    walk-in's by those who may write to the class's (OutOfArea otherwise). The member's "took part in
    learning" is derived again from what remains (`unmark_learned`)."""
    found = await _attendance(session, attendance_id)
    if found is None:
        raise LookupError(attendance_id)
    is_member = found["id"] is not None
    await check_writes_within(actor, found["village"] if is_member else session["village"])
    member = found if is_member else None
    async with write_transaction():
        held = await households_changing([member["household"]]) if member is not None else None
        deleted = (
            await Attendance.delete()
            .where((Attendance.id == attendance_id) & (Attendance.session == session["id"]))
            .returning(Attendance.id)
        )
        if not deleted:
            raise LookupError(attendance_id)
        if member is not None:
            await unmark_learned(member, held)
        await audit(
            "class.attendance_removed",
            "class",
            session["id"],
            actor.id,
            {"attendance": attendance_id},
            client_addr,
        )


async def _attendance(session: dict[str, Any], attendance_id: int) -> dict[str, Any] | None:
    """The class's attendance: its register member (`id`, None for a walk-in), the member's household and
    village; None when the class has no such row."""
    return await (
        Attendance.select(
            Attendance.member.as_alias("id"),
            Attendance.member._.household.as_alias("household"),
            Attendance.member._.household._.village.as_alias("village"),
        )
        .where((Attendance.id == attendance_id) & (Attendance.session == session["id"]))
        .first()
    )


async def class_attendees(session_id: int, actor: Actor, ward_id: int) -> list[dict[str, Any]]:
    """The class's attendees in the order recorded: a member's name only when `actor` may see their
    village (`name` None otherwise), a walk-in's age group and sex."""
    villages = set(await reachable_villages(actor, ward_id))
    rows = (
        await Attendance.select(
            Attendance.id,
            Attendance.member,
            Attendance.age_group,
            Attendance.sex,
            Attendance.can_use,
            Attendance.member._.full_name.as_alias("full_name"),
            Attendance.member._.birth_year.as_alias("birth_year"),
            Attendance.member._.household._.village.as_alias("village"),
            Attendance.member._.household._.code.as_alias("household_code"),
        )
        .where(Attendance.session == session_id)
        .order_by(Attendance.id)
    )
    out = []
    for r in rows:
        seen = r["member"] is not None and r["village"] in villages
        can_use = r["can_use"]
        out.append(
            {
                "id": r["id"],
                "member": r["member"],
                "walk_in": r["member"] is None,
                "name": r["full_name"] if seen else None,
                "birth_year": r["birth_year"] if seen else None,
                "household_code": r["household_code"] if seen else None,
                "age_group": r["age_group"],
                "sex": r["sex"],
                "can_use": msgspec.json.decode(can_use) if isinstance(can_use, str) else list(can_use),
            }
        )
    return out


def attendee_out(a: dict[str, Any]) -> AttendeeOut:
    """An attendance for the API."""
    return AttendeeOut(
        id=a["id"],
        walk_in=a["walk_in"],
        member=a["member"] if a["name"] is not None else None,
        age_group=a["age_group"],
        sex=a["sex"],
        can_use=a["can_use"],
    )


async def find_attendees(
    ward_id: int, actor: Actor, q: str, session_id: int | None = None
) -> list[dict[str, Any]]:
    """Members the actor may see matching `q` as the register's search does (accents and case ignored):
    those whose name holds every word, or every member of a household found by its code or address; at
    most SEARCH_LIMIT, each saying whether they already attend class `session_id`."""
    words = search_words(q)
    villages = await reachable_villages(actor, ward_id)
    if not words or not villages:
        return []
    where = Household.village.is_in(villages) & Household.archived.eq(False)
    for w in words:
        where &= Household.search_key.like(f"%{w}%")
    households = (
        await Household.select(Household.id, Household.code, Household.address)
        .where(where)
        .order_by(Household.sort_key)
        .limit(SEARCH_LIMIT)
    )
    if not households:
        return []
    members = (
        await _attendee_rows()
        .where(Member.household.is_in([h["id"] for h in households]) & Member.removed.eq(False))
        .order_by(Member.sort_key)
    )
    attending = await _attending(session_id) if session_id is not None else set()
    found = [
        {**m, "matches": all(w in fold(m["full_name"]) for w in words), "attending": m["id"] in attending}
        for m in members
    ]
    # A name typed finds that person; a household's code or address typed finds all its members.
    by_place = {h["id"] for h in households if all(w in fold(f"{h['code']} {h['address']}") for w in words)}
    return [m for m in found if m["matches"] or m["household"] in by_place][:SEARCH_LIMIT]


def _attendee_rows() -> Any:
    """Members as the attendee search and the phone's roster show them: name, birth year, household."""
    return Member.select(
        Member.id,
        Member.full_name,
        Member.birth_year,
        Member.household,
        Member.household._.code.as_alias("code"),
        Member.household._.address.as_alias("address"),
    )


async def _attending(session_id: int) -> set[int]:
    """The register members already on the class's attendance."""
    rows = await Attendance.select(Attendance.member).where(
        (Attendance.session == session_id) & Attendance.member.is_not_null()
    )
    return {int(r["member"]) for r in rows}


async def class_roster(
    ward_id: int, actor: Actor, session_id: int, village_id: int | None = None
) -> list[dict[str, Any]]:
    """Every member `actor` may see in the ward (or in `village_id` only), for the phone to search without
    a signal: as `find_attendees` gives them, with `name_key` and `place_key`, the folded words a search
    matches (the name; the household's code and address)."""
    villages = await reachable_villages(actor, ward_id)
    if village_id is not None:
        villages = [v for v in villages if v == village_id]
    if not villages:
        return []
    members = (
        await _attendee_rows()
        .where(
            Member.household._.village.is_in(villages)
            & Member.household._.archived.eq(False)
            & Member.removed.eq(False)
        )
        .order_by(Member.sort_key)
    )
    attending = await _attending(session_id)
    return [
        {
            **m,
            "attending": m["id"] in attending,
            "name_key": fold(m["full_name"]),
            "place_key": fold(f"{m['code']} {m['address']}"),
        }
        for m in members
    ]


async def member_classes(member_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """For each member, the classes they attended (newest first): when, and its topics."""
    query = Attendance.select(
        Attendance.member,
        Attendance.session._.starts_at.as_alias("starts_at"),
        Attendance.session._.topics.as_alias("topics"),
        Attendance.session._.ward.as_alias("ward"),
    )
    return await newest_per_member(
        member_ids, query, Attendance.member, Attendance.session._.starts_at, _attended
    )


def _attended(r: dict[str, Any]) -> dict[str, Any]:
    topics = r["topics"]
    topics = msgspec.json.decode(topics) if isinstance(topics, str) else list(topics)
    return {"starts_at": r["starts_at"], "topics": topics, "ward": r["ward"]}
