"""The community digital team and its mentors' learners through the JSON API, with the conventions of
classes and visits: a `client_id` makes a retried create a no-op (200 instead of 201), a stale `version`
is a 409 with the member as it stands, a 422 names each bad field, and a village head reaching a member or
learner of another village of the ward gets a 403."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, delete, get, post
from litestar.exceptions import NotFoundException
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath

from server.api import _json, _parse, create_once, created_responses, invalid_input, update_once
from server.auth import access, client_address, routed_ward
from server.openapi import json_body, problems
from surveys.core.validation import InvalidInput, parse
from surveys.learning.digital_team import parse_team_member, ward_digital_team
from surveys.learning.digital_team_manage import (
    assign_learner_in_area,
    create_team_member,
    set_team_member_active,
    team_out,
    team_row,
    unassign_learner,
    update_team_member,
)
from surveys.learning.schemas import (
    LearnerAssign,
    TeamActive,
    TeamMemberConflict,
    TeamMemberNew,
    TeamMemberOut,
    TeamMemberUpdate,
)
from surveys.people.access import OutOfArea, allowed, keeps_team_of
from surveys.people.accounts import Actor
from surveys.schemas import Problem

_OUT_OF_AREA = ResponseSpec(
    data_container=Problem,
    description="The member or learner is of the ward but outside the caller's villages (a village head's); "
    "or, as everywhere, a browser sent it from another site.",
    media_type="application/problem+json",
)
_STALE = ResponseSpec(
    data_container=TeamMemberConflict,
    description="The member changed since it was read; `current` is how it is now. Nothing was overwritten.",
    media_type="application/problem+json",
)


def _refusals(*codes: int) -> dict[int, ResponseSpec]:
    return {**problems(*codes), 403: _OUT_OF_AREA, **({409: _STALE} if 409 in codes else {})}


class DigitalTeamApiController(Controller):
    """A ward's community digital team: everyone who works in the ward reads it; its office keeps all of
    it, a village head the members and learners of their villages."""

    path = "/api/wards/{code:str}/digital-team"
    tags = ["digital team"]  # noqa: RUF012

    async def _kept(self, request: Request[Actor, Any, Any], code: str, team_id: int) -> TeamMemberOut:
        """The member, when the caller keeps them: 404 for none, 403 for another village's (before the
        body is read, so a refusal never depends on what was sent)."""
        found = await self._out(request, code, team_id)
        if not keeps_team_of(request.user, found.village_id):
            raise OutOfArea(found.village_id)
        return found

    async def _out(self, request: Request[Actor, Any, Any], code: str, team_id: int) -> TeamMemberOut:
        ward_id = routed_ward(request)
        row = await team_row(ward_id, team_id)
        if row is None:
            raise NotFoundException("No such team member.")
        return team_out(code, row, await allowed(request.user, "team.manage", ward_id=ward_id))

    @get("/", opt=access("class.read"), responses=problems(400, 401, 404))
    async def index(self, request: Request[Actor, Any, Any], code: FromPath[str]) -> list[TeamMemberOut]:
        """The team, those in it then those who left, each with their learners and team trainings."""
        ward_id = routed_ward(request)
        phones = await allowed(request.user, "team.manage", ward_id=ward_id)
        rows = await ward_digital_team(ward_id) + await ward_digital_team(ward_id, left=True)
        return [team_out(code, r, phones) for r in rows]

    @post(
        "/",
        operation_class=json_body(TeamMemberNew),
        opt=access("team.manage"),
        responses={**created_responses(TeamMemberOut), **_refusals(400, 401, 403, 404, 413, 422)},
    )
    async def create(self, request: Request[Actor, Any, Any], code: FromPath[str]) -> Response[TeamMemberOut]:
        """Add a member to the team: 201 when created, 200 for a repeated `client_id`."""
        ward_id = routed_ward(request)
        return await create_once(
            request,
            lambda raw: parse_team_member(raw, ward_id, TeamMemberNew),
            lambda data: create_team_member(ward_id, data, request.user, client_address(request)),
            lambda result: self._out(request, code, result.id),
        )

    @post(
        "/{team_id:int}",
        status_code=200,
        operation_class=json_body(TeamMemberUpdate),
        opt=access("team.manage"),
        responses=_refusals(400, 401, 403, 404, 409, 413, 422),
    )
    async def update(
        self, request: Request[Actor, Any, Any], code: FromPath[str], team_id: FromPath[int]
    ) -> TeamMemberOut:
        """Change a member; 409 with the member as it stands when `version` is not the current one."""
        ward_id = routed_ward(request)
        await self._kept(request, code, team_id)
        return await update_once(
            request,
            lambda raw: parse_team_member(raw, ward_id, TeamMemberUpdate),
            lambda data: update_team_member(ward_id, team_id, data, request.user, client_address(request)),
            lambda current: team_out(code, current, True),
            "team member",
            lambda: self._out(request, code, team_id),
        )

    @post(
        "/{team_id:int}/active",
        status_code=200,
        operation_class=json_body(TeamActive),
        opt=access("team.manage"),
        responses=_refusals(400, 401, 403, 404, 413, 422),
    )
    async def active(
        self, request: Request[Actor, Any, Any], code: FromPath[str], team_id: FromPath[int]
    ) -> TeamMemberOut:
        """`{"active": false}`: the member left the team (kept in history, their learners unpaired);
        `true`: they are back."""
        ward_id = routed_ward(request)
        await self._kept(request, code, team_id)
        data = _parse(await _json(request), lambda raw: parse(raw, TeamActive))
        await set_team_member_active(ward_id, team_id, data.active, request.user, client_address(request))
        return await self._out(request, code, team_id)

    @post(
        "/{team_id:int}/learners",
        operation_class=json_body(LearnerAssign),
        opt=access("team.manage"),
        responses=_refusals(400, 401, 403, 404, 413, 422),
    )
    async def assign(
        self, request: Request[Actor, Any, Any], code: FromPath[str], team_id: FromPath[int]
    ) -> Response[TeamMemberOut]:
        """Pair a learner of the register with this mentor: 201 with the mentor and their learners."""
        ward_id = routed_ward(request)
        await self._kept(request, code, team_id)
        data = _parse(await _json(request), lambda raw: parse(raw, LearnerAssign))
        try:
            await assign_learner_in_area(
                ward_id, team_id, data.learner, request.user, client_address(request)
            )
        except InvalidInput as exc:
            raise invalid_input(exc) from exc
        return Response(await self._out(request, code, team_id), status_code=201)

    @delete(
        "/{team_id:int}/learners/{learner_id:int}",
        opt=access("team.manage"),
        responses=_refusals(400, 401, 403, 404),
    )
    async def unassign(
        self, request: Request[Actor, Any, Any], code: FromPath[str], team_id: FromPath[int],
        learner_id: FromPath[int],
    ) -> None:  # fmt: skip
        """Unpair a learner from this mentor (204, also when they were not paired)."""
        try:
            await unassign_learner(
                routed_ward(request), team_id, learner_id, request.user, client_address(request)
            )
        except LookupError as exc:
            raise NotFoundException("No such team member or learner in this ward.") from exc
