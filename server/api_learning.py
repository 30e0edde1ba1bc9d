"""Classes, attendance and help given through the JSON API, with the conventions of visits: a
`client_id` makes a retry a no-op (200 instead of 201), a stale `version` is a 409 with the record as it
stands, and a 422 names each bad field. The offline queue can carry attendance and help as it does visits."""

from __future__ import annotations

from functools import partial
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery

from server.api import create_once, created_responses, update_once
from server.auth import access, client_address, routed_household, routed_ward
from server.openapi import json_body, problems
from surveys.learning.attendance import attendee_out, class_attendees, parse_attendance, record_attendance
from surveys.learning.classes import (
    class_out,
    create_class,
    parse_class,
    update_class,
    ward_class,
)
from surveys.learning.pages import month_view, planner_villages
from surveys.learning.schemas import (
    AttendanceCreate,
    AttendeeOut,
    ClassCreate,
    ClassOut,
    ClassUpdate,
)
from surveys.people.accounts import Actor
from surveys.survey.help import help_out, household_help, parse_help, record_help
from surveys.survey.schemas import HelpCreate, HelpOut


class ClassApiController(Controller):
    """A ward's classes and their attendance, for everyone who works in the ward."""

    path = "/api/wards/{code:str}/classes"
    tags = ["classes"]  # noqa: RUF012

    async def _class(self, request: Request[Actor, Any, Any], class_id: int) -> dict[str, Any]:
        found = await ward_class(routed_ward(request), class_id)
        if found is None:
            raise NotFoundException("No such class.")
        return found

    async def _class_out(self, request: Request[Actor, Any, Any], code: str, class_id: int) -> ClassOut:
        return class_out(code, await self._class(request, class_id))

    async def _attendee_out(
        self, request: Request[Actor, Any, Any], class_id: int, attendance_id: int
    ) -> AttendeeOut:
        attendees = await class_attendees(class_id, request.user, routed_ward(request))
        return attendee_out(next(a for a in attendees if a["id"] == attendance_id))

    @get("/", opt=access("class.read"), responses=problems(400, 401, 404, 422))
    async def index(
        self, request: Request[Actor, Any, Any], code: FromPath[str], month: FromQuery[str] = ""
    ) -> list[ClassOut]:
        """The classes of a month (`2026-11`; this month by default), in order of time."""
        view = await month_view(request.user, routed_ward(request), month)
        return [class_out(code, c) for _, classes in view.days for c in classes]

    @post(
        "/",
        operation_class=json_body(ClassCreate),
        opt=access("class.manage"),
        responses=created_responses(ClassOut, 400, 401, 403, 404, 413, 422),
    )
    async def create(self, request: Request[Actor, Any, Any], code: FromPath[str]) -> Response[ClassOut]:
        """Plan a class: 201 when created, 200 for a repeated `client_id`."""
        ward_id = routed_ward(request)
        villages = {v["id"] for v in await planner_villages(request.user, ward_id)}
        return await create_once(
            request,
            partial(parse_class, cls=ClassCreate, ward_id=ward_id, village_ids=villages),
            lambda data: create_class(ward_id, data, request.user.id, client_address(request)),
            lambda result: self._class_out(request, code, result.id),
        )

    @get("/{class_id:int}", opt=access("class.read"), responses=problems(400, 401, 404))
    async def show(
        self, request: Request[Actor, Any, Any], code: FromPath[str], class_id: FromPath[int]
    ) -> ClassOut:
        """One class with its attendance counts."""
        return class_out(code, await self._class(request, class_id))

    @post(
        "/{class_id:int}",
        status_code=200,
        operation_class=json_body(ClassUpdate),
        opt=access("class.manage"),
        responses=problems(400, 401, 403, 404, 409, 413, 422),
    )
    async def update(
        self, request: Request[Actor, Any, Any], code: FromPath[str], class_id: FromPath[int]
    ) -> ClassOut:
        """Change a class; 409 with the class as it stands when `version` is not the current one."""
        ward_id = routed_ward(request)
        await self._class(request, class_id)
        villages = {v["id"] for v in await planner_villages(request.user, ward_id)}
        return await update_once(
            request,
            partial(parse_class, cls=ClassUpdate, ward_id=ward_id, village_ids=villages, class_id=class_id),
            lambda data: update_class(ward_id, class_id, data, request.user, client_address(request)),
            lambda current: class_out(code, current),
            "class",
            lambda: self._class_out(request, code, class_id),
        )

    @get("/{class_id:int}/attendance", opt=access("class.read"), responses=problems(400, 401, 404))
    async def attendance(
        self, request: Request[Actor, Any, Any], code: FromPath[str], class_id: FromPath[int]
    ) -> list[AttendeeOut]:
        """The class's attendees: walk-ins, and members (their ids only where the caller may see them)."""
        await self._class(request, class_id)
        return [attendee_out(a) for a in await class_attendees(class_id, request.user, routed_ward(request))]

    @post(
        "/{class_id:int}/attendance",
        operation_class=json_body(AttendanceCreate),
        opt=access("class.attend"),
        responses=created_responses(AttendeeOut, 400, 401, 403, 404, 409, 413, 422),
    )
    async def attend(
        self, request: Request[Actor, Any, Any], code: FromPath[str], class_id: FromPath[int]
    ) -> Response[AttendeeOut]:
        """Record one attendee (a member, or a walk-in's age group and sex): 201, or 200 for a repeat."""
        session = await self._class(request, class_id)
        ward_id = routed_ward(request)
        return await create_once(
            request,
            partial(parse_attendance, session=session),
            lambda data: record_attendance(ward_id, session, data, request.user, client_address(request)),
            lambda result: self._attendee_out(request, class_id, result.id),
        )


class HelpApiController(Controller):
    """Help given to a household's members, outside a visit (a visit carries its own in its answers)."""

    path = "/api/households/{token:str}/help"
    tags = ["households"]  # noqa: RUF012

    @get("/", opt=access("household.read"), responses=problems(400, 401, 404))
    async def index(self, request: Request[Actor, Any, Any], token: FromPath[str]) -> list[HelpOut]:
        """The help the household's members were given, newest first."""
        return await household_help(routed_household(request).id)

    @post(
        "/",
        operation_class=json_body(HelpCreate),
        opt=access("household.visit"),
        responses=created_responses(HelpOut, 400, 401, 403, 404, 409, 413, 422),
    )
    async def create(self, request: Request[Actor, Any, Any], token: FromPath[str]) -> Response[HelpOut]:
        """Record help given to a member: 201, or 200 for a repeated `client_id`."""
        row, by, addr = routed_household(request), request.user.id, client_address(request)
        return await create_once(
            request,
            parse_help,
            lambda h: record_help(row.id, h.member, h.kind, h.note, h.client_id, by, h.session, addr),
            lambda result: help_out(result.id),
        )
