"""The country's numbers (docs/design.md §6, the national view): one line per province of the official list
against its targets, with the week's change, read from the per-village daily counts and never from the
households or visits; a province with no households in phocap is "not started", never 0%.

A province's numbers are the sum of its wards', each ward's the sum of its villages' rows, read with the
rule of `surveys.reporting.village_counts.stored_trend`: a village's counts on a day are its last row on
or before that day. Its targets are its wards' own (as the province dashboard reads them), weighted by
what each ward counts them over: the province meets a target when its wards together reach the count
they would have if each met its own. A country of ~100,000 villages reads one statement of a row per
ward and day (two days: today and the end of last week), ~6,600 rows.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from piccolo.engine.postgres import PostgresEngine

from surveys.core.clock import local_now, now, recent_weeks, this_year
from surveys.core.db import current_engine
from surveys.core.replicas import replica_reads
from surveys.core.text import place_sort_key
from surveys.reporting.periods import latest_ended_quarter
from surveys.reporting.province import WardLine, reaches, ward_started
from surveys.reporting.reports import INDICATORS, Indicators, trend_days
from surveys.reporting.schemas import CountryIndicator, CountryProvinceLine, CountryReportOut, CountryTotal
from surveys.reporting.submission_schemas import STATUSES
from surveys.reporting.submissions import states_by_province
from surveys.reporting.targets import Targets, targets_of_wards
from surveys.reporting.trend_sql import TREND_COLUMNS
from surveys.reporting.village_counts import count_villages
from surveys.tables import Province, VillageCount, Ward

SORTS: tuple[str, ...] = ("code", "name", "households", "adults", *INDICATORS)
SHOWS: tuple[str, ...] = ("all", "behind", "started", "not_started")


@dataclass(frozen=True)
class ProvinceLine:
    """A province of the country: its wards' numbers summed, its targets, the week's change."""

    id: int
    code: str
    name: str
    wards: int
    wards_started: int
    wards_behind: int
    indicators: Indicators
    # Per indicator: its wards' targets weighted by what each counts them over (None: nothing counted).
    targets: dict[str, float | None]
    # Percentage points gained since the end of last week, per indicator.
    change: dict[str, float]
    # Its wards' reports on the latest ended quarter (`CountryReport.period`), by the state of the latest
    # version: not_submitted, submitted, accepted, returned (`surveys.reporting.submissions`).
    submissions: dict[str, int] = field(default_factory=dict)

    @property
    def reported(self) -> int:
        """Wards whose report on the period reached the province (submitted, accepted or returned)."""
        return self.wards - self.submissions.get("not_submitted", self.wards)

    @property
    def started(self) -> bool:
        """Whether the province uses phocap: some ward of it has households (`ward_started`)."""
        return ward_started(self.indicators.households)

    def met(self, indicator: str) -> bool | None:
        """Whether the province reaches its weighted target (None: no target, or not started)."""
        return reaches(self.indicators, indicator, self.targets.get(indicator))

    @property
    def behind(self) -> bool:
        """A started province below its target on at least one indicator."""
        return any(self.met(i) is False for i in INDICATORS)


@dataclass(frozen=True)
class CountryReport:
    """The national view's numbers."""

    year: int
    as_of: datetime
    provinces: list[ProvinceLine]
    total: Indicators
    before: Indicators  # the total at the end of last week
    period: str = ""  # the period of the reports counted in each province's `submissions` (2026-Q3)

    @property
    def started(self) -> int:
        """How many provinces use phocap."""
        return sum(1 for p in self.provinces if p.started)

    @property
    def behind(self) -> int:
        """How many started provinces are behind a target."""
        return sum(1 for p in self.provinces if p.behind)

    @property
    def total_change(self) -> dict[str, float]:
        """The country's percentage points gained since the end of last week, per indicator."""
        return {i: round(self.total.percent(i) - self.before.percent(i), 1) for i in INDICATORS}


def _day(value: date) -> Any:
    return value if isinstance(current_engine(), PostgresEngine) else value.isoformat()


# Each (village v, day w.d)'s last row as `c`. PostgreSQL reads it whole in one backward index scan
# (LATERAL); written as a join on the row's id it hashed the whole table and ran the lookup twice a row
# (EXPLAIN ANALYZE, 20,000 villages: 1.9-3.5 s against 0.9-1.4 s, loaded machine). SQLite has no LATERAL
# and reads the row by its id (its rowid) after the lookup.
_LATEST_ROW = {
    True: f"""CROSS JOIN LATERAL (SELECT x.year, {", ".join(f"x.{c}" for c in TREND_COLUMNS)} FROM village_count x
        WHERE x.village = v.id AND x.day <= w.d ORDER BY x.day DESC LIMIT 1) c""",
    False: """JOIN village_count c ON c.id = (
        SELECT x.id FROM village_count x WHERE x.village = v.id AND x.day <= w.d ORDER BY x.day DESC LIMIT 1)""",
}


