"""A province's numbers (docs/design.md §6): one line per ward with its indicators against the ward's own
targets, the week's change, the visits of this week and the ward's last activity; the province total as
the sum of its wards; the total's weekly trend.

Counted in SQL with grouped queries over the whole province, never a query per ward: the wards are put
in groups that share the same coverage rules (most wards keep the plans' defaults), and each group is
counted in one query grouped by village, with the rules of `surveys.survey.criteria` as the ward
report uses them. A province of ~100 wards and ~1,000 villages reads ~1,000 grouped rows.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from piccolo.engine.postgres import PostgresEngine

from surveys import schemas
from surveys.core.clock import now, recent_weeks, this_year, week_label
from surveys.core.db import current_engine
from surveys.core.replicas import replica_reads
from surveys.core.settings import get_settings
from surveys.core.text import place_sort_key
from surveys.reporting.coverage import INDICATOR_SUMS as _INDICATOR_SUMS
from surveys.reporting.coverage import households_sql
from surveys.reporting.reports import (
    INDICATORS,
    Indicators,
    TrendPoint,
    _trend_sql,
    held_weeks,
    trend_days,
)
from surveys.reporting.targets import Targets, wards_targets
from surveys.reporting.trend_sql import TREND_COLUMNS
from surveys.reporting.village_counts import Counts, counts_read, province_counts, stored_trend
from surveys.survey.criteria import CoverageRules
from surveys.tables import Household, Province, Village, Ward

# Columns the ward lines can be sorted by (besides each indicator's percent).
SORTS: tuple[str, ...] = ("name", "households", "adults", *INDICATORS, "visits", "last_activity")
SHOWS: tuple[str, ...] = ("all", "behind", "started", "not_started")
TREND_WEEKS = 12


def ward_started(households: int) -> bool:
    """Whether a ward uses phocap: it has households in its register. One that has none is "not
    started" (chưa triển khai), never 0%: the province's dashboard and its periodic report both say so."""
    return households > 0


def reaches(indicators: Indicators, indicator: str, target: float | None) -> bool | None:
    """Whether `indicators` reach `target` on `indicator`: None with no target, or for a place not started
    (no households: not behind, not 0%). A ward against its own target, a province against its wards'."""
    if target is None or not ward_started(indicators.households):
        return None
    return indicators.percent(indicator) >= target


@dataclass(frozen=True)
class WardLine:
    """A ward of the province: its indicators today, its targets, the week's change, its activity."""

    id: int
    code: str
    name: str
    indicators: Indicators
    targets: Targets
    # Percentage points gained since the end of last week, per indicator (from the visit history).
    change: dict[str, float]
    visits_this_week: int
    last_activity: datetime | None

    @property
    def started(self) -> bool:
        """Whether the ward uses phocap (`ward_started`)."""
        return ward_started(self.indicators.households)

    def met(self, indicator: str) -> bool | None:
        """Whether the indicator reaches the ward's target (None: no target, or not started)."""
        return reaches(self.indicators, indicator, self.targets.for_indicator(indicator))

    @property
    def behind(self) -> bool:
        """A started ward below its target on at least one indicator."""
        return any(self.met(i) is False for i in INDICATORS)


@dataclass(frozen=True)
class ProvinceReport:
    """The province dashboard's numbers."""

    province_id: int
    code: str
    name: str
    year: int
    as_of: datetime
    wards: list[WardLine]
    total: Indicators
    trend: list[TrendPoint]

    @property
    def started(self) -> int:
        """How many wards use phocap."""
        return sum(1 for w in self.wards if w.started)

    @property
    def behind(self) -> int:
        """How many started wards are behind a target."""
        return sum(1 for w in self.wards if w.behind)

    @property
    def total_change(self) -> dict[str, float]:
        """The province's percentage points gained since the end of last week, per indicator."""
        if len(self.trend) < 2:
            return dict.fromkeys(INDICATORS, 0.0)
        now_, before = self.trend[-1].indicators, self.trend[-2].indicators
        return {i: round(now_.percent(i) - before.percent(i), 1) for i in INDICATORS}


