"""The ward's numbers: indicators per village and in total against the year's targets, their weekly
trend from the visit history, and the volunteers' visits per week. All counted in SQL, with a fixed
number of queries whatever the number of households."""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from surveys import schemas
from surveys.core.clock import local_now, now, recent_weeks, this_year, week_label
from surveys.core.db import timestamp_param
from surveys.core.replicas import replica_reads
from surveys.core.settings import get_settings
from surveys.reporting.coverage import INDICATOR_SUMS as _INDICATOR_SUMS
from surveys.reporting.coverage import households_sql
from surveys.reporting.targets import Targets, targets_for
from surveys.reporting.trend_sql import TREND_COLUMNS, held_sql
from surveys.reporting.village_counts import counts_read, stored_counts, stored_trend
from surveys.survey.criteria import CoverageRules
from surveys.tables import Household, Village, Ward

# Indicators counted over households, and over citizens of identity age ("adults").
HOUSEHOLD_INDICATORS: tuple[str, ...] = ("visited", "digital_family", "informed")
ADULT_INDICATORS: tuple[str, ...] = ("vneid", "vneid_level2", "bank", "skills_confirmed")
INDICATORS: tuple[str, ...] = HOUSEHOLD_INDICATORS + ADULT_INDICATORS
# The outcomes of a visit that found no survey (surveys/survey/criteria.py: reasons of a household whose
# latest visit had one, before any completed).
ATTEMPTS: tuple[str, ...] = ("nobody_home", "declined", "come_back")
WARD_VILLAGES = "h.village IN (SELECT id FROM village WHERE ward = {})"


@dataclass(frozen=True)
class Indicators:
    """Counts for a village, a ward, or a week."""

    households: int = 0
    visited: int = 0
    digital_family: int = 0
    informed: int = 0
    adults: int = 0
    vneid: int = 0
    vneid_level2: int = 0
    bank: int = 0
    skills_confirmed: int = 0
    # Households at whose door a volunteer has been (any outcome), beside `visited` (a survey completed):
    # today's dashboards only, not the weekly trend, so not compared (a trend point equals the day's
    # indicators).
    attempted: int = field(default=0, compare=False)

    def denominator(self, indicator: str) -> int:
        """Households for household indicators, citizens of identity age for the others."""
        return self.households if indicator in HOUSEHOLD_INDICATORS else self.adults

    def percent(self, indicator: str) -> float:
        """The indicator as a percentage of its denominator, one decimal (0 when nothing to count)."""
        denominator = self.denominator(indicator)
        return round(100 * getattr(self, indicator) / denominator, 1) if denominator else 0.0

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Indicators:
        """From a query row with one column per field (sums may come back NULL or as decimals)."""
        return cls(**{f.name: int(row.get(f.name) or 0) for f in fields(cls)})

    @classmethod
    def from_counts(cls, row: dict[str, Any]) -> Indicators:
        """From a village's daily counts, which hold no `attempted`: the households surveyed and those whose
        latest attempt, before any completed survey, found nobody home, was declined or asked to come back."""
        found = cls.from_row(row)
        return replace(found, attempted=found.visited + sum(int(row.get(r) or 0) for r in ATTEMPTS))

    @classmethod
    def sum(cls, items: list[Indicators]) -> Indicators:
        """The total of several."""
        return cls(**{f.name: sum(getattr(i, f.name) for i in items) for f in fields(cls)})


@dataclass(frozen=True)
class VillageLine:
    """A village's indicators."""

    id: int
    code: str
    name: str
    indicators: Indicators


@dataclass(frozen=True)
class WardReport:
    """The ward dashboard's numbers: one line per village, the total, and the year's targets."""

    ward_id: int
    ward_code: str
    ward_name: str
    province_name: str
    year: int
    as_of: datetime
    villages: list[VillageLine]
    total: Indicators
    targets: Targets


