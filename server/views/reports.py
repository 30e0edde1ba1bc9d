"""Periodic reports of a ward: choose a quarter, a half-year, a year or any range; see the printable A4
report; download it as an editable Word file or as a workbook; the same numbers as JSON for the API."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get
from litestar.params import FromPath, QueryParameter

from server.auth import access, routed_ward
from server.openapi import problems
from server.problems import InvalidInputProblem
from server.views.render import download, page
from surveys.core.clock import local_now
from surveys.core.exports import to_xlsx
from surveys.core.messages import error_message
from surveys.core.validation import InvalidInput
from surveys.people.access import allowed
from surveys.reporting.documents import cell_text, report_document, report_tables, to_docx
from surveys.reporting.periodic import PeriodReportOut, period_report_out, ward_period_report
from surveys.reporting.periods import Period, current_quarter, named_period, period_between, period_choices

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
From = Annotated[str | None, QueryParameter(name="from", max_length=20, description="First day, YYYY-MM-DD.")]
To = Annotated[str | None, QueryParameter(name="to", max_length=20, description="Last day, YYYY-MM-DD.")]
Named = Annotated[str | None, QueryParameter(name="period", max_length=10)]


def chosen_period(period: str | None, first: str | None, last: str | None) -> Period:
    """A named period (`2026-Q3`) when one is chosen, else the range typed; InvalidInput when bad."""
    if period:
        return named_period(period)
    return period_between(first, last)


class ReportController(Controller):
    """`/wards/{code}/reports`: for the ward's officers, the province's, and admins."""

    include_in_schema = False  # pages and files; the API's twin is `ReportApiController`
    path = "/wards/{code:str}"
    opt = access("ward.read")

    @get("/reports")
    async def report_page(
        self, request: Request[Any, Any, Any], code: FromPath[str], period: Named = None,
        first: From = None, last: To = None,
    ) -> Any:  # fmt: skip
        """The period chooser and, once a period is chosen, the report laid out as an A4 document."""
        today = local_now().date()
        values = {"period": period or "", "from": first or "", "to": last or ""}
        can_manage = await allowed(request.user, "ward.manage", ward_id=routed_ward(request))
        context: dict[str, Any] = {"code": code, "choices": period_choices(today), "values": values,
                                   "can_manage": can_manage}  # fmt: skip
        if not (period or first or last):
            quarter = current_quarter(today)
            values.update(period=quarter.name)
            return page(request, "reports.html", document=None, errors={}, **context)
        try:
            chosen = chosen_period(period, first, last)
        except InvalidInput as exc:
            errors = {e.field: error_message(e.field, e.code) for e in exc.errors}
            return page(request, "reports.html", status_code=422, document=None, errors=errors, **context)
        report = await ward_period_report(routed_ward(request), chosen)
        query = f"from={chosen.first.isoformat()}&to={chosen.last.isoformat()}"
        return page(request, "reports.html", document=report_document(report), errors={}, query=query,
                    cell=cell_text, **context)  # fmt: skip

    @get(["/reports.docx", "/reports.xlsx"])
    async def report_file(
        self, request: Request[Any, Any, Any], code: FromPath[str], first: From = None, last: To = None
    ) -> Response[Any]:
        """The report as an editable Word file or a workbook of its tables; a bad period is the page's
        422 with the fields named."""
        try:
            chosen = period_between(first, last)
        except InvalidInput as exc:
            errors = {e.field: error_message(e.field, e.code) for e in exc.errors}
            values = {"period": "", "from": first or "", "to": last or ""}
            return page(request, "reports.html", status_code=422, code=code, document=None, errors=errors,
                        choices=period_choices(local_now().date()), values=values, can_manage=False)  # fmt: skip
        report = await ward_period_report(routed_ward(request), chosen)
        document = report_document(report)
        name = f"phocap-{code}-report-{chosen.name}"
        if request.url.path.endswith(".xlsx"):
            return download(to_xlsx(*report_tables(document, report)), name, "xlsx")
        filename = f"{name}.docx"
        return Response(
            to_docx(document),
            media_type=DOCX,
            headers={
                "Content-Disposition": f'attachment; filename="{filename}"',
                "Cache-Control": "no-store",
            },
        )


class ReportApiController(Controller):
    """The periodic report as JSON."""

    path = "/api/wards/{code:str}"
    tags = ["reports"]  # noqa: RUF012

    @get("/reports", opt=access("ward.read"), responses=problems(400, 401, 404, 422))
    async def report(
        self, request: Request[Any, Any, Any], code: FromPath[str], first: From = None, last: To = None
    ) -> PeriodReportOut:
        """The ward's report on the days `from` to `to` (both included): each indicator at the start and
        the end from the visit history, the change, the target; the period's activity; per village."""
        try:
            chosen = period_between(first, last)
        except InvalidInput as exc:
            raise InvalidInputProblem([(e.field, e.code) for e in exc.errors]) from exc
        return period_report_out(await ward_period_report(routed_ward(request), chosen))