async def ward_counts_on(days: list[date]) -> dict[int, list[Indicators]]:
    """Every ward with villages: its villages' counts summed on each of `days`, each village's last row on
    or before the day (`stored_trend`'s rule; a village with none counts nothing), and from today on
    as `stored_counts` reads them: a village whose last row was counted in an earlier year (members
    reach the identity age on 1 January) is counted live. One statement (an index lookup per village and
    day, `_LATEST_ROW`), and a second only for such villages."""
    today, year = local_now().date(), this_year()
    param = "CAST({} AS DATE)" if isinstance(current_engine(), PostgresEngine) else "{}"
    values = " UNION ALL ".join(
        f"SELECT {i} AS i, {param} AS d, {int(day >= today)} AS live" for i, day in enumerate(days)
    )
    stale = f"w.live = 1 AND c.year <> {int(year)}"
    sums = ", ".join(f"SUM(CASE WHEN {stale} THEN 0 ELSE c.{c} END) AS {c}" for c in TREND_COLUMNS)
    rows = await VillageCount.raw(
        f"""WITH w AS ({values})
        SELECT v.ward AS ward, w.i AS i, {sums}, SUM(CASE WHEN {stale} THEN 1 ELSE 0 END) AS stale
        FROM village v CROSS JOIN w {_LATEST_ROW[isinstance(current_engine(), PostgresEngine)]}
        GROUP BY v.ward, w.i""",
        *[_day(d) for d in days],
    )
    found: dict[int, list[Indicators]] = {}
    for r in rows:
        points = found.setdefault(int(r["ward"]), [Indicators() for _ in days])
        points[int(r["i"])] = Indicators.from_row(r)
    if any(int(r["stale"] or 0) for r in rows):
        live = await _stale_villages(today, year)
        for ward, counts in live.items():
            points = found.setdefault(ward, [Indicators() for _ in days])
            for i, day in enumerate(days):
                if day >= today:
                    points[i] = Indicators.sum([points[i], counts])
    return found


async def _stale_villages(today: date, year: int) -> dict[int, Indicators]:
    """Per ward, its villages whose last row up to today was counted in an earlier year, counted live
    (`count_villages`, as `stored_counts` does): only in the first hours of a year, before the new year's
    recount."""
    rows = await VillageCount.raw(
        """SELECT v.id AS village, v.ward AS ward FROM village v JOIN village_count c ON c.id = (
            SELECT x.id FROM village_count x WHERE x.village = v.id AND x.day <= {} ORDER BY x.day DESC LIMIT 1)
        WHERE c.year <> {}""",
        _day(today),
        year,
    )
    ward_of = {int(r["village"]): int(r["ward"]) for r in rows}
    by_ward: dict[int, list[Indicators]] = defaultdict(list)
    for village, counts in (await count_villages(sorted(ward_of), year)).items():
        by_ward[ward_of[village]].append(Indicators.from_row(counts))
    return {ward: Indicators.sum(items) for ward, items in by_ward.items()}


def weighted_targets(lines: list[WardLine]) -> dict[str, float | None]:
    """Per indicator, the started wards' targets weighted by what each counts the indicator over: the
    percentage the wards reach together when each reaches its own (None when they count nothing)."""
    needed, over = dict.fromkeys(INDICATORS, 0), dict.fromkeys(INDICATORS, 0)
    for line in lines:
        if not line.started:
            continue
        for indicator in INDICATORS:
            target = line.targets.for_indicator(indicator)
            if target is not None:
                of = line.indicators.denominator(indicator)
                needed[indicator] += target * of
                over[indicator] += of
    return {i: round(needed[i] / over[i], 1) if over[i] else None for i in INDICATORS}


def _change(now_: Indicators, before: Indicators) -> dict[str, float]:
    return {i: round(now_.percent(i) - before.percent(i), 1) for i in INDICATORS}


