"""Which member a search found: a household in a list is named by its head, so when the text searched
is another member's name, the list says whose, or the volunteer sees a stranger's household."""

from __future__ import annotations

from surveys.core.text import fold
from surveys.tables import Member


def search_words(q: str) -> list[str]:
    """The words of a search, accents and case folded, LIKE's wildcards dropped."""
    words = [w.replace("%", "").replace("_", "").replace("\\", "") for w in fold(q).split()]
    return [w for w in words if w]


async def matched_members(household_ids: list[int], q: str) -> dict[int, str]:
    """For each of the households whose head's name does not hold every word of `q` but another
    member's does: that member's name (the first in Vietnamese order)."""
    words = search_words(q)
    if not words or not household_ids:
        return {}
    rows = (
        await Member.select(Member.household, Member.full_name, Member.is_head)
        .where(Member.household.is_in(household_ids) & Member.removed.eq(False))
        .order_by(Member.sort_key)
    )
    heads: set[int] = set()
    found: dict[int, str] = {}
    for r in rows:
        name = fold(r["full_name"])
        if not all(w in name for w in words):
            continue
        if r["is_head"]:
            heads.add(r["household"])
        else:
            found.setdefault(r["household"], r["full_name"])
    return {h: name for h, name in found.items() if h not in heads}


async def other_members(village_id: int) -> dict[str, list[str]]:
    """Each household of the village, by token: its members other than the head, in Vietnamese order.
    A page that searches itself (web/static/village-list.js) says with them which member it found, as
    `matched_members` does on the server."""
    rows = (
        await Member.select(Member.household._.token.as_alias("token"), Member.full_name)
        .where(
            (Member.household._.village == village_id) & Member.removed.eq(False) & Member.is_head.eq(False)
        )
        .order_by(Member.sort_key)
    )
    found: dict[str, list[str]] = {}
    for r in rows:
        found.setdefault(r["token"], []).append(r["full_name"])
    return found