@dataclass(frozen=True)
class TrendPoint:
    """The indicators as they stood at the end of one ISO week."""

    week: str
    start: datetime
    indicators: Indicators


@dataclass(frozen=True)
class VolunteerWeeks:
    """One volunteer's visits in each of the weeks of an activity table."""

    name: str
    counts: list[int]
    done: int

    @property
    def total(self) -> int:
        """Visits over all the weeks."""
        return sum(self.counts)


def report_out(report: WardReport) -> schemas.WardReport:
    """The report as the API shows it: the same numbers as the dashboard and the exports."""

    def line(village_id: int | None, code: str, name: str, counts: Indicators) -> schemas.ReportLine:
        indicators = {
            i: schemas.Indicator(
                count=getattr(counts, i),
                of=counts.denominator(i),
                percent=counts.percent(i),
                target=report.targets.for_indicator(i),
            )
            for i in INDICATORS
        }
        return schemas.ReportLine(village_id, code, name, counts.households, counts.adults, indicators)

    return schemas.WardReport(
        ward_code=report.ward_code,
        ward_name=report.ward_name,
        province_name=report.province_name,
        year=report.year,
        as_of=report.as_of,
        villages=[line(v.id, v.code, v.name, v.indicators) for v in report.villages],
        total=line(None, "", report.ward_name, report.total),
    )


async def ward_rules(ward_id: int) -> tuple[CoverageRules, dict[str, Any]]:
    """The ward's rules and its row (with the province's name)."""
    ward = (
        await Ward.select(*Ward.all_columns(), Ward.province._.name.as_alias("province_name"))
        .where(Ward.id == ward_id)
        .first()
    )
    if ward is None:
        raise LookupError(f"no ward {ward_id}")
    return CoverageRules.of_ward(ward), ward


@replica_reads
async def ward_report(ward_id: int, year: int | None = None) -> WardReport:
    """The ward's indicators today, per village and in total, against the targets of `year`."""
    rules, ward = await ward_rules(ward_id)
    year = year or this_year()
    if counts_read():
        by_village = {
            v: Indicators.from_counts(c) for v, c in (await stored_counts("ward = {}", ward_id)).items()
        }
    else:
        query = households_sql(rules, this_year(), WARD_VILLAGES)
        rows = await Household.raw(
            f"{query} SELECT village, {_INDICATOR_SUMS} FROM base GROUP BY village", *[ward_id] * 3
        )
        by_village = {r["village"]: Indicators.from_row(r) for r in rows}
    villages = [
        VillageLine(v["id"], v["code"], v["name"], by_village.get(v["id"], Indicators()))
        for v in await Village.select(Village.id, Village.code, Village.name)
        .where(Village.ward == ward_id)
        .order_by(Village.code)
    ]
    return WardReport(
        ward_id=ward_id,
        ward_code=ward["code"],
        ward_name=ward["name"],
        province_name=ward["province_name"],
        year=year,
        as_of=now(),
        villages=villages,
        total=Indicators.sum([v.indicators for v in villages]),
        targets=await targets_for(ward_id, year),
    )


@replica_reads
async def ward_trend(ward_id: int, weeks: int = 12) -> list[TrendPoint]:
    """The ward's indicators at the end of each of the last `weeks` ISO weeks (the current week: as of
    now), in one query. A household visited by then counts as its latest completed visit before then
    recorded it; one never visited at all counts as it stands (its register data); one first visited
    later counts as unvisited, with no answers."""
    rules, _ = await ward_rules(ward_id)
    starts = recent_weeks(weeks)
    if counts_read():
        by_village = await stored_trend("ward = {}", [ward_id], trend_days(starts))
        return [
            TrendPoint(
                week_label(s), s, Indicators.sum([Indicators.from_row(p[i]) for p in by_village.values()])
            )
            for i, s in enumerate(starts)
        ]
    # UTC: SQLite compares timestamps as text, which holds only within one offset.
    ends = [min(start + timedelta(weeks=1), now()).astimezone(UTC) for start in starts]
    query = households_sql(rules, this_year(), WARD_VILLAGES) + _trend_sql(weeks)
    totals = [dict.fromkeys(TREND_COLUMNS, 0) for _ in starts]
    # Each row holds for the weeks from its first bucket up to (not including) its last: sum them up.
    for row in await Household.raw(query, *[ward_id] * 3, *ends, ward_id):
        for week in held_weeks(row, weeks):
            for name in TREND_COLUMNS:
                totals[week][name] += int(row[name] or 0)
    return [TrendPoint(week_label(s), s, Indicators(**t)) for s, t in zip(starts, totals, strict=True)]


