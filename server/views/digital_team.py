"""The community digital team of a ward and its mentors' learners (Đại sứ số)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import FromPath
from litestar.response import Redirect

from server.auth import access, client_address, routed_ward
from server.params import FormData
from server.views.classes import _errors
from server.views.render import ward_page
from surveys.core.validation import FieldError, InvalidInput
from surveys.learning.attendance import find_attendees
from surveys.learning.digital_team import (
    mentoring_gaps,
    parse_team_member,
    team_member_of_ward,
    ward_digital_team,
)
from surveys.learning.digital_team_manage import (
    DigitalTeamConflict,
    assign_learner_in_area,
    create_team_member,
    set_team_member_active,
    unassign_learner,
    update_team_member,
)
from surveys.learning.schemas import TeamMemberUpdate
from surveys.people.access import allowed, keeps_team_of
from surveys.people.accounts import Actor
from surveys.people.staff import ward_staff
from surveys.register.places import ward_villages


def _team_raw(data: dict[str, Any]) -> dict[str, Any]:
    """The team member form as the API's payload (ids as numbers, empty choices as none)."""
    raw: dict[str, Any] = {k: str(data.get(k, "")) for k in ("name", "phone", "role")}
    raw["role"] = raw["role"] or "member"
    for key in ("village", "user", "version"):
        value = str(data.get(key, ""))
        raw[key] = int(value) if value.isdigit() and len(value) < 10 else value or None
    if raw["version"] is None:
        del raw["version"]
    return raw


async def _kept_villages(actor: Actor, ward_id: int) -> list[dict[str, Any]]:
    """The ward's villages whose team members the actor keeps (a village head: their own)."""
    return [v for v in await ward_villages(ward_id) if keeps_team_of(actor, v["id"])]


