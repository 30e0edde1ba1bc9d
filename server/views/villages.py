"""The villages a user covers and each village's coverage list: every household with its status and
the reasons it is uncovered, filtered, searched, paged, exported; and the volunteers' activity."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.concurrency import sync_to_thread
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery

from server.auth import access
from server.exports import coverage_table
from server.params import Flag, FormData, PageNo, Reason, Sort, Status
from server.views.render import download, page
from surveys import schemas
from surveys.core.exports import Table, to_csv, to_xlsx
from surveys.core.i18n import N_, gettext, use_locale
from surveys.core.settings import Settings
from surveys.people.access import allowed
from surveys.people.accounts import Actor
from surveys.register.households import archived_households, village_info, visible_villages
from surveys.register.places import province_name_of_ward
from surveys.register.stickers import (
    COLUMNS,
    ROWS,
    mark_printed,
    qr_svgs,
    sticker_households,
    stickers_for,
    stickers_pdf,
    warm_up,
)
from surveys.reporting.documents import cell_text
from surveys.reporting.lists import ListFilters, VillageList, village_list
from surveys.reporting.offline import VillageChanges, id_ranges
from surveys.reporting.reports import volunteer_activity
from surveys.survey.criteria import REASONS


class VillageController(Controller):
    """The villages a user covers, and their coverage lists."""

    include_in_schema = False  # a page, not the API: /schema documents the API only

    path = "/villages"

    @get("/", opt=access("account"))
    async def index(self, request: Request[Actor, Any, Any]) -> Any:
        """The user's villages with their household counts."""
        return page(request, "villages.html", villages=await visible_villages(request.user))

    @get("/{village_id:int}", opt=access("village.read"))
    async def households(
        self,
        request: Request[Actor, Any, Any],
        village_id: FromPath[int],
        q: FromQuery[str] = "",
        status: Status = "all",
        reason: Reason = "",
        sort: Sort = "visit",
        page_no: PageNo = 1,
        erased: Flag = "false",
    ) -> Any:
        """The coverage list: every household of the village on one page, those the filters leave out
        hidden (the page searches and filters itself). A `q` or `page` here still works, from an old
        bookmark; phocap itself never puts a `q` in a URL, and the list has no pages now."""
        return await _coverage_page(
            request, village_id, ListFilters.of(q, status, reason, sort, page_no), erased == "true"
        )

    @post("/{village_id:int}", opt=access("village.read"), status_code=200)
    async def search(
        self, request: Request[Actor, Any, Any], village_id: FromPath[int], data: FormData
    ) -> Any:
        """The coverage list searched by name, address or code. The text searched travels in the body,
        never in a URL: names stay out of browser history and proxy logs. The other filters come from
        the body or, for a filter link clicked during a search, from the URL."""

        def value(name: str, default: str) -> str:
            found = data.get(name) or request.query_params.get(name) or default
            return str(found[-1] if isinstance(found, list) else found)

        page_text = value("page", "1")
        filters = ListFilters.of(
            value("q", ""),
            value("status", "all"),
            value("reason", ""),
            value("sort", "visit"),
            int(page_text) if page_text.isdigit() else 1,
        )
        return await _coverage_page(request, village_id, filters)

    @get(["/{village_id:int}/coverage.csv", "/{village_id:int}/coverage.xlsx"], opt=access("village.report"))
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
        village = await _village(village_id)
        table = await _coverage_table(village, ListFilters.of(q, status, reason, sort, 1))
        return download(
            to_csv(table) if fmt == "csv" else to_xlsx(table),
            f"phocap-{village.ward_code}-{village.code}",
            fmt,
        )

    @get("/{village_id:int}/print", opt=access("village.report"))
    async def print_list(
        self,
        request: Request[Actor, Any, Any],
        village_id: FromPath[int],
        status: Status = "all",
        reason: Reason = "",
        sort: Sort = "visit",
    ) -> Any:
        """The filtered list (all pages) on paper: the export's table as a page to print, A4 across, with
        a column left empty to write in at the door."""
        village = await _village(village_id)
        table = await _coverage_table(village, ListFilters.of("", status, reason, sort, 1))
        with use_locale("vi"):  # in Vietnamese, as the table it ends
            notes = gettext("Notes")
        return page(request, "coverage_print.html", table=table, notes=notes, cell=cell_text,
                    back=f"/villages/{village_id}")  # fmt: skip

    @get("/{village_id:int}/archived", opt=access("household.personal_data"))
    async def archived(self, request: Request[Actor, Any, Any], village_id: FromPath[int]) -> Any:
        """Households that moved away and whose data is still held: the ward office answers their
        requests (a copy, an erasure) here until the retention job erases them."""
        village = await _village(village_id)
        return page(
            request, "archived.html", village=village, households=await archived_households(village_id)
        )

    @get("/{village_id:int}/activity", opt=access("village.report"))
    async def activity(self, request: Request[Actor, Any, Any], village_id: FromPath[int]) -> Any:
        """Visits per volunteer per week in this village."""
        village = await _village(village_id)
        weeks, lines = await volunteer_activity([village_id])
        return page(
            request,
            "activity.html",
            place=village.name,
            back=f"/villages/{village_id}",
            weeks=weeks,
            lines=lines,
        )


