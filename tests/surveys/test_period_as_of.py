"""A period's report counts the community digital team, the mentors and their learners, and the classes
as they stood at the period's end (issue 26 item 5), not as they stand when the report is made."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest

from surveys.learning.digital_team import assign_learner
from surveys.learning.digital_team_manage import set_team_member_active
from surveys.people.accounts import actor_by_id
from surveys.reporting.periodic import ward_period_report
from surveys.reporting.periods import Period
from surveys.tables import Attendance, AuditEntry, ClassSession, Member, Mentorship, TeamMember
from tests.factories import World

Q3_2025 = Period(date(2025, 7, 1), date(2025, 9, 30))
# 23:30 on 30/09/2025 in Vietnam, inside the quarter; 00:30 on 01/10/2025, after it.
LAST_EVENING = datetime(2025, 9, 30, 16, 30, tzinfo=UTC)
NEXT_MORNING = datetime(2025, 9, 30, 17, 30, tzinfo=UTC)


async def joined(
    world: World, name: str, at: datetime, role: str = "member", member: int | None = None
) -> int:
    """A team member of the fixture ward who joined at `at`."""
    rows = await TeamMember.insert(
        TeamMember(ward=world.wards["pq"], name=name, role=role, member=member, created_at=at)
    )
    return int(rows[0]["id"])


async def member_id(name: str) -> int:
    row = await Member.select(Member.id).where(Member.full_name == name).first()
    assert row is not None
    return int(row["id"])


async def team_class(world: World, at: datetime, attendee: int) -> None:
    """A class for the team at `at`, attended by register member `attendee`."""
    session = await ClassSession.insert(
        ClassSession(
            ward=world.wards["pq"], starts_at=at, topics=["ai"], audience="team", client_id=uuid.uuid4()
        )
    )
    await Attendance.insert(
        Attendance(session=session[0]["id"], member=attendee, client_id=uuid.uuid4(), at=at)
    )


async def test_the_quarters_team_is_the_team_at_its_end(world: World) -> None:
    an = await member_id("Nguyễn Văn An")
    stays = await joined(world, "Lò Văn Sáng", datetime(2025, 3, 1, tzinfo=UTC), "ambassador", member=an)
    await joined(world, "Hoàng Thị Hoa", LAST_EVENING)
    await joined(world, "Nông Văn Tú", NEXT_MORNING)  # joined after the quarter ended
    left_before = await joined(world, "Ma Thị Lan", datetime(2025, 2, 1, tzinfo=UTC))
    left_after = await joined(world, "Triệu Văn Bảo", datetime(2025, 2, 1, tzinfo=UTC))
    officer = await actor_by_id(world.users["ward"])
    assert officer is not None
    for who in (left_before, left_after):
        await set_team_member_active(world.wards["pq"], who, False, officer)
    # The leaving is dated when it is recorded (now); Ma Thị Lan's is moved back into the quarter.
    await TeamMember.update({TeamMember.left_at: datetime(2025, 8, 1, tzinfo=UTC)}).where(
        TeamMember.id == left_before
    )
    # Sáng's learners: one paired within the quarter, one after it.
    anh, hung = await member_id("Đặng Thị Ánh"), await member_id("Trần Thị Bình")
    for learner in (anh, hung):
        await assign_learner(world.wards["pq"], stays, learner, world.users["ward"])
    await Mentorship.update({Mentorship.created_at: LAST_EVENING}).where(Mentorship.learner == anh)
    await Mentorship.update({Mentorship.created_at: NEXT_MORNING}).where(Mentorship.learner == hung)
    # Sáng's team training: one held after the quarter only.
    await team_class(world, NEXT_MORNING, an)

    learning = (await ward_period_report(world.wards["pq"], Q3_2025)).learning
    assert learning is not None
    # Sáng, Hoa (joined on the last evening) and Bảo (who left only after the quarter).
    assert learning.team_members == 3
    assert learning.team_trained == 0  # the training came after the quarter
    assert (learning.ambassadors, learning.ambassadors_with_enough) == (1, 0)
    assert learning.months == [("2025-07", 0), ("2025-08", 0), ("2025-09", 0)]  # the class came after

    await team_class(world, LAST_EVENING, an)
    learning = (await ward_period_report(world.wards["pq"], Q3_2025)).learning
    assert learning is not None
    assert (learning.team_members, learning.team_trained) == (3, 1)
    assert learning.months == [("2025-07", 0), ("2025-08", 0), ("2025-09", 1)]


async def test_the_current_quarter_counts_the_team_as_it_stands(world: World) -> None:
    """A member who joined today counts in the period still running; one who left today does not."""
    from surveys.core.clock import local_date, now
    from surveys.reporting.periods import named_period

    today = local_date(now())
    assert today is not None
    quarter = named_period(f"{today.year}-Q{(today.month - 1) // 3 + 1}")
    await joined(world, "Hoàng Thị Hoa", now())
    gone = await joined(world, "Ma Thị Lan", datetime(2025, 2, 1, tzinfo=UTC))
    officer = await actor_by_id(world.users["ward"])
    assert officer is not None
    await set_team_member_active(world.wards["pq"], gone, False, officer)
    learning = (await ward_period_report(world.wards["pq"], quarter)).learning
    assert learning is not None and learning.team_members == 1
    left = await TeamMember.select(TeamMember.left_at).where(TeamMember.id == gone).first()
    assert left is not None and left["left_at"] is not None
    # Back on the team: no longer "left".
    await set_team_member_active(world.wards["pq"], gone, True, officer)
    back = await TeamMember.select(TeamMember.left_at).where(TeamMember.id == gone).first()
    assert back == {"left_at": None}


async def test_the_migration_dates_the_leaving_of_those_who_already_left(world: World) -> None:
    """The migration adds `left_at` and the province targets' table, and backwards drops both. Members who left before the column existed get the time of their leaving from the audit log (or
    when they were entered, so they never count, as before); those still on the team get none."""
    from piccolo.apps.migrations.commands.backwards import run_backwards

    from surveys.core.audit import audit
    from surveys.core.db import current_engine, migrate, pending_migrations

    entered = datetime(2025, 1, 5, tzinfo=UTC)
    stays, audited, silent = [await joined(world, name, entered) for name in ("Sáng", "Lan", "Bảo")]
    await audit("team.member_left", "team_member", audited, world.users["ward"], {})
    await TeamMember.update({TeamMember.active: False}).where(TeamMember.id.is_in([audited, silent]))
    try:
        await run_backwards(app_name="phocap", migration_id="2026-12-06T08:10:00:000000", auto_agree=True)
        assert "2026-12-06T08:10:00:000000" in await pending_migrations()
        columns = await current_engine().run_ddl("SELECT * FROM team_member")
        assert columns and "left_at" not in columns[0]
        with pytest.raises(Exception, match="province_target"):
            await current_engine().run_ddl("SELECT COUNT(*) AS n FROM province_target")
    finally:
        await migrate()
    assert await pending_migrations() == []
    rows = {r["id"]: r["left_at"] for r in await TeamMember.select(TeamMember.id, TeamMember.left_at)}
    logged = await AuditEntry.select(AuditEntry.at).where(AuditEntry.action == "team.member_left").first()
    assert logged is not None
    assert (rows[stays], rows[audited], rows[silent]) == (None, logged["at"], entered)


async def test_a_pair_that_ended_counts_in_the_periods_it_covered(world: World) -> None:
    """Unpairing a learner, or their mentor leaving the team, ends the pair instead of deleting it: a
    past quarter's report still counts the learners its mentors had at its end."""
    from surveys.learning.digital_team import pairs, ward_digital_team
    from surveys.learning.digital_team_manage import unassign_learner

    an = await member_id("Nguyễn Văn An")
    sang = await joined(world, "Lò Văn Sáng", datetime(2025, 3, 1, tzinfo=UTC), "ambassador", member=an)
    anh, binh = await member_id("Đặng Thị Ánh"), await member_id("Trần Thị Bình")
    for learner in (anh, binh):
        await assign_learner(world.wards["pq"], sang, learner, world.users["ward"])
    await Mentorship.update({Mentorship.created_at: datetime(2025, 8, 1, tzinfo=UTC)}, force=True)
    officer = await actor_by_id(world.users["ward"])
    assert officer is not None
    # Ánh is unpaired now (after the quarter); Bình's pair ends with Sáng leaving the team now.
    await unassign_learner(world.wards["pq"], sang, anh, officer)
    await set_team_member_active(world.wards["pq"], sang, False, officer)
    assert await Mentorship.count().where(pairs()) == 0
    assert await Mentorship.count() == 2

    at_end = {
        m["name"]: m["learners"] for m in await ward_digital_team(world.wards["pq"], as_of=NEXT_MORNING)
    }
    assert at_end == {"Lò Văn Sáng": 2}
    # A pair that ended inside the quarter does not count at its end; one ended after it does.
    await Mentorship.update({Mentorship.ended_at: datetime(2025, 9, 1, tzinfo=UTC)}).where(
        Mentorship.learner == anh
    )
    at_end = {
        m["name"]: m["learners"] for m in await ward_digital_team(world.wards["pq"], as_of=NEXT_MORNING)
    }
    assert at_end == {"Lò Văn Sáng": 1}
    # Now: Sáng left the team, and none of the pairs stands.
    assert await ward_digital_team(world.wards["pq"]) == []
    # Ánh may have a new mentor: one pair at a time, the ended ones aside.
    other = await joined(world, "Hoàng Thị Hoa", datetime(2025, 3, 1, tzinfo=UTC), "ambassador")
    await assign_learner(world.wards["pq"], other, anh, world.users["ward"])
    assert await Mentorship.count().where(pairs() & (Mentorship.learner == anh)) == 1


