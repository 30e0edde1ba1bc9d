"""What the class pages show a user: a ward's month of classes, one class with its attendees, and what
that user may do there (plan classes, record attendance)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from surveys import schemas
from surveys.core.clock import local_date, local_now, now
from surveys.learning.attendance import class_attendees, member_classes
from surveys.learning.classes import classes_of_month, ward_class
from surveys.learning.digital_team import ward_digital_team
from surveys.learning.topics import ward_topics
from surveys.people.access import allowed, visible_village_ids, writes_within
from surveys.people.accounts import Actor
from surveys.register.places import ward_villages
from surveys.survey.help import member_help

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True)
class MonthView:
    """A ward's classes of one month, by day, with the months before and after."""

    month: str
    year: int
    month_no: int
    previous: str
    next: str
    # (year, month) of the months before and after, for their names ("Tháng 10/2026").
    previous_ym: tuple[int, int]
    next_ym: tuple[int, int]
    days: list[tuple[Any, list[dict[str, Any]]]]
    topics: dict[str, str]
    can_plan: bool
    can_edit_topics: bool
    held: int


def month_of(value: str) -> tuple[int, int]:
    """The (year, month) of `2026-11`; this month when it does not read."""
    match = _MONTH.match(value or "")
    if match and 2000 <= int(match.group(1)) <= 2100 and 1 <= int(match.group(2)) <= 12:
        return int(match.group(1)), int(match.group(2))
    today = local_now()
    return today.year, today.month


def _label(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


async def month_view(actor: Actor, ward_id: int, month: str) -> MonthView:
    """The month `month` (`2026-11`; this month when it does not read) of the ward's classes."""
    year, month_no = month_of(month)
    classes = await classes_of_month(ward_id, year, month_no)
    days: dict[Any, list[dict[str, Any]]] = {}
    for c in classes:
        days.setdefault(local_date(c["starts_at"]), []).append(c)
    previous = (year - (month_no == 1), (month_no - 2) % 12 + 1)
    following = (year + (month_no == 12), month_no % 12 + 1)
    return MonthView(
        month=_label(year, month_no),
        year=year,
        month_no=month_no,
        previous=_label(*previous),
        next=_label(*following),
        previous_ym=previous,
        next_ym=following,
        days=sorted(days.items()),
        topics=await ward_topics(ward_id, offered_only=False),
        can_plan=await allowed(actor, "class.manage", ward_id=ward_id),
        can_edit_topics=await allowed(actor, "ward.manage", ward_id=ward_id),
        held=sum(1 for c in classes if c["starts_at"] <= now()),
    )


@dataclass(frozen=True)
class ClassView:
    """One class: its details, attendees as `actor` may see them, and what `actor` may do."""

    c: dict[str, Any]
    attendees: list[dict[str, Any]]
    topics: dict[str, str]
    can_plan: bool
    can_attend: bool
    held: bool
    # The class is today: its page shows the attendance forms even before it starts, so a copy kept
    # on the phone in the morning can record the afternoon's class without a signal.
    today: bool = False
    found: list[dict[str, Any]] = field(default_factory=list)


async def class_view(actor: Actor, ward_id: int, class_id: int) -> ClassView | None:
    """The class page's data, or None when the class is not the ward's."""
    c = await ward_class(ward_id, class_id)
    if c is None:
        return None
    return ClassView(
        c=c,
        attendees=await class_attendees(class_id, actor, ward_id),
        topics=await ward_topics(ward_id, offered_only=False),
        can_plan=await allowed(actor, "class.manage", ward_id=ward_id)
        and await writes_within(actor, c["village"]),
        can_attend=await allowed(actor, "class.attend", ward_id=ward_id),
        held=c["starts_at"] <= now(),
        today=local_date(c["starts_at"]) == local_date(now()),
    )


async def planner_villages(actor: Actor, ward_id: int) -> list[dict[str, Any]]:
    """The ward's villages `actor` may plan a class in (a village head: their own)."""
    visible = await visible_village_ids(actor)
    return [v for v in await ward_villages(ward_id) if v["id"] in visible]


@dataclass(frozen=True)
class MemberLearning:
    """What the household page shows of its members' learning: classes attended, help given."""

    classes_attended: dict[int, list[dict[str, Any]]]
    help_given: dict[int, list[dict[str, Any]]]
    topic_names: dict[str, str]


async def member_learning(h: schemas.Household) -> MemberLearning:
    """The classes each member of `h` attended and the help each was given."""
    ids = [m.id for m in h.members]
    attended = await member_classes(ids)
    wards = {c["ward"] for classes in attended.values() for c in classes}
    names: dict[str, str] = {}
    for ward in sorted(wards):
        names.update(await ward_topics(ward, offered_only=False))
    return MemberLearning(attended, await member_help(ids), names)


async def trainer_choices(ward_id: int, c: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """The team members a class's form offers as trainers: the ward's team, and the trainers of class
    `c` who have left the team since (still its trainers: unticking them is the editor's choice)."""
    team = await ward_digital_team(ward_id)
    offered = {t["id"] for t in team}
    gone = [
        {"id": t["id"], "name": t["name"], "village_name": None, "left": True}
        for t in (c or {}).get("team_trainers", [])
        if t["id"] not in offered
    ]
    return team + gone
