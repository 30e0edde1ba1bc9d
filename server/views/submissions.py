"""Reports that go upward, as pages: the ward office submits a period's report (after a confirmation)
and downloads any version's Word file as submitted; the province sees every ward's state with
completeness and timeliness (CSV, XLSX too) and accepts, returns or reopens each (the JSON twins are
server/api_submissions.py; the rules, surveys/reporting/submissions.py)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect

from server.auth import access, client_address, routed_province, routed_ward
from server.params import FormData
from server.views.digests import WEEKDAYS
from server.views.render import download, page
from server.views.reports import DOCX
from surveys.core.clock import local_now
from surveys.core.exports import Table, to_csv, to_xlsx
from surveys.core.i18n import N_, gettext
from surveys.core.messages import error_message
from surveys.core.validation import InvalidInput, parse
from surveys.people.accounts import Actor
from surveys.register.places import ward_row
from surveys.reporting.due_dates import (
    SCHEDULE_COLUMNS,
    parse_schedule,
    report_schedule,
    save_report_schedule,
)
from surveys.reporting.periods import latest_ended_quarter, named_period, period_choices
from surveys.reporting.submission_schemas import STATUS_NAMES, DecisionIn
from surveys.reporting.submissions import (
    SORTS,
    DecisionRefused,
    SubmissionLocked,
    check_decision,
    decide,
    late_wards,
    province_submissions,
    province_ward,
    sorted_wards,
    submission,
    submit_report,
    submitted_document,
)

Named = Annotated[str | None, QueryParameter(name="period", max_length=10)]
SortBy = Annotated[str, QueryParameter(name="sort", max_length=20)]
Order = Annotated[str, QueryParameter(name="order", max_length=4)]

LOCKED = N_("The province has accepted this report: it is locked until the province reopens it.")
REFUSED = N_("This decision does not apply to the report as it stands now; nothing was changed.")


def _errors(exc: InvalidInput) -> dict[str, str]:
    return {e.field: error_message(e.field, e.code) for e in exc.errors}


class WardSubmissionController(Controller):
    """`/wards/{code}/reports/{period}/…`: the ward office submits; its readers download what was submitted."""

    include_in_schema = False  # pages and files; the API's twin is `server.api_submissions`
    path = "/wards/{code:str}/reports/{period:str}"

    @post("/submission", opt=access("ward.manage"))
    async def submit(
        self, request: Request[Actor, Any, Any], code: FromPath[str], period: FromPath[str], data: FormData
    ) -> Any:
        """The question first (the numbers and the Word file are kept as they are now); submitted on
        `confirm=yes`, back to the report. A period not ended, or a report accepted, comes back saying so."""
        context: dict[str, Any] = {"code": code, "period": period, "errors": {}, "message": ""}
        if data.get("confirm") != "yes":
            return page(request, "report_submit.html", **context)
        try:
            await submit_report(routed_ward(request), period, request.user.id, client_address(request))
        except InvalidInput as exc:
            return page(request, "report_submit.html", status_code=422, **{**context, "errors": _errors(exc)})
        except SubmissionLocked:
            return page(
                request, "report_submit.html", status_code=409, **{**context, "message": gettext(LOCKED)}
            )
        return Redirect(f"/wards/{code}/reports?period={period}#submission", status_code=303)

    @get("/submissions/{version:int}/report.docx", opt=access("ward.read"))
    async def document(
        self,
        request: Request[Actor, Any, Any],
        code: FromPath[str],
        period: FromPath[str],
        version: FromPath[int],
    ) -> Response[bytes]:
        """That version's Word file, exactly as it was submitted."""
        content = await submitted_document(routed_ward(request), period, version)
        if content is None:
            raise NotFoundException()
        name = f"phocap-{code}-report-{period}-v{version}.docx"
        return Response(content, media_type=DOCX,
                        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})  # fmt: skip


