"""The JSON API: the same data as the pages, for integration and tests (OpenAPI at `/schema`)."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from datetime import timedelta
from functools import partial
from typing import Annotated, Any, Protocol, TypeVar, overload

import msgspec
from litestar import Controller, Request, Response, delete, get, post
from litestar.di import NamedDependency
from litestar.exceptions import (
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    TooManyRequestsException,
)
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, FromQuery, QueryParameter

from server.auth import MAX_ID, access, client_address, routed_household, routed_province, routed_ward
from server.openapi import json_body, problems
from server.params import PageNo, Reason, Sort, Status
from server.problems import ConflictProblem, InvalidInputProblem, UndecodableBodyProblem
from surveys import schemas
from surveys.core.audit import audit
from surveys.core.db import database_ok
from surveys.core.outages import RETRY_AFTER_SECONDS as OUTAGE_RETRY_SECONDS
from surveys.core.settings import Settings
from surveys.core.validation import InvalidInput, StaleVersion, parse
from surveys.people.access import allowed
from surveys.people.accounts import (
    Actor,
    SignInLimits,
    TooManyAttempts,
    actor_by_id,
    close_session,
    minutes_to_wait,
    open_session,
    sign_in,
)
from surveys.register.households import visible_villages
from surveys.reporting.country import country_out, country_report
from surveys.reporting.coverage import coverage_out
from surveys.reporting.lists import ListFilters, village_households
from surveys.reporting.province import province_out, province_report
from surveys.reporting.reports import report_out, ward_report
from surveys.reporting.schemas import CountryReportOut
from surveys.survey.status import household_detail
from surveys.survey.visits import VisitConflict, parse_visit, record_visit

T = TypeVar("T")
B = TypeVar("B")


class Recorded(Protocol):
    """What a rule of `surveys/` answers for a create: whether this call made the record."""

    @property
    def created(self) -> bool: ...


R = TypeVar("R", bound=Recorded)


async def _json(request: Request[Any, Any, Any]) -> Any:
    try:
        return msgspec.json.decode(await request.body())
    # Not JSON, not UTF-8, or nested deeper than the decoder goes: a 400, never a 500.
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise UndecodableBodyProblem() from exc


@get(
    "/healthz",
    tags=["health"],
    opt=access("public"),
    responses={
        503: ResponseSpec(data_container=schemas.Health, description="The database does not answer."),
        **problems(400),
    },
)
async def healthz() -> Response[schemas.Health]:
    """Whether the service and its database answer."""
    ok = await database_ok()
    body = schemas.Health(status="ok" if ok else "error", database="ok" if ok else "error")
    headers = {} if ok else {"Retry-After": str(OUTAGE_RETRY_SECONDS)}
    return Response(body, status_code=200 if ok else 503, headers=headers)


class SessionController(Controller):
    """API tokens."""

    path = "/api/session"
    opt = access("public")
    tags = ["session"]  # noqa: RUF012

    @post(
        "/",
        status_code=200,
        operation_class=json_body(schemas.SessionCreate),
        responses=problems(400, 401, 403, 413, 422, 429),
    )
    async def create(
        self, request: Request[Any, Any, Any], settings: NamedDependency[Settings]
    ) -> schemas.SessionToken:
        """Exchange a login and password for a bearer token."""
        data = _parse(await _json(request), partial(parse, cls=schemas.SessionCreate))
        try:
            user_id = await sign_in(
                data.login, data.password, client_address(request), SignInLimits.of(settings)
            )
        except TooManyAttempts as exc:
            raise TooManyRequestsException(
                "Too many failed sign-ins; try again later.",
                headers={"Retry-After": str(minutes_to_wait(exc.retry_after) * 60)},
            ) from exc
        if user_id is None:
            raise NotAuthorizedException("Wrong login or password.")
        actor = await actor_by_id(user_id)
        if actor is None or actor.must_change_password:
            raise PermissionDeniedException(
                "Choose a new password (sign in on the web) before using the API."
            )
        token = await open_session(user_id, "api", timedelta(hours=settings.session_max_hours))
        await audit("session.signed_in", "user", user_id, user_id, {"kind": "api"}, client_address(request))
        return schemas.SessionToken(token=token, role=actor.role)

    @delete("/", opt=access("account"), responses=problems(400, 401, 403))
    async def end(self, request: Request[Actor, Any, Any]) -> None:
        """Sign out: the bearer token of this request stops working at once (204)."""
        await close_session(request.headers.get("authorization", "").partition(" ")[2].strip())


def invalid_input(exc: InvalidInput) -> InvalidInputProblem:
    """The 422 problem naming each bad field of `exc`."""
    return InvalidInputProblem([(e.field, e.code) for e in exc.errors])


def _parse(raw: Any, parser: Callable[[Any], T]) -> T:
    try:
        return parser(raw)
    except InvalidInput as exc:
        raise invalid_input(exc) from exc


def created_responses(
    data: type[Any], *codes: int, repeated: str = "This client_id was recorded before."
) -> dict[int, ResponseSpec]:
    """What a create documents besides its 201: 200 with `data` for a repeated `client_id`, and its
    problems (`codes`)."""
    return {200: ResponseSpec(data_container=data, description=repeated), **problems(*codes)}


async def _awaited(value: T | Awaitable[T]) -> T:
    return await value if inspect.isawaitable(value) else value


@overload
async def create_once(
    request: Request[Any, Any, Any],
    parse: Callable[[Any], Awaitable[T]],
    record: Callable[[T], Awaitable[R]],
    answer: Callable[[R], B | Awaitable[B]],
) -> Response[B]: ...


@overload
async def create_once(
    request: Request[Any, Any, Any],
    parse: Callable[[Any], T],
    record: Callable[[T], Awaitable[R]],
    answer: Callable[[R], B | Awaitable[B]],
) -> Response[B]: ...


async def create_once(
    request: Request[Any, Any, Any],
    parse: Callable[[Any], Any],
    record: Callable[[Any], Awaitable[Recorded]],
    answer: Callable[[Any], Any],
) -> Response[Any]:
    """A create of the API, the same for visits, classes, attendance and help: the JSON body (400 when
    it does not decode) parsed and recorded by the rule of `surveys/` (422 naming each bad field, the
    rule's refusals too), answered 201 when new and 200 for a `client_id` recorded before (a retry)."""
    raw = await _json(request)
    try:
        result = await record(await _awaited(parse(raw)))
    except InvalidInput as exc:
        raise invalid_input(exc) from exc
    return Response(await _awaited(answer(result)), status_code=201 if result.created else 200)


async def update_once(
    request: Request[Any, Any, Any],
    parse: Callable[[Any], Awaitable[T]],
    update: Callable[[T], Awaitable[object]],
    stale: Callable[[dict[str, Any]], Any],
    what: str,
    answer: Callable[[], Awaitable[B]],
) -> B:
    """An update of the API, the same for classes and the team: the JSON body (400 when it does not
    decode) parsed and saved by the rule of `surveys/` (422 naming each bad field), a stale `version` a
    409 carrying the record as it stands (`stale` of the rule's current row) with nothing overwritten,
    and otherwise `answer`, the record as saved."""
    raw = await _json(request)
    try:
        await update(await parse(raw))
    except InvalidInput as exc:
        raise invalid_input(exc) from exc
    except StaleVersion as exc:
        raise ConflictProblem(stale(exc.current), what) from exc
    return await answer()


VISIT_SEEN = "This client_id was recorded before: nothing new, the household as it is."


class ApiController(Controller):
    """Villages, households and visits, for a bearer token's user."""

    path = "/api"
    tags = ["households"]  # noqa: RUF012

    @get("/villages", opt=access("account"), responses=problems(400, 401))
    async def villages(self, request: Request[Actor, Any, Any]) -> list[schemas.Village]:
        """The villages the caller may see."""
        return await visible_villages(request.user)

    @get(
        "/villages/{village_id:int}/coverage",
        opt=access("village.read"),
        responses=problems(400, 401, 404, 422),
    )
    async def coverage(
        self,
        request: Request[Actor, Any, Any],
        village_id: FromPath[int],
        q: FromQuery[str] = "",
        status: Status = "all",
        reason: Reason = "",
        sort: Sort = "visit",
        page: PageNo = 1,
    ) -> schemas.Coverage:
        """A village's coverage list: the same rows, filters and order as the page."""
        return coverage_out(
            village_id, await ListFilters.of(q, status, reason, sort, page).listing(village_id)
        )

    @get("/wards/{code:str}/report", opt=access("ward.read"), responses=problems(400, 401, 404))
    async def report(self, request: Request[Actor, Any, Any], code: FromPath[str]) -> schemas.WardReport:
        """The ward's indicators per village and in total against the year's targets (the dashboard's
        numbers)."""
        return report_out(await ward_report(routed_ward(request)))

    @get("/provinces/{code:str}/report", opt=access("province.read"), responses=problems(400, 401, 404))
    async def province(
        self, request: Request[Actor, Any, Any], code: FromPath[str]
    ) -> schemas.ProvinceReport:
        """The province's wards with their indicators against each ward's targets, the week's change, the
        visits of this week and each ward's last activity, and the province total (the sum of its
        wards); a ward with no households is `started: false`, its percentages null."""
        return province_out(await province_report(routed_province(request)))

    @get("/country/report", opt=access("country.read"), responses=problems(400, 401, 404))
    async def country(self) -> CountryReportOut:
        """Every province of the official list with its indicators against its targets (its wards' own,
        weighted by what each counts them over), the week's change, and the address of its dashboard;
        a province with no households is `started: false`, its percentages null; `report_submissions`
        counts its wards by the state of their report on `report_period` (the latest ended quarter).
        From the per-village daily counts."""
        return country_out(await country_report())

    @get("/households", opt=access("account"), responses=problems(400, 401, 404, 422))
    async def households(
        self,
        request: Request[Actor, Any, Any],
        village: Annotated[int, QueryParameter(ge=1, le=MAX_ID)],
        q: Annotated[str, QueryParameter(max_length=100)] = "",
    ) -> list[schemas.HouseholdSummary]:
        """A village's households, `q` matching as the search box does (accents and case ignored)."""
        if not await allowed(request.user, "village.read", village_id=village):
            raise NotFoundException("No such village.")
        return await village_households(village, q[:100])

    @get("/households/{token:str}", opt=access("household.read"), responses=problems(400, 401, 404))
    async def household(self, request: Request[Actor, Any, Any], token: FromPath[str]) -> schemas.Household:
        """A household with its members and derived status; 404 alike when unknown or not the caller's."""
        return await household_detail(routed_household(request))

    @post(
        "/households/{token:str}/visits",
        operation_class=json_body(schemas.VisitCreate),
        opt=access("household.visit"),
        responses=created_responses(
            schemas.Household, 400, 401, 403, 404, 409, 413, 422, repeated=VISIT_SEEN
        ),
    )
    async def record(
        self, request: Request[Actor, Any, Any], token: FromPath[str]
    ) -> Response[schemas.Household]:
        """Record a visit: 201 when recorded, 200 for a repeated `client_id`, 409 on an outdated version."""
        row = routed_household(request)
        try:
            return await create_once(
                request,
                parse_visit,
                lambda visit: record_visit(row, visit, request.user, client_address(request)),
                lambda result: result.household,
            )
        except VisitConflict as exc:
            raise ConflictProblem(exc.current) from exc
