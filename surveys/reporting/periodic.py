"""The periodic report of a ward (one line per village) or a province (one line per ward): each
indicator at the period's start and end (from the per-village daily counts, or, with `COUNTS_READ`
off, counted from the visit history), the change, the target and whether it is met, what happened
during the period, and the priority groups. A province's report is the sum
of its wards' reports, a ward's the sum of its villages' lines (docs/design.md §6)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, fields, replace
from datetime import datetime, timedelta
from typing import Any

from surveys.core.clock import now
from surveys.core.replicas import replica_reads
from surveys.reporting.activity_counts import recount, stored_activity
from surveys.reporting.history import Activity, Standing, standing_at
from surveys.reporting.learning import LearningFigures, learning_figures
from surveys.reporting.official import Official, figures_for_period, figures_for_wards
from surveys.reporting.periods import Period
from surveys.reporting.province import ward_started
from surveys.reporting.province_official import Comparison, compare, places_out, total
from surveys.reporting.reports import ward_rules
from surveys.reporting.schemas import PeriodClassesOut, PeriodFigure, PeriodLine, PeriodPlace, PeriodReportOut
from surveys.reporting.targets import Targets, targets_for
from surveys.reporting.village_counts import counts_on, counts_read
from surveys.tables import Province, Village, Ward

# The report's indicators in their order: (name, denominator, the target it is measured against).
INDICATORS: tuple[tuple[str, str, str | None], ...] = (
    ("visited", "households", None),
    ("informed", "households", "informed"),
    ("digital_family", "households", "digital_family"),
    ("covered", "households", None),
    ("vneid", "adults", "identity"),
    ("vneid_level2", "adults", "vneid_level2"),
    ("bank", "adults", "bank"),
    ("basic_skills", "adults", "basic_skills"),
    ("skills_confirmed", "adults", "skills_confirmed"),
    ("ai_tool", "adults", "ai_tool"),
)
# The plans' priority groups: (what is counted, among whom).
PRIORITY_GROUPS: tuple[tuple[str, str], ...] = (
    ("seniors_vneid", "seniors"),
    ("poor_covered", "poor"),
    ("elderly_alone_covered", "elderly_alone"),
)


def percent(count: int, of: int) -> float:
    """`count` as a percentage of `of`, one decimal (0 when nothing to count)."""
    return round(100 * count / of, 1) if of else 0.0


@dataclass(frozen=True)
class Line:
    """A village of a ward's report, a ward of a province's, or the total."""

    code: str
    name: str
    start: Standing
    end: Standing
    activity: Activity

    @classmethod
    def sum(cls, code: str, name: str, lines: list[Line], volunteers: int | None = None) -> Line:
        """The total of `lines`; `volunteers`, when given, replaces the sum (a person counted once)."""
        activity = Activity.sum([line.activity for line in lines])
        if volunteers is not None:
            activity = replace(activity, volunteers=volunteers)
        return cls(
            code,
            name,
            Standing.sum([line.start for line in lines]),
            Standing.sum([line.end for line in lines]),
            activity,
        )


@dataclass(frozen=True)
class Figure:
    """One indicator of the total: at the start and end, the change, the target and whether it is met."""

    indicator: str
    start: int
    start_of: int
    end: int
    end_of: int
    target: int | None
    official: Official | None = None

    @property
    def difference(self) -> int | None:
        """phocap's count at the end less the official figure (None: no official figure)."""
        return None if self.official is None else self.end - self.official.value

    @property
    def start_percent(self) -> float:
        """At the start, in percent."""
        return percent(self.start, self.start_of)

    @property
    def end_percent(self) -> float:
        """At the end, in percent."""
        return percent(self.end, self.end_of)

    @property
    def change(self) -> int:
        """How many more (or fewer) at the end than at the start."""
        return self.end - self.start

    @property
    def met(self) -> bool | None:
        """Whether the end reaches the target (None: no target)."""
        return None if self.target is None else self.end_percent >= self.target


