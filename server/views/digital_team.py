"""The community digital team of a ward and its mentors' learners (Đại sứ số)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body, FromPath
from litestar.response import Redirect

from server.auth import access, client_address, routed_ward
from server.views.classes import _errors
from server.views.render import page
from surveys.core.validation import FieldError, InvalidInput
from surveys.learning.attendance import find_attendees
from surveys.learning.team import (
    add_team_member,
    assign_learner,
    mentoring_gaps,
    parse_team_member,
    team_member_of_ward,
    ward_digital_team,
)
from surveys.people.access import allowed
from surveys.people.accounts import Actor
from surveys.register.places import ward_villages

FormData = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]


def _team_raw(data: dict[str, Any]) -> dict[str, Any]:
    raw: dict[str, Any] = {k: str(data.get(k, "")) for k in ("name", "phone", "role")}
    raw["role"] = raw["role"] or "member"
    village = str(data.get("village", ""))
    raw["village"] = int(village) if village.isdigit() else village or None
    return raw


class DigitalTeamController(Controller):
    """`/wards/{code}/digital-team`: seen by everyone who works in the ward, kept by its officers."""

    include_in_schema = False  # a page, not the API: /schema documents the API only

    path = "/wards/{code:str}/digital-team"

    async def _list(self, request: Request[Actor, Any, Any], code: str, **context: Any) -> Any:
        ward_id = routed_ward(request)
        return page(
            request,
            "digital_team.html",
            status_code=context.pop("status_code", 200),
            code=code,
            team=await ward_digital_team(ward_id),
            gaps=await mentoring_gaps(ward_id),
            villages=await ward_villages(ward_id),
            can_manage=await allowed(request.user, "ward.manage", ward_id=ward_id),
            **{"errors": {}, "values": {"role": "member"}, **context},
        )

    async def _member(self, request: Request[Actor, Any, Any], team_id: int) -> dict[str, Any]:
        found = await team_member_of_ward(routed_ward(request), team_id)
        if found is None:
            raise NotFoundException()
        return found

    @get("/", opt=access("class.read"))
    async def index(self, request: Request[Actor, Any, Any], code: FromPath[str]) -> Any:
        """The team by village, each member's learners and trainings, and the mentoring gaps."""
        return await self._list(request, code)

    @post("/", opt=access("ward.manage"))
    async def add(self, request: Request[Actor, Any, Any], code: FromPath[str], data: FormData) -> Any:
        """Add a member to the team; a bad field comes back with its message."""
        ward_id = routed_ward(request)
        raw = _team_raw(data)
        try:
            member = await parse_team_member(raw, ward_id)
            await add_team_member(ward_id, member, request.user.id, client_address(request))
        except InvalidInput as exc:
            return await self._list(request, code, errors=_errors(exc.errors), values=raw, status_code=422)
        return Redirect(f"/wards/{code}/digital-team", status_code=303)

    @get("/{team_id:int}", opt=access("class.read"))
    async def show(
        self, request: Request[Actor, Any, Any], code: FromPath[str], team_id: FromPath[int]
    ) -> Any:
        """A team member: their trainings and their learners' progress on the skills criteria."""
        ward_id = routed_ward(request)
        member = await self._member(request, team_id)
        can_manage = await allowed(request.user, "ward.manage", ward_id=ward_id)
        return page(
            request, "team_member.html", code=code, t=member, can_manage=can_manage, errors={}, found=[]
        )

    @post("/{team_id:int}/search", opt=access("ward.manage"))
    async def search(
        self, request: Request[Actor, Any, Any], code: FromPath[str], team_id: FromPath[int], data: FormData
    ) -> Any:
        """People of the register to pair with this mentor (a POST: names stay out of URLs)."""
        member = await self._member(request, team_id)
        q = str(data.get("q", ""))[:100]
        found = await find_attendees(routed_ward(request), request.user, q)
        return page(request, "team_member.html", code=code, t=member, can_manage=True, errors={}, found=found, q=q,
                    searched=True)  # fmt: skip

    @post("/{team_id:int}/learners", opt=access("ward.manage"))
    async def assign(
        self, request: Request[Actor, Any, Any], code: FromPath[str], team_id: FromPath[int], data: FormData
    ) -> Any:
        """Pair a learner with this mentor."""
        ward_id = routed_ward(request)
        member = await self._member(request, team_id)
        learner = str(data.get("learner", ""))
        try:
            if not learner.isdigit() or len(learner) > 9:
                raise InvalidInput([FieldError("learner", "unknown_member")])
            await assign_learner(ward_id, team_id, int(learner), request.user.id, client_address(request))
        except InvalidInput as exc:
            return page(request, "team_member.html", status_code=422, code=code, t=member, can_manage=True,
                        errors=_errors(exc.errors), found=[])  # fmt: skip
        return Redirect(f"/wards/{code}/digital-team/{team_id}", status_code=303)
