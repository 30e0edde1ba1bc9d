"""The shapes of classes, attendance and the community digital team, for the pages' forms and the JSON API
(help given has its own in surveys/survey/schemas.py)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import Meta, Struct, field

from surveys.schemas import Id, SavedAt, Sex

Audience = Literal["everyone", "elderly", "disabilities", "workers", "team"]
AgeGroup = Literal["under_16", "16_59", "60_plus"]
TopicKey = Annotated[str, Meta(min_length=1, max_length=30)]
Place = Annotated[str, Meta(max_length=200)]
Trainers = Annotated[str, Meta(max_length=300)]


# When a class starts, as the API takes it: with its UTC offset, never guessed (surveys.core.validation
# also bounds its day to 2000-01-01 … 2100-12-31).
StartsAt = Annotated[
    datetime,
    Meta(
        tz=True,
        description="The moment the class starts, with its UTC offset (2026-07-01T08:00:00+07:00 for 8:00 "
        "in Vietnam); a time without an offset is refused, as is a day before 2000-01-01 or after "
        "2100-12-31 (422).",
    ),
]


def as_id(value: object) -> int | None:
    """A record id as the schemas read it from JSON or a form (3.0 and "3" are 3), or None when it is
    none: a rule that checks an id before the schema must see what the schema will then take."""
    try:
        return msgspec.convert(value, Id, strict=False)
    except msgspec.ValidationError:
        return None


class ClassCreate(Struct, kw_only=True):
    """A class as the ward office or a village head plans it; `village` None: the ward's hall."""

    client_id: uuid.UUID
    starts_at: StartsAt
    village: Id | None = None
    place: Place = ""
    topics: Annotated[list[TopicKey], Meta(min_length=1, max_length=12)]
    audience: Audience = "everyone"
    # Team members of the ward who teach it; `trainers`: others, as typed.
    trainer_ids: Annotated[list[Id], Meta(max_length=12)] = field(default_factory=list)
    trainers: Trainers = ""


class ClassUpdate(Struct, kw_only=True):
    """A change to a class; `version` is the one the editor saw (a concurrent change is a conflict)."""

    version: Id
    starts_at: StartsAt
    village: Id | None = None
    place: Place = ""
    topics: Annotated[list[TopicKey], Meta(min_length=1, max_length=12)]
    audience: Audience = "everyone"
    # Team members of the ward who teach it; `trainers`: others, as typed.
    trainer_ids: Annotated[list[Id], Meta(max_length=12)] = field(default_factory=list)
    trainers: Trainers = ""


class AttendanceCreate(Struct, kw_only=True):
    """One person at a class: a member of the register (`member`), or a walk-in (age group and sex)."""

    client_id: uuid.UUID
    member: Id | None = None
    age_group: AgeGroup | Literal[""] = ""
    sex: Sex = ""
    can_use: Annotated[list[TopicKey], Meta(max_length=12)] = field(default_factory=list)
    # When it was saved, for an attendance sent later from the phone; None: now.
    saved_at: SavedAt | None = None


class ClassOut(Struct):
    """A class as the API gives it."""

    id: int
    ward_code: str
    village_id: int | None
    starts_at: datetime
    place: str
    topics: list[str]
    audience: str
    trainer_ids: list[int]
    trainers: str
    version: int
    attendees: int
    walk_ins: int


class AttendeeOut(Struct):
    """One attendance as the API gives it: a walk-in, or a member (`member` None when the caller may not
    see the member's village)."""

    id: int
    walk_in: bool
    member: int | None
    age_group: str
    sex: str
    can_use: list[str]


TeamRole = Literal[
    "team_leader", "member", "ambassador", "youth_union", "womens_union", "police", "teacher_student"
]


# A Vietnamese phone number: 0 and 9 or 10 digits (mobile, landline with its area code), or +84 for the
# 0; spaces and dots between digits as people write them.
Phone = Annotated[str, Meta(max_length=20, pattern=r"^$|^(\+84|0)([ .]?[0-9]){9,10}$")]


class TeamMemberCreate(Struct, kw_only=True):
    """A member of the community digital team; `member` is their own register entry, if any. The API
    sends a `client_id` (a retried create returns the first result); a form may leave it out."""

    name: Annotated[str, Meta(min_length=1, max_length=100)]
    phone: Phone = ""
    role: TeamRole = "member"
    village: Id | None = None
    user: Id | None = None
    member: Id | None = None
    client_id: uuid.UUID | None = None


class TeamMemberNew(TeamMemberCreate, kw_only=True):
    """A team member as the API creates it: its `client_id` is required, as a visit's is."""

    client_id: uuid.UUID


class TeamMemberUpdate(Struct, kw_only=True):
    """A change to a team member; `version` is the one the editor saw (a concurrent change is a
    conflict)."""

    version: Id
    name: Annotated[str, Meta(min_length=1, max_length=100)]
    phone: Phone = ""
    role: TeamRole = "member"
    village: Id | None = None
    user: Id | None = None
    member: Id | None = None


class TeamActive(Struct, kw_only=True):
    """In the team (True) or left it (False)."""

    active: bool


class LearnerAssign(Struct, kw_only=True):
    """A learner of the register to pair with a mentor."""

    learner: Id


class TeamMemberOut(Struct):
    """A team member as the API gives it; `phone` is empty for callers who do not keep the team."""

    id: int
    ward_code: str
    village_id: int | None
    name: str
    phone: str
    role: str
    user_id: int | None
    member_id: int | None
    active: bool
    version: int
    learners: int
    trainings: int


class TeamMemberConflict(Struct):
    """The 409 answer to a stale team member update (RFC 9457): `current` is the member as it is now."""

    type: str
    title: str
    status: int
    current: TeamMemberOut
