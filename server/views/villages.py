"""The villages a user covers and each village's coverage list: every household with its status and
the reasons it is uncovered, filtered, searched, paged, exported; and the volunteers' activity."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Controller, Request, Response, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery, QueryParameter

from server.auth import page_guard
from server.exports import coverage_table
from server.views.render import download, page
from surveys import schemas
from surveys.access import STEERING, can_see_activity, can_see_village
from surveys.accounts import Actor
from surveys.coverage import ORDERS, STATUSES, village_coverage
from surveys.criteria import REASONS
from surveys.exports import to_csv, to_xlsx
from surveys.households import village_info, visible_villages
from surveys.reports import volunteer_activity
from surveys.tables import Ward


@dataclass(frozen=True)
class ListFilters:
    """A coverage list's filters, as they appear in its URL (so every view can be bookmarked)."""

    q: str = ""
    status: str = "all"
    reason: str = ""
    sort: str = "visit"
    page: int = 1

    @classmethod
    def of(cls, q: str, status: str, reason: str, sort: str, page: int) -> ListFilters:
        """Filters from query parameters; unknown values fall back to the defaults."""
        return cls(
            q=q.strip()[:100],
            status=status if status in STATUSES else "all",
            reason=reason if reason in REASONS else "",
            sort=sort if sort in ORDERS else "visit",
            page=max(1, min(page, 100_000)),
        )

    def url(self, path: str, **changes: Any) -> str:
        """`path` with these filters, changed by `changes` (defaults left out)."""
        values = asdict(replace(self, **changes))
        defaults = asdict(ListFilters())
        query = {k: v for k, v in values.items() if v != defaults[k]}
        return f"{path}?{urlencode(query)}" if query else path


Status = Annotated[str, QueryParameter(name="status", max_length=20)]
Reason = Annotated[str, QueryParameter(name="reason", max_length=40)]
Sort = Annotated[str, QueryParameter(name="sort", max_length=10)]
PageNo = Annotated[int, QueryParameter(name="page", ge=1, le=100_000)]


class VillageController(Controller):
    """The villages a user covers, and their coverage lists."""

    path = "/villages"
    guards = [page_guard]  # noqa: RUF012 - Litestar reads this class attribute

    @get("/")
    async def index(self, request: Request[Actor, Any, Any]) -> Any:
        """The user's villages with their household counts."""
        return page(request, "villages.html", villages=await visible_villages(request.user))

    @get("/{village_id:int}")
    async def households(
        self,
        request: Request[Actor, Any, Any],
        village_id: FromPath[int],
        q: FromQuery[str] = "",
        status: Status = "all",
        reason: Reason = "",
        sort: Sort = "visit",
        page_no: PageNo = 1,
    ) -> Any:
        """The coverage list; HTMX swaps only the results while filtering or typing."""
        village = await _village(request.user, village_id)
        filters = ListFilters.of(q, status, reason, sort, page_no)
        listing = await village_coverage(
            village_id, filters.q, filters.status, filters.reason, filters.page, order=filters.sort
        )
        return page(
            request,
            "village.html",
            block="results",
            push_url=filters.url(f"/villages/{village_id}"),
            village=village,
            here=f"/villages/{village_id}",
            filters=filters,
            listing=listing,
            reasons=REASONS,
            can_export=request.user.role in STEERING,
            can_see_activity=await can_see_activity(request.user, village_id),
        )

    @get(["/{village_id:int}/coverage.csv", "/{village_id:int}/coverage.xlsx"])
    async def export(
        self,
        request: Request[Actor, Any, Any],
        village_id: FromPath[int],
        q: FromQuery[str] = "",
        status: Status = "all",
        reason: Reason = "",
        sort: Sort = "visit",
    ) -> Response[bytes]:
        """The filtered list (all pages) as CSV or XLSX, for village heads and the ward office."""
        fmt = request.url.path.rsplit(".", 1)[-1]
        if request.user.role not in STEERING:
            raise NotFoundException()
        village = await _village(request.user, village_id)
        filters = ListFilters.of(q, status, reason, sort, 1)
        listing = await village_coverage(
            village_id, filters.q, filters.status, filters.reason, 1, 100_000, filters.sort
        )
        ward = (
            await Ward.select(Ward.province._.name.as_alias("province"))
            .where(Ward.code == village.ward_code)
            .first()
        )
        table = coverage_table(
            listing.rows, village.name, village.ward_name, village.ward_code, ward["province"] if ward else ""
        )
        return download(
            to_csv(table) if fmt == "csv" else to_xlsx(table),
            f"phocap-{village.ward_code}-{village.code}",
            fmt,
        )

    @get("/{village_id:int}/activity")
    async def activity(self, request: Request[Actor, Any, Any], village_id: FromPath[int]) -> Any:
        """Visits per volunteer per week in this village."""
        if not await can_see_activity(request.user, village_id):
            raise NotFoundException()
        village = await _village(request.user, village_id)
        weeks, lines = await volunteer_activity([village_id])
        return page(
            request,
            "activity.html",
            place=village.name,
            back=f"/villages/{village_id}",
            weeks=weeks,
            lines=lines,
        )


async def _village(actor: Actor, village_id: int) -> schemas.Village:
    village = await village_info(village_id) if await can_see_village(actor, village_id) else None
    if village is None:
        raise NotFoundException()
    return village