class DigitalTeamController(Controller):
    """`/wards/{code}/digital-team`: seen by everyone who works in the ward, kept by its officers."""

    include_in_schema = False  # a page, not the API: /schema documents the API only

    path = "/wards/{code:str}/digital-team"

    async def _list(self, request: Request[Actor, Any, Any], **context: Any) -> Any:
        ward_id = routed_ward(request)
        return ward_page(
            request,
            "digital_team.html",
            status_code=context.pop("status_code", 200),
            team=await ward_digital_team(ward_id),
            left=await ward_digital_team(ward_id, left=True),
            gaps=await mentoring_gaps(ward_id),
            villages=await _kept_villages(request.user, ward_id),
            can_manage=await allowed(request.user, "team.manage", ward_id=ward_id),
            can_keep_ward=keeps_team_of(request.user, None),
            **{"values": {"role": "member"}, **context},
        )

    async def _member(self, request: Request[Actor, Any, Any], team_id: int) -> dict[str, Any]:
        found = await team_member_of_ward(routed_ward(request), team_id, request.user)
        if found is None:
            raise NotFoundException()
        return found

    async def _kept(self, request: Request[Actor, Any, Any], team_id: int) -> dict[str, Any]:
        """The member, when the caller keeps them: 404 for none, 403 for another village's."""
        found = await self._member(request, team_id)
        if not keeps_team_of(request.user, found["village"]):
            raise PermissionDeniedException()
        return found

    async def _show(self, request: Request[Actor, Any, Any], team_id: int, **context: Any) -> Any:
        """The member's page: with its forms for those who keep this member (a 403 for a village head
        posting to another village's member, before anything is read from the form)."""
        ward_id = routed_ward(request)
        member = await self._member(request, team_id)
        keeps = keeps_team_of(request.user, member["village"]) and await allowed(
            request.user, "team.manage", ward_id=ward_id
        )
        if request.method == "POST" and not keeps:
            raise PermissionDeniedException()
        manage: dict[str, Any] = {}
        if keeps:
            manage = {"villages": await _kept_villages(request.user, ward_id),
                      "accounts": await ward_staff(ward_id), "can_keep_ward": keeps_team_of(request.user, None)}  # fmt: skip
        values = context.pop("values", None) or {**member, "version": member["version"]}
        return ward_page(
            request,
            "digital_team_member.html",
            status_code=context.pop("status_code", 200),
            t=member,
            can_manage=keeps,
            values=values,
            **{"found": [], "edit_errors": {}, **manage, **context},
        )

    @get("/", opt=access("class.read"))
    async def index(self, request: Request[Actor, Any, Any], code: FromPath[str]) -> Any:
        """The team by village, each member's learners and trainings, and the mentoring gaps."""
        return await self._list(request)

    @post("/", opt=access("team.manage"))
    async def add(self, request: Request[Actor, Any, Any], code: FromPath[str], data: FormData) -> Any:
        """Add a member to the team; a bad field comes back with its message."""
        ward_id = routed_ward(request)
        raw = _team_raw(data)
        try:
            member = await parse_team_member(raw, ward_id)
            await create_team_member(ward_id, member, request.user, client_address(request))
        except InvalidInput as exc:
            return await self._list(request, errors=_errors(exc.errors), values=raw, status_code=422)
        return Redirect(f"/wards/{code}/digital-team", status_code=303)

    @get("/{team_id:int}", opt=access("class.read"))
    async def show(
        self, request: Request[Actor, Any, Any], code: FromPath[str], team_id: FromPath[int]
    ) -> Any:
        """A team member: their trainings and their learners' progress on the skills criteria."""
        return await self._show(request, team_id)

    @post("/{team_id:int}", opt=access("team.manage"))
    async def edit(
        self, request: Request[Actor, Any, Any], code: FromPath[str], team_id: FromPath[int], data: FormData
    ) -> Any:
        """Change a member's name, phone, role, village or account; a stale form is a conflict (409)
        showing the member as they are now, with what was typed."""
        ward_id = routed_ward(request)
        current = await self._kept(request, team_id)
        raw = {**_team_raw(data), "member": current["member"]}
        try:
            update = await parse_team_member(raw, ward_id, TeamMemberUpdate)
            await update_team_member(ward_id, team_id, update, request.user, client_address(request))
        except InvalidInput as exc:
            return await self._show(
                request, team_id, edit_errors=_errors(exc.errors), values=raw, status_code=422
            )
        except DigitalTeamConflict:
            values = {**raw, "version": current["version"]}
            return await self._show(request, team_id, conflict=True, status_code=409, values=values)
        return Redirect(f"/wards/{code}/digital-team/{team_id}", status_code=303)

    @post("/{team_id:int}/active", opt=access("team.manage"))
    async def active(
        self, request: Request[Actor, Any, Any], code: FromPath[str], team_id: FromPath[int], data: FormData
    ) -> Any:
        """The member left the team (kept in history, learners unpaired), or is back in it."""
        await self._kept(request, team_id)
        await set_team_member_active(routed_ward(request), team_id, data.get("active") == "true",
                                     request.user, client_address(request))  # fmt: skip
        return Redirect(f"/wards/{code}/digital-team/{team_id}", status_code=303)

    @post("/{team_id:int}/search", opt=access("team.manage"))
    async def search(
        self, request: Request[Actor, Any, Any], code: FromPath[str], team_id: FromPath[int], data: FormData
    ) -> Any:
        """People of the register to pair with this mentor (a POST: names stay out of URLs)."""
        q = str(data.get("q", ""))[:100]
        found = await find_attendees(routed_ward(request), request.user, q)
        return await self._show(request, team_id, found=found, q=q, searched=True)

    @post("/{team_id:int}/learners", opt=access("team.manage"))
    async def assign(
        self, request: Request[Actor, Any, Any], code: FromPath[str], team_id: FromPath[int], data: FormData
    ) -> Any:
        """Pair a learner with this mentor."""
        ward_id = routed_ward(request)
        await self._kept(request, team_id)
        learner = str(data.get("learner", ""))
        try:
            if not learner.isdigit() or len(learner) > 9:
                raise InvalidInput([FieldError("learner", "unknown_member")])
            await assign_learner_in_area(
                ward_id, team_id, int(learner), request.user, client_address(request)
            )
        except InvalidInput as exc:
            return await self._show(request, team_id, errors=_errors(exc.errors), status_code=422)
        return Redirect(f"/wards/{code}/digital-team/{team_id}", status_code=303)

    @post("/{team_id:int}/learners/{learner_id:int}/remove", opt=access("team.manage"))
    async def unassign(
        self, request: Request[Actor, Any, Any], code: FromPath[str], team_id: FromPath[int],
        learner_id: FromPath[int],
    ) -> Any:  # fmt: skip
        """Unpair a learner from this mentor: they are free for another one."""
        try:
            await unassign_learner(
                routed_ward(request), team_id, learner_id, request.user, client_address(request)
            )
        except LookupError as exc:
            raise NotFoundException() from exc
        return Redirect(f"/wards/{code}/digital-team/{team_id}", status_code=303)