async def test_the_database_keeps_one_standing_pair_per_learner(world: World) -> None:
    """The unique index covers the pairs not ended (migration 2026-12-06T22:40): a second standing pair of
    a learner is refused by the database itself, an ended one beside a standing one is not; backwards
    deletes the ended pairs (what was done before) and makes the index whole again."""
    from piccolo.apps.migrations.commands.backwards import run_backwards

    from surveys.core.db import migrate, pending_migrations

    anh = await member_id("Đặng Thị Ánh")
    first = await joined(world, "Lò Văn Sáng", datetime(2025, 3, 1, tzinfo=UTC), "ambassador")
    second = await joined(world, "Hoàng Thị Hoa", datetime(2025, 3, 1, tzinfo=UTC), "ambassador")
    await Mentorship.insert(Mentorship(mentor=first, learner=anh, ended_at=LAST_EVENING))
    await Mentorship.insert(Mentorship(mentor=second, learner=anh))
    with pytest.raises(Exception, match=r"(?i)unique"):
        await Mentorship.insert(Mentorship(mentor=first, learner=anh))
    try:
        await run_backwards(app_name="phocap", migration_id="2026-12-06T22:40:00:000000", auto_agree=True)
        assert "2026-12-06T22:40:00:000000" in await pending_migrations()
        assert [r["mentor"] for r in await Mentorship.raw("SELECT mentor FROM mentorship")] == [second]
    finally:
        await migrate()
    assert await pending_migrations() == []
    await Mentorship.update({Mentorship.ended_at: NEXT_MORNING}, force=True)
    await Mentorship.insert(Mentorship(mentor=first, learner=anh))
    assert await Mentorship.count() == 2


