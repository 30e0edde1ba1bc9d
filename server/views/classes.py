"""A ward's community classes: the month's list, planning a class, and recording attendance on a phone."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect

from server.auth import access, client_address, routed_ward
from server.params import FormData
from server.replay import is_replay, replay_result
from server.views.render import ward_page
from surveys.core.messages import error_message
from surveys.core.validation import FieldError, InvalidInput
from surveys.learning.attendance import (
    class_roster,
    find_attendees,
    parse_attendance,
    record_attendance,
    remove_attendance,
)
from surveys.learning.classes import (
    ClassConflict,
    class_form_values,
    class_payload,
    create_class,
    form_values,
    parse_class,
    update_class,
)
from surveys.learning.enrol import enrol_payload, enrol_walk_in, households_to_join, parse_enrol
from surveys.learning.pages import ClassView, class_view, month_view, planner_villages, trainer_choices
from surveys.learning.schemas import ClassCreate, ClassUpdate
from surveys.learning.topics import add_topic, set_topic_offered, ward_topics
from surveys.people.access import check_writes_within
from surveys.people.accounts import Actor


def _errors(errors: list[FieldError]) -> dict[str, str]:
    return {e.field.split(".")[0]: error_message(e.field, e.code) for e in errors}


def _listed(value: Any) -> list[str]:
    return value if isinstance(value, list) else [value] if value else []


def _attendance_raw(data: dict[str, Any]) -> dict[str, Any]:
    """The attendance form as the API's payload (a member picked, or a walk-in's age group and sex)."""
    member = str(data.get("member", ""))
    raw: dict[str, Any] = {
        "client_id": str(data.get("client_id", "")),
        "member": int(member) if member.isdigit() else None,
        "can_use": _listed(data.get("can_use")),
    }
    if raw["member"] is None:
        raw.update(age_group=str(data.get("age_group", "")), sex=str(data.get("sex", "")))
    if data.get("saved_at"):
        # Added by the phone to an attendance it sends later: when it was saved.
        raw["saved_at"] = str(data["saved_at"])
    return raw


class ClassController(Controller):
    """`/wards/{code}/classes`: for everyone who works in the ward; village heads and officers plan."""

    include_in_schema = False  # a page, not the API: /schema documents the API only

    path = "/wards/{code:str}/classes"

    async def _view(self, request: Request[Actor, Any, Any], class_id: int) -> ClassView:
        view = await class_view(request.user, routed_ward(request), class_id)
        if view is None:
            raise NotFoundException()
        return view

    async def _form(self, request: Request[Actor, Any, Any], values: dict[str, Any], **context: Any) -> Any:
        ward_id = routed_ward(request)
        return ward_page(
            request,
            "class_form.html",
            values=values,
            villages=await planner_villages(request.user, ward_id),
            topics=await ward_topics(ward_id),
            team=await trainer_choices(ward_id, context.get("c")),
            **{"c": None, **context},
        )

    @get("/", opt=access("class.read"))
    async def index(
        self, request: Request[Actor, Any, Any], code: FromPath[str], month: FromQuery[str] = ""
    ) -> Any:
        """The month's classes, day by day."""
        view = await month_view(request.user, routed_ward(request), month)
        return ward_page(request, "classes.html", v=view)

    @get("/new", opt=access("class.manage"))
    async def new(self, request: Request[Actor, Any, Any], code: FromPath[str]) -> Any:
        """The form for a new class."""
        return await self._form(request, class_form_values(None))

    @post("/new", opt=access("class.manage"))
    async def create(self, request: Request[Actor, Any, Any], code: FromPath[str], data: FormData) -> Any:
        """Plan the class; a bad field comes back with its message and everything as typed."""
        ward_id = routed_ward(request)
        villages = {v["id"] for v in await planner_villages(request.user, ward_id)}
        try:
            parsed = await parse_class(class_payload(data), ClassCreate, ward_id, villages)
            result = await create_class(ward_id, parsed, request.user.id, client_address(request))
        except InvalidInput as exc:
            return await self._form(request, form_values(data), errors=_errors(exc.errors), status_code=422)
        return Redirect(f"/wards/{code}/classes/{result.id}", status_code=303)

    @get("/{class_id:int}", opt=access("class.read"))
    async def show(
        self, request: Request[Actor, Any, Any], code: FromPath[str], class_id: FromPath[int]
    ) -> Any:
        """The class and its attendees; where the user records attendance."""
        return ward_page(request, "class.html", v=await self._view(request, class_id))

    @get("/{class_id:int}/edit", opt=access("class.manage"))
    async def edit(
        self, request: Request[Actor, Any, Any], code: FromPath[str], class_id: FromPath[int]
    ) -> Any:
        """The class's form, filled in (a 403 for a class of a village the user may not plan in)."""
        view = await self._view(request, class_id)
        await check_writes_within(request.user, view.c["village"])
        return await self._form(request, class_form_values(view.c), c=view.c)

    @post("/{class_id:int}/edit", opt=access("class.manage"))
    async def update(
        self, request: Request[Actor, Any, Any], code: FromPath[str], class_id: FromPath[int], data: FormData
    ) -> Any:
        """Save the class; a change made meanwhile by someone else is shown, not overwritten."""
        ward_id = routed_ward(request)
        view = await self._view(request, class_id)
        villages = {v["id"] for v in await planner_villages(request.user, ward_id)}
        try:
            parsed = await parse_class(class_payload(data), ClassUpdate, ward_id, villages, class_id)
            await update_class(ward_id, class_id, parsed, request.user, client_address(request))
        except InvalidInput as exc:
            return await self._form(
                request, form_values(data), c=view.c, errors=_errors(exc.errors), status_code=422
            )
        except ClassConflict as exc:
            values = {**form_values(data), "version": str(exc.current["version"])}
            return await self._form(request, values, c=exc.current, conflict=True, status_code=409)
        return Redirect(f"/wards/{code}/classes/{class_id}", status_code=303)

    @post("/{class_id:int}/search", opt=access("class.attend"))
    async def search(
        self, request: Request[Actor, Any, Any], code: FromPath[str], class_id: FromPath[int], data: FormData
    ) -> Any:
        """People of the register matching the text typed (a POST: a name stays out of URLs and logs)."""
        view = await self._view(request, class_id)
        q = str(data.get("q", ""))[:100]
        found = await find_attendees(routed_ward(request), request.user, q, class_id)
        view = ClassView(**{**vars(view), "found": found})
        return ward_page(request, "class.html", block="found", v=view, q=q, searched=True)

    @get("/{class_id:int}/roster", opt=access("class.attend"))
    async def roster(
        self,
        request: Request[Actor, Any, Any],
        code: FromPath[str],
        class_id: FromPath[int],
        village: FromQuery[int | None] = None,
    ) -> Any:
        """The class page with everyone of the register the user may see (of `village`, when given)
        listed to add: the phone keeps it and searches it when there is no signal."""
        view = await self._view(request, class_id)
        found = await class_roster(routed_ward(request), request.user, class_id, village)
        view = ClassView(**{**vars(view), "found": found})
        return ward_page(request, "class.html", v=view, roster=True)

    @post("/{class_id:int}/attendance", opt=access("class.attend"))
    async def attend(
        self, request: Request[Actor, Any, Any], code: FromPath[str], class_id: FromPath[int], data: FormData
    ) -> Any:
        """Record one attendee; the list comes back with them on it, or with what is wrong (the phone's
        replay of a kept attendance gets the explicit result naming its client_id: server/replay.py)."""
        view = await self._view(request, class_id)
        try:
            attendance = parse_attendance(_attendance_raw(data), view.c)
            result = await record_attendance(
                routed_ward(request), view.c, attendance, request.user, client_address(request)
            )
        except InvalidInput as exc:
            errors = _errors(exc.errors)
            return ward_page(request, "class.html", block="attendance", status_code=422, v=view, errors=errors,
                             walk_in=data)  # fmt: skip
        if is_replay(request):
            return replay_result(attendance.client_id, result.created)
        if not getattr(request, "htmx", False):
            return Redirect(f"/wards/{code}/classes/{class_id}?added=true", status_code=303)
        view = await self._view(request, class_id)
        return ward_page(request, "class.html", block="attendance", v=view, added=True)

    @post("/{class_id:int}/attendance/{attendance_id:int}/remove", opt=access("class.attend"))
    async def unattend(
        self,
        request: Request[Actor, Any, Any],
        code: FromPath[str],
        class_id: FromPath[int],
        attendance_id: FromPath[int],
    ) -> Redirect:
        """Take back an attendee recorded by mistake."""
        view = await self._view(request, class_id)
        try:
            await remove_attendance(view.c, attendance_id, request.user, client_address(request))
        except LookupError as exc:
            raise NotFoundException() from exc
        return Redirect(f"/wards/{code}/classes/{class_id}", status_code=303)

    @post("/{class_id:int}/attendance/{attendance_id:int}/household", opt=access("class.attend"))
    async def enrol(
        self,
        request: Request[Actor, Any, Any],
        code: FromPath[str],
        class_id: FromPath[int],
        attendance_id: FromPath[int],
        data: FormData,
    ) -> Any:
        """Add a walk-in to a household of the register; their attendance becomes the new member's."""
        view = await self._view(request, class_id)
        try:
            enrol = parse_enrol(enrol_payload(data))
            await enrol_walk_in(routed_ward(request), view.c, attendance_id, enrol, request.user,
                                client_address(request))  # fmt: skip
        except InvalidInput as exc:
            return ward_page(request, "class.html", status_code=422, v=view, errors=_errors(exc.errors),
                             enrolling=attendance_id, enrol=data)  # fmt: skip
        except LookupError as exc:
            raise NotFoundException() from exc
        return Redirect(f"/wards/{code}/classes/{class_id}", status_code=303)

    @post("/{class_id:int}/attendance/{attendance_id:int}/household/search", opt=access("class.attend"))
    async def enrol_search(
        self,
        request: Request[Actor, Any, Any],
        code: FromPath[str],
        class_id: FromPath[int],
        attendance_id: FromPath[int],
        data: FormData,
    ) -> Any:
        """The households to pick for a walk-in, found by a member's name, the address or the code (a
        POST: a name stays out of URLs and logs); what was typed in the form stays."""
        view = await self._view(request, class_id)
        found = await households_to_join(routed_ward(request), request.user, str(data.get("q", ""))[:100])
        return ward_page(request, "class.html", v=view, enrolling=attendance_id, enrol=data, households=found)


