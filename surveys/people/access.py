"""Who may do what to which record: the one place that decides (docs/architecture.md §6, ASVS V8).

A volunteer and a village head reach the villages assigned to them; a ward officer every village of
their ward; a province officer (read only) every village of their province; a national officer (read
only) the reports and dashboards of every ward and province and the national view, but no village,
household, class or team (the country's numbers, not its people); an admin everything.

Every route of the app names one action of `RULES` (`server.auth.access_guard` checks it against the
record the route's path names before the handler runs, and the app refuses to start with a route that
names none); handlers that take a second record from a form (a move to another village, a merge) ask
`allowed` about it with an action of the same table. A record of a ward that lives in one of its villages
(a class, an attendance) is written only within the writer's villages, its village as it stands and
the new one (`check_writes_within`), whatever the ward's rule let them into.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from surveys.people.accounts import ROLES, Actor
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
    if actor.role in ("admin", "national_officer"):
        return True
    if actor.role == "ward_officer":
        return actor.ward_id == ward_id
    if actor.role == "province_officer" and actor.province_id is not None:
        return bool(await Ward.exists().where((Ward.id == ward_id) & (Ward.province == actor.province_id)))
    return False


def can_see_province(actor: Actor, province_id: int) -> bool:
    """Whether the actor may see the province's dashboard: its officers, national officers and admins. A
    ward officer sees only their own ward, never the wards beside it."""
    if actor.role in ("admin", "national_officer"):
        return True
    return actor.role == "province_officer" and actor.province_id == province_id


def can_manage_province(actor: Actor, province_id: int) -> bool:
    """Whether the actor may write a province's own records (its decisions, its settings): its officers
    and admins. A national officer reads every province and writes none, whichever readers a rule names."""
    return actor.role == "admin" or (actor.role == "province_officer" and actor.province_id == province_id)


def can_set_targets(actor: Actor, ward_id: int) -> bool:
    """The ward's own officers (and admins) set its targets."""
    return actor.role == "admin" or (actor.role == "ward_officer" and actor.ward_id == ward_id)


# The ward's own officers (and admins): its staff accounts, targets, digests, and households' personal-data
# requests.
OFFICERS = frozenset({"ward_officer", "admin"})

# Roles that see a ward's dashboard: its officers, the officers of its province, national officers, admins.
WARD_READERS = frozenset({"ward_officer", "province_officer", "national_officer", "admin"})

# Roles that see a province's dashboard: its officers, national officers, admins.
PROVINCE_READERS = frozenset({"province_officer", "national_officer", "admin"})

# Roles that write a province's own records (its default targets, its decisions on its wards' reports,
# their due dates): its officers and admins; national officers read every province and write none.
PROVINCE_WRITERS = frozenset({"province_officer", "admin"})

# Roles that see the national view: national officers (read only) and admins.
COUNTRY_READERS = frozenset({"national_officer", "admin"})

SIGNED_IN = frozenset(ROLES)


async def is_of_ward(actor: Actor, ward_id: int) -> bool:
    """Whether the actor works in the ward: its officers, and its volunteers and village heads (by the
    villages they cover); province officers of its province and admins read it too. A national officer
    reads the ward's reports, never its people (classes, team): not of any ward."""
    if actor.role == "national_officer":
        return False
    if actor.role in ("volunteer", "village_head"):
        return bool(actor.village_ids) and bool(
            await Village.exists().where(
                (Village.ward == ward_id) & Village.id.is_in(list(actor.village_ids))
            )
        )
    return await can_see_ward(actor, ward_id)


# Who plans a ward's classes: its village heads and officers (and admins).
CLASS_PLANNERS = frozenset({"village_head", "ward_officer", "admin"})


class OutOfArea(Exception):
    """The record is of the routed ward but outside the actor's own villages (a village head's): a 403,
    as the rule of the route let them into the ward but not to this record."""


async def writes_within(actor: Actor, *village_ids: int | None) -> bool:
    """Whether the actor may write to every village a write touches: the record's village as it stands
    and the one the write gives it (a class moved, an attendee's member). None is a record of the ward
    itself (a class in the ward hall, a walk-in there): the route's ward rule has decided it already.
    Asked of every write to a record of a ward that lives in one of its villages, so a rule of the ward
    (`class.manage`, `class.attend`) never reaches another village's record."""
    for village_id in village_ids:
        if village_id is not None and not await can_write_village(actor, village_id):
            return False
    return True