async def test_a_learner_paired_twice_at_once_gets_one_mentor_and_a_clear_refusal(world: World) -> None:
    """Two pairings of one learner at the same moment (a double tap; on PostgreSQL side by side): one
    pair stands, the other is the "already has a mentor" refusal, not a database error."""
    import asyncio

    from surveys.core.validation import InvalidInput

    anh = await member_id("Đặng Thị Ánh")
    mentors = [
        await joined(world, name, datetime(2025, 3, 1, tzinfo=UTC), "ambassador") for name in ("Sáng", "Hoa")
    ]
    results = await asyncio.gather(
        *(assign_learner(world.wards["pq"], m, anh, world.users["ward"]) for m in mentors),
        return_exceptions=True,
    )
    refused = [r for r in results if isinstance(r, BaseException)]
    assert len(refused) == 1 and isinstance(refused[0], InvalidInput), results
    assert refused[0].errors[0].code == "has_mentor"
    assert await Mentorship.count().where(Mentorship.learner == anh) == 1


async def test_a_pairing_the_index_refuses_is_the_clear_refusal_too(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the check for a standing pair ran before another pairing of the learner committed (two at
    once, side by side on PostgreSQL), the unique index refuses the second: it is then the "already has
    a mentor" refusal, not a database error."""
    from surveys.core.validation import InvalidInput

    anh = await member_id("Đặng Thị Ánh")
    first, second = [
        await joined(world, name, datetime(2025, 3, 1, tzinfo=UTC), "ambassador") for name in ("Sáng", "Hoa")
    ]
    await assign_learner(world.wards["pq"], first, anh, world.users["ward"])

    class NotYetCommitted:
        """The check's answer while the other pairing is not committed yet: no standing pair."""

        def where(self, *_: object) -> NotYetCommitted:
            return self

        def __await__(self) -> Any:
            async def none() -> bool:
                return False

            return none().__await__()

    checks: list[bool] = []
    exists = Mentorship.exists

    def check_before_the_other_commits() -> Any:
        checks.append(True)
        return NotYetCommitted() if len(checks) == 1 else exists()

    monkeypatch.setattr(Mentorship, "exists", check_before_the_other_commits)
    with pytest.raises(InvalidInput) as refused:
        await assign_learner(world.wards["pq"], second, anh, world.users["ward"])
    assert refused.value.errors[0].code == "has_mentor"
    monkeypatch.undo()
    assert [
        r["mentor"] for r in await Mentorship.select(Mentorship.mentor).where(Mentorship.learner == anh)
    ] == [first]
