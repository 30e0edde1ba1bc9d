"""Reading the register: a household by its sticker token or id, the villages a user sees with their
household counts, a village's archived households."""

from __future__ import annotations

from datetime import timedelta
from functools import cache
from typing import Any

from piccolo.query.functions.aggregate import Count

from surveys import schemas
from surveys.core.db import BESIDE, fetch, short_statements
from surveys.core.rows import Row
from surveys.people.access import village_filter
from surveys.people.accounts import Actor, actor_for_token, actor_for_token_beside
from surveys.tables import RULE_COLUMNS, Household, Village


def could_be_token(token: str) -> bool:
    """Whether `token` may name a household: a longer or empty one names none, and is not looked up."""
    return 0 < len(token) <= 64


async def household_by_token(token: str, archived: bool = False) -> Row | None:
    """The household with this sticker token, with its village and ward, or None. An archived one
    (moved away, not yet erased) only with `archived`: the ward office still answers its requests."""
    if not could_be_token(token):
        return None
    # Every household request's access check reads this: one statement written once, not a select with
    # two joins that Piccolo builds again on each request (issue 16: ~1 ms of Python a request).
    with short_statements():
        rows = await fetch(_household_sql(archived), token)
    return Row(rows[0]) if rows else None


async def actor_and_household(
    token: str, kind: str, idle: timedelta, household_token: str, archived: bool = False
) -> tuple[Actor | None, Row | None]:
    """`actor_for_token` and `household_by_token` in one statement: a request for a household by its
    sticker token reads both before its access check (a round trip less on PostgreSQL). The household
    only with an active user."""
    if not could_be_token(household_token):
        return await actor_for_token(token, kind, idle), None
    actor, found = await actor_for_token_beside(
        token, kind, idle, _household_sql(archived, BESIDE), household_token
    )
    return actor, Row(found) if found is not None else None


@cache
def _household_sql(archived: bool, prefix: str = "") -> str:
    """The household by its token with its village and ward; its columns named `prefix` + name."""
    shown = "h.erased_at IS NULL" if archived else "h.archived = FALSE"
    names = [
        *((f"h.{c._meta.db_column_name}", c._meta.name) for c in Household._meta.columns),
        ("v.name", "village_name"), ("v.ward", "ward_id"), ("w.code", "ward_code"), ("w.name", "ward_name"),
        *((f"w.{name}", f"rule_{name}") for name in RULE_COLUMNS),
    ]  # fmt: skip
    columns = ", ".join(f'{column} AS "{prefix}{name}"' for column, name in names)
    # Names from the tables' definitions only; the values are parameters.
    return f"""SELECT {columns}
        FROM household h JOIN village v ON v.id = h.village JOIN ward w ON w.id = v.ward
        WHERE h.token = {{}} AND {shown} LIMIT 1"""  # noqa: S608


async def visible_villages(actor: Actor) -> list[schemas.Village]:
    """The villages the actor may see, with their household counts, in ward then village order."""
    return await _villages(village_filter(actor))


async def village_info(village_id: int) -> schemas.Village | None:
    """One village with its ward and household count (access is the caller's to check)."""
    found = await _villages(Village.id == village_id)
    return found[0] if found else None


async def _villages(where: Any) -> list[schemas.Village]:
    rows = (
        await Village.select(
            Village.id,
            Village.name,
            Village.code,
            Village.ward._.code.as_alias("ward_code"),
            Village.ward._.name.as_alias("ward_name"),
            Village.ward._.village_word.as_alias("village_word"),
        )
        .where(where)
        .order_by(Village.ward._.code)
        .order_by(Village.code)
    )
    counts: dict[int, int] = {}
    if rows:
        # Counted by the database (the index on household.village), not a row per household sent here
        # to be counted: a phone asks for its villages at every start.
        counted = (
            await Household.select(Household.village, Count(alias="households"))
            .where(Household.village.is_in([r["id"] for r in rows]) & Household.archived.eq(False))
            .group_by(Household.village)
        )
        counts = {int(r["village"]): int(r["households"]) for r in counted}
    return [schemas.Village(**r, households=counts.get(r["id"], 0)) for r in rows]


async def archived_households(village_id: int) -> list[dict[str, Any]]:
    """A village's archived households whose data is still held, most recently archived first."""
    return list(
        await Household.select(Household.token, Household.code, Household.head_name, Household.archived_at)
        .where(
            (Household.village == village_id) & Household.archived.eq(True) & Household.erased_at.is_null()
        )
        .order_by(Household.archived_at, ascending=False)
    )


async def household_by_id(household_id: int) -> Row | None:
    """The (not archived) household with this id, as `household_by_token` reads it."""
    found = await Household.select(Household.token).where(Household.id == household_id).first()
    return await household_by_token(found["token"]) if found else None
