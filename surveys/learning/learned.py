"""A member's "took part in learning" and "can use an AI tool" derived again when an attendance is taken
back: each stays only while another attendance (for AI: of a class after which they can use one) or the
household's latest visit that answered for them says so (criteria of the digital-family rule and of the
plans' AI indicator, surveys/survey/criteria.py)."""

from __future__ import annotations

from typing import Any

import msgspec

from surveys.core.changes import Before, households_changed
from surveys.core.clock import now
from surveys.tables import Attendance, Household, Member, Visit


def _decoded(value: Any) -> Any:
    return msgspec.json.decode(value) if isinstance(value, (str, bytes)) else value


async def unmark_learned(member: dict[str, Any], held: Before | None) -> None:
    """After an attendance was taken back: the member took part in learning only if another attendance
    or the household's latest visit that answered for them says so, and uses an AI tool only if another
    attendance's "can now use" or that visit says so (else what the visit said, or "unknown"); when that
    changes the member, the household's version and its village's daily counts move on as
    `mark_learned` moved them."""
    remaining = [
        _decoded(r["can_use"]) or []
        for r in await Attendance.select(Attendance.can_use).where(Attendance.member == member["id"])
    ]
    said = await _visit_answer(member) or {}
    current = (
        await Member.select(Member.skill_learned, Member.uses_ai).where(Member.id == member["id"]).first()
    )
    if current is None:
        return
    values: dict[Any, Any] = {}
    if current["skill_learned"] and not remaining and not said.get("skill_learned"):
        values[Member.skill_learned] = False
    if current["uses_ai"] == "yes" and not any("ai" in topics for topics in remaining):
        answered = said.get("uses_ai") or "unknown"
        if answered != "yes":
            values[Member.uses_ai] = answered
    if not values:
        return
    await Member.update({**values, Member.updated_at: now()}).where(Member.id == member["id"])
    await Household.update({Household.version: Household.version + 1}).where(
        Household.id == member["household"]
    )
    await households_changed([member["household"]], before=held)


async def _visit_answer(member: dict[str, Any]) -> dict[str, Any] | None:
    """What the household's latest completed visit that answered for the member said of them (a visit
    that added them names them without an id); None when no visit did."""
    person = await Member.select(Member.full_name, Member.birth_year).where(Member.id == member["id"]).first()
    visits = (
        await Visit.select(Visit.answers)
        .where((Visit.household == member["household"]) & (Visit.outcome == "done"))
        .order_by(Visit.at, ascending=False)
        .order_by(Visit.id, ascending=False)
    )
    added = (person["full_name"], person["birth_year"]) if person is not None else None
    for v in visits:
        for m in _decoded(v["answers"]).get("members", []):
            if m.get("id") == member["id"] or (
                m.get("id") is None and (m.get("full_name"), m.get("birth_year")) == added
            ):
                return dict(m)
    return None