def _in(ids: list[int]) -> str:
    return ", ".join("{}" for _ in ids)


def _scope(ward_ids: list[int]) -> str:
    return f"h.village IN (SELECT id FROM village WHERE ward IN ({_in(ward_ids)}))"


def _timestamp(value: Any) -> datetime | None:
    # SQLite gives MAX() of a timestamp back as text.
    if value is None or isinstance(value, datetime):
        return value
    moment = datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def _wards(province_id: int) -> list[dict[str, Any]]:
    return list(await Ward.select().where(Ward.province == province_id).order_by(Ward.code))


def rule_groups(wards: list[dict[str, Any]]) -> dict[CoverageRules, list[int]]:
    """The wards' ids grouped by the coverage rules they keep."""
    groups: dict[CoverageRules, list[int]] = defaultdict(list)
    for ward in wards:
        groups[CoverageRules.of_ward(ward)].append(int(ward["id"]))
    return groups


async def _counts(groups: dict[CoverageRules, list[int]], year: int) -> dict[int, Indicators]:
    """Each ward's indicators today: one grouped query per set of rules."""
    by_ward: dict[int, Indicators] = {}
    for rules, ids in groups.items():
        query = households_sql(rules, year, _scope(ids))
        rows = await Household.raw(
            f"""{query} SELECT vl.ward AS ward, {_INDICATOR_SUMS}
            FROM base JOIN village vl ON vl.id = base.village GROUP BY vl.ward""",
            *ids * 3,
        )
        by_ward.update({int(r["ward"]): Indicators.from_row(r) for r in rows})
    return by_ward


def _by_ward(by_village: dict[int, Counts], village_ward: dict[int, int]) -> dict[int, Indicators]:
    """Village counts summed into their wards."""
    lines: dict[int, list[Indicators]] = defaultdict(list)
    for village, counts in by_village.items():
        lines[village_ward[village]].append(Indicators.from_counts(counts))
    return {ward: Indicators.sum(items) for ward, items in lines.items()}


async def _trends(
    groups: dict[CoverageRules, list[int]], village_ward: dict[int, int], year: int, weeks: int
) -> tuple[list[datetime], dict[int, list[Indicators]]]:
    """Each ward's indicators at the end of each of the last `weeks` ISO weeks (as the ward trend
    counts them): one query per set of rules, grouped by village and week."""
    starts = recent_weeks(weeks)
    totals: dict[int, list[dict[str, int]]] = {}
    if counts_read():
        wards = sorted(set(village_ward.values()))
        if not wards:  # a province of no villages: `IN ()` is no statement on PostgreSQL
            return starts, {}
        scope = f"ward IN ({', '.join('{}' for _ in wards)})"
        by_ward = await stored_trend(scope, wards, trend_days(starts), by="ward")
        return starts, {ward: [Indicators.from_row(p) for p in points] for ward, points in by_ward.items()}
    # UTC: SQLite compares timestamps as text, which holds only within one offset.
    ends = [min(start + timedelta(weeks=1), now()).astimezone(UTC) for start in starts]
    for rules, ids in groups.items():
        scope = _scope(ids)
        query = households_sql(rules, year, scope) + _trend_sql(weeks, scope, by_village=True)
        for row in await Household.raw(query, *ids * 3, *ends, *ids):
            ward = village_ward[int(row["village"])]
            points = totals.setdefault(ward, [dict.fromkeys(TREND_COLUMNS, 0) for _ in starts])
            for week in held_weeks(row, weeks):
                for name in TREND_COLUMNS:
                    points[week][name] += int(row[name] or 0)
    return starts, {ward: [Indicators(**p) for p in points] for ward, points in totals.items()}


