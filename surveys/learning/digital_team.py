"""The community digital team of a ward (issue 14 item 3) and its mentors' learners (item 4): each Đại sứ
số is assigned learners from the register; the ward sees mentors with fewer than MIN_LEARNERS learners
and the priority groups' learners without a mentor (60+, poor households, elderly living alone)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

import msgspec
from piccolo.custom_types import Combinable

from surveys.core.audit import audit
from surveys.core.clock import this_year
from surveys.core.db import write_transaction
from surveys.core.text import clean
from surveys.core.validation import FieldError, InvalidInput, parse
from surveys.learning.attendance import reachable_villages
from surveys.learning.schemas import TeamMemberCreate, TeamMemberNew, TeamMemberUpdate, as_id
from surveys.learning.words import MIN_LEARNERS
from surveys.people.accounts import Actor
from surveys.tables import Attendance, Member, Mentorship, TeamMember, User, Village

S = TypeVar("S", TeamMemberCreate, TeamMemberNew, TeamMemberUpdate)


async def parse_team_member(raw: Any, ward_id: int, cls: type[S] = TeamMemberCreate) -> S:  # type: ignore[assignment]
    """A team member (`cls`: TeamMemberCreate, TeamMemberNew or TeamMemberUpdate) from a form or JSON:
    a village, account and register entry of the ward, its name cleaned."""
    errors: list[FieldError] = []
    if isinstance(raw, dict):
        typed = raw.get("name")
        if isinstance(typed, str) and typed and not clean(typed):
            errors.append(FieldError("name", "required"))
        errors += await _not_of_ward(raw, ward_id)
    data = parse(raw, cls, errors)
    return msgspec.structs.replace(data, name=clean(data.name), phone=data.phone.strip())


async def _not_of_ward(raw: dict[str, Any], ward_id: int) -> list[FieldError]:
    """The village, account and register entry must be of the ward: each one that is not, named."""
    errors: list[FieldError] = []
    village, user, member = (as_id(raw.get(k)) for k in ("village", "user", "member"))
    if village and not await Village.exists().where((Village.id == village) & (Village.ward == ward_id)):
        errors.append(FieldError("village", "invalid_choice"))
    if user and not await User.exists().where((User.id == user) & (User.ward == ward_id)):
        errors.append(FieldError("user", "invalid_choice"))
    if member and not await _of_ward(member, ward_id):
        errors.append(FieldError("member", "unknown_member"))
    return errors


async def _of_ward(member_id: int, ward_id: int) -> bool:
    return bool(
        await Member.exists().where(
            (Member.id == member_id)
            & Member.removed.eq(False)
            & (Member.household._.village._.ward == ward_id)
        )
    )


async def add_team_member(ward_id: int, data: TeamMemberCreate, user_id: int, client_addr: str = "") -> int:
    """Add a member to the ward's team; returns their id."""
    async with write_transaction():
        inserted = await TeamMember.insert(
            TeamMember(ward=ward_id, village=data.village, name=data.name, phone=data.phone.strip(),
                       role=data.role, user=data.user, member=data.member, client_id=data.client_id)
        )  # fmt: skip
        team_id = int(inserted[0]["id"])
        await audit("team.member_added", "team_member", team_id, user_id, {"role": data.role}, client_addr)
    return team_id


async def ward_digital_team(
    ward_id: int, *, left: bool = False, as_of: datetime | None = None
) -> list[dict[str, Any]]:
    """The ward's team by village (the ward's own first), each with their number of learners and of
    team trainings attended (classes for the community digital team). `left`: those who left the team
    instead (kept in history, out of pickers and counts). `as_of`: the team as it stood then (joined before
    then, not left before), with the learners paired and the trainings held by then (a period's report)."""
    who: Combinable
    if as_of is None:
        who = TeamMember.active.eq(not left)
    else:
        who = (TeamMember.created_at < as_of) & (TeamMember.active.eq(True) | (TeamMember.left_at >= as_of))
    rows = await TeamMember.select(
        TeamMember.id, TeamMember.name, TeamMember.phone, TeamMember.role, TeamMember.village,
        TeamMember.village._.name.as_alias("village_name"), TeamMember.member, TeamMember.user,
        TeamMember.active, TeamMember.version,
    ).where((TeamMember.ward == ward_id) & who).order_by(TeamMember.name)  # fmt: skip
    learners = await _learner_counts([r["id"] for r in rows], as_of)
    trained = await _trainings([r["member"] for r in rows if r["member"]], as_of)
    return [
        {**r, "learners": learners.get(r["id"], 0), "trainings": len(trained.get(r["member"], []))}
        for r in sorted(rows, key=lambda r: (r["village_name"] or "", r["name"]))
    ]


def pairs(as_of: datetime | None = None) -> Combinable:
    """The mentorships standing now (not ended), or as they stood at `as_of` (made before it, not ended
    before it): an ended one is kept for the periods it covered."""
    if as_of is None:
        return Mentorship.ended_at.is_null()
    return (Mentorship.created_at < as_of) & (Mentorship.ended_at.is_null() | (Mentorship.ended_at >= as_of))