async def check_writes_within(actor: Actor, *village_ids: int | None) -> None:
    """`writes_within`, or OutOfArea (a 403, nothing changed)."""
    for village_id in village_ids:
        if not await writes_within(actor, village_id):
            raise OutOfArea(village_id)


def keeps_team_of(actor: Actor, village_id: int | None) -> bool:
    """Whether the actor keeps the ward's digital team members of this village (None: the ward's own
    members, kept by its office): a village head those of their villages, officers and admins every one
    (the route's `team.manage` rule has already checked the ward)."""
    if actor.role in OFFICERS:
        return True
    return actor.role == "village_head" and village_id is not None and village_id in actor.village_ids


@dataclass(frozen=True)
class Rule:
    """Who may take an action: which roles, and on which record: `village` (a village, or a household
    by its village), `ward`, `province`, or none; `write` asks for the right to change it, not only to read it;
    `archived`, that it also reaches a household that moved away (until its data is erased); `team`, that
    a ward is reached by everyone who works in it (its volunteers and village heads too), not only by its
    officers."""

    roles: frozenset[str] | None  # None: anyone, signed in or not
    record: str | None = None
    write: bool = False
    archived: bool = False
    team: bool = False


RULES: dict[str, Rule] = {
    # Sign-in, the public household page (no personal data without access), health, assets, API schema.
    "public": Rule(None),
    # One's own account, and lists already limited to one's area (villages, API household search).
    "account": Rule(SIGNED_IN),
    "household.read": Rule(SIGNED_IN, "village"),
    "household.visit": Rule(WRITERS, "village", write=True),
    "household.manage": Rule(MANAGERS, "village", write=True),
    # A household's data rights outlive its move: only these reach it once archived.
    "household.personal_data": Rule(OFFICERS, "village", write=True, archived=True),
    "village.read": Rule(SIGNED_IN, "village"),
    "village.add_household": Rule(WRITERS, "village", write=True),
    "village.report": Rule(STEERING, "village"),
    "village.stickers": Rule(MANAGERS, "village", write=True),
    "register.import": Rule(MANAGERS),
    "ward.read": Rule(WARD_READERS, "ward"),
    "ward.manage": Rule(OFFICERS, "ward", write=True),
    "province.read": Rule(PROVINCE_READERS, "province"),
    # The province's own settings (its default targets): its officers and admins, as they read it.
    "province.manage": Rule(PROVINCE_WRITERS, "province", write=True),
    # The province's decisions on its wards' reports (accept, return, reopen) and its due dates: its
    # officers, who otherwise only read.
    "province.decide": Rule(PROVINCE_WRITERS, "province", write=True),
    "country.read": Rule(COUNTRY_READERS),
    # A ward's classes: everyone who works in the ward sees them and records attendance; village heads
    # and officers plan them.
    "class.read": Rule(SIGNED_IN, "ward", team=True),
    "class.attend": Rule(WRITERS, "ward", write=True, team=True),
    "class.manage": Rule(CLASS_PLANNERS, "ward", write=True, team=True),
    # A ward's community digital team and its mentors' learners: the office keeps all of it, a village
    # head the members and learners of their villages (`keeps_team_of`, asked of each record).
    "team.manage": Rule(CLASS_PLANNERS, "ward", write=True, team=True),
}


async def allowed(
    actor: Actor | None,
    action: str,
    *,
    village_id: int | None = None,
    ward_id: int | None = None,
    province_id: int | None = None,
) -> bool:
    """Whether `actor` (None: not signed in) may take `action` on the village, ward or province given."""
    rule = RULES[action]
    if rule.roles is None:
        return True
    if actor is None or actor.role not in rule.roles:
        return False
    if rule.record == "village":
        if village_id is None:
            raise ValueError(f"{action} needs a village")
        return await (can_write_village if rule.write else can_see_village)(actor, village_id)
    if rule.record == "ward":
        if ward_id is None:
            raise ValueError(f"{action} needs a ward")
        if rule.team:
            return await is_of_ward(actor, ward_id)
        return can_set_targets(actor, ward_id) if rule.write else await can_see_ward(actor, ward_id)
    if rule.record == "province":
        if province_id is None:
            raise ValueError(f"{action} needs a province")
        return (can_manage_province if rule.write else can_see_province)(actor, province_id)
    return True