@replica_reads
async def country_report(year: int | None = None) -> CountryReport:
    """Every province of the official list with its numbers against its targets and the week's change,
    and the country's total (the sum of the provinces)."""
    year = year or this_year()
    today = local_now().date()
    last_week = trend_days(recent_weeks(2))[0]
    counted = await ward_counts_on([today, last_week])
    wards = await Ward.select(Ward.id, Ward.code, Ward.name, Ward.province)
    province_of = {int(w["id"]): int(w["province"]) for w in wards}
    targets = await targets_of_wards({w: province_of[w] for w in counted if w in province_of}, year)
    period = latest_ended_quarter(today).name
    reported = await states_by_province(period)
    by_province: dict[int, list[tuple[WardLine, Indicators]]] = defaultdict(list)
    for ward in wards:
        ward_id = int(ward["id"])
        today_, before = counted.get(ward_id, [Indicators(), Indicators()])
        # A ward's own change is the province dashboard's to show: only its province's is needed here.
        line = WardLine(ward_id, ward["code"], ward["name"], today_, targets.get(ward_id, Targets(year=year)),
                        {}, 0, None)  # fmt: skip
        by_province[int(ward["province"])].append((line, before))
    provinces = []
    for province in await Province.select().order_by(Province.code):
        lines = by_province.get(int(province["id"]), [])
        today_ = Indicators.sum([line.indicators for line, _ in lines])
        before = Indicators.sum([b for _, b in lines])
        provinces.append(
            ProvinceLine(
                id=int(province["id"]),
                code=province["code"],
                name=province["name"],
                wards=len(lines),
                wards_started=sum(1 for line, _ in lines if line.started),
                wards_behind=sum(1 for line, _ in lines if line.behind),
                indicators=today_,
                targets=weighted_targets([line for line, _ in lines]),
                change=_change(today_, before),
                submissions=_with_not_submitted(reported.get(int(province["id"]), {}), len(lines)),
            )
        )
    return CountryReport(
        year=year,
        as_of=now(),
        provinces=provinces,
        total=Indicators.sum([p.indicators for p in provinces]),
        before=Indicators.sum([b for lines in by_province.values() for _, b in lines]),
        period=period,
    )


def _with_not_submitted(states: dict[str, int], wards: int) -> dict[str, int]:
    """A province's wards by the state of their report: those sent, and the rest not submitted."""
    sent = {state: states.get(state, 0) for state in STATUSES[1:]}
    return {STATUSES[0]: wards - sum(sent.values()), **sent}


def sorted_provinces(
    lines: list[ProvinceLine], sort: str = "code", descending: bool = False
) -> list[ProvinceLine]:
    """The province lines in the order asked for; provinces not started always come last, by code."""

    def key(line: ProvinceLine) -> Any:
        if sort == "households":
            return line.indicators.households
        if sort == "adults":
            return line.indicators.adults
        if sort in INDICATORS:
            return line.indicators.percent(sort)
        if sort == "name":
            return place_sort_key(line.name)
        return line.code

    started = sorted((p for p in lines if p.started), key=lambda p: (key(p), p.code), reverse=descending)
    return started + [p for p in lines if not p.started]


def shown_provinces(lines: list[ProvinceLine], show: str = "all") -> list[ProvinceLine]:
    """The province lines under a filter: `behind` target, `started`, `not_started`, or all."""
    if show == "behind":
        return [p for p in lines if p.behind]
    if show == "started":
        return [p for p in lines if p.started]
    if show == "not_started":
        return [p for p in lines if not p.started]
    return lines


def country_out(report: CountryReport) -> CountryReportOut:
    """The national view as the API shows it: the same numbers as the page."""

    def indicators(counts: Indicators, line: ProvinceLine | None) -> dict[str, CountryIndicator]:
        started = line.started if line else counts.households > 0
        change = line.change if line else report.total_change
        return {
            i: CountryIndicator(
                count=getattr(counts, i),
                of=counts.denominator(i),
                percent=counts.percent(i) if started else None,
                target=line.targets.get(i) if line and started else None,
                met=line.met(i) if line else None,
                change=change[i] if started else None,
            )
            for i in INDICATORS
        }

    return CountryReportOut(
        year=report.year,
        as_of=report.as_of,
        report_period=report.period,
        provinces=[
            CountryProvinceLine(
                province_code=p.code,
                province_name=p.name,
                started=p.started,
                behind_target=p.behind,
                wards=p.wards,
                wards_started=p.wards_started,
                wards_behind_target=p.wards_behind,
                households=p.indicators.households,
                citizens_16_plus=p.indicators.adults,
                indicators=indicators(p.indicators, p),
                dashboard=f"/provinces/{p.code}",
                report_submissions=p.submissions,
            )
            for p in report.provinces
        ],
        total=CountryTotal(
            provinces=len(report.provinces),
            provinces_started=report.started,
            provinces_behind_target=report.behind,
            households=report.total.households,
            citizens_16_plus=report.total.adults,
            indicators=indicators(report.total, None),
        ),
    )
