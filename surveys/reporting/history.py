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

from piccolo.engine.postgres import PostgresEngine

from surveys.core.db import current_engine
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
    """What happened during a period in a village or a ward."""

    visits: int = 0
    first_visits: int = 0
    newly_covered: int = 0
    volunteers: int = 0

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Activity:
        """From a query row with one column per field."""
        return cls(**{f.name: int(row.get(f.name) or 0) for f in fields(cls)})

    @classmethod
    def sum(cls, items: list[Activity]) -> Activity:
        """The total of several (volunteers too: see `ward_activity` for the ward's own count)."""
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


async def activity_between(
    ward_id: int, start: datetime, end: datetime, rules: CoverageRules
) -> tuple[dict[int, Activity], int]:
    """What happened in the ward from `start` to `end`, per village id (`activity_in`), and the ward's
    own count of volunteers (one who visits two villages counts in each, but once for the ward)."""
    by_village, volunteers = await activity_in("ward = {}", [ward_id], start, end, rules)
    return by_village, volunteers.get(ward_id, 0)


async def activity_in(
    area: str, args: list[Any], start: datetime, end: datetime, rules: CoverageRules
) -> tuple[dict[int, Activity], dict[int, int]]:
    """What happened from `start` to `end` in the villages of `area` (a condition on table `village`
    with `{}` placeholders for `args`, whose wards keep `rules`), per village id: visits made (any
    outcome), households visited (completed) for the first time, households covered at the end that
    were not at the start, volunteers who made a visit; and per ward id, its volunteers (each once)."""
    # The period's visits of the area's villages, from the visits alone: each keeps its household's
    # village now (rewritten when it moves or is merged), so no household is read, for a ward (a range
    # of the index on visit (village, at) per village) as for a province of 600,000 households (the
    # index on `visit.at`, when the area is most of the database; docs/scaling.md §4).
    # Only a household with a completed visit in the period can be visited first or newly covered in
    # it (else its latest visit at the end is its latest at the start): at the end it stands as its
    # latest visit of the period left it, at the start as its latest earlier one, if any: one lookup per
    # such household in the index on `visit (household, at)`, written as a subquery (fenced on
    # PostgreSQL, else it runs once per use) so that no misjudged join reads the earlier visits once per
    # household. Volunteers are counted from the distinct (village, volunteer) pairs, for the villages
    # and the wards alike.
    fence = "MATERIALIZED " if isinstance(current_engine(), PostgresEngine) else ""
    query = f"""
    WITH in_area AS (
        SELECT v.id, v.at, v.household, v.volunteer, v.outcome, v.village,
            CASE WHEN {visit_covered_sql("v", rules)} THEN 1 ELSE 0 END AS covered
        FROM visit v
        WHERE v.village IN (SELECT id FROM village WHERE {area}) AND v.at >= {{}} AND v.at < {{}}
    ),
    pairs AS (SELECT village, volunteer, COUNT(*) AS visits FROM in_area GROUP BY village, volunteer),
    made AS (SELECT village, SUM(visits) AS visits, COUNT(volunteer) AS volunteers FROM pairs GROUP BY village),
    latest AS (
        SELECT household, village, covered,
            ROW_NUMBER() OVER (PARTITION BY household ORDER BY at DESC, id DESC) AS newest
        FROM in_area WHERE outcome = 'done'
    ),
    each_household AS {fence}(
        SELECT village, covered AS covered_at_end, (
            SELECT CASE WHEN {visit_covered_sql("b", rules)} THEN 1 ELSE 0 END FROM visit b
            WHERE b.household = latest.household AND b.outcome = 'done' AND b.at < {{}}
            ORDER BY b.at DESC, b.id DESC LIMIT 1
        ) AS covered_at_start
        FROM latest WHERE newest = 1
    ),
    changed AS (
        SELECT village, SUM(CASE WHEN covered_at_start IS NULL THEN 1 ELSE 0 END) AS first_visits,
            SUM(CASE WHEN covered_at_end = 1 AND COALESCE(covered_at_start, 0) = 0 THEN 1 ELSE 0 END)
                AS newly_covered
        FROM each_household GROUP BY village
    )
    SELECT village.id AS village, NULL AS ward, COALESCE(made.visits, 0) AS visits,
        COALESCE(made.volunteers, 0) AS volunteers, COALESCE(changed.first_visits, 0) AS first_visits,
        COALESCE(changed.newly_covered, 0) AS newly_covered
    FROM village
    LEFT JOIN made ON made.village = village.id
    LEFT JOIN changed ON changed.village = village.id
    WHERE {area}
    UNION ALL
    SELECT NULL, vl.ward, 0, COUNT(DISTINCT pairs.volunteer), 0, 0
    FROM pairs JOIN village vl ON vl.id = pairs.village GROUP BY vl.ward
    """
    rows = await Household.raw(query, *args, start, end, start, *args)
    villages = [r for r in rows if r["village"] is not None]
    wards = [r for r in rows if r["village"] is None]
    return (
        {int(r["village"]): Activity.from_row(r) for r in villages},
        {int(r["ward"]): int(r["volunteers"] or 0) for r in wards},
    )