async def _live_activity(province_id: int, since: datetime) -> dict[int, tuple[int, datetime | None]]:
    """Per ward: visits since `since` (any outcome: a door knocked on is work done), and the latest
    visit or register change, counted over every visit and household of the province (`COUNTS_READ=false`,
    and what `_activity` is tested against)."""
    rows = await Household.raw(
        """SELECT vl.ward AS ward, SUM(CASE WHEN v.at >= {} THEN 1 ELSE 0 END) AS visits, MAX(v.at) AS last_at
        FROM visit v JOIN household h ON h.id = v.household JOIN village vl ON vl.id = h.village
        WHERE vl.ward IN (SELECT id FROM ward WHERE province = {})
        GROUP BY vl.ward
        UNION ALL
        SELECT vl.ward, 0, MAX(h.updated_at)
        FROM household h JOIN village vl ON vl.id = h.village
        WHERE vl.ward IN (SELECT id FROM ward WHERE province = {})
        GROUP BY vl.ward""",
        since.astimezone(UTC),
        province_id,
        province_id,
    )
    return _merged(rows)


def _merged(rows: list[dict[str, Any]]) -> dict[int, tuple[int, datetime | None]]:
    """Rows of (ward, visits, last_at) summed and maxed by ward; a ward with neither is left out."""
    found: dict[int, tuple[int, datetime | None]] = {}
    for r in rows:
        ward = int(r["ward"])
        visits, last = found.get(ward, (0, None))
        at = _timestamp(r["last_at"])
        latest = max((t for t in (last, at) if t is not None), default=None)
        if visits + int(r["visits"] or 0) or latest is not None:
            found[ward] = (visits + int(r["visits"] or 0), latest)
    return found


async def _activity(province_id: int, since: datetime) -> dict[int, tuple[int, datetime | None]]:
    """The same numbers as `_live_activity` without reading the visits of the week, nor any household:

    - the visits since `since` (a local midnight) from the per-village daily activity
      (`surveys.reporting.activity_counts`): ~villages × days rows, whatever the number of visits;
    - each village's latest visit through the index on `visit (village, at)` and its latest register
      change through the index on `household (village, updated_at)`: two index lookups per village.
    """
    first = since.astimezone(ZoneInfo(get_settings().timezone)).date()
    day = first if isinstance(current_engine(), PostgresEngine) else first.isoformat()
    rows = await Household.raw(
        """SELECT vl.ward AS ward, SUM(a.visits) AS visits, NULL AS last_at
        FROM village_activity a JOIN village vl ON vl.id = a.village
        WHERE a.day >= {} AND vl.ward IN (SELECT id FROM ward WHERE province = {})
        GROUP BY vl.ward
        UNION ALL
        SELECT vl.ward, 0, MAX((SELECT MAX(h.updated_at) FROM household h WHERE h.village = vl.id))
        FROM village vl WHERE vl.ward IN (SELECT id FROM ward WHERE province = {})
        GROUP BY vl.ward
        UNION ALL
        SELECT vl.ward, 0, MAX((SELECT MAX(v.at) FROM visit v WHERE v.village = vl.id))
        FROM village vl WHERE vl.ward IN (SELECT id FROM ward WHERE province = {})
        GROUP BY vl.ward""",
        day,
        province_id,
        province_id,
        province_id,
    )
    return _merged(rows)


