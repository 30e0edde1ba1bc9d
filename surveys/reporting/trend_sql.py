"""The trend's counts from the visit history, as SQL over `surveys.reporting.coverage.households_sql`'s
`base`: shared by the live weekly trend (`surveys.reporting.reports`, bucketed by week) and the past days
of the per-village daily counts (`surveys.reporting.village_counts.rebuild`, bucketed by local day), so
the two count the same way (docs/design.md §6)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from piccolo.engine.postgres import PostgresEngine

from surveys.core.db import current_engine
from surveys.core.settings import get_settings
from surveys.survey.criteria import CoverageRules, visit_covered_sql

# The columns of a trend point, in the order of `held_sql`'s select lists.
TREND_COLUMNS = ("households", "visited", "digital_family", "informed", "adults", "vneid", "vneid_level2", "bank",
                 "skills_confirmed")  # fmt: skip
# The periodic report's other columns (`held_sql` with the rules), after "covered".
PERIOD_COLUMNS = ("basic_skills", "ai_tool", "seniors", "seniors_vneid", "poor", "poor_covered", "elderly_alone",
                  "elderly_alone_covered")  # fmt: skip
# What `held_sql` with the rules counts: the past days of the per-village daily counts.
HISTORY_COLUMNS = (*TREND_COLUMNS, "covered", *PERIOD_COLUMNS)


def local_day_sql(moment: str) -> str:
    """SQL: the calendar date (in phocap's time zone) of the timestamp `moment`; NULL stays NULL. On SQLite
    (timestamps kept as ISO text) by the zone's offset of today: Vietnam keeps one offset all year."""
    zone = get_settings().timezone
    if isinstance(current_engine(), PostgresEngine):
        return f"CAST(({moment}) AT TIME ZONE '{zone}' AS DATE)"
    from zoneinfo import ZoneInfo

    offset = datetime.now(ZoneInfo(zone)).utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset else 0
    return f"date({moment}, '{minutes:+d} minutes')"


def held_sql(
    scope: str,
    bucket: Callable[[str], str],
    cte: str = "",
    cross: str = "",
    by_village: bool = False,
    rules: CoverageRules | None = None,
) -> str:
    """Counts grouped by the buckets they hold for, in one pass over the households and one over their
    completed visits. A household counts from the bucket it was registered in; a visit from the bucket
    it was made in until (not including) the bucket of the household's next completed visit (`b2` NULL
    or past the last: for good); a household never visited counts with its register data, and its
    members of identity age are replaced by the visit's once visited. `scope` (a condition on household
    `h` with `{}` placeholders) picks the visits; `bucket` maps a timestamp expression to its bucket;
    `cte`/`cross` add a CTE and what to cross-join for it; `by_village` adds a first column `village`;
    `rules` adds "covered" (by these rules) and `PERIOD_COLUMNS`, counted the same way: the register's
    citizens 60+ always, the rest from the register until the first completed visit, then the visit's."""
    village, group = ("village, ", ", village") if by_village else ("", "")
    unvisited = "done = 0"
    registered_more = held_more = ""
    if rules is not None:
        covered = visit_covered_sql("held", rules)
        registered_more = f""",
        0 AS covered, SUM(CASE WHEN {unvisited} THEN adults_skilled ELSE 0 END) AS basic_skills,
        SUM(CASE WHEN {unvisited} THEN adults_ai ELSE 0 END) AS ai_tool, SUM(seniors) AS seniors,
        SUM(CASE WHEN {unvisited} THEN seniors_vneid ELSE 0 END) AS seniors_vneid,
        SUM(CASE WHEN {unvisited} THEN poor ELSE 0 END) AS poor, 0 AS poor_covered,
        SUM(CASE WHEN {unvisited} THEN elderly_alone ELSE 0 END) AS elderly_alone, 0 AS elderly_alone_covered"""
        held_more = f""",
        SUM(CASE WHEN {covered} THEN 1 ELSE 0 END), SUM(adults_skilled), SUM(adults_ai),
        SUM(seniors - register_seniors), SUM(seniors_vneid), SUM(CASE WHEN priority_poor THEN 1 ELSE 0 END),
        SUM(CASE WHEN priority_poor AND {covered} THEN 1 ELSE 0 END),
        SUM(CASE WHEN priority_elderly_alone THEN 1 ELSE 0 END),
        SUM(CASE WHEN priority_elderly_alone AND {covered} THEN 1 ELSE 0 END)"""
    return f""",{cte}
    v2 AS (
        SELECT v.household, v.at, v.digital_family, v.informed, v.adults, v.adults_vneid, v.adults_vneid_level2,
            v.adults_bank, v.adults_confirmed, v.adults_skilled, v.adults_ai, v.seniors, v.seniors_vneid,
            v.priority_poor, v.priority_elderly_alone,
            LEAD(v.at) OVER (PARTITION BY v.household ORDER BY v.at, v.id) AS next_at
        FROM visit v JOIN household h ON h.id = v.household
        WHERE v.outcome = 'done' AND {scope}
    ),
    registered AS (SELECT base.*, {bucket("base.created_at")} AS b1 FROM base{cross}),
    held AS (
        SELECT v2.*, base.village, base.adults AS register_adults, base.seniors AS register_seniors, {bucket("v2.at")} AS b1,
            {bucket("v2.next_at")} AS b2
        FROM v2 JOIN base ON base.id = v2.household{cross}
    )
    SELECT {village}b1, NULL AS b2, COUNT(*) AS households, 0 AS visited, SUM(adults) AS adults,
        SUM(CASE WHEN {unvisited} AND core > 0 THEN 1 ELSE 0 END) AS digital_family,
        SUM(CASE WHEN {unvisited} THEN informed ELSE 0 END) AS informed,
        SUM(CASE WHEN {unvisited} THEN adults - without_vneid ELSE 0 END) AS vneid,
        SUM(CASE WHEN {unvisited} THEN adults_level2 ELSE 0 END) AS vneid_level2,
        SUM(CASE WHEN {unvisited} THEN adults - without_bank ELSE 0 END) AS bank,
        SUM(CASE WHEN {unvisited} THEN adults_confirmed ELSE 0 END) AS skills_confirmed{registered_more}
    FROM registered GROUP BY b1{group}
    UNION ALL
    SELECT {village}b1, b2, 0, COUNT(*), SUM(adults - register_adults),
        SUM(CASE WHEN digital_family THEN 1 ELSE 0 END), SUM(CASE WHEN informed THEN 1 ELSE 0 END),
        SUM(adults_vneid), SUM(adults_vneid_level2), SUM(adults_bank), SUM(adults_confirmed){held_more}
    FROM held GROUP BY b1, b2{group}
    """
