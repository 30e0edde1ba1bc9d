"""The household register: households and their members as the village keeps them, outside visits.
Adding (a volunteer too, for a household found in the field), correcting, moving to another village,
archiving (moved away) and merging duplicates (all visits kept). Every change is in the audit log with
what it was before."""

from __future__ import annotations

import re
import secrets
from typing import Any

from surveys.core.audit import audit
from surveys.core.changes import households_changed, households_changing
from surveys.core.clock import now, this_year
from surveys.core.db import LOCK_VILLAGE_CODES, serialise_on, write_transaction
from surveys.core.rows import still_there
from surveys.core.text import clean, name_sort_key
from surveys.core.validation import FieldError, InvalidInput, parse
from surveys.register.members import check_members, refresh_household_keys
from surveys.register.schemas import HouseholdCreate, HouseholdUpdate, RegisterMember
from surveys.tables import Household, Member, Village, Visit


def _rule_errors(members: list[RegisterMember]) -> list[FieldError]:
    errors = []
    year = this_year()
    present = [(i, m) for i, m in enumerate(members) if not m.removed]
    if not present:
        errors.append(FieldError("members", "required"))
    heads = [i for i, m in present if m.is_head]
    errors += [FieldError(f"members.{i}.is_head", "one_head") for i in heads[1:]]
    for i, m in enumerate(members):
        if not clean(m.full_name):
            errors.append(FieldError(f"members.{i}.full_name", "required"))
        if not year - 120 <= m.birth_year <= year:
            errors.append(FieldError(f"members.{i}.birth_year", "out_of_range"))
    return errors


def parse_register(raw: Any, cls: type[Any]) -> Any:
    """A register form as a struct, every schema and rule error at once."""
    data = parse(raw, cls)
    errors = _rule_errors(data.members)
    if errors:
        raise InvalidInput(errors)
    return data


async def next_code(village_id: int) -> str:
    """The next household code of the village: `<ward prefix>-<village code>-<number>`, e.g. PQ-03-0042.
    Called inside the write transaction that inserts the household: it holds the village's codes until
    that transaction ends (20 parallel adds on PostgreSQL all took the same number before)."""
    await serialise_on(LOCK_VILLAGE_CODES, village_id)
    village = await Village.select(Village.code, Village.ward._.household_prefix.as_alias("prefix"), Village.ward._.code.as_alias("ward")).where(
        Village.id == village_id
    ).first()  # fmt: skip
    village = still_there(village, f"village {village_id}")
    prefix = f"{village['prefix'] or village['ward']}-{village['code']}-"
    numbers = [int(m.group(1)) for r in await Household.select(Household.code).where(Household.village == village_id)
               if (m := re.fullmatch(re.escape(prefix) + r"(\d+)", r["code"]))]  # fmt: skip
    return f"{prefix}{max(numbers, default=0) + 1:04d}"


async def create_household(
    village_id: int, data: HouseholdCreate, user_id: int, client_addr: str = ""
) -> str:
    """Add a household with its members; returns its sticker token."""
    token = secrets.token_urlsafe(16)
    async with write_transaction():
        code = await next_code(village_id)
        # It joins its village's counts as a difference, held shared as a visit holds it: adding a
        # household does not wait for the visits being recorded there, nor they for it.
        held = await households_changing([], [village_id])
        address = clean(data.address)
        inserted = await Household.insert(
            Household(token=token, code=code, village=village_id, address=address)
        )
        household_id = int(inserted[0]["id"])
        await _apply_members(household_id, data.members)
        await refresh_household_keys(household_id, code, address)
        await households_changed([household_id], before=held)
        await audit(
            "household.created",
            "household",
            household_id,
            user_id,
            {"code": code, "village": village_id},
            client_addr,
        )
    return token


_TRACKED = ("birth_year", "sex", "is_head", "removed")


async def _apply_members(household_id: int, members: list[RegisterMember]) -> list[dict[str, Any]]:
    """Apply the members' register fields; returns what changed for the audit log (fields before and
    after; a name change is noted without the names, which stay in the records erasure can reach)."""
    current = await check_members(household_id, members)
    at = now()
    changes: list[dict[str, Any]] = []
    for m in members:
        name = clean(m.full_name)
        if m.id:
            old = current[m.id]
            change = {
                f: {"before": old[f], "after": getattr(m, f)} for f in _TRACKED if old[f] != getattr(m, f)
            }
            if old["full_name"] != name:
                change["full_name"] = {"changed": True}
            if change:
                changes.append({"member": m.id, **change})
        elif not m.removed:
            changes.append({"member": None, "added": True})
        values: dict[Any, Any] = {
            Member.full_name: name,
            Member.sort_key: name_sort_key(name),
            Member.birth_year: m.birth_year,
            Member.sex: m.sex,
            Member.is_head: m.is_head and not m.removed,
            Member.removed: m.removed,
            Member.updated_at: at,
        }
        if m.id:
            await Member.update(values).where(Member.id == m.id)
        elif not m.removed:
            await Member.insert(Member({Member.household: household_id, **values}))
    return changes


