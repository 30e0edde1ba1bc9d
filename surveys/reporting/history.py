"""A ward's numbers as they stood at a past moment, read from the visit history, and what happened
between two moments (docs/design.md §6: "numbers as of a date come from history"). The periodic report reads
its standings from the per-village daily counts; `standing_at` is its live path (`COUNTS_READ=false`),
equal to the counts for households whose answers come from visits (the counts, as the dashboard, also
count what the register says of a household not visited yet).

Each completed `Visit` keeps the household's derived counts of that moment (by the ward's rules of
that day). As of a moment, a household counts when it was registered before it and not archived by
then; it counts as its latest completed visit before the moment left it, or, never visited by then, as
unvisited: no answers, its citizens of identity age and 60+ counted from the members registered by
then. Nothing later than the moment is read, so a report on a past period gives the same figures
whenever it is run. (Some register corrections keep no date and can still move a past denominator of a
household not yet visited then: a member removed or their birth year corrected, or the ward's identity
age changed.) Counted per village in SQL: a few rows per village, never one per household.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from surveys.core.settings import get_settings
from surveys.survey.criteria import SENIOR_AGE, CoverageRules, visit_covered_sql
from surveys.tables import Household

# Households of the ward: the scope of every query here (its one argument: the ward's id).
_IN_WARD = "h.village IN (SELECT id FROM village WHERE ward = {})"


@dataclass(frozen=True)
class Standing:
    """The indicators of a village or a ward at one moment."""

    households: int = 0
    visited: int = 0
    informed: int = 0
    digital_family: int = 0
    covered: int = 0
    adults: int = 0
    vneid: int = 0
    vneid_level2: int = 0
    bank: int = 0
    basic_skills: int = 0
    skills_confirmed: int = 0
    ai_tool: int = 0
    seniors: int = 0
    seniors_vneid: int = 0
    poor: int = 0
    poor_covered: int = 0
    elderly_alone: int = 0
    elderly_alone_covered: int = 0

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Standing:
        """From a query row with one column per field (sums may come back NULL or as decimals)."""
        return cls(**{f.name: int(row.get(f.name) or 0) for f in fields(cls)})

    @classmethod
    def sum(cls, items: list[Standing]) -> Standing:
        """The total of several."""
        return cls(**{f.name: sum(getattr(i, f.name) for i in items) for f in fields(cls)})


@dataclass(frozen=True)
class Activity:
    """What happened during a period in a village or a ward, from the per-village daily activity
    (`surveys.reporting.activity_counts`): sums of days, but `volunteers`, each counted once."""

    visits: int = 0
    first_visits: int = 0
    newly_covered: int = 0
    volunteers: int = 0
    completed: int = 0
    nobody_home: int = 0
    newly_uncovered: int = 0

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Activity:
        """From a query row with one column per field."""
        return cls(**{f.name: int(row.get(f.name) or 0) for f in fields(cls)})

    @classmethod
    def sum(cls, items: list[Activity]) -> Activity:
        """The total of several (volunteers too: a ward's own count has each once)."""
        return cls(**{f.name: sum(getattr(i, f.name) for i in items) for f in fields(cls)})


def _latest_visit(name: str) -> str:
    """A CTE `name`: each household's completed visits before a moment (first argument; then the
    ward's id), newest ranked 1."""
    return f"""{name} AS (
        SELECT v.household, v.digital_family, v.informed, v.adults, v.adults_vneid, v.adults_vneid_level2,
            v.adults_bank, v.adults_confirmed, v.adults_skilled, v.adults_ai, v.seniors, v.seniors_vneid,
            v.priority_poor, v.priority_elderly_alone,
            ROW_NUMBER() OVER (PARTITION BY v.household ORDER BY v.at DESC, v.id DESC) AS rn
        FROM visit v JOIN household h ON h.id = v.household
        WHERE v.outcome = 'done' AND v.at < {{}} AND {_IN_WARD}
    )"""


async def standing_at(ward_id: int, moment: datetime, rules: CoverageRules) -> dict[int, Standing]:
    """The ward's indicators per village id as they stood at `moment` (from the visit history)."""
    # Ages as in the year of the last day before the moment (a report to 31/12 counts that year's).
    year = (moment - timedelta(seconds=1)).astimezone(ZoneInfo(get_settings().timezone)).year
    adult_cutoff = year - int(rules.identity_age)
    senior_cutoff = year - SENIOR_AGE
    covered = visit_covered_sql("l", rules)
    query = f"""
    WITH {_latest_visit("lv")},
    l AS (SELECT * FROM lv WHERE rn = 1),
    reg AS (
        SELECT m.household,
            SUM(CASE WHEN m.birth_year <= {adult_cutoff} THEN 1 ELSE 0 END) AS adults,
            SUM(CASE WHEN m.birth_year <= {senior_cutoff} THEN 1 ELSE 0 END) AS seniors
        FROM member m JOIN household h ON h.id = m.household
        WHERE m.created_at < {{}} AND {_IN_WARD}
        GROUP BY m.household
    )
    SELECT h.village,
        COUNT(*) AS households,
        SUM(CASE WHEN l.household IS NOT NULL THEN 1 ELSE 0 END) AS visited,
        SUM(CASE WHEN l.informed THEN 1 ELSE 0 END) AS informed,
        SUM(CASE WHEN l.digital_family THEN 1 ELSE 0 END) AS digital_family,
        SUM(CASE WHEN {covered} THEN 1 ELSE 0 END) AS covered,
        SUM(CASE WHEN l.household IS NOT NULL THEN l.adults ELSE COALESCE(reg.adults, 0) END) AS adults,
        SUM(COALESCE(l.adults_vneid, 0)) AS vneid,
        SUM(COALESCE(l.adults_vneid_level2, 0)) AS vneid_level2,
        SUM(COALESCE(l.adults_bank, 0)) AS bank,
        SUM(COALESCE(l.adults_skilled, 0)) AS basic_skills,
        SUM(COALESCE(l.adults_confirmed, 0)) AS skills_confirmed,
        SUM(COALESCE(l.adults_ai, 0)) AS ai_tool,
        SUM(CASE WHEN l.household IS NOT NULL THEN l.seniors ELSE COALESCE(reg.seniors, 0) END) AS seniors,
        SUM(COALESCE(l.seniors_vneid, 0)) AS seniors_vneid,
        SUM(CASE WHEN l.priority_poor THEN 1 ELSE 0 END) AS poor,
        SUM(CASE WHEN l.priority_poor AND {covered} THEN 1 ELSE 0 END) AS poor_covered,
        SUM(CASE WHEN l.priority_elderly_alone THEN 1 ELSE 0 END) AS elderly_alone,
        SUM(CASE WHEN l.priority_elderly_alone AND {covered} THEN 1 ELSE 0 END) AS elderly_alone_covered
    FROM household h
    LEFT JOIN l ON l.household = h.id
    LEFT JOIN reg ON reg.household = h.id
    WHERE {_IN_WARD} AND h.created_at < {{}} AND NOT (h.archived AND (h.archived_at IS NULL OR h.archived_at < {{}}))
    GROUP BY h.village
    """
    rows = await Household.raw(query, moment, ward_id, moment, ward_id, ward_id, moment, moment)
    return {int(r["village"]): Standing.from_row(r) for r in rows}
