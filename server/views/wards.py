"""The ward office's dashboard: indicators per village against the year's targets, the weekly trend,
exports to send upward, the targets form, and the volunteers' activity."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect

from server.auth import access, client_address, routed_ward
from server.charts import percent_chart
from server.exports import report_table
from server.params import FormData
from server.views.render import download, ward_page
from surveys.core.clock import this_year
from surveys.core.exports import to_csv, to_xlsx
from surveys.core.messages import INDICATOR_NAMES, error_message
from surveys.core.validation import InvalidInput, parse
from surveys.learning.pages import month_of
from surveys.people.access import allowed
from surveys.people.accounts import Actor
from surveys.register.places import ward_row, ward_village_ids
from surveys.register.schemas import VillageWordUpdate
from surveys.register.village_words import save_village_word, village_word_of
from surveys.reporting.digest_archive import last_ward_digest
from surveys.reporting.digests import ward_recipients
from surveys.reporting.emulation import activity_table, month_activity
from surveys.reporting.learning import learning_figures
from surveys.reporting.reports import INDICATORS, volunteer_activity, ward_report, ward_trend
from surveys.reporting.targets import (
    TARGET_FIELDS,
    inherit_targets,
    parse_targets,
    save_targets,
    targets_for,
    targets_typed,
)


class WardController(Controller):
    """`/wards/{code}`: for the ward's officers, the province's, and admins."""

    include_in_schema = False  # a page, not the API: /schema documents the API only

    path = "/wards/{code:str}"
    opt = access("ward.read")

    async def _targets(
        self, request: Request[Actor, Any, Any], values: dict[str, str] | None = None, **context: Any
    ) -> Any:
        """The targets form: the year's targets, or `values` as typed, and the ward's word for its villages."""
        ward_id, year = routed_ward(request), this_year()
        targets = await targets_for(ward_id, year)
        if values is None:
            values = {name: str(getattr(targets, name)) for name in TARGET_FIELDS}
        word = await village_word_of(ward_id)
        return ward_page(request, "targets.html", year=year, values=values, village_word=word,
                         source=targets.source, **context)  # fmt: skip

    @get("/")
    async def dashboard(self, request: Request[Actor, Any, Any], code: FromPath[str]) -> Any:
        """The commune's numbers against its targets, village by village, and the weekly trend."""
        ward_id = routed_ward(request)
        report = await ward_report(ward_id)
        trend = await ward_trend(ward_id)
        labels = [p.week for p in trend]
        charts = {
            name: percent_chart(
                [p.indicators.percent(name) for p in trend], labels, report.targets.for_indicator(name)
            )
            for name in INDICATORS
        }
        return ward_page(
            request,
            "ward.html",
            report=report,
            charts=charts,
            indicators=INDICATORS,
            names=INDICATOR_NAMES,
            can_set_targets=await allowed(request.user, "ward.manage", ward_id=ward_id),
            digest_recipients=ward_recipients(await ward_row(ward_id)),
            last_digest=await last_ward_digest(ward_id),
            village_word=await village_word_of(ward_id),
            learning=await learning_figures(ward_id),
        )

    @get(["/report.csv", "/report.xlsx"])
    async def export(self, request: Request[Actor, Any, Any], code: FromPath[str]) -> Response[bytes]:
        """The ward report as CSV or XLSX: the same numbers as the dashboard."""
        fmt = request.url.path.rsplit(".", 1)[-1]
        table = report_table(await ward_report(routed_ward(request)))
        return download(to_csv(table) if fmt == "csv" else to_xlsx(table), f"phocap-{code}-report", fmt)

    @get("/targets", opt=access("ward.manage"))
    async def targets_form(self, request: Request[Actor, Any, Any], code: FromPath[str]) -> Any:
        """The year's targets, editable by the ward's officers."""
        return await self._targets(request)

    @post("/targets", opt=access("ward.manage"))
    async def save(self, request: Request[Actor, Any, Any], code: FromPath[str], data: FormData) -> Any:
        """Save the targets; a bad value comes back with its message and everything as typed."""
        ward_id = routed_ward(request)
        values = targets_typed(data)
        try:
            update = parse_targets(values)
        except InvalidInput as exc:
            errors = {e.field: error_message("percent", e.code) for e in exc.errors}
            return await self._targets(request, values, status_code=422, errors=errors)
        await save_targets(ward_id, this_year(), update, request.user.id, client_address(request))
        return Redirect(f"/wards/{code}", status_code=303)

    @post("/targets/inherit", opt=access("ward.manage"))
    async def inherit(self, request: Request[Actor, Any, Any], code: FromPath[str]) -> Any:
        """Give up the ward's own targets for the year: its province's (or the plans') apply again."""
        await inherit_targets(routed_ward(request), this_year(), request.user.id, client_address(request))
        return Redirect(f"/wards/{code}/targets", status_code=303)

    @post("/village-word", opt=access("ward.manage"))
    async def set_village_word(
        self, request: Request[Actor, Any, Any], code: FromPath[str], data: FormData
    ) -> Any:
        """Set what the ward calls its villages; an unknown word comes back with its message."""
        ward_id = routed_ward(request)
        try:
            update = parse({"village_word": str(data.get("village_word", ""))}, VillageWordUpdate)
        except InvalidInput as exc:
            errors = {e.field: error_message(e.field, e.code) for e in exc.errors}
            return await self._targets(request, status_code=422, errors=errors)
        await save_village_word(ward_id, update, request.user.id, client_address(request))
        return Redirect(f"/wards/{code}/targets", status_code=303)

    @get(["/activity-month.csv", "/activity-month.xlsx"])
    async def month_activity(
        self, request: Request[Actor, Any, Any], code: FromPath[str], month: FromQuery[str] = ""
    ) -> Response[bytes]:
        """Each volunteer's and team member's visits, help given, classes taught and learners in a month
        (`2026-11`; this month by default), for the commune's emulation and rewards."""
        fmt = request.url.path.rsplit(".", 1)[-1]
        year, month_no = month_of(month)
        table = activity_table(
            code, year, month_no, await month_activity(routed_ward(request), year, month_no)
        )
        return download(
            to_csv(table) if fmt == "csv" else to_xlsx(table),
            f"phocap-{code}-activity-{year}-{month_no:02d}",
            fmt,
        )

    @get("/activity")
    async def activity(self, request: Request[Actor, Any, Any], code: FromPath[str]) -> Any:
        """Visits per volunteer per week across the ward."""
        ward_id = routed_ward(request)
        weeks, lines = await volunteer_activity(await ward_village_ids(ward_id))
        return ward_page(
            request, "activity.html", place=code, back=f"/wards/{code}", weeks=weeks, lines=lines
        )
