"""Community classes of a ward: planned by the ward office or a village head, listed by month, changed
with a version check (a concurrent change is a conflict, not an overwrite)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import msgspec

from surveys.core.audit import audit
from surveys.core.clock import now
from surveys.core.db import write_transaction
from surveys.core.settings import get_settings
from surveys.core.text import clean
from surveys.core.validation import FieldError, InvalidInput, Saved, StaleVersion, parse
from surveys.learning.schemas import ClassCreate, ClassOut, ClassUpdate, as_id
from surveys.learning.topics import ward_topics
from surveys.people.access import check_writes_within
from surveys.people.accounts import Actor
from surveys.tables import Attendance, ClassSession, ClassTrainer, TeamMember


class ClassConflict(StaleVersion):
    """The class changed since the editor read it."""


async def parse_class(
    raw: Any, cls: type[Any], ward_id: int, village_ids: set[int], class_id: int | None = None
) -> Any:
    """A class from a form or JSON, every bad field named at once: its schema, topics the ward offers,
    a village among `village_ids` (those the editor may plan for), trainers of the ward's team (for a
    change of class `class_id`, its trainers who have left the team since may stay), text cleaned."""
    errors: list[FieldError] = []
    if isinstance(raw, dict):
        offered = await ward_topics(ward_id)
        topics = raw.get("topics")
        if isinstance(topics, list) and any(isinstance(t, str) and t not in offered for t in topics):
            errors.append(FieldError("topics", "unknown_topic"))
        village = raw.get("village")
        if (village_id := as_id(village)) is not None and village_id not in village_ids:
            errors.append(FieldError("village", "invalid_choice"))
        errors += await _bad_trainers(raw.get("trainer_ids"), ward_id, class_id)
    data = parse(raw, cls, errors)
    return msgspec.structs.replace(
        data,
        place=clean(data.place),
        trainers=clean(data.trainers),
        topics=list(dict.fromkeys(data.topics)),
        trainer_ids=list(dict.fromkeys(data.trainer_ids)),
    )


async def _bad_trainers(ids: Any, ward_id: int, class_id: int | None) -> list[FieldError]:
    """A trainer must be an active member of the ward's digital team (an id of another ward's or an
    unknown one is refused, not dropped), or already a trainer of class `class_id`: who taught a class
    stays its trainer after leaving the team."""
    if not isinstance(ids, list) or not ids:
        return []
    # As the schema reads them (3.0 is 3): an id that the schema takes never escapes this check.
    read = [as_id(i) for i in ids]
    wanted = {i for i in read if i is not None}
    if None in read:
        return []  # not all numbers: the schema check names the field
    found = await TeamMember.select(TeamMember.id).where(
        TeamMember.id.is_in(list(wanted)) & (TeamMember.ward == ward_id) & TeamMember.active.eq(True)
    )
    kept = await _trainers_of([class_id]) if class_id is not None else {}
    allowed = {r["id"] for r in found} | {t["id"] for t in kept.get(class_id or 0, [])}
    return [] if wanted <= allowed else [FieldError("trainer_ids", "invalid_choice")]


async def _set_trainers(class_id: int, trainer_ids: list[int]) -> None:
    await ClassTrainer.delete().where(ClassTrainer.session == class_id)
    if trainer_ids:
        await ClassTrainer.insert(*(ClassTrainer(session=class_id, team_member=t) for t in trainer_ids))


async def _trainers_of(class_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """Each class's team trainers (id and name), by name."""
    found: dict[int, list[dict[str, Any]]] = {i: [] for i in class_ids}
    if class_ids:
        rows = await ClassTrainer.select(
            ClassTrainer.session, ClassTrainer.team_member.as_alias("id"),
            ClassTrainer.team_member._.name.as_alias("name"),
        ).where(ClassTrainer.session.is_in(class_ids)).order_by(ClassTrainer.team_member._.name)  # fmt: skip
        for r in rows:
            found[r["session"]].append({"id": r["id"], "name": r["name"]})
    return found


