"""The periodic report of a ward or a province as JSON: the same numbers as its page and files
(server/views/reports.py), on the days `from` to `to`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from litestar import Controller, Request, get
from litestar.params import FromPath

from server.auth import access, routed_province, routed_ward
from server.openapi import problems
from server.params import From, To
from server.problems import InvalidInputProblem
from surveys.core.validation import InvalidInput
from surveys.reporting.periodic import (
    PeriodReport,
    period_report_out,
    province_period_report,
    ward_period_report,
)
from surveys.reporting.periods import Period, period_between
from surveys.reporting.schemas import PeriodReportOut


async def _report_json(
    make: Callable[[Period], Awaitable[PeriodReport]], first: str | None, last: str | None
) -> PeriodReportOut:
    """The report on the days `from` to `to` as the API gives it; a bad date is a 422 problem."""
    try:
        chosen = period_between(first, last)
    except InvalidInput as exc:
        raise InvalidInputProblem([(e.field, e.code) for e in exc.errors]) from exc
    return period_report_out(await make(chosen))


class ReportApiController(Controller):
    """The ward's periodic report as JSON."""

    path = "/api/wards/{code:str}"
    tags = ["reports"]  # noqa: RUF012

    @get("/reports", opt=access("ward.read"), responses=problems(400, 401, 404, 422))
    async def report(
        self, request: Request[Any, Any, Any], code: FromPath[str], first: From = None, last: To = None
    ) -> PeriodReportOut:
        """The ward's report on the days `from` to `to` (both included): each indicator at the start and
        the end from the per-village daily counts (counted live from the visits when `COUNTS_READ` is
        off), the change, the target; the period's activity; per village."""
        return await _report_json(partial(ward_period_report, routed_ward(request)), first, last)


class ProvinceReportApiController(Controller):
    """The province's periodic report as JSON."""

    path = "/api/provinces/{code:str}"
    tags = ["reports"]  # noqa: RUF012

    @get("/reports", opt=access("province.read"), responses=problems(400, 401, 404, 422))
    async def report(
        self, request: Request[Any, Any, Any], code: FromPath[str], first: From = None, last: To = None
    ) -> PeriodReportOut:
        """The province's report on the days `from` to `to` (both included): the sum of its wards'
        reports, one line per ward."""
        return await _report_json(partial(province_period_report, routed_province(request)), first, last)
