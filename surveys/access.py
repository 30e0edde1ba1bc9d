"""Who may see and change what: access by area, checked for every record (DESIGN.md section 6).

A volunteer and a village head reach the villages assigned to them; a ward officer every village of
their ward; a province officer (read only) every village of their province; an admin everything.
"""

from __future__ import annotations

from typing import Any

from surveys.accounts import Actor
from surveys.tables import Village, Ward

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


# Roles that keep the household register and print stickers (in the villages they may write to).
MANAGERS = frozenset({"village_head", "ward_officer", "admin"})

# Roles that see coverage beyond the doors: village heads (their villages), ward and province officers.
STEERING = frozenset({"village_head", "ward_officer", "province_officer", "admin"})


async def can_see_ward(actor: Actor, ward_id: int) -> bool:
    """Whether the actor may see the ward's dashboard and reports: its ward officers, the officers of
    its province, admins. Volunteers and village heads do not."""
    if actor.role == "admin":
        return True
    if actor.role == "ward_officer":
        return actor.ward_id == ward_id
    if actor.role == "province_officer" and actor.province_id is not None:
        return bool(await Ward.exists().where((Ward.id == ward_id) & (Ward.province == actor.province_id)))
    return False


def can_set_targets(actor: Actor, ward_id: int) -> bool:
    """The ward's own officers (and admins) set its targets."""
    return actor.role == "admin" or (actor.role == "ward_officer" and actor.ward_id == ward_id)


async def can_see_activity(actor: Actor, village_id: int) -> bool:
    """Volunteer activity is for those who steer: village heads of the village and above."""
    return actor.role in STEERING and await can_see_village(actor, village_id)