class ProvinceSubmissionController(Controller):
    """`/provinces/{code}/submissions`: every ward's report on a period, and the province's decisions."""

    include_in_schema = False  # pages and files; the API's twin is `server.api_submissions`
    path = "/provinces/{code:str}"

    @get("/submissions", opt=access("province.read"))
    async def index(
        self, request: Request[Actor, Any, Any], code: FromPath[str], period: Named = None,
        sort: SortBy = "name", order: Order = "",
    ) -> Any:  # fmt: skip
        """The wards and their reports on the period (the latest ended quarter unless chosen): how many
        submitted, on time, late; sortable; and the reports the province is waiting for past due."""
        chosen = period or latest_ended_quarter(local_now().date()).name
        province_id = routed_province(request)
        sort = sort if sort in SORTS else "name"
        descending = order == "desc"
        context: dict[str, Any] = {"base": f"/provinces/{code}", "choices": period_choices(local_now().date()), "chosen": chosen,
                   "sort": sort, "descending": descending, "status_names": STATUS_NAMES,
                   "late": await late_wards(province_id, local_now().date())}  # fmt: skip
        try:
            listed = await province_submissions(province_id, chosen)
        except InvalidInput as exc:
            return page(request, "submissions.html", status_code=422, listed=None, wards=[],
                        errors=_errors(exc), **context)  # fmt: skip
        wards = sorted_wards(listed.wards, sort, descending)
        return page(request, "submissions.html", listed=listed, wards=wards, errors={}, **context)

    @get(["/submissions.csv", "/submissions.xlsx"], opt=access("province.read"))
    async def export(
        self, request: Request[Actor, Any, Any], code: FromPath[str], period: Named = None
    ) -> Any:
        """The list as CSV or XLSX: every ward, its state, version, submission time, due date, on time."""
        chosen = period or latest_ended_quarter(local_now().date()).name
        try:
            listed = await province_submissions(routed_province(request), chosen)
        except InvalidInput as exc:
            raise NotFoundException() from exc
        fmt = request.url.path.rsplit(".", 1)[-1]
        yes_no = {True: gettext(N_("On time")), False: gettext(N_("Late")), None: ""}
        table = Table(
            title=[gettext(N_("Periodic reports of the wards")), f"{code} · {listed.period.name}"],
            headers=[gettext(N_("Ward code")), gettext(N_("Ward")), gettext(N_("Status")), gettext(N_("Version")),
                     gettext(N_("Submitted at")), gettext(N_("Due date")), gettext(N_("On time"))],
            rows=[[w.code, w.name, gettext(STATUS_NAMES[w.status]), w.version or None, w.submitted_at, w.due,
                   yes_no[w.on_time]] for w in listed.wards],
        )  # fmt: skip
        content = to_csv(table) if fmt == "csv" else to_xlsx(table)
        return download(content, f"phocap-province-{code}-submissions-{listed.period.name}", fmt)

    @get("/submissions/{ward:str}/{period:str}", opt=access("province.read"))
    async def ward_page(
        self,
        request: Request[Actor, Any, Any],
        code: FromPath[str],
        ward: FromPath[str],
        period: FromPath[str],
    ) -> Any:
        """One ward's report on the period: its state, versions and Word files, and the decision form."""
        return await self._ward_page(request, code, ward, period, {}, {}, "", 200)

    @post("/submissions/{ward:str}/{period:str}/decision", opt=access("province.decide"))
    async def decision(
        self, request: Request[Actor, Any, Any], code: FromPath[str], ward: FromPath[str], period: FromPath[str],
        data: FormData,
    ) -> Any:  # fmt: skip
        """Accept, return (with a comment) or reopen; a bad choice or a return without a comment comes back
        next to its field with the comment as typed, a decision the state does not allow says so."""
        values = {name: str(data.get(name, "")).strip() for name in ("decision", "comment")}
        ward_id = await self._ward(request, ward)
        try:
            decision = check_decision(parse(values, DecisionIn))
            await decide(ward_id, period, decision, request.user.id, client_address(request))
        except InvalidInput as exc:
            return await self._ward_page(request, code, ward, period, values, _errors(exc), "", 422)
        except DecisionRefused:
            return await self._ward_page(request, code, ward, period, values, {}, gettext(REFUSED), 409)
        return Redirect(f"/provinces/{code}/submissions/{ward}/{period}", status_code=303)

    @get("/report-schedule", opt=access("province.decide"))
    async def schedule_form(self, request: Request[Actor, Any, Any], code: FromPath[str]) -> Any:
        """When the wards' reports are due (days after a quarter, a half-year, the year ends), and when
        in the week the province is reminded of those past due."""
        schedule = await report_schedule(routed_province(request))
        values = {name: str(getattr(schedule, name)) for name in SCHEDULE_COLUMNS}
        return page(request, "report_schedule.html", code=code, values=values, errors={}, weekdays=WEEKDAYS)

    @post("/report-schedule", opt=access("province.decide"))
    async def save_schedule(
        self, request: Request[Actor, Any, Any], code: FromPath[str], data: FormData
    ) -> Any:
        """Save it; a bad number comes back next to its field with everything as typed."""
        values = {name: str(data.get(name, "")).strip() for name in SCHEDULE_COLUMNS}
        try:
            schedule = parse_schedule(values)
        except InvalidInput as exc:
            return page(request, "report_schedule.html", status_code=422, code=code, values=values,
                        errors=_errors(exc), weekdays=WEEKDAYS)  # fmt: skip
        await save_report_schedule(
            routed_province(request), schedule, request.user.id, client_address(request)
        )
        return Redirect(f"/provinces/{code}/submissions", status_code=303)

    async def _ward(self, request: Request[Actor, Any, Any], ward: str) -> int:
        ward_id = await province_ward(routed_province(request), ward)
        if ward_id is None:
            raise NotFoundException()
        return ward_id

    async def _ward_page(
        self, request: Request[Actor, Any, Any], code: str, ward: str, period: str,
        values: dict[str, str], errors: dict[str, str], message: str, status: int,
    ) -> Any:  # fmt: skip
        ward_id = await self._ward(request, ward)
        try:
            named_period(period)
        except InvalidInput as exc:
            raise NotFoundException() from exc
        state = await submission(ward_id, period)
        return page(request, "submission.html", status_code=status, code=code, ward=await ward_row(ward_id), state=state,
                    status_names=STATUS_NAMES, values=values, errors=errors, message=message)  # fmt: skip
