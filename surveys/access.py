"""Who may see and change what: access by area, checked for every record (DESIGN.md section 6).

A volunteer and a village head reach the villages assigned to them; a ward officer every village of
their ward; a province officer (read only) every village of their province; an admin everything.
"""

from __future__ import annotations

from typing import Any

from surveys.accounts import Actor
from surveys.tables import Village

# Roles that record visits and change household data.
WRITERS = frozenset({"volunteer", "village_head", "ward_officer", "admin"})


def village_filter(actor: Actor) -> Any:
    """A Piccolo `where` clause selecting the villages this actor may see."""
    if actor.role == "admin":
        return Village.id.is_not_null()
    if actor.role == "ward_officer" and actor.ward_id is not None:
        return Village.ward == actor.ward_id
    if actor.role == "province_officer" and actor.province_id is not None:
        return Village.ward._.province == actor.province_id
    if actor.role in ("volunteer", "village_head") and actor.village_ids:
        return Village.id.is_in(list(actor.village_ids))
    return Village.id.is_null()  # nothing


async def visible_village_ids(actor: Actor) -> set[int]:
    """Ids of the villages this actor may see."""
    rows = await Village.select(Village.id).where(village_filter(actor))
    return {int(r["id"]) for r in rows}


async def can_see_village(actor: Actor, village_id: int) -> bool:
    """Whether the actor may read this village and its households."""
    if actor.role in ("volunteer", "village_head"):
        return village_id in actor.village_ids
    return bool(await Village.exists().where(village_filter(actor) & (Village.id == village_id)))


async def can_write_village(actor: Actor, village_id: int) -> bool:
    """Whether the actor may record visits and change households in this village."""
    return actor.role in WRITERS and await can_see_village(actor, village_id)