def _trend_sql(weeks: int, scope: str = WARD_VILLAGES, by_village: bool = False) -> str:
    """Counts grouped by the weeks they hold for (`surveys.reporting.trend_sql.held_sql`, bucketed by
    the ends of the last `weeks` weeks: the arguments after `base`'s). `scope` (a condition on household
    `h` with `{}` placeholders) picks the visits; `by_village` adds a first column `village` and counts
    each village apart (a province's wards are summed from them)."""
    ends = ", ".join(f"{timestamp_param()} AS w{i}" for i in range(weeks))

    def bucket(moment: str) -> str:
        cases = " ".join(f"WHEN {moment} < w.w{i} THEN {i}" for i in range(weeks))
        return f"CASE WHEN {moment} IS NULL THEN {weeks} {cases} ELSE {weeks} END"

    return held_sql(scope, bucket, f"\n    w AS (SELECT {ends}),", " CROSS JOIN w", by_village)


def trend_days(starts: list[datetime]) -> list[date]:
    """The day of the daily counts that stands for each week's end: its Sunday, or today for the current
    week (the counts of a day are as it ended, today's as of now)."""
    today = local_now().date()
    return [min(start.astimezone(ZoneInfo(get_settings().timezone)).date() + timedelta(days=6), today)
            for start in starts]  # fmt: skip


def held_weeks(row: dict[str, Any], weeks: int) -> range:
    """The weeks a row of `_trend_sql` holds for: from its first bucket up to (not including) its last."""
    return range(int(row["b1"]), weeks if row["b2"] is None else min(int(row["b2"]), weeks))


@replica_reads
async def volunteer_activity(
    village_ids: list[int], weeks: int = 8
) -> tuple[list[str], list[VolunteerWeeks]]:
    """Visits per volunteer in each of the last `weeks` ISO weeks, in the given villages: the week
    labels, and one line per volunteer, busiest first."""
    starts = recent_weeks(weeks)
    if not village_ids:
        return [week_label(s) for s in starts], []
    bounds = [s.astimezone(UTC) for s in [*starts, starts[-1] + timedelta(weeks=1)]]
    columns = ", ".join(
        f"SUM(CASE WHEN v.at >= {{}} AND v.at < {{}} THEN 1 ELSE 0 END) AS w{i}" for i in range(weeks)
    )
    args: list[Any] = [arg for i in range(weeks) for arg in (bounds[i], bounds[i + 1])]
    in_villages = ", ".join("{}" for _ in village_ids)
    rows = await Household.raw(
        f"""SELECT u.display_name AS name, {columns},
            SUM(CASE WHEN v.outcome = 'done' THEN 1 ELSE 0 END) AS done
        FROM visit v JOIN household h ON h.id = v.household JOIN app_user u ON u.id = v.volunteer
        WHERE h.village IN ({in_villages}) AND v.at >= {{}}
        GROUP BY u.id, u.display_name""",
        *args,
        *village_ids,
        bounds[0],
    )
    lines = [
        VolunteerWeeks(r["name"], [int(r[f"w{i}"] or 0) for i in range(weeks)], int(r["done"] or 0))
        for r in rows
    ]
    lines.sort(key=lambda line: (-line.total, line.name))
    return [week_label(s) for s in starts], lines
