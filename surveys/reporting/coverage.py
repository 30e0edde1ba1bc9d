"""Coverage counted in the database: each household's status and reasons as SQL aggregates, for the
village lists (filtered, searched, paged) and the ward's numbers. The rules come from
`surveys.survey.criteria` (`member_sql`, `reason_sql`), never restated here."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from surveys import schemas
from surveys.core.clock import now, this_year
from surveys.core.replicas import replica_reads
from surveys.register.search_matches import matched_members, search_words
from surveys.survey.criteria import (
    REASONS,
    CoverageRules,
    covered_sql,
    member_sql,
    reason_sql,
)
from surveys.survey.status import status_out
from surveys.tables import Household, Village

STATUSES: tuple[str, ...] = ("all", "uncovered", "covered")
ORDERS: tuple[str, ...] = ("visit", "name")
PAGE_SIZE = 50
# Order to visit: never-attempted first, then the doors to knock on again, then the households that
# were visited but still lack something.
_VISIT_ORDER = ("not_visited", "come_back", "nobody_home", "declined", "no_digital_core", "members_without_vneid",
                "members_without_bank")  # fmt: skip


def households_sql(rules: CoverageRules, year: int, scope: str, visits: str = "visit") -> str:
    """A query whose rows are the households in `scope` (a condition on household `h`, with `{}`
    placeholders) with their aggregates; `scope` is used three times, so its arguments are repeated.
    `visits`: the visits counted, the table or a query in its place with its columns (id, household,
    outcome, at, volunteer; its placeholders come before the second use of `scope`'s)."""
    m = member_sql(rules, year)
    return f"""
    WITH mem AS (
        SELECT m.household,
            SUM(CASE WHEN {m["core"]} THEN 1 ELSE 0 END) AS core,
            SUM(CASE WHEN {m["adult"]} THEN 1 ELSE 0 END) AS adults,
            SUM(CASE WHEN {m["adult"]} AND NOT {m["vneid"]} THEN 1 ELSE 0 END) AS without_vneid,
            SUM(CASE WHEN {m["adult"]} AND NOT {m["bank"]} THEN 1 ELSE 0 END) AS without_bank,
            SUM(CASE WHEN {m["adult"]} AND {m["level2"]} THEN 1 ELSE 0 END) AS adults_level2,
            SUM(CASE WHEN {m["adult"]} AND {m["confirmed"]} THEN 1 ELSE 0 END) AS adults_confirmed,
            SUM(CASE WHEN {m["adult"]} AND {m["core"]} THEN 1 ELSE 0 END) AS adults_skilled,
            SUM(CASE WHEN {m["adult"]} AND {m["ai"]} THEN 1 ELSE 0 END) AS adults_ai,
            SUM(CASE WHEN {m["senior"]} THEN 1 ELSE 0 END) AS seniors,
            SUM(CASE WHEN {m["senior"]} AND {m["vneid"]} THEN 1 ELSE 0 END) AS seniors_vneid
        FROM member m JOIN household h ON h.id = m.household
        WHERE m.removed = FALSE AND {scope}
        GROUP BY m.household
    ),
    vis AS (
        SELECT v.household, v.outcome, v.at, v.volunteer,
            ROW_NUMBER() OVER (PARTITION BY v.household ORDER BY v.at DESC, v.id DESC) AS rn,
            SUM(CASE WHEN v.outcome = 'done' THEN 1 ELSE 0 END) OVER (PARTITION BY v.household) AS done
        FROM {visits} v JOIN household h ON h.id = v.household
        WHERE {scope}
    ),
    base AS (
        SELECT h.id, h.village, h.token, h.code, h.head_name, h.address, h.sort_key, h.search_key, h.created_at,
            CASE WHEN h.priority_elderly_alone OR h.priority_poor OR h.priority_other THEN 1 ELSE 0 END AS priority,
            CASE WHEN h.informed_at IS NOT NULL THEN 1 ELSE 0 END AS informed,
            CASE WHEN h.priority_poor THEN 1 ELSE 0 END AS poor,
            CASE WHEN h.priority_elderly_alone THEN 1 ELSE 0 END AS elderly_alone,
            COALESCE(mem.core, 0) AS core, COALESCE(mem.adults, 0) AS adults,
            COALESCE(mem.without_vneid, 0) AS without_vneid, COALESCE(mem.without_bank, 0) AS without_bank,
            COALESCE(mem.adults_level2, 0) AS adults_level2, COALESCE(mem.adults_confirmed, 0) AS adults_confirmed,
            COALESCE(mem.adults_skilled, 0) AS adults_skilled, COALESCE(mem.adults_ai, 0) AS adults_ai,
            COALESCE(mem.seniors, 0) AS seniors, COALESCE(mem.seniors_vneid, 0) AS seniors_vneid,
            COALESCE(vis.done, 0) AS done, COALESCE(vis.outcome, '') AS last_outcome, vis.at AS last_at,
            u.display_name AS last_volunteer
        FROM household h
        LEFT JOIN mem ON mem.household = h.id
        LEFT JOIN vis ON vis.household = h.id AND vis.rn = 1
        LEFT JOIN app_user u ON u.id = vis.volunteer
        WHERE h.archived = FALSE AND {scope}
    )
    """


# The ward report's indicators as sums over `base` (households_sql).
INDICATOR_SUMS = """
    COUNT(*) AS households,
    SUM(CASE WHEN done > 0 THEN 1 ELSE 0 END) AS visited,
    SUM(CASE WHEN core > 0 THEN 1 ELSE 0 END) AS digital_family,
    SUM(informed) AS informed,
    SUM(adults) AS adults,
    SUM(adults - without_vneid) AS vneid,
    SUM(adults_level2) AS vneid_level2,
    SUM(adults - without_bank) AS bank,
    SUM(adults_confirmed) AS skills_confirmed,
    SUM(CASE WHEN last_outcome <> '' THEN 1 ELSE 0 END) AS attempted
"""


@dataclass(frozen=True)
class CoverageRow:
    """A household in a coverage list."""

    token: str
    code: str
    head_name: str
    address: str
    priority: bool
    visited: bool
    digital_family: bool
    identity_complete: bool
    covered: bool
    reasons: tuple[str, ...]
    members_without_vneid: int
    members_without_bank: int
    last_visit_at: datetime | None
    last_outcome: str | None
    last_volunteer: str | None
    days_since_visit: int | None
    matched_member: str = ""  # a member other than the head whose name the search found
    search_key: str = ""  # the folded words it is found by (surveys.core.text.search_key)
    sort_key: str = ""  # the head's name in Vietnamese order (surveys.core.text.name_sort_key)
    household_id: int = 0


@dataclass(frozen=True)
class CoveragePage:
    """One page of a village's coverage list, and how many households each filter holds."""

    rows: list[CoverageRow]
    total: int
    page: int
    pages: int
    counts: dict[str, int]


def name_order_key(row: CoverageRow) -> str:
    """The row's place in the order by name as a string whose plain order is that order (`sort_key`,
    digits only, then the code): the phone orders a list it patched by it (docs/architecture.md §7)."""
    return f"{row.sort_key} {row.code}"


def visit_rank(row: CoverageRow) -> str:
    """The row's rank in the order to visit before its name: priority households first, then by the
    first of its reasons in `_VISIT_ORDER` (two digits; the SQL's `priority DESC, visit_rank`)."""
    rank = next((i for i, code in enumerate(_VISIT_ORDER) if code in row.reasons), len(_VISIT_ORDER))
    return f"{0 if row.priority else 1}{rank}"


def visit_order_key(row: CoverageRow) -> str:
    """The row's place in the order to visit as a string whose plain order is that order: its rank,
    then its key by name."""
    return f"{visit_rank(row)} {name_order_key(row)}"


def _timestamp(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def _row(r: dict[str, Any], rules: CoverageRules, at: datetime, matched: str = "") -> CoverageRow:
    reasons = tuple(code for code in REASONS if r[f"r_{code}"])
    last = _timestamp(r["last_at"])
    done = int(r["done"]) > 0
    return CoverageRow(
        token=r["token"],
        code=r["code"],
        head_name=r["head_name"],
        address=r["address"],
        priority=bool(r["priority"]),
        visited=done,
        digital_family=int(r["core"]) > 0,
        identity_complete=int(r["without_vneid"]) == 0
        and (int(r["without_bank"]) == 0 or not rules.identity_requires_bank),
        covered=not reasons,
        reasons=reasons,
        members_without_vneid=int(r["without_vneid"]),
        members_without_bank=int(r["without_bank"]),
        last_visit_at=last,
        last_outcome=r["last_outcome"] or None,
        last_volunteer=r["last_volunteer"],
        days_since_visit=(at - last).days if last else None,
        matched_member=matched,
        search_key=r["search_key"] or "",
        sort_key=r["sort_key"] or "",
        household_id=int(r["id"]),
    )


def coverage_out(village_id: int, listing: CoveragePage) -> schemas.Coverage:
    """A coverage page as the API shows it."""
    return schemas.Coverage(
        village_id=village_id,
        total=listing.total,
        page=listing.page,
        pages=listing.pages,
        counts=listing.counts,
        households=[
            schemas.CoverageHousehold(
                token=r.token,
                code=r.code,
                head_name=r.head_name,
                address=r.address,
                priority=r.priority,
                status=status_out(r),
                last_visit_at=r.last_visit_at,
                last_outcome=r.last_outcome,
                last_volunteer=r.last_volunteer,
                days_since_visit=r.days_since_visit,
            )
            for r in listing.rows
        ],
    )


async def village_rules(village_id: int) -> CoverageRules:
    """The coverage rules of the village's ward."""
    ward = await Village.select(*Village.ward.all_columns()).where(Village.id == village_id).first() or {}
    return CoverageRules.of_ward(ward, "ward.")


@replica_reads
async def village_coverage(
    village_id: int,
    q: str = "",
    status: str = "all",
    reason: str = "",
    page: int = 1,
    per_page: int = PAGE_SIZE,
    order: str = "visit",
) -> CoveragePage:
    """A village's households with status and reasons, filtered by status, reason and search. Order
    `visit`: priority households first, then in the order to visit, then by name; `name`: by the
    head's name in Vietnamese order."""
    rules = await village_rules(village_id)
    reasons = reason_sql(rules)
    covered = covered_sql(rules)
    search, search_args = _search(q)
    flags = ", ".join(f"CASE WHEN {cond} THEN 1 ELSE 0 END AS r_{code}" for code, cond in reasons.items())
    rank = " ".join(f"WHEN {reasons[code]} THEN {i}" for i, code in enumerate(_VISIT_ORDER))
    where = [search or "1 = 1"]
    if status == "covered":
        where.append(covered)
    elif status == "uncovered":
        where.append(f"NOT ({covered})")
    if reason in reasons:
        where.append(f"({reasons[reason]})")
    scope_args = [village_id] * 3
    query = households_sql(rules, this_year(), "h.village = {}")
    # One query: the page's rows carry the counts of every filter (over the households searched) and the
    # total under this filter as window sums, so the list costs one pass over the village.
    windows = ", ".join(f"SUM(CASE WHEN {cond} THEN 1 ELSE 0 END) OVER () AS n_{code}" for code, cond in
                        {**reasons, "covered": covered}.items())  # fmt: skip
    order_by = f"{'priority DESC, visit_rank, ' if order != 'name' else ''}sort_key, code"

    async def fetch(page: int) -> list[dict[str, Any]]:
        return list(
            await Household.raw(
                f"""{query},
                listed AS (
                    SELECT base.*, {flags}, CASE {rank} ELSE {len(_VISIT_ORDER)} END AS visit_rank, {windows},
                        COUNT(*) OVER () AS n_all_households,
                        CASE WHEN {" AND ".join(where[1:]) or "1 = 1"} THEN 1 ELSE 0 END AS shown
                    FROM base WHERE {where[0]}
                ),
                picked AS (SELECT listed.*, COUNT(*) OVER () AS n_total FROM listed WHERE shown = 1)
                SELECT * FROM picked ORDER BY {order_by} LIMIT {{}} OFFSET {{}}""",
                *scope_args,
                *search_args,
                per_page,
                (max(1, page) - 1) * per_page,
            )
        )

    rows = await fetch(page)
    if rows:
        counts = _counts(
            {k.removeprefix("n_"): v for k, v in rows[0].items() if k.startswith("n_") and k != "n_total"}
        )
        total = int(rows[0]["n_total"])
    else:
        # Nothing on this page (an empty filter, or a page past the end): count apart, then the last page.
        counted = await Household.raw(
            f"{query} SELECT {_counts_sql(rules)} FROM base WHERE {where[0]}", *scope_args, *search_args
        )
        counts = _counts(counted[0])
        total_rows = await Household.raw(
            f"{query} SELECT COUNT(*) AS n FROM base WHERE {' AND '.join(where)}", *scope_args, *search_args
        )
        total = int(total_rows[0]["n"])
    pages = max(1, -(-total // per_page))
    if not rows and total:
        rows = await fetch(pages)
    page = min(max(1, page), pages)
    at = now()
    matched = await matched_members([int(r["id"]) for r in rows], q)
    return CoveragePage(
        [_row(r, rules, at, matched.get(int(r["id"]), "")) for r in rows], total, page, pages, counts
    )


async def kept_by(whole: CoveragePage, q: str = "", status: str = "all", reason: str = "") -> CoveragePage:
    """The rows of a village's whole list (`village_coverage` with no filter) that a search, status and
    reason keep, and the counts over the households searched: what `village_coverage` answers under that
    filter, from the flags the one pass over the village gave each row (its reasons, covered when it has
    none, its search key; `search_words` as `_search` reads them), without a second pass."""
    words = search_words(q)
    searched = [r for r in whole.rows if all(w in r.search_key for w in words)]
    counts = {code: sum(code in r.reasons for r in searched) for code in REASONS}
    counts["covered"] = sum(r.covered for r in searched)
    counts["all"] = len(searched)
    counts["uncovered"] = counts["all"] - counts["covered"]
    kept = [
        r
        for r in searched
        if (status not in ("covered", "uncovered") or r.covered == (status == "covered"))
        and (reason not in REASONS or reason in r.reasons)
    ]
    matched = await matched_members([r.household_id for r in kept], q) if words else {}
    kept = [replace(r, matched_member=matched.get(r.household_id, "")) for r in kept]
    return CoveragePage(kept, len(kept), 1, 1, counts)


def _counts_sql(rules: CoverageRules) -> str:
    """SQL sums over `base`: households under each reason, covered, and all."""
    covered = covered_sql(rules)
    return ", ".join(
        [f"SUM(CASE WHEN {cond} THEN 1 ELSE 0 END) AS {code}" for code, cond in reason_sql(rules).items()]
        + [f"SUM(CASE WHEN {covered} THEN 1 ELSE 0 END) AS covered", "COUNT(*) AS all_households"]
    )


def _counts(row: dict[str, Any]) -> dict[str, int]:
    counts = {k: int(v or 0) for k, v in row.items() if k != "village"}
    counts["all"] = counts.pop("all_households")
    counts["uncovered"] = counts["all"] - counts["covered"]
    return counts


async def ward_reason_counts(ward_id: int, rules: CoverageRules) -> dict[int, dict[str, int]]:
    """For each village of the ward: households under each reason, covered, uncovered and all."""
    query = households_sql(rules, this_year(), "h.village IN (SELECT id FROM village WHERE ward = {})")
    rows = await Household.raw(
        f"{query} SELECT village, {_counts_sql(rules)} FROM base GROUP BY village", *[ward_id] * 3
    )
    return {int(r["village"]): _counts(r) for r in rows}


def _search(q: str) -> tuple[str, list[str]]:
    words = search_words(q)
    return " AND ".join("search_key LIKE {}" for _ in words), [f"%{w}%" for w in words]
