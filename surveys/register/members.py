"""A household's members: as the register form reads them, checked against a submission, and the keys
(head name, search and sort keys) the household list derives from them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from surveys.core.settings import get_settings
from surveys.core.text import name_sort_key, search_key
from surveys.core.validation import FieldError, InvalidInput
from surveys.tables import Household, Member


async def has_member(household_id: int, member_id: int) -> bool:
    """Whether `member_id` is a current (not removed) member of the household."""
    return await Member.exists().where(
        (Member.id == member_id) & (Member.household == household_id) & Member.removed.eq(False)
    )


async def register_members(household_id: int) -> list[dict[str, Any]]:
    """The household's current members as the register form shows them (every value as text)."""
    rows = (
        await Member.select()
        .where((Member.household == household_id) & Member.removed.eq(False))
        .order_by(Member.id)
    )
    return [
        {
            "id": str(m["id"]),
            "full_name": m["full_name"],
            "birth_year": str(m["birth_year"]),
            "sex": m["sex"],
            "is_head": m["is_head"],
            "removed": False,
        }
        for m in rows
    ]


async def check_members(household_id: int, members: list[Any]) -> dict[int, dict[str, Any]]:
    """The household's present member rows; raises InvalidInput for a member id that is not one of them.
    When one of `members` becomes head, the previous head is unset (one head per household)."""
    current = {
        r["id"]: r
        for r in await Member.select().where((Member.household == household_id) & Member.removed.eq(False))
    }
    bad = [
        FieldError(f"members.{i}.id", "unknown_member")
        for i, m in enumerate(members)
        if m.id and m.id not in current
    ]
    if bad:
        raise InvalidInput(bad)
    # A bound on the work and the page of one household (a fault run posted 15,000 members).
    leaving = {m.id for m in members if m.id and m.removed}
    joining = sum(1 for m in members if not m.id and not m.removed)
    if len(set(current) - leaving) + joining > get_settings().household_max_members:
        raise InvalidInput([FieldError("members", "too_many")])
    if any(m.is_head and not m.removed for m in members):
        await Member.update({Member.is_head: False}).where(Member.household == household_id)
    return current


async def refresh_household_keys(
    household_id: int, code: str, address: str, members: Sequence[Mapping[str, Any]] | None = None
) -> dict[str, str]:
    """Recompute the household's head name, search key and sort key from its present members (read
    here unless the caller has them, as just written); returns the three keys as written."""
    if members is None:
        members = list(
            await Member.select(Member.full_name, Member.is_head).where(
                (Member.household == household_id) & Member.removed.eq(False)
            )
        )
    members = sorted(members, key=lambda m: not m["is_head"])
    head = next((m["full_name"] for m in members if m["is_head"]), "")
    names = " ".join(m["full_name"] for m in members)
    keys = {"head_name": head, "sort_key": name_sort_key(head) if head else "9",
            "search_key": search_key(code, address, names)}  # fmt: skip
    await Household.update(
        {
            Household.head_name: head,
            Household.sort_key: keys["sort_key"],
            Household.search_key: keys["search_key"],
        }
    ).where(Household.id == household_id)
    return keys
