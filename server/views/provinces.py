"""The province dashboard: one line per ward against each ward's targets, the province total, its weekly
trend and the exports, for the province's officers (and admins)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get
from litestar.params import FromPath, QueryParameter

from server.auth import access, routed_province
from server.charts import percent_chart
from server.exports import province_table
from server.views.render import download, page
from surveys.core.clock import local_now
from surveys.core.exports import to_csv, to_xlsx
from surveys.core.messages import INDICATOR_NAMES
from surveys.people.accounts import Actor
from surveys.reporting.province import SHOWS, SORTS, province_report, shown_lines, sorted_lines
from surveys.reporting.reports import INDICATORS
from surveys.reporting.submissions import late_wards

SortBy = Annotated[str, QueryParameter(name="sort", max_length=20)]
Show = Annotated[str, QueryParameter(name="show", max_length=20)]
Order = Annotated[str, QueryParameter(name="order", max_length=4)]


class ProvinceController(Controller):
    """`/provinces/{code}`: the province's wards, for its officers and admins."""

    include_in_schema = False  # a page, not the API: /schema documents the API only

    path = "/provinces/{code:str}"
    opt = access("province.read")

    @get("/")
    async def dashboard(
        self,
        request: Request[Actor, Any, Any],
        code: FromPath[str],
        sort: SortBy = "name",
        order: Order = "",
        show: Show = "all",
    ) -> Any:
        """The wards sorted by any column (an unknown one: by name) and filtered (all, behind target,
        started, not started), the total, and the total's trend."""
        report = await province_report(routed_province(request))
        sort = sort if sort in SORTS else "name"
        show = show if show in SHOWS else "all"
        # Numbers read best largest first, names from A; `order` turns either round.
        descending = (order == "desc") if order in ("asc", "desc") else sort != "name"
        wards = shown_lines(sorted_lines(report.wards, sort, descending), show)
        labels = [p.week for p in report.trend]
        charts = {
            name: percent_chart([p.indicators.percent(name) for p in report.trend], labels, None)
            for name in INDICATORS
        }
        late = await late_wards(routed_province(request), local_now().date())
        return page(request, "province.html", report=report, wards=wards, charts=charts, indicators=INDICATORS,
                    names=INDICATOR_NAMES, sort=sort, descending=descending, show=show, sorts=SORTS,
                    late=late)  # fmt: skip

    @get(["/report.csv", "/report.xlsx"])
    async def export(self, request: Request[Actor, Any, Any], code: FromPath[str]) -> Response[bytes]:
        """The province report as CSV or XLSX: the same numbers as the dashboard, every ward."""
        fmt = request.url.path.rsplit(".", 1)[-1]
        table = province_table(await province_report(routed_province(request)))
        return download(
            to_csv(table) if fmt == "csv" else to_xlsx(table), f"phocap-province-{code}-report", fmt
        )