async def _learner_counts(team_ids: list[int], as_of: datetime | None = None) -> dict[int, int]:
    counts: dict[int, int] = {}
    if team_ids:
        for r in await Mentorship.select(Mentorship.mentor).where(
            Mentorship.mentor.is_in(team_ids) & pairs(as_of)
        ):
            counts[r["mentor"]] = counts.get(r["mentor"], 0) + 1
    return counts


async def _trainings(member_ids: list[int], as_of: datetime | None = None) -> dict[int, list[dict[str, Any]]]:
    """Team-audience classes each register member attended (held by `as_of`, when given)."""
    out: dict[int, list[dict[str, Any]]] = {}
    if member_ids:
        attended: Combinable = Attendance.member.is_in(member_ids) & (Attendance.session._.audience == "team")
        if as_of is not None:
            attended &= Attendance.session._.starts_at < as_of
        rows = await Attendance.select(
            Attendance.member, Attendance.session._.starts_at.as_alias("starts_at")
        ).where(attended)
        for r in rows:
            out.setdefault(r["member"], []).append(r)
    return out


async def team_member_of_ward(ward_id: int, team_id: int, reader: Actor) -> dict[str, Any] | None:
    """One team member of the ward, with their trainings and their learners (each with their skills) as
    `reader` may see them: a learner of a village the reader cannot see is only counted
    (`learners_elsewhere`), never named, as a class's attendee list does."""
    row = await TeamMember.select().where((TeamMember.id == team_id) & (TeamMember.ward == ward_id)).first()
    if row is None:
        return None
    learners = await Member.select(
        Member.id, Member.full_name, Member.birth_year, Member.skill_learned, Member.skill_understands,
        Member.skill_uses_services, Member.skill_guides_others, Member.household._.code.as_alias("code"),
        Member.household._.village.as_alias("village"),
    ).where(Member.id.is_in(Mentorship.select(Mentorship.learner).where((Mentorship.mentor == team_id) & pairs())))  # fmt: skip
    trainings = (await _trainings([row["member"]])).get(row["member"], []) if row["member"] else []
    villages = set(await reachable_villages(reader, ward_id))
    seen = sorted((m for m in learners if m["village"] in villages), key=lambda m: m["full_name"])
    return {**row, "learners": seen, "learners_elsewhere": len(learners) - len(seen), "trainings": trainings}


async def assign_learner(
    ward_id: int, team_id: int, learner_id: int, user_id: int, client_addr: str = ""
) -> None:
    """Pair a learner of the ward's register with a mentor. Refused: a mentor as their own learner, a
    learner who already has a mentor, a learner of another ward, a mentor who left the team."""
    mentor = (
        await TeamMember.select(TeamMember.member, TeamMember.active)
        .where((TeamMember.id == team_id) & (TeamMember.ward == ward_id))
        .first()
    )
    if mentor is None:
        raise LookupError(team_id)
    errors: list[FieldError] = []
    if not mentor["active"]:
        errors.append(FieldError("learner", "left_team"))
    elif mentor["member"] == learner_id:
        errors.append(FieldError("learner", "own_learner"))
    elif not await _of_ward(learner_id, ward_id):
        errors.append(FieldError("learner", "unknown_member"))
    if errors:
        raise InvalidInput(errors)
    has_mentor = InvalidInput([FieldError("learner", "has_mentor")])
    standing = (Mentorship.learner == learner_id) & pairs()
    try:
        async with write_transaction():
            if await Mentorship.exists().where(standing):
                raise has_mentor
            await Mentorship.insert(Mentorship(mentor=team_id, learner=learner_id))
            await audit(
                "team.learner_assigned", "team_member", team_id, user_id, {"learner": learner_id}, client_addr
            )
    except InvalidInput:
        raise
    except Exception:
        # Two pairings of the learner at once (a double tap; PostgreSQL runs them side by side): the
        # index on the standing pairs refused the second, which is then what it would have been alone.
        if await Mentorship.exists().where(standing):
            raise has_mentor from None
        raise


async def mentoring_gaps(ward_id: int, as_of: datetime | None = None) -> dict[str, Any]:
    """What the ward office watches: ambassadors with fewer than MIN_LEARNERS learners, and how many
    members of the priority groups (60+, poor households, elderly living alone) have no mentor (now).
    `as_of`: the ambassadors and their learners as they stood then (a period's report)."""
    team = [m for m in await ward_digital_team(ward_id, as_of=as_of) if m["role"] == "ambassador"]
    sixty = this_year() - 60
    mentored = Mentorship.select(Mentorship.learner).where(pairs())
    unmentored = await Member.count().where(
        Member.removed.eq(False)
        & (Member.household._.village._.ward == ward_id)
        & Member.household._.archived.eq(False)
        & ((Member.birth_year <= sixty) | Member.household._.priority_poor.eq(True)
           | Member.household._.priority_elderly_alone.eq(True))
        & Member.id.not_in(mentored)
    )  # fmt: skip
    return {
        "short": [m for m in team if m["learners"] < MIN_LEARNERS],
        "ambassadors": len(team),
        "with_enough": sum(1 for m in team if m["learners"] >= MIN_LEARNERS),
        "priority_without_mentor": unmentored,
    }