class ClassTopicController(Controller):
    """`/wards/{code}/class-topics`: the ward office keeps its list of class topics."""

    include_in_schema = False  # a page, not the API: /schema documents the API only

    path = "/wards/{code:str}/class-topics"
    opt = access("ward.manage")

    async def _topics(self, request: Request[Actor, Any, Any], **context: Any) -> Any:
        ward_id = routed_ward(request)
        offered, every = await ward_topics(ward_id), await ward_topics(ward_id, offered_only=False)
        return ward_page(request, "class_topics.html", offered=offered, every=every, **context)

    @get("/")
    async def index(self, request: Request[Actor, Any, Any], code: FromPath[str]) -> Any:
        """The topics offered and retired."""
        return await self._topics(request, name="")

    @post("/")
    async def add(self, request: Request[Actor, Any, Any], code: FromPath[str], data: FormData) -> Any:
        """Add a topic of the ward's own."""
        ward_id = routed_ward(request)
        name = str(data.get("name", ""))
        try:
            await add_topic(ward_id, name, request.user.id, client_address(request))
        except InvalidInput as exc:
            return await self._topics(request, status_code=422, errors=_errors(exc.errors), name=name)
        return Redirect(f"/wards/{code}/class-topics", status_code=303)

    @post("/{key:str}/offered")
    async def offered(
        self, request: Request[Actor, Any, Any], code: FromPath[str], key: FromPath[str], data: FormData
    ) -> Redirect:
        """Retire a topic or offer it again."""
        try:
            await set_topic_offered(
                routed_ward(request),
                key,
                data.get("offered") == "true",
                request.user.id,
                client_address(request),
            )
        except InvalidInput as exc:
            raise NotFoundException() from exc
        return Redirect(f"/wards/{code}/class-topics", status_code=303)
