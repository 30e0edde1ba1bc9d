"""The household register in the browser: add a household (volunteers too), correct, move, archive and
merge (village heads and the ward office), with each household's history."""

from __future__ import annotations

import re
from typing import Any

from litestar import Controller, Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect

from server.auth import access, client_address, routed_household
from server.params import FormData
from server.views.render import page
from surveys.core.audit import history
from surveys.core.messages import error_message
from surveys.core.rows import Row
from surveys.core.validation import FieldError, InvalidInput
from surveys.people.access import allowed
from surveys.people.accounts import Actor
from surveys.register.households import household_by_id, household_by_token
from surveys.register.members import has_member, register_members
from surveys.register.places import village_ref, ward_villages
from surveys.register.register import (
    archive_household,
    create_household,
    household_in_ward,
    merge_households,
    move_member,
    parse_register,
    update_household,
    ward_of_village,
)
from surveys.register.schemas import HouseholdCreate, HouseholdUpdate

_MEMBER_KEY = re.compile(r"^m-(\d{1,2})-([a-z_]+)$")


def members_from(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Member rows as posted (blank new rows left out), in row order."""
    rows: dict[int, dict[str, Any]] = {}
    for key, value in data.items():
        if match := _MEMBER_KEY.match(key):
            rows.setdefault(int(match.group(1)), {})[match.group(2)] = value
    members = []
    for index in sorted(rows):
        row = rows[index]
        member: dict[str, Any] = {k: str(row.get(k, "")) for k in ("id", "full_name", "birth_year", "sex")}
        member.update(is_head="is_head" in row, removed="removed" in row)
        if member["id"] or member["full_name"].strip() or member["birth_year"].strip():
            members.append(member)
    return members


def _payload(members: list[dict[str, Any]], **fields: Any) -> dict[str, Any]:
    clean = [{k: v for k, v in m.items() if v != ""} for m in members]
    return {**{k: v for k, v in fields.items() if v != ""}, "members": clean}


def _errors(errors: list[FieldError]) -> dict[str, str]:
    return {e.field: error_message(e.field, e.code) for e in errors}


class RegisterController(Controller):
    """Adding and correcting households."""

    include_in_schema = False  # a page, not the API: /schema documents the API only

    @get("/villages/{village_id:int}/households/new", opt=access("village.add_household"))
    async def new(self, request: Request[Actor, Any, Any], village_id: FromPath[int]) -> Any:
        """The form for a household found in the field."""
        village = await _village(village_id)
        blank = [{"id": "", "full_name": "", "birth_year": "", "sex": "", "is_head": True, "removed": False}]
        return page(
            request,
            "register.html",
            village=village,
            h=None,
            values={"address": ""},
            members=blank + [_blank()] * 2,
            errors={},
        )

    @post("/villages/{village_id:int}/households/new", opt=access("village.add_household"))
    async def create(
        self, request: Request[Actor, Any, Any], village_id: FromPath[int], data: FormData
    ) -> Any:
        """Add the household; bad fields come back with their messages and everything as typed."""
        village = await _village(village_id)
        members = members_from(data)
        address = str(data.get("address", ""))
        try:
            household = parse_register(_payload(members, address=address), HouseholdCreate)
            token = await create_household(village_id, household, request.user.id, client_address(request))
        except InvalidInput as exc:
            return page(request, "register.html", status_code=422, village=village, h=None, values={"address": address},
                        members=members or [_blank()], errors=_errors(exc.errors))  # fmt: skip
        return Redirect(f"/h/{token}", status_code=303)

    @get("/h/{token:str}/edit", opt=access("household.manage"))
    async def edit(self, request: Request[Actor, Any, Any], token: FromPath[str]) -> Any:
        """The register entry: address, village, members, and the household's history."""
        row = routed_household(request)
        members = await register_members(row.id)
        values = {"address": row.address, "village": str(row.village), "version": str(row.version)}
        return await self._edit_page(request, row, values, [*members, _blank()], {})

    @post("/h/{token:str}/edit", opt=access("household.manage"))
    async def save(self, request: Request[Actor, Any, Any], token: FromPath[str], data: FormData) -> Any:
        """Save the corrections (a move to another village of the ward included)."""
        row = routed_household(request)
        members = members_from(data)
        values = {k: str(data.get(k, "")) for k in ("address", "village", "version")}
        try:
            update = parse_register(_payload(members, **values), HouseholdUpdate)
            if update.village != row.village and not await allowed(
                request.user, "household.manage", village_id=update.village
            ):
                raise InvalidInput([FieldError("village", "invalid_choice")])
            saved = await update_household(
                row.id, await ward_of_village(row.village), update, request.user.id, client_address(request)
            )
        except InvalidInput as exc:
            return await self._edit_page(request, row, values, members, _errors(exc.errors), status_code=422)
        if not saved:
            fresh = await household_by_token(token)
            if fresh is None:  # archived or erased meanwhile
                raise NotFoundException()
            conflict = {"version": error_message("version", "conflict")}
            return await self._edit_page(
                request, fresh, {**values, "version": str(fresh.version)}, members, conflict, status_code=409
            )
        return Redirect(f"/h/{token}", status_code=303)

    @post("/h/{token:str}/archive", opt=access("household.manage"))
    async def archive(self, request: Request[Actor, Any, Any], token: FromPath[str]) -> Redirect:
        """The household moved away."""
        row = routed_household(request)
        await archive_household(row.id, request.user.id, client_address(request))
        return Redirect(f"/villages/{row.village}", status_code=303)

    @post("/h/{token:str}/merge", opt=access("household.manage"))
    async def merge(self, request: Request[Actor, Any, Any], token: FromPath[str], data: FormData) -> Any:
        """Merge a duplicate (given by its code) into this household, keeping all visits."""
        row = routed_household(request)
        code = str(data.get("duplicate", ""))
        duplicate = (
            await household_in_ward(code, await ward_of_village(row.village)) if code.strip() else None
        )
        duplicate_row = await household_by_id(duplicate) if duplicate else None
        if (
            duplicate is None
            or duplicate == row.id
            or duplicate_row is None
            or not await allowed(request.user, "household.manage", village_id=duplicate_row.village)
        ):
            values = {"address": row.address, "village": str(row.village), "version": str(row.version)}
            members = await register_members(row.id)
            errors = {"duplicate": error_message("duplicate", "not_found")}
            return await self._edit_page(
                request, row, {**values, "duplicate": code}, members, errors, status_code=422
            )
        await merge_households(row.id, duplicate, request.user.id, client_address(request))
        return Redirect(f"/h/{token}", status_code=303)

    @post("/h/{token:str}/move-member", opt=access("household.manage"))
    async def move(self, request: Request[Actor, Any, Any], token: FromPath[str], data: FormData) -> Any:
        """Move a member to another household of the ward (given by its code)."""
        row = routed_household(request)
        member_id = int(data["member"]) if str(data.get("member", "")).isdigit() else 0
        code = str(data.get("to", ""))
        target_id = (
            await household_in_ward(code, await ward_of_village(row.village)) if code.strip() else None
        )
        target = await household_by_id(target_id) if target_id else None
        member = await has_member(row.id, member_id)
        if (
            not member
            or target is None
            or target.id == row.id
            or not await allowed(request.user, "household.manage", village_id=target.village)
        ):
            values = {
                "address": row.address,
                "village": str(row.village),
                "version": str(row.version),
                "to": code,
            }
            errors = (
                {"to": error_message("duplicate", "not_found")}
                if member
                else {"member": error_message("members", "unknown_member")}
            )
            return await self._edit_page(
                request, row, values, await register_members(row.id), errors, status_code=422
            )
        await move_member(member_id, row.id, target.id, request.user.id, client_address(request))
        return Redirect(f"/h/{token}/edit", status_code=303)

    async def _edit_page(
        self,
        request: Request[Actor, Any, Any],
        row: Row,
        values: dict[str, str],
        members: list[dict[str, Any]],
        errors: dict[str, str],
        status_code: int = 200,
    ) -> Any:
        villages = [v for v in await ward_villages(await ward_of_village(row.village))
                    if await allowed(request.user, "household.manage", village_id=v["id"])]  # fmt: skip
        village = {"id": row.village, "name": row.village_name}
        return page(request, "register.html", status_code=status_code, village=village, h=row, values=values, members=members,
                    errors=errors, villages=villages, history=await history("household", row.id))  # fmt: skip


async def _village(village_id: int) -> dict[str, Any]:
    village = await village_ref(village_id)
    if village is None:  # access_guard found it; it can only have gone since
        raise NotFoundException()
    return village


def _blank() -> dict[str, Any]:
    return {"id": "", "full_name": "", "birth_year": "", "sex": "", "is_head": False, "removed": False}
