"""Each volunteer's and team member's activity in a month (issue 14 item 6), for the commune's emulation
and rewards: visits, help given, classes taught, learners mentored. Exported as CSV or XLSX."""

from __future__ import annotations

from typing import Any

from surveys.core.exports import Table
from surveys.core.i18n import N_, gettext
from surveys.learning.classes import month_bounds
from surveys.learning.digital_team import pairs
from surveys.tables import ClassTrainer, Help, Mentorship, TeamMember, User, Visit


async def month_activity(ward_id: int, year: int, month: int) -> list[dict[str, Any]]:
    """One line per person of the ward's accounts and digital team with any activity in the month, or
    on the team: visits recorded, help given, classes taught (as a class's trainer from the team), learners."""
    start, end = month_bounds(year, month)
    users = await User.select(User.id, User.display_name).where(User.ward == ward_id)
    team = await TeamMember.select(TeamMember.id, TeamMember.name, TeamMember.role, TeamMember.user).where(
        (TeamMember.ward == ward_id) & TeamMember.active.eq(True)
    )
    visits = await Visit.select(Visit.volunteer).where(
        (Visit.at >= start) & (Visit.at < end) & (Visit.household._.village._.ward == ward_id)
    )
    helps = await Help.select(Help.given_by).where(
        (Help.at >= start) & (Help.at < end) & (Help.member._.household._.village._.ward == ward_id)
    )
    taught = await ClassTrainer.select(ClassTrainer.team_member).where(
        (ClassTrainer.session._.ward == ward_id)
        & (ClassTrainer.session._.starts_at >= start)
        & (ClassTrainer.session._.starts_at < end)
    )
    team_ids = [t["id"] for t in team]
    learners = (
        await Mentorship.select(Mentorship.mentor).where(Mentorship.mentor.is_in(team_ids) & pairs())
        if team_ids
        else []
    )
    lines: dict[str, dict[str, Any]] = {}
    for u in users:
        lines[f"u{u['id']}"] = {
            "name": u["display_name"],
            "role": "",
            "visits": 0,
            "help": 0,
            "classes": 0,
            "learners": 0,
        }
    for t in team:
        key = f"u{t['user']}" if t["user"] and f"u{t['user']}" in lines else f"t{t['id']}"
        line = lines.setdefault(
            key, {"name": t["name"], "role": "", "visits": 0, "help": 0, "classes": 0, "learners": 0}
        )
        line["role"] = t["role"]
        line["learners"] += sum(1 for m in learners if m["mentor"] == t["id"])
        line["classes"] += sum(1 for c in taught if c["team_member"] == t["id"])
    for v in visits:
        if f"u{v['volunteer']}" in lines:
            lines[f"u{v['volunteer']}"]["visits"] += 1
    for h in helps:
        if f"u{h['given_by']}" in lines:
            lines[f"u{h['given_by']}"]["help"] += 1
    active = [x for x in lines.values() if x["role"] or x["visits"] or x["help"] or x["classes"]]
    return sorted(active, key=lambda x: (-x["visits"] - x["help"] - x["classes"], x["name"]))


def _role(code: str) -> str:
    from surveys.learning.words import TEAM_ROLES

    name = TEAM_ROLES.get(code, "")
    return gettext(name) if name else ""


def activity_table(ward_code: str, year: int, month: int, lines: list[dict[str, Any]]) -> Table:
    """The month's activity as an export table."""
    return Table(
        title=[gettext(N_("Activity of the month")), f"{ward_code} · {month:02d}/{year}"],
        headers=[
            gettext(h)
            for h in (
                N_("Name"),
                N_("Role"),
                N_("Visits"),
                N_("Help given"),
                N_("Classes taught"),
                N_("Learners"),
            )
        ],
        rows=[
            [
                x["name"],
                _role(x["role"]),
                x["visits"],
                x["help"],
                x["classes"],
                x["learners"],
            ]
            for x in lines
        ],
    )
