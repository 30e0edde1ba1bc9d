"""A member's "took part in learning" derived again when an attendance is taken back: it stays only while
another attendance or the household's latest visit that answered for them says so (a criterion of the
digital-family rule, surveys/survey/criteria.py)."""

from __future__ import annotations

from typing import Any

import msgspec

from surveys.core.changes import Before, households_changed
from surveys.core.clock import now
from surveys.tables import Attendance, Household, Member, Visit


async def unmark_learned(member: dict[str, Any], held: Before | None) -> None:
    """After an attendance was taken back: the member took part in learning only if another attendance
    or the household's latest visit that answered for them says so; when that clears the criterion, the
    household's version and its village's daily counts move on as `mark_learned` moved them."""
    if await Attendance.exists().where(Attendance.member == member["id"]):
        return
    if await _visit_says_learned(member):
        return
    updated = (
        await Member.update({Member.skill_learned: False, Member.updated_at: now()})
        .where((Member.id == member["id"]) & Member.skill_learned.eq(True))
        .returning(Member.id)
    )
    if updated:
        await Household.update({Household.version: Household.version + 1}).where(
            Household.id == member["household"]
        )
        await households_changed([member["household"]], before=held)


async def _visit_says_learned(member: dict[str, Any]) -> bool:
    """What the household's latest completed visit that answered for the member said of their learning
    (a visit that added them names them without an id); False when no visit did."""
    person = await Member.select(Member.full_name, Member.birth_year).where(Member.id == member["id"]).first()
    visits = (
        await Visit.select(Visit.answers)
        .where((Visit.household == member["household"]) & (Visit.outcome == "done"))
        .order_by(Visit.at, ascending=False)
        .order_by(Visit.id, ascending=False)
    )
    added = (person["full_name"], person["birth_year"]) if person is not None else None
    for v in visits:
        answers = v["answers"]
        answers = msgspec.json.decode(answers) if isinstance(answers, (str, bytes)) else answers
        for m in answers.get("members", []):
            if m.get("id") == member["id"] or (
                m.get("id") is None and (m.get("full_name"), m.get("birth_year")) == added
            ):
                return bool(m.get("skill_learned"))
    return False