@replica_reads
async def province_report(province_id: int, year: int | None = None) -> ProvinceReport:
    """The province's wards with their numbers, the total and its weekly trend."""
    province = await Province.select().where(Province.id == province_id).first()
    if province is None:
        raise LookupError(f"no province {province_id}")
    year = year or this_year()
    wards = await _wards(province_id)
    villages = await Village.select(Village.id, Village.ward).where(Village.ward._.province == province_id)
    # Only wards with villages are counted: most of a province's communes may not use phocap yet.
    in_use = {int(v["ward"]) for v in villages}
    groups = rule_groups([w for w in wards if int(w["id"]) in in_use])
    if counts_read():
        counts = _by_ward(await province_counts(province_id), {v["id"]: v["ward"] for v in villages})
    else:
        counts = await _counts(groups, this_year())
    starts, trends = await _trends(groups, {v["id"]: v["ward"] for v in villages}, this_year(), TREND_WEEKS)
    activity = await (_activity if counts_read() else _live_activity)(province_id, recent_weeks(1)[0])
    targets = await wards_targets(province_id, [int(w["id"]) for w in wards], year)
    lines = []
    for ward in wards:
        ward_id = int(ward["id"])
        trend = trends.get(ward_id)
        change = (
            {i: round(trend[-1].percent(i) - trend[-2].percent(i), 1) for i in INDICATORS}
            if trend
            else dict.fromkeys(INDICATORS, 0.0)
        )
        visits, last = activity.get(ward_id, (0, None))
        lines.append(
            WardLine(
                id=ward_id,
                code=ward["code"],
                name=ward["name"],
                indicators=counts.get(ward_id, Indicators()),
                targets=targets.get(ward_id, Targets(year=year)),
                change=change,
                visits_this_week=visits,
                last_activity=last,
            )
        )
    trend_total = [
        TrendPoint(
            week_label(start),
            start,
            Indicators.sum([t[week] for t in trends.values()]),
        )
        for week, start in enumerate(starts)
    ]
    return ProvinceReport(
        province_id=province_id,
        code=province["code"],
        name=province["name"],
        year=year,
        as_of=now(),
        wards=lines,
        total=Indicators.sum([line.indicators for line in lines]),
        trend=trend_total,
    )


def sorted_lines(lines: list[WardLine], sort: str = "name", descending: bool = False) -> list[WardLine]:
    """The ward lines in the order asked for; wards not started always come last, by name."""

    def key(line: WardLine) -> Any:
        if sort == "households":
            return line.indicators.households
        if sort == "adults":
            return line.indicators.adults
        if sort in INDICATORS:
            return line.indicators.percent(sort)
        if sort == "visits":
            return line.visits_this_week
        if sort == "last_activity":
            return line.last_activity or datetime.min.replace(tzinfo=UTC)
        return place_sort_key(line.name)

    started = sorted((w for w in lines if w.started), key=lambda w: (key(w), w.code), reverse=descending)
    return started + sorted((w for w in lines if not w.started), key=lambda w: w.code)


def shown_lines(lines: list[WardLine], show: str = "all") -> list[WardLine]:
    """The ward lines under a filter: `behind` target, `started`, `not_started`, or all."""
    if show == "behind":
        return [w for w in lines if w.behind]
    if show == "started":
        return [w for w in lines if w.started]
    if show == "not_started":
        return [w for w in lines if not w.started]
    return lines


def province_out(report: ProvinceReport) -> schemas.ProvinceReport:
    """The province report as the API shows it: the same numbers as the dashboard and the exports."""

    def indicators(counts: Indicators, line: WardLine | None) -> dict[str, schemas.ProvinceIndicator]:
        change = line.change if line else report.total_change
        return {
            i: schemas.ProvinceIndicator(
                count=getattr(counts, i),
                of=counts.denominator(i),
                percent=counts.percent(i) if line is None or line.started else None,
                target=line.targets.for_indicator(i) if line else None,
                met=line.met(i) if line else None,
                change=change[i] if line is None or line.started else None,
            )
            for i in INDICATORS
        }

    return schemas.ProvinceReport(
        province_code=report.code,
        province_name=report.name,
        year=report.year,
        as_of=report.as_of,
        wards=[
            schemas.ProvinceWardLine(
                ward_code=w.code,
                ward_name=w.name,
                started=w.started,
                behind_target=w.behind,
                households=w.indicators.households,
                citizens_16_plus=w.indicators.adults,
                indicators=indicators(w.indicators, w),
                visits_this_week=w.visits_this_week,
                last_activity=w.last_activity,
            )
            for w in report.wards
        ],
        total=schemas.ProvinceTotal(
            wards=len(report.wards),
            wards_started=report.started,
            wards_behind_target=report.behind,
            households=report.total.households,
            citizens_16_plus=report.total.adults,
            indicators=indicators(report.total, None),
        ),
    )
