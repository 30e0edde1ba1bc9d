"""Reports that go upward, as JSON: a ward submits a period's report, the province lists every ward's
and decides on each (surveys/reporting/submissions.py holds the rules)."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Annotated, Any, TypeVar

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import HTTPException, NotFoundException
from litestar.params import FromPath, QueryParameter

from server.api import _json, _parse, invalid_input
from server.auth import access, client_address, routed_province, routed_ward
from server.openapi import json_body, problems
from surveys.core.validation import InvalidInput, parse
from surveys.people.accounts import Actor
from surveys.reporting.due_dates import report_schedule, save_report_schedule
from surveys.reporting.submission_schemas import (
    DecisionIn,
    ProvinceSubmissionsOut,
    ReportSchedule,
    SubmissionOut,
)
from surveys.reporting.submissions import (
    DecisionRefused,
    SubmissionLocked,
    check_decision,
    decide,
    province_submissions,
    province_ward,
    submission,
    submit_report,
)

T = TypeVar("T")
PeriodQuery = Annotated[str, QueryParameter(name="period", max_length=10)]


async def _checked(work: Awaitable[T]) -> T:
    """The work's result; a bad period is a 422 naming it, a report's state that forbids it a 409."""
    try:
        return await work
    except InvalidInput as exc:
        raise invalid_input(exc) from exc
    except SubmissionLocked as exc:
        raise HTTPException(
            status_code=409, detail="The province accepted this report: it is locked until it reopens it."
        ) from exc
    except DecisionRefused as exc:
        raise HTTPException(
            status_code=409,
            detail=f"The report is {exc.status}: this decision does not apply; nothing changed.",
        ) from exc


class SubmissionApiController(Controller):
    """A ward's report on a period, as submitted to its province."""

    path = "/api/wards/{code:str}/reports/{period:str}/submission"
    tags = ["reports"]  # noqa: RUF012

    @post("/", opt=access("ward.manage"), responses=problems(400, 401, 404, 409, 422))
    async def submit(
        self, request: Request[Actor, Any, Any], code: FromPath[str], period: FromPath[str]
    ) -> Response[SubmissionOut]:
        """Submit the ward's report on `period` (`2026-Q3`, `2026-H2`, `2026`) once it has ended: 201 with
        the new version and the report as it stands; 422 before the period ends; 409 once accepted (until
        the province reopens it). No body is needed."""
        work = submit_report(routed_ward(request), period, request.user.id, client_address(request))
        return Response(await _checked(work), status_code=201)

    @get("/", opt=access("ward.read"), responses=problems(400, 401, 404, 422))
    async def latest(
        self, request: Request[Actor, Any, Any], code: FromPath[str], period: FromPath[str]
    ) -> SubmissionOut:
        """The latest version with its `status` (`not_submitted`, `submitted`, `accepted`, `returned`), the
        province's comment, the report exactly as submitted, the due date, the late arrivals, every version."""
        return await _checked(submission(routed_ward(request), period))


class ProvinceSubmissionApiController(Controller):
    """The province's view of its wards' reports, and its decisions."""

    path = "/api/provinces/{code:str}/submissions"
    tags = ["reports"]  # noqa: RUF012

    @get("/", opt=access("province.read"), responses=problems(400, 401, 404, 422))
    async def index(
        self, request: Request[Actor, Any, Any], code: FromPath[str], period: PeriodQuery
    ) -> ProvinceSubmissionsOut:
        """Every ward of the province with its report's `status`, `version`, `submitted_at`, `due` and
        `on_time` on `period`; how many submitted, on time, late."""
        return (await _checked(province_submissions(routed_province(request), period))).out()

    @post(
        "/{ward:str}/{period:str}/decision",
        status_code=200,
        operation_class=json_body(DecisionIn),
        opt=access("province.decide"),
        responses=problems(400, 401, 404, 409, 413, 422),
    )
    async def decision(
        self,
        request: Request[Actor, Any, Any],
        code: FromPath[str],
        ward: FromPath[str],
        period: FromPath[str],
    ) -> SubmissionOut:
        """`{"decision": "accept" | "return" | "reopen", "comment": …}` on the ward's latest version:
        accept locks it, return needs a comment, reopen unlocks an accepted one. A ward of another province
        is 404; a decision the state does not allow, 409."""
        data = _parse(await _json(request), lambda raw: check_decision(parse(raw, DecisionIn)))
        ward_id = await province_ward(routed_province(request), ward)
        if ward_id is None:
            raise NotFoundException()
        return await _checked(decide(ward_id, period, data, request.user.id, client_address(request)))


class ReportScheduleApiController(Controller):
    """When the province's wards' reports are due."""

    path = "/api/provinces/{code:str}/report-schedule"
    tags = ["reports"]  # noqa: RUF012

    @get("/", opt=access("province.read"), responses=problems(400, 401, 404))
    async def schedule(self, request: Request[Actor, Any, Any], code: FromPath[str]) -> ReportSchedule:
        """Days after a quarter (`report_due_quarter`), a half-year and the year end that a report is due."""
        return await report_schedule(routed_province(request))

    @post(
        "/",
        status_code=200,
        operation_class=json_body(ReportSchedule),
        opt=access("province.decide"),
        responses=problems(400, 401, 404, 413, 422),
    )
    async def save(self, request: Request[Actor, Any, Any], code: FromPath[str]) -> ReportSchedule:
        """Set them (each 0 to 90 days; one left out keeps the default), audited."""
        data = _parse(await _json(request), lambda raw: parse(raw, ReportSchedule))
        return await save_report_schedule(
            routed_province(request), data, request.user.id, client_address(request)
        )
