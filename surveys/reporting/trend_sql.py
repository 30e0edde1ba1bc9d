"""The trend's counts from the visit history, as SQL over `surveys.reporting.coverage.households_sql`'s
`base`: shared by the live weekly trend (`surveys.reporting.reports`, bucketed by week) and the past days
of the per-village daily counts (`surveys.reporting.village_counts.rebuild`, bucketed by local day), so
the two count the same way (DESIGN.md §9)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from piccolo.engine.postgres import PostgresEngine

from surveys.core.db import current_engine
from surveys.core.settings import get_settings

# The columns of a trend point, in the order of `held_sql`'s select lists.
TREND_COLUMNS = ("households", "visited", "digital_family", "informed", "adults", "vneid", "vneid_level2", "bank",
                 "skills_confirmed")  # fmt: skip


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
    scope: str, bucket: Callable[[str], str], cte: str = "", cross: str = "", by_village: bool = False
) -> str:
    """Counts grouped by the buckets they hold for, in one pass over the households and one over their
    completed visits. A household counts from the bucket it was registered in; a visit from the bucket
    it was made in until (not including) the bucket of the household's next completed visit (`b2` NULL
    or past the last: for good); a household never visited counts with its register data, and its
    members of identity age are replaced by the visit's once visited. `scope` (a condition on household
    `h` with `{}` placeholders) picks the visits; `bucket` maps a timestamp expression to its bucket;
    `cte`/`cross` add a CTE and what to cross-join for it; `by_village` adds a first column `village`."""
    village, group = ("village, ", ", village") if by_village else ("", "")
    unvisited = "done = 0"
    return f""",{cte}
    v2 AS (
        SELECT v.household, v.at, v.digital_family, v.informed, v.adults, v.adults_vneid, v.adults_vneid_level2,
            v.adults_bank, v.adults_confirmed,
            LEAD(v.at) OVER (PARTITION BY v.household ORDER BY v.at, v.id) AS next_at
        FROM visit v JOIN household h ON h.id = v.household
        WHERE v.outcome = 'done' AND {scope}
    ),
    registered AS (SELECT base.*, {bucket("base.created_at")} AS b1 FROM base{cross}),
    held AS (
        SELECT v2.*, base.village, base.adults AS register_adults, {bucket("v2.at")} AS b1,
            {bucket("v2.next_at")} AS b2
        FROM v2 JOIN base ON base.id = v2.household{cross}
    )
    SELECT {village}b1, NULL AS b2, COUNT(*) AS households, 0 AS visited, SUM(adults) AS adults,
        SUM(CASE WHEN {unvisited} AND core > 0 THEN 1 ELSE 0 END) AS digital_family,
        SUM(CASE WHEN {unvisited} THEN informed ELSE 0 END) AS informed,
        SUM(CASE WHEN {unvisited} THEN adults - without_vneid ELSE 0 END) AS vneid,
        SUM(CASE WHEN {unvisited} THEN adults_level2 ELSE 0 END) AS vneid_level2,
        SUM(CASE WHEN {unvisited} THEN adults - without_bank ELSE 0 END) AS bank,
        SUM(CASE WHEN {unvisited} THEN adults_confirmed ELSE 0 END) AS skills_confirmed
    FROM registered GROUP BY b1{group}
    UNION ALL
    SELECT {village}b1, b2, 0, COUNT(*), SUM(adults - register_adults),
        SUM(CASE WHEN digital_family THEN 1 ELSE 0 END), SUM(CASE WHEN informed THEN 1 ELSE 0 END),
        SUM(adults_vneid), SUM(adults_vneid_level2), SUM(adults_bank), SUM(adults_confirmed)
    FROM held GROUP BY b1, b2{group}
    """
