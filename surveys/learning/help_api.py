"""Help given, as the JSON API reads and takes it (surveys/survey/help.py records it)."""

from __future__ import annotations

from typing import Any, Literal

from surveys.core.validation import parse
from surveys.learning.schemas import HelpCreate, HelpOut
from surveys.tables import Help


def parse_help(raw: Any) -> HelpCreate:
    """Help from JSON, every bad field named at once."""
    return parse(raw, HelpCreate)


def _out(r: dict[str, Any]) -> HelpOut:
    via: Literal["visit", "class", "other"] = "visit" if r["visit"] else "class" if r["session"] else "other"
    return HelpOut(id=r["id"], member=r["member"], kind=r["kind"], note=r["note"], at=r["at"], via=via)


_COLUMNS = (Help.id, Help.member, Help.kind, Help.note, Help.at, Help.visit, Help.session)


async def household_help(household_id: int) -> list[HelpOut]:
    """The help given to the household's members, newest first."""
    rows = (
        await Help.select(*_COLUMNS)
        .where(Help.member._.household == household_id)
        .order_by(Help.at, ascending=False)
        .order_by(Help.id, ascending=False)
    )
    return [_out(r) for r in rows]


async def help_out(help_id: int) -> HelpOut:
    """One help given."""
    row = await Help.select(*_COLUMNS).where(Help.id == help_id).first()
    if row is None:
        raise LookupError(help_id)
    return _out(row)
