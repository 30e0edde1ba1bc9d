"""Periodic reports of a ward or a province: choose a quarter, a half-year, a year or any range; see
the printable A4 report; download it as an editable Word file or as a workbook (the same numbers as JSON are
the API's, server/api_reports.py). One set of functions serves both areas; a `ReportArea` says what
differs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect

from server.auth import access, client_address, routed_province, routed_ward
from server.params import FormData, From, To
from server.views.render import download, page
from surveys.core.clock import local_now
from surveys.core.exports import to_xlsx
from surveys.core.messages import error_message
from surveys.core.validation import InvalidInput
from surveys.people.access import allowed
from surveys.register.places import ward_row
from surveys.reporting.documents import cell_text, report_document, report_tables, to_docx
from surveys.reporting.periodic import (
    PeriodReport,
    province_period_report,
    ward_period_report,
)
from surveys.reporting.periods import (
    Period,
    latest_ended_quarter,
    named_period,
    period_between,
    period_choices,
)
from surveys.reporting.reminders import parse_due, save_report_due
from surveys.reporting.submission_schemas import STATUS_NAMES
from surveys.reporting.submissions import Panel, submission_panel

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
Named = Annotated[str | None, QueryParameter(name="period", max_length=10)]


def chosen_period(period: str | None, first: str | None, last: str | None) -> Period:
    """A named period (`2026-Q3`) when one is chosen, else the range typed; InvalidInput when bad."""
    if period:
        return named_period(period)
    return period_between(first, last)


@dataclass(frozen=True)
class ReportArea:
    """What differs between a ward's report and a province's: where its pages live, how its files are
    named, which function makes it, and whether the reader may manage the ward's report settings."""

    base: str  # `/wards/01849`, `/provinces/19`
    file_prefix: str  # `phocap-01849`, `phocap-province-19`
    make: Callable[[Period], Awaitable[PeriodReport]]
    can_manage: bool = False


def ward_area(request: Request[Any, Any, Any], code: str, can_manage: bool = False) -> ReportArea:
    """The routed ward's report; `can_manage` shows the links to the ward's report settings."""
    ward_id = routed_ward(request)
    return ReportArea(f"/wards/{code}", f"phocap-{code}", partial(ward_period_report, ward_id), can_manage)


def province_area(request: Request[Any, Any, Any], code: str) -> ReportArea:
    """The routed province's report: the sum of its wards'."""
    return ReportArea(
        f"/provinces/{code}",
        f"phocap-province-{code}",
        partial(province_period_report, routed_province(request)),
    )


def _chooser(area: ReportArea, values: dict[str, str], errors: dict[str, str]) -> dict[str, Any]:
    return {"base": area.base, "choices": period_choices(local_now().date()), "values": values,
            "errors": errors, "can_manage": area.can_manage}  # fmt: skip


def _errors(exc: InvalidInput) -> dict[str, str]:
    return {e.field: error_message(e.field, e.code) for e in exc.errors}


async def area_report_page(
    request: Request[Any, Any, Any], area: ReportArea, period: str | None, first: str | None, last: str | None,
    panel: Panel | None = None,
) -> Any:  # fmt: skip
    """The period chooser and, once a period is chosen, the report laid out as an A4 document (a ward's
    named period with its `panel`: the report's submission to the province)."""
    values = {"period": period or "", "from": first or "", "to": last or ""}
    if not (period or first or last):
        values.update(period=latest_ended_quarter(local_now().date()).name)
        return page(request, "reports.html", document=None, **_chooser(area, values, {}))
    try:
        chosen = chosen_period(period, first, last)
    except InvalidInput as exc:
        return page(
            request, "reports.html", status_code=422, document=None, **_chooser(area, values, _errors(exc))
        )
    report = await area.make(chosen)
    query = f"from={chosen.first.isoformat()}&to={chosen.last.isoformat()}"
    return page(request, "reports.html", document=report_document(report), query=query, cell=cell_text,
                panel=panel, status_names=STATUS_NAMES, **_chooser(area, values, {}))  # fmt: skip


async def area_report_file(
    request: Request[Any, Any, Any], area: ReportArea, first: str | None, last: str | None
) -> Response[Any]:
    """The report as an editable Word file or a workbook of its tables; a bad period is the page's 422
    with the fields named."""
    try:
        chosen = period_between(first, last)
    except InvalidInput as exc:
        values = {"period": "", "from": first or "", "to": last or ""}
        chooser = _chooser(area, values, _errors(exc))
        return page(request, "reports.html", status_code=422, document=None, **chooser)
    report = await area.make(chosen)
    document = report_document(report)
    name = f"{area.file_prefix}-report-{chosen.name}"
    if request.url.path.endswith(".xlsx"):
        return download(to_xlsx(*report_tables(document, report)), name, "xlsx")
    return Response(
        to_docx(document),
        media_type=DOCX,
        headers={"Content-Disposition": f'attachment; filename="{name}.docx"', "Cache-Control": "no-store"},
    )


class ReportController(Controller):
    """`/wards/{code}/reports`: for the ward's officers, the province's, and admins."""

    include_in_schema = False  # pages and files; the API's twin is `server.api_reports.ReportApiController`
    path = "/wards/{code:str}"
    opt = access("ward.read")

    @get("/reports")
    async def report_page(
        self, request: Request[Any, Any, Any], code: FromPath[str], period: Named = None,
        first: From = None, last: To = None,
    ) -> Any:  # fmt: skip
        """The period chooser and, once a period is chosen, the ward's report as an A4 document."""
        can_manage = await allowed(request.user, "ward.manage", ward_id=routed_ward(request))
        panel = await submission_panel(routed_ward(request), period, can_manage) if period else None
        return await area_report_page(
            request, ward_area(request, code, can_manage), period, first, last, panel
        )

    @get(["/reports.docx", "/reports.xlsx"])
    async def report_file(
        self, request: Request[Any, Any, Any], code: FromPath[str], first: From = None, last: To = None
    ) -> Response[Any]:
        """The ward's report as an editable Word file or a workbook."""
        return await area_report_file(request, ward_area(request, code), first, last)

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


class ProvinceReportController(Controller):
    """`/provinces/{code}/reports`: the province's report, the sum of its wards', for its officers and
    admins (the same page and files as a ward's)."""

    include_in_schema = (
        False  # pages and files; the API's twin is `server.api_reports.ProvinceReportApiController`
    )
    path = "/provinces/{code:str}"
    opt = access("province.read")

    @get("/reports")
    async def report_page(
        self, request: Request[Any, Any, Any], code: FromPath[str], period: Named = None,
        first: From = None, last: To = None,
    ) -> Any:  # fmt: skip
        """The period chooser and, once a period is chosen, the province's report as an A4 document."""
        return await area_report_page(request, province_area(request, code), period, first, last)

    @get(["/reports.docx", "/reports.xlsx"])
    async def report_file(
        self, request: Request[Any, Any, Any], code: FromPath[str], first: From = None, last: To = None
    ) -> Response[Any]:
        """The province's report as an editable Word file or a workbook."""
        return await area_report_file(request, province_area(request, code), first, last)