@dataclass(frozen=True)
class PeriodReport:
    """A ward's or a province's report on a period."""

    area: str  # "ward" or "province"
    code: str
    name: str
    parent_name: str  # the province of a ward; "" for a province
    period: Period
    lines: list[Line]
    total: Line
    targets: Targets | None  # a ward's; a province's wards each have their own
    made_at: datetime
    # Figures received from outside phocap for the period, by indicator (a ward's; never summed in).
    official: dict[str, Official] = field(default_factory=dict)
    # A ward's classes, help and team in the period, as its dashboard counts them (None: a province's).
    learning: LearningFigures | None = None
    # A province's wards' official figures beside phocap's count at the end, by ward code (a ward's: none).
    official_by_ward: dict[str, list[Comparison]] = field(default_factory=dict)

    @property
    def official_total(self) -> list[Comparison]:
        """Per indicator, the wards that declared it: their official figures and phocap's, summed."""
        return total(list(self.official_by_ward.values()))

    @property
    def parts(self) -> list[Line]:
        """The lines the report's tables show one by one: a ward's villages, a province's started wards."""
        return [line for line in self.lines if line not in self.not_started]

    @property
    def not_started(self) -> list[Line]:
        """A province's wards not started at the period's end (`ward_started`: no households), grouped
        apart as its dashboard does; none for a ward's report."""
        if self.area != "province":
            return []
        return [line for line in self.lines if not ward_started(line.end.households)]

    def figures(self) -> list[Figure]:
        """The total's indicators against the targets."""
        return [
            Figure(
                name,
                getattr(self.total.start, name),
                getattr(self.total.start, of),
                getattr(self.total.end, name),
                getattr(self.total.end, of),
                getattr(self.targets, target) if self.targets and target else None,
                self.official.get(name),
            )
            for name, of, target in INDICATORS
        ]


@replica_reads
async def ward_period_report(ward_id: int, period: Period) -> PeriodReport:
    """The ward's report on `period`, one line per village, against the targets of the period's last
    year."""
    rules, ward = await ward_rules(ward_id)
    if counts_read():
        start, end = await _stored_standings("ward = {}", [ward_id], period)
    else:
        start = await standing_at(ward_id, period.start, rules)
        end = await standing_at(ward_id, period.end, rules)
    activity, volunteers = await _activity("ward = {}", [ward_id], period)
    villages = (
        await Village.select(Village.id, Village.code, Village.name)
        .where(Village.ward == ward_id)
        .order_by(Village.code)
    )
    lines = [
        Line(
            v["code"],
            v["name"],
            start.get(v["id"], Standing()),
            end.get(v["id"], Standing()),
            activity.get(v["id"], Activity()),
        )
        for v in villages
    ]
    return PeriodReport(
        area="ward",
        code=ward["code"],
        name=ward["name"],
        parent_name=ward["province_name"],
        period=period,
        lines=lines,
        total=Line.sum(ward["code"], ward["name"], lines, volunteers.get(ward_id, 0)),
        targets=await targets_for(ward_id, period.last.year),
        made_at=now(),
        official=await figures_for_period(ward_id, period),
        learning=await learning_figures(ward_id, period),
    )


async def _activity(area: str, args: list[Any], period: Period) -> tuple[dict[int, Activity], dict[int, int]]:
    """What was done in the period in the villages of `area` (a condition on table `village`), per village,
    and each ward's volunteers: from the daily activity, or, with `COUNTS_READ` off, from the visits."""
    count = stored_activity if counts_read() else recount
    return await count(area, args, period.first, period.last)


async def _stored_standings(
    scope: str, args: list[Any], period: Period
) -> tuple[dict[int, Standing], dict[int, Standing]]:
    """Each village in `scope` (a condition on table `village`) at the period's start and end, from the
    daily counts: its row at the end of the day before the period and of its last day."""
    counted = await counts_on(scope, args, [period.first - timedelta(days=1), period.last])
    start = {village: Standing.from_row(points[0]) for village, points in counted.items()}
    end = {village: Standing.from_row(points[1]) for village, points in counted.items()}
    return start, end


async def _ward_totals(province_id: int, wards: list[dict[str, Any]], period: Period) -> list[Line]:
    """Each ward's total as its own report gives it, from the daily counts: the province's villages at
    two days in one query and their activity from the daily activity, not a report per ward."""
    scope = "ward IN (SELECT id FROM ward WHERE province = {})"
    start, end = await _stored_standings(scope, [province_id], period)
    activity, volunteers = await _activity(scope, [province_id], period)
    villages: dict[int, list[int]] = defaultdict(list)
    for v in await Village.select(Village.id, Village.ward).where(Village.ward._.province == province_id):
        villages[int(v["ward"])].append(int(v["id"]))
    return [
        Line.sum(
            w["code"],
            w["name"],
            [
                Line("", "", start.get(v, Standing()), end.get(v, Standing()), activity.get(v, Activity()))
                for v in villages[int(w["id"])]
            ],
            volunteers.get(int(w["id"]), 0),
        )
        for w in wards
    ]


