"""The national view: one line per province of the official list against its targets, the week's change,
and a link down to each province's dashboard, for national officers (and admins)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get
from litestar.params import QueryParameter

from server.auth import access
from server.views.render import page
from surveys.core.messages import INDICATOR_NAMES
from surveys.people.accounts import Actor
from surveys.reporting.country import SHOWS, SORTS, country_report, shown_provinces, sorted_provinces
from surveys.reporting.reports import INDICATORS

SortBy = Annotated[str, QueryParameter(name="sort", max_length=20)]
Show = Annotated[str, QueryParameter(name="show", max_length=20)]
Order = Annotated[str, QueryParameter(name="order", max_length=4)]


class CountryController(Controller):
    """`/country`: every province, for national officers and admins."""

    include_in_schema = False  # a page, not the API: /schema documents the API only

    path = "/country"
    opt = access("country.read")

    @get("/")
    async def country(
        self, request: Request[Actor, Any, Any], sort: SortBy = "code", order: Order = "", show: Show = "all"
    ) -> Any:
        """The provinces sorted by any column (an unknown one: by code) and filtered (all, behind target,
        started, not started), and the country's total."""
        report = await country_report()
        sort = sort if sort in SORTS else "code"
        show = show if show in SHOWS else "all"
        descending = (order == "desc") if order in ("asc", "desc") else sort not in ("code", "name")
        provinces = shown_provinces(sorted_provinces(report.provinces, sort, descending), show)
        return page(request, "country.html", report=report, provinces=provinces, indicators=INDICATORS,
                    names=INDICATOR_NAMES, sort=sort, descending=descending, show=show, sorts=SORTS)  # fmt: skip