async def update_household(
    household_id: int, ward_id: int, data: HouseholdUpdate, user_id: int, client_addr: str = ""
) -> bool:
    """Correct a household (address, village within the ward, members); False when someone else
    changed it since it was read (nothing is overwritten)."""
    if not await Village.exists().where((Village.id == data.village) & (Village.ward == ward_id)):
        raise InvalidInput([FieldError("village", "invalid_choice")])
    async with write_transaction():
        held = await households_changing([household_id], [data.village])
        before = (
            await Household.select(Household.village, Household.address, Household.code)
            .where(Household.id == household_id)
            .first()
        )
        address = clean(data.address)
        updated = await Household.update(
            {Household.village: data.village, Household.address: address, Household.version: Household.version + 1, Household.updated_at: now()}
        ).where((Household.id == household_id) & (Household.version == data.version)).returning(Household.id)  # fmt: skip
        if not updated or before is None:
            return False
        member_changes = await _apply_members(household_id, data.members)
        await refresh_household_keys(household_id, before["code"], address)
        if before["village"] != data.village:
            # Its visits go with it: every report counts a household's history in its village now.
            await Visit.update({Visit.village: data.village}).where(Visit.household == household_id)
        changes = {
            "before": {"village": before["village"], "address_changed": before["address"] != address},
            "after": {"village": data.village},
            "members": member_changes,
        }
        await households_changed([household_id], [before["village"]], held)
        action = "household.moved" if before["village"] != data.village else "household.updated"
        await audit(action, "household", household_id, user_id, changes, client_addr)
    return True


async def move_member(member_id: int, from_id: int, to_id: int, user_id: int, client_addr: str = "") -> None:
    """A member who moved to another household of the ward (marriage, a new house): their record goes
    with them; neither household's visits change."""
    async with write_transaction():
        held = await households_changing([from_id, to_id])
        await Member.update({Member.household: to_id, Member.is_head: False, Member.updated_at: now()}).where(
            (Member.id == member_id) & (Member.household == from_id)
        )
        for household_id in (from_id, to_id):
            row = (
                await Household.select(Household.code, Household.address)
                .where(Household.id == household_id)
                .first()
            )
            row = still_there(row, f"household {household_id}")
            await refresh_household_keys(household_id, row["code"], row["address"])
            await Household.update(
                {Household.version: Household.version + 1, Household.updated_at: now()}
            ).where(Household.id == household_id)
        await households_changed([from_id, to_id], before=held)
        await audit(
            "member.moved", "household", from_id, user_id, {"member": member_id, "to": to_id}, client_addr
        )
        await audit(
            "member.moved_in",
            "household",
            to_id,
            user_id,
            {"member": member_id, "from": from_id},
            client_addr,
        )


async def archive_household(household_id: int, user_id: int, client_addr: str = "") -> None:
    """The household moved away: it leaves the lists and counts; its history stays."""
    async with write_transaction():
        held = await households_changing([household_id])
        await Household.update(
            {Household.archived: True, Household.archived_at: now(), Household.version: Household.version + 1, Household.updated_at: now()}
        ).where(Household.id == household_id)  # fmt: skip
        await households_changed([household_id], before=held)
        await audit("household.archived", "household", household_id, user_id, {}, client_addr)


async def merge_households(keep_id: int, duplicate_id: int, user_id: int, client_addr: str = "") -> None:
    """Merge a duplicate into the household kept: its visits and members move over, it is archived."""
    if keep_id == duplicate_id:
        raise InvalidInput([FieldError("duplicate", "invalid_choice")])
    async with write_transaction():
        held = await households_changing([keep_id, duplicate_id])
        moved_visits = await Visit.count().where(Visit.household == duplicate_id)
        # The duplicate's visits become the kept household's, in its village.
        await Visit.update({Visit.household: keep_id, Visit.village: held.villages.get(keep_id)}).where(
            Visit.household == duplicate_id
        )
        await Member.update({Member.household: keep_id, Member.is_head: False}).where(
            Member.household == duplicate_id
        )
        await Household.update(
            {Household.archived: True, Household.archived_at: now(), Household.version: Household.version + 1, Household.updated_at: now()}
        ).where(Household.id == duplicate_id)  # fmt: skip
        await Household.update({Household.version: Household.version + 1, Household.updated_at: now()}).where(
            Household.id == keep_id
        )
        keep = (
            await Household.select(Household.code, Household.address).where(Household.id == keep_id).first()
        )
        keep = still_there(keep, f"household {keep_id}")
        await refresh_household_keys(keep_id, keep["code"], keep["address"])
        await households_changed([keep_id, duplicate_id], before=held)
        await audit(
            "household.merged",
            "household",
            keep_id,
            user_id,
            {"duplicate": duplicate_id, "visits": moved_visits},
            client_addr,
        )
        await audit(
            "household.merged_into", "household", duplicate_id, user_id, {"kept": keep_id}, client_addr
        )


async def ward_of_village(village_id: int) -> int:
    """The ward a village belongs to."""
    row = await Village.select(Village.ward).where(Village.id == village_id).first()
    if row is None:
        raise LookupError(village_id)
    return int(row["ward"])


async def household_in_ward(code: str, ward_id: int) -> int | None:
    """The id of the household of the ward with this code (codes are unique within a village)."""
    row = (
        await Household.select(Household.id)
        .where(
            (Household.code == code.strip().upper())
            & (Household.village._.ward == ward_id)
            & Household.archived.eq(False)
        )
        .first()
    )
    return int(row["id"]) if row else None