@replica_reads
async def province_period_report(province_id: int, period: Period) -> PeriodReport:
    """The province's report on `period`: the sum of its wards' reports, one line per ward (each the
    total of that ward's own report)."""
    province = await Province.select().where(Province.id == province_id).first()
    if province is None:
        raise LookupError(f"no province {province_id}")
    wards = await Ward.select(*Ward.all_columns()).where(Ward.province == province_id).order_by(Ward.code)
    if counts_read():
        lines = await _ward_totals(province_id, wards, period)
    else:
        lines = [(await ward_period_report(w["id"], period)).total for w in wards]
    official = await figures_for_wards([int(w["id"]) for w in wards], period)
    by_ward = {
        w["code"]: compare(line.end, official.get(int(w["id"]), {}))
        for w, line in zip(wards, lines, strict=True)
    }
    return PeriodReport(
        area="province",
        code=province["code"],
        name=province["name"],
        parent_name="",
        period=period,
        lines=lines,
        total=Line.sum(province["code"], province["name"], lines),
        targets=None,
        made_at=now(),
        official_by_ward={code: comparisons for code, comparisons in by_ward.items() if comparisons},
    )


# The API's shapes (msgspec), the same numbers as the page and the files.


def _line_out(line: Line) -> PeriodLine:
    def counts(item: Standing | Activity) -> dict[str, int]:
        return {f.name: getattr(item, f.name) for f in fields(item)}

    return PeriodLine(
        code=line.code,
        name=line.name,
        start=counts(line.start),
        end=counts(line.end),
        activity=counts(line.activity),
    )


def _figure_out(f: Figure) -> PeriodFigure:
    return PeriodFigure(
        indicator=f.indicator,
        start=f.start,
        start_of=f.start_of,
        start_percent=f.start_percent,
        end=f.end,
        end_of=f.end_of,
        end_percent=f.end_percent,
        change=f.change,
        target=f.target,
        met=f.met,
        official=f.official.value if f.official else None,
        official_source=f.official.source if f.official else "",
        difference=f.difference,
    )


def _classes_out(f: LearningFigures) -> PeriodClassesOut:
    return PeriodClassesOut(
        classes_per_month=dict(f.months),
        months_without_class=f.months_without_class,
        attendees=f.attendees,
        walk_ins=f.walk_ins,
        attendees_by_audience=f.by_audience,
        learners=f.learners,
        learners_60_plus=f.learners_60_plus,
        learners_poor=f.learners_poor,
        learners_elderly_alone=f.learners_elderly_alone,
        learners_ai=f.learners_ai,
        learners_ai_percent=percent(f.learners_ai, f.learners),
        people_helped=f.people_helped,
        helped_by_kind=f.helped_by_kind,
        team_members=f.team_members,
        team_trained=f.team_trained,
        team_trained_percent=percent(f.team_trained, f.team_members),
        ambassadors=f.ambassadors,
        ambassadors_with_enough=f.ambassadors_with_enough,
    )


def period_report_out(report: PeriodReport) -> PeriodReportOut:
    """The report as the API shows it: a province's wards not started grouped apart, as on its page."""
    return PeriodReportOut(
        area=report.area,
        code=report.code,
        name=report.name,
        parent_name=report.parent_name,
        first=report.period.first,
        last=report.period.last,
        made_at=report.made_at,
        figures=[_figure_out(f) for f in report.figures()],
        lines=[_line_out(line) for line in report.parts],
        total=_line_out(report.total),
        classes=_classes_out(report.learning) if report.learning else None,
        not_started=[PeriodPlace(code=line.code, name=line.name) for line in report.not_started],
        official_by_ward=places_out(
            [(line.code, line.name, report.official_by_ward.get(line.code, [])) for line in report.lines]
        ),
        official_total=[c.out() for c in report.official_total],
    )
