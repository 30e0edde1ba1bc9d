"""Keeping the community digital team (issue 14 items 3 and 4): add, edit, deactivate or reactivate a
member and unpair a mentor's learner, by the ward office (all of the ward) or a village head (the members
and learners of their own villages: `surveys.people.access.keeps_team_of`, else `OutOfArea`).

A member who leaves the team is kept (past classes' trainers, the audit log) but leaves the pickers and
the "team members trained" counts; their learners are unpaired so another mentor can take them."""

from __future__ import annotations

from typing import Any

from surveys.core.audit import audit
from surveys.core.clock import now
from surveys.core.db import write_transaction
from surveys.core.validation import FieldError, InvalidInput, Saved, StaleVersion
from surveys.learning.digital_team import add_team_member, assign_learner, pairs
from surveys.learning.schemas import TeamMemberCreate, TeamMemberOut, TeamMemberUpdate
from surveys.people.access import OutOfArea, keeps_team_of
from surveys.people.accounts import Actor
from surveys.tables import Attendance, Member, Mentorship, TeamMember


class DigitalTeamConflict(StaleVersion):
    """The member changed since the editor read it."""


def _check_keeps(actor: Actor, village_id: int | None) -> None:
    if not keeps_team_of(actor, village_id):
        raise OutOfArea(village_id)


async def team_row(ward_id: int, team_id: int) -> dict[str, Any] | None:
    """A team member of the ward as the API gives it (None: another ward's, or none), with their counts
    of learners and of team trainings."""
    row = await TeamMember.select().where((TeamMember.id == team_id) & (TeamMember.ward == ward_id)).first()
    if row is None:
        return None
    learners = await Mentorship.count().where((Mentorship.mentor == team_id) & pairs())
    trainings = 0
    if row["member"]:
        trainings = await Attendance.count().where(
            (Attendance.member == row["member"]) & (Attendance.session._.audience == "team")
        )
    return {**row, "learners": learners, "trainings": trainings}


def team_out(ward_code: str, row: dict[str, Any], show_phone: bool) -> TeamMemberOut:
    """A row of `team_row` or `surveys.learning.digital_team.ward_digital_team` as the API's shape."""
    return TeamMemberOut(
        id=row["id"], ward_code=ward_code, village_id=row["village"], name=row["name"],
        phone=row["phone"] if show_phone else "", role=row["role"], user_id=row["user"],
        member_id=row["member"], active=row["active"], version=row["version"],
        learners=row["learners"], trainings=row["trainings"],
    )  # fmt: skip


async def create_team_member(
    ward_id: int, data: TeamMemberCreate, actor: Actor, client_addr: str = ""
) -> Saved:
    """Add a member to the team (a village head: of their villages); a `client_id` seen before returns
    that member (a retried submission)."""
    _check_keeps(actor, data.village)
    async with write_transaction():
        if data.client_id is not None:
            existing = (
                await TeamMember.select(TeamMember.id, TeamMember.ward)
                .where(TeamMember.client_id == data.client_id)
                .first()
            )
            if existing is not None:
                if existing["ward"] != ward_id:
                    raise InvalidInput([FieldError("client_id", "already_used")])
                return Saved(int(existing["id"]), created=False)
        return Saved(await add_team_member(ward_id, data, actor.id, client_addr), created=True)


async def update_team_member(
    ward_id: int, team_id: int, data: TeamMemberUpdate, actor: Actor, client_addr: str = ""
) -> None:
    """Change a member's name, phone, role, village, account or register entry. A village head keeps
    the members of their villages and may move them only among those."""
    async with write_transaction():
        current = await team_row(ward_id, team_id)
        if current is None:
            raise LookupError(team_id)
        _check_keeps(actor, current["village"])
        _check_keeps(actor, data.village)
        updated = (
            await TeamMember.update(
                {
                    TeamMember.name: data.name,
                    TeamMember.phone: data.phone,
                    TeamMember.role: data.role,
                    TeamMember.village: data.village,
                    TeamMember.user: data.user,
                    TeamMember.member: data.member,
                    TeamMember.version: TeamMember.version + 1,
                }
            )
            .where((TeamMember.id == team_id) & (TeamMember.version == data.version))
            .returning(TeamMember.id)
        )
        if not updated:
            raise DigitalTeamConflict(current)  # read in this transaction: what the next try must start from
        await audit("team.member_updated", "team_member", team_id, actor.id, {"role": data.role}, client_addr)


async def set_team_member_active(
    ward_id: int, team_id: int, active: bool, actor: Actor, client_addr: str = ""
) -> None:
    """A member leaves the team (their learners are unpaired) or comes back to it."""
    async with write_transaction():
        current = await team_row(ward_id, team_id)
        if current is None:
            raise LookupError(team_id)
        _check_keeps(actor, current["village"])
        if current["active"] == active:
            return
        await TeamMember.update(
            {
                TeamMember.active: active,
                TeamMember.left_at: None if active else now(),
                TeamMember.version: TeamMember.version + 1,
            }
        ).where(TeamMember.id == team_id)
        details: dict[str, Any] = {}
        if not active:
            # Their pairs end (kept for the reports of the periods they covered).
            ended = (
                await Mentorship.update({Mentorship.ended_at: now()})
                .where((Mentorship.mentor == team_id) & pairs())
                .returning(Mentorship.id)
            )
            details["learners_unpaired"] = len(ended)
        action = "team.member_reactivated" if active else "team.member_left"
        await audit(action, "team_member", team_id, actor.id, details, client_addr)


async def _learner_village(ward_id: int, learner_id: int) -> int | None:
    row = (
        await Member.select(Member.household._.village.as_alias("village"))
        .where(
            (Member.id == learner_id)
            & Member.removed.eq(False)
            & (Member.household._.village._.ward == ward_id)
        )
        .first()
    )
    return None if row is None else int(row["village"])


async def _mentor_village(ward_id: int, team_id: int) -> int | None:
    row = (
        await TeamMember.select(TeamMember.village)
        .where((TeamMember.id == team_id) & (TeamMember.ward == ward_id))
        .first()
    )
    if row is None:
        raise LookupError(team_id)
    return row["village"]  # type: ignore[no-any-return]


async def assign_learner_in_area(
    ward_id: int, team_id: int, learner_id: int, actor: Actor, client_addr: str = ""
) -> None:
    """Pair a learner with a mentor, both within the actor's area (a village head: their villages)."""
    _check_keeps(actor, await _mentor_village(ward_id, team_id))
    village = await _learner_village(ward_id, learner_id)
    if village is not None:
        _check_keeps(actor, village)
    await assign_learner(ward_id, team_id, learner_id, actor.id, client_addr)


async def unassign_learner(
    ward_id: int, team_id: int, learner_id: int, actor: Actor, client_addr: str = ""
) -> None:
    """Unpair a learner from their mentor (nothing to do when they are not paired): the learner is free
    for another mentor. A learner not in the ward's register is a LookupError."""
    _check_keeps(actor, await _mentor_village(ward_id, team_id))
    village = await _learner_village(ward_id, learner_id)
    if village is None:
        raise LookupError(learner_id)
    _check_keeps(actor, village)
    async with write_transaction():
        paired = (
            await Mentorship.update({Mentorship.ended_at: now()})
            .where((Mentorship.mentor == team_id) & (Mentorship.learner == learner_id) & pairs())
            .returning(Mentorship.id)
        )
        if paired:
            details = {"learner": learner_id}
            await audit("team.learner_unassigned", "team_member", team_id, actor.id, details, client_addr)