class StickerController(Controller):
    """`/villages/{id}/stickers`: printable sheets of door stickers, for village heads and the ward office."""

    include_in_schema = False  # a page, not the API: /schema documents the API only

    path = "/villages/{village_id:int}/stickers"
    opt = access("village.stickers")

    @get("/")
    async def choose(
        self,
        request: Request[Actor, Any, Any],
        settings: NamedDependency[Settings],
        village_id: FromPath[int],
    ) -> Any:
        """Choose the stickers: all households, those never printed, or some."""
        village = await _village(village_id)
        warm_up()
        households = await sticker_households(village_id)
        return page(request, "stickers.html", village=village, households=households, error=None)

    @post(["/sheet", "/stickers.pdf"], status_code=200)
    async def sheet(
        self,
        request: Request[Actor, Any, Any],
        settings: NamedDependency[Settings],
        village_id: FromPath[int],
        data: FormData,
    ) -> Any:
        """The sheet to print (or its PDF); the stickers are recorded as printed."""
        village = await _village(village_id)
        choice = str(data.get("choice", "all"))
        tokens = data.get("h", [])
        tokens = tokens if isinstance(tokens, list) else [tokens]
        stickers = await stickers_for(
            village_id, settings.base_url, choice if choice in CHOICES else "all", [str(t) for t in tokens]
        )
        if not stickers:
            households = await sticker_households(village_id)
            error = gettext(N_("No household to print: choose at least one."))
            return page(
                request, "stickers.html", status_code=422, village=village, households=households, error=error
            )
        await mark_printed(stickers)
        with use_locale("vi"):
            instruction = gettext(STICKER_LINE)
        if request.url.path.endswith(".pdf"):
            # Seconds of drawing: off the event loop, so other requests go on.
            return download(
                await sync_to_thread(stickers_pdf, stickers, instruction),
                f"phocap-{village.ward_code}-{village.code}-stickers",
                "pdf",
            )
        svgs = dict(
            zip(
                [s.household_id for s in stickers],
                await sync_to_thread(qr_svgs, [s.url for s in stickers]),
                strict=True,
            )
        )
        pages = [stickers[i : i + COLUMNS * ROWS] for i in range(0, len(stickers), COLUMNS * ROWS)]
        return page(
            request, "sticker_sheet.html", village=village, pages=pages, svgs=svgs, instruction=instruction
        )


# Vietnamese on the sticker, whatever the printer's language: it is read at the door.
STICKER_LINE = N_("Volunteers: scan this code to record the digital literacy survey of this household.")
CHOICES = ("all", "unprinted", "selected")


async def _village(village_id: int) -> schemas.Village:
    village = await village_info(village_id)  # access_guard checked it exists and is the user's
    if village is None:
        raise NotFoundException()
    return village


async def _coverage_page(
    request: Request[Actor, Any, Any], village_id: int, filters: ListFilters, erased: bool = False
) -> Any:
    village = await _village(village_id)
    filters = replace(filters, page=1)  # one page: the whole village
    listing = await village_list(village_id, filters)
    return page(
        request,
        "village.html",
        block="results",
        push_url=filters.url(f"/villages/{village_id}"),
        village=village,
        erased=erased,
        **await _list_context(request.user, village_id, filters, listing),
    )


async def _list_context(
    user: Actor, village_id: int, filters: ListFilters, listing: VillageList
) -> dict[str, Any]:
    """What the village's list draws its head and rows from (village.html, and a refresh's patch)."""
    return {
        "here": f"/villages/{village_id}",
        "filters": filters,
        "listing": listing,
        "reasons": REASONS,
        "can": {
            action: await allowed(user, action, village_id=village_id)
            for action in (
                "village.add_household",
                "village.report",
                "village.stickers",
                "register.import",
                "household.personal_data",
            )
        },
    }


async def list_patch(
    request: Request[Actor, Any, Any], village_id: int, changes: VillageChanges
) -> ListPatch:
    """A refresh's patch of the village's list on the phone (docs/architecture.md §7): its head and the
    rows changed or added, drawn by the list page's own partials, and the households it holds now."""
    if changes.listing is None:
        return ListPatch()
    engine = request.app.template_engine
    if engine is None:  # create_app always configures one
        raise RuntimeError("no template engine")
    context = await _list_context(request.user, village_id, ListFilters(), changes.listing)
    row = engine.get_template("_village_row.html")
    return ListPatch(
        head=engine.get_template("_village_head.html").render(**context),
        rows="\n".join(row.render(**context, listed=listed) for listed in changes.rows),
        ids=None if changes.ids is None else id_ranges(changes.ids),
    )


@dataclass(frozen=True)
class ListPatch:
    """A village list's head and rows as a refresh sends them (`list_patch`)."""

    head: str = ""
    rows: str = ""
    ids: str | None = None


async def _coverage_table(village: schemas.Village, filters: ListFilters) -> Table:
    """The village's list as filtered, every page of it, as the export files and the printed list show it."""
    listing = await filters.listing(village.id, per_page=100_000)
    province = await province_name_of_ward(village.ward_code)
    return coverage_table(listing.rows, village.name, village.ward_name, village.ward_code, province)