async def create_class(ward_id: int, data: ClassCreate, user_id: int, client_addr: str = "") -> Saved:
    """Plan a class; a `client_id` seen before returns that class (a retried submission)."""
    async with write_transaction():
        existing = (
            await ClassSession.select(ClassSession.id, ClassSession.ward)
            .where(ClassSession.client_id == data.client_id)
            .first()
        )
        if existing is not None:
            if existing["ward"] != ward_id:
                raise InvalidInput([FieldError("client_id", "already_used")])
            return Saved(int(existing["id"]), created=False)
        inserted = await ClassSession.insert(
            ClassSession(
                ward=ward_id,
                village=data.village,
                starts_at=data.starts_at,
                place=data.place,
                topics=data.topics,
                audience=data.audience,
                trainers=data.trainers,
                client_id=data.client_id,
                created_by=user_id,
            )
        )
        class_id = int(inserted[0]["id"])
        await _set_trainers(class_id, data.trainer_ids)
        details = {"starts_at": data.starts_at.isoformat(), "topics": data.topics, "audience": data.audience}
        await audit("class.created", "class", class_id, user_id, details, client_addr)
    return Saved(class_id, created=True)


async def update_class(
    ward_id: int, class_id: int, data: ClassUpdate, actor: Actor, client_addr: str = ""
) -> None:
    """Change a class. A class with attendance has been held: it cannot move into the future. A class of
    a village the actor may not write to, or moved to one, is OutOfArea (a village head's other villages)."""
    async with write_transaction():
        standing = (
            await ClassSession.select(ClassSession.village)
            .where((ClassSession.id == class_id) & (ClassSession.ward == ward_id))
            .first()
        )
        if standing is None:
            raise LookupError(class_id)
        await check_writes_within(actor, standing["village"], data.village)
        attended = await Attendance.exists().where(Attendance.session == class_id)
        if attended and data.starts_at > now():
            raise InvalidInput([FieldError("starts_at", "held_in_future")])
        updated = (
            await ClassSession.update(
                {
                    ClassSession.starts_at: data.starts_at,
                    ClassSession.village: data.village,
                    ClassSession.place: data.place,
                    ClassSession.topics: data.topics,
                    ClassSession.audience: data.audience,
                    ClassSession.trainers: data.trainers,
                    ClassSession.version: ClassSession.version + 1,
                    ClassSession.updated_at: now(),
                }
            )
            .where(
                (ClassSession.id == class_id)
                & (ClassSession.ward == ward_id)
                & (ClassSession.version == data.version)
            )
            .returning(ClassSession.id)
        )
        if not updated:
            current = await ward_class(ward_id, class_id)
            if current is None:
                raise LookupError(class_id)
            raise ClassConflict(current)
        await _set_trainers(class_id, data.trainer_ids)
        await audit("class.updated", "class", class_id, actor.id, {"version": data.version + 1}, client_addr)


def _row(r: dict[str, Any]) -> dict[str, Any]:
    topics = r["topics"]
    return {**r, "topics": msgspec.json.decode(topics) if isinstance(topics, str) else list(topics)}


_COLUMNS = (
    ClassSession.id,
    ClassSession.ward,
    ClassSession.village,
    ClassSession.village._.name.as_alias("village_name"),
    ClassSession.starts_at,
    ClassSession.place,
    ClassSession.topics,
    ClassSession.audience,
    ClassSession.trainers,
    ClassSession.version,
)


async def ward_class(ward_id: int, class_id: int) -> dict[str, Any] | None:
    """A class of the ward (None when it is another ward's or none), with its attendance counts."""
    row = (
        await ClassSession.select(*_COLUMNS)
        .where((ClassSession.id == class_id) & (ClassSession.ward == ward_id))
        .first()
    )
    if row is None:
        return None
    counts = await _counts([class_id])
    trainers = await _trainers_of([class_id])
    return {**_row(row), **counts[class_id], "team_trainers": trainers[class_id]}


async def _counts(class_ids: list[int]) -> dict[int, dict[str, int]]:
    counts: dict[int, dict[str, int]] = {i: {"attendees": 0, "walk_ins": 0} for i in class_ids}
    if not class_ids:
        return counts
    rows = await Attendance.select(Attendance.session, Attendance.member).where(
        Attendance.session.is_in(class_ids)
    )
    for r in rows:
        counts[r["session"]]["attendees"] += 1
        counts[r["session"]]["walk_ins"] += r["member"] is None
    return counts


def month_bounds(year: int, month: int) -> tuple[datetime, datetime]:
    """The first instant of the month and of the next, in phocap's time zone."""
    tz = ZoneInfo(get_settings().timezone)
    start = datetime(year, month, 1, tzinfo=tz)
    return start, datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=tz)


