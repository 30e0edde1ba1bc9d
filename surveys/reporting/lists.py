"""A village's household lists: the coverage list's filters (search, status, reason, order, page), read the
same way by the page, its exports and the API; and the plain household list the API searches."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any
from urllib.parse import urlencode

from surveys import schemas
from surveys.register.search_matches import other_members
from surveys.reporting.coverage import (
    ORDERS,
    PAGE_SIZE,
    STATUSES,
    CoveragePage,
    CoverageRow,
    kept_by,
    name_order_key,
    village_coverage,
    visit_order_key,
    visit_rank,
)
from surveys.survey.criteria import REASONS
from surveys.survey.status import status_out


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

    async def listing(self, village_id: int, per_page: int = PAGE_SIZE) -> CoveragePage:
        """The village's coverage list under these filters (pages, export and API alike)."""
        return await village_coverage(
            village_id, self.q, self.status, self.reason, self.page, per_page, self.sort
        )

    def url(self, path: str, **changes: Any) -> str:
        """`path` with these filters but the search text, changed by `changes` (defaults left out)."""
        values = asdict(replace(self, **changes))
        defaults = asdict(ListFilters())
        # Never the text searched: it is often a name, and names stay out of URLs.
        query = {k: v for k, v in values.items() if v != defaults[k] and k != "q"}
        return f"{path}?{urlencode(query)}" if query else path


# More than any village holds (150-500 households, docs/design.md §6): one page is the whole village.
WHOLE_VILLAGE = 1_000_000


@dataclass(frozen=True)
class ListedRow:
    """A household of a village's list: whether these filters show it, and its key in each order."""

    row: CoverageRow
    shown: bool
    others: tuple[str, ...] = ()  # its members other than the head: the page says which one it found

    @property
    def rank(self) -> str:
        """Its rank in the order to visit (`visit_rank`), before its key by name."""
        return visit_rank(self.row)

    @property
    def by_visit(self) -> str:
        """Its key in the order to visit (`visit_order_key`): rows in plain string order of it."""
        return visit_order_key(self.row)

    @property
    def by_name(self) -> str:
        """Its key in Vietnamese order of the head's name (`name_order_key`)."""
        return name_order_key(self.row)


@dataclass(frozen=True)
class VillageList:
    """Every household of a village, in the filters' order, those the filters leave out marked so:
    one page a phone can keep and search, filter and reorder by itself (docs/architecture.md §7)."""

    rows: list[ListedRow]
    shown: int
    counts: dict[str, int]


async def village_list(village_id: int, filters: ListFilters) -> VillageList:
    """The village's whole list under `filters` (search, status, reason, order; no pages): the same
    rows and counts as the paged list, each household once, shown or not, in the order of the keys each
    row carries (the phone orders a list it patched by the same keys)."""
    everyone = await village_coverage(village_id, per_page=WHOLE_VILLAGE)
    # One pass over the village: the rows a filter keeps are picked from it by their own flags.
    picked = await kept_by(everyone, filters.q, filters.status, filters.reason)
    found = {r.token: r for r in picked.rows}
    others = await other_members(village_id)
    # The searched row: it names the member the search found.
    rows = [
        ListedRow(found.get(r.token, r), r.token in found, tuple(others.get(r.token, ())))
        for r in everyone.rows
    ]
    rows.sort(key=lambda listed: listed.by_name if filters.sort == "name" else listed.by_visit)
    return VillageList(rows, len(found), picked.counts)


async def village_households(village_id: int, query: str = "") -> list[schemas.HouseholdSummary]:
    """A village's households matching `query` (accents and case ignored), in Vietnamese order of the
    head's name. Access is the caller's to check."""
    listed = await village_coverage(village_id, q=query, order="name", per_page=1_000_000)
    return [
        schemas.HouseholdSummary(
            token=r.token,
            code=r.code,
            head_name=r.head_name,
            address=r.address,
            last_visit_at=r.last_visit_at,
            status=status_out(r),
        )
        for r in listed.rows
    ]
