"""Periodic reports of a ward: choose a quarter, a half-year, a year or any range; see the printable A4
report; download it as an editable Word file or as a workbook; the same numbers as JSON for the API."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, QueryParameter
from litestar.response import Redirect

from server.auth import access, client_address, routed_ward
from server.openapi import problems
from server.problems import InvalidInputProblem
from server.views.render import download, page
from surveys.core.clock import local_now
from surveys.core.exports import to_xlsx
from surveys.core.messages import error_message
from surveys.core.validation import InvalidInput
from surveys.people.access import allowed
from surveys.register.places import ward_row
from surveys.reporting.documents import cell_text, report_document, report_tables, to_docx
from surveys.reporting.periodic import period_report_out, ward_period_report
from surveys.reporting.periods import Period, current_quarter, named_period, period_between, period_choices
from surveys.reporting.reminders import parse_due, save_report_due
from surveys.reporting.schemas import PeriodReportOut

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
From = Annotated[str | None, QueryParameter(name="from", max_length=20, description="First day, YYYY-MM-DD.")]
To = Annotated[str | None, QueryParameter(name="to", max_length=20, description="Last day, YYYY-MM-DD.")]
FormData = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
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

    @get("/report-due", opt=access("ward.manage"))
    async def due_form(self, request: Request[Any, Any, Any], code: FromPath[str]) -> Any:
        """When the next report is due and which period it covers: the digest reminds of it."""
        ward = await ward_row(routed_ward(request))
        due = ward.get("report_due")
        values = {
            "report_period": ward.get("report_period") or "",
            "report_due": str(due)[:10] if due else "",
        }
        return page(request, "report_due.html", code=code, values=values, errors={},
                    choices=period_choices(local_now().date(), years=2, upcoming=True))  # fmt: skip

    @post("/report-due", opt=access("ward.manage"))
    async def save_due(self, request: Request[Any, Any, Any], code: FromPath[str], data: FormData) -> Any:
        """Save it; a bad value comes back next to its field with everything as typed."""
        values = {name: str(data.get(name, "")).strip() for name in ("report_period", "report_due")}
        try:
            update = parse_due(values)
        except InvalidInput as exc:
            errors = {e.field: error_message(e.field, e.code) for e in exc.errors}
            return page(request, "report_due.html", status_code=422, code=code, values=values, errors=errors,
                        choices=period_choices(local_now().date(), years=2, upcoming=True))  # fmt: skip
        await save_report_due(routed_ward(request), update, request.user.id, client_address(request))
        return Redirect(f"/wards/{code}/reports", status_code=303)


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