async def classes_of_month(ward_id: int, year: int, month: int) -> list[dict[str, Any]]:
    """The ward's classes of one month, in order of time, each with its attendance counts."""
    start, end = month_bounds(year, month)
    rows = (
        await ClassSession.select(*_COLUMNS)
        .where(
            (ClassSession.ward == ward_id)
            & (ClassSession.starts_at >= start)
            & (ClassSession.starts_at < end)
        )
        .order_by(ClassSession.starts_at)
    )
    counts = await _counts([r["id"] for r in rows])
    trainers = await _trainers_of([r["id"] for r in rows])
    return [{**_row(r), **counts[r["id"]], "team_trainers": trainers[r["id"]]} for r in rows]


def class_out(ward_code: str, c: dict[str, Any]) -> ClassOut:
    """A class for the API."""
    return ClassOut(
        id=c["id"],
        ward_code=ward_code,
        village_id=c["village"],
        starts_at=c["starts_at"],
        place=c["place"],
        topics=c["topics"],
        audience=c["audience"],
        trainer_ids=[t["id"] for t in c["team_trainers"]],
        trainers=c["trainers"],
        version=c["version"],
        attendees=c["attendees"],
        walk_ins=c["walk_ins"],
    )


def new_client_id() -> str:
    """A fresh submission id for a form drawn now."""
    return str(uuid.uuid4())


def class_payload(form: Mapping[str, Any]) -> dict[str, Any]:
    """A class form as posted (date and time in phocap's time zone, ticked topics) as the API's payload;
    a date or time that does not read stays as typed, so the schema check names it."""
    topics = form.get("topics", [])
    village = str(form.get("village", "")).strip()
    payload: dict[str, Any] = {
        "starts_at": _local_instant(str(form.get("date", "")), str(form.get("time", ""))),
        "village": int(village) if village.isdigit() else village or None,
        "place": str(form.get("place", "")),
        "topics": topics if isinstance(topics, list) else [topics],
        "audience": str(form.get("audience", "")) or "everyone",
        "trainer_ids": [int(t) if str(t).isdigit() else str(t) for t in _ticked(form, "trainer_ids")],
        "trainers": str(form.get("trainers", "")),
    }
    for key in ("client_id", "version"):
        if form.get(key):
            payload[key] = str(form[key])
    return payload


def _ticked(form: Mapping[str, Any], name: str) -> list[Any]:
    value = form.get(name, [])
    return value if isinstance(value, list) else [value]


def _local_instant(day: str, time: str) -> str:
    try:
        local = datetime.fromisoformat(f"{day.strip()}T{time.strip() or '00:00'}")
    except ValueError:
        return f"{day} {time}".strip()
    return local.replace(tzinfo=ZoneInfo(get_settings().timezone)).isoformat()


def class_form_values(c: dict[str, Any] | None) -> dict[str, Any]:
    """A class's values as its form shows them (a new class: today at 8:00 in the ward's hall)."""
    tz = ZoneInfo(get_settings().timezone)
    starts = c["starts_at"].astimezone(tz) if c else now().astimezone(tz).replace(hour=8, minute=0)
    return {
        "client_id": new_client_id(),
        "version": str(c["version"]) if c else "",
        "date": starts.date().isoformat(),
        "time": starts.strftime("%H:%M"),
        "village": str(c["village"] or "") if c else "",
        "place": c["place"] if c else "",
        "topics": list(c["topics"]) if c else [],
        "audience": c["audience"] if c else "everyone",
        "trainer_ids": [str(t["id"]) for t in c["team_trainers"]] if c else [],
        "trainers": c["trainers"] if c else "",
    }


def form_values(form: Mapping[str, Any]) -> dict[str, Any]:
    """A posted class form's values, to show it again as typed."""
    topics = form.get("topics", [])
    return {
        **{k: str(form.get(k, "")) for k in ("client_id", "version", "date", "time", "village", "place")},
        "topics": topics if isinstance(topics, list) else [topics],
        "audience": str(form.get("audience", "everyone")),
        "trainer_ids": [str(t) for t in _ticked(form, "trainer_ids")],
        "trainers": str(form.get("trainers", "")),
    }
