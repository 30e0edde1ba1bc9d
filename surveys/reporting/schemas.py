"""The shapes of reporting's input and output: targets, thresholds, official figures, the periodic
report as the API sends it, report reminders, a village's pages for the phone."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from msgspec import Meta, Struct

# What an official figure may be about: the report's indicators and their denominators.
OfficialIndicator = Literal[
    "households", "adults", "visited", "informed", "digital_family", "covered", "vneid", "vneid_level2", "bank",
    "basic_skills", "skills_confirmed", "ai_tool",
]  # fmt: skip
MAX_VALUE = 100_000_000  # more than a province's population: a typo, not a count
SkillCriterion = Literal["learned", "understands", "uses_services", "guides_others"]
Percent = Annotated[int, Meta(ge=0, le=100)]


class ReportDueUpdate(Struct, kw_only=True):
    """The form: the period the next report covers and its due date (both empty: no reminder)."""

    report_period: Annotated[str, Meta(max_length=10)] = ""
    report_due: date | None = None


class PeriodFigure(Struct, kw_only=True):
    """An indicator of the total at the period's start and end, against its target."""

    indicator: str
    start: int
    start_of: int
    start_percent: float
    end: int
    end_of: int
    end_percent: float
    change: int
    target: int | None
    met: bool | None
    official: int | None = None
    official_source: str = ""
    difference: int | None = None


class PeriodLine(Struct, kw_only=True):
    """A village (ward report) or ward (province report), or the total: every count at the start and
    the end, and the period's activity."""

    code: str
    name: str
    start: dict[str, int]
    end: dict[str, int]
    activity: dict[str, int]


class PeriodPlace(Struct, kw_only=True):
    """A ward of a province's report that had not started at the period's end (chưa triển khai)."""

    code: str
    name: str


class PeriodClassesOut(Struct, kw_only=True):
    """A ward's classes, help and digital team in the period, as its dashboard counts them."""

    classes_per_month: dict[str, int]
    months_without_class: int
    attendees: int
    walk_ins: int
    attendees_by_audience: dict[str, int]
    learners: int
    learners_60_plus: int
    learners_poor: int
    learners_elderly_alone: int
    learners_ai: int
    learners_ai_percent: float
    people_helped: int
    helped_by_kind: dict[str, int]
    team_members: int
    team_trained: int
    team_trained_percent: float
    ambassadors: int
    ambassadors_with_enough: int


class PeriodReportOut(Struct, kw_only=True, rename={"first": "from", "last": "to"}):
    """A periodic report as the API returns it."""

    area: str
    code: str
    name: str
    parent_name: str
    first: date
    last: date
    made_at: datetime
    figures: list[PeriodFigure]
    # A ward's villages; a province's wards that had started by the period's end (as its page shows).
    lines: list[PeriodLine]
    total: PeriodLine
    # A ward's report only (a province's has none).
    classes: PeriodClassesOut | None = None
    # A province's wards with no household by the period's end, grouped apart (a ward's report: none).
    not_started: list[PeriodPlace] = []
    # A province's wards' official figures beside phocap's, and their total (a ward's report: none; its
    # own are in `figures`).
    official_by_ward: list[OfficialPlaceOut] = []
    official_total: list[OfficialComparisonOut] = []


class OfficialFigureIn(Struct, kw_only=True):
    """One figure typed in (the form and the import's lines)."""

    indicator: OfficialIndicator
    period_end: date
    value: Annotated[int, Meta(ge=0, le=MAX_VALUE)]
    source: Annotated[str, Meta(max_length=200)] = ""


# The figures a province enters per ward and period (as of the period's last day): those its statistics
# office and the wards' people's committees declare, set beside phocap's counts in its report.
PROVINCE_OFFICIAL = ("households", "adults", "digital_family", "vneid", "bank")
MAX_WARDS = 1000  # a province has at most a few hundred wards
Count = Annotated[int, Meta(ge=0, le=MAX_VALUE)]


class WardOfficialIn(Struct, kw_only=True):
    """One ward's official figures for a period: each a count, or null (not declared: cleared)."""

    ward: Annotated[str, Meta(min_length=1, max_length=10)]
    households: Count | None = None
    adults: Count | None = None
    digital_family: Count | None = None
    vneid: Count | None = None
    bank: Count | None = None
    source: Annotated[str, Meta(max_length=200)] = ""


class ProvinceOfficialIn(Struct, kw_only=True):
    """The province's entry for a period: the wards listed get exactly these figures, others are kept."""

    wards: list[
        WardOfficialIn
    ]  # at most MAX_WARDS: checked by the rule (a bound here hides each row's errors)


class WardOfficialOut(Struct, kw_only=True):
    """A ward's official figures as of the period's last day, who entered them and when, and whether
    they are locked (the ward's report on a period holding that day was accepted)."""

    ward: str
    name: str
    households: int | None
    adults: int | None
    digital_family: int | None
    vneid: int | None
    bank: int | None
    source: str
    entered_by: str
    entered_at: datetime | None
    locked: bool


class ProvinceOfficialOut(Struct, kw_only=True):
    """Every ward of the province with its official figures for the period."""

    period: str
    period_end: date
    wards: list[WardOfficialOut]


class OfficialComparisonOut(Struct, kw_only=True):
    """An official figure beside phocap's count at the period's end, and the difference (phocap less
    official); a total sums the wards that declared the figure (`wards`)."""

    indicator: str
    phocap: int
    official: int
    difference: int
    source: str = ""
    wards: int = 1


class OfficialPlaceOut(Struct, kw_only=True):
    """A ward of a province's report with its official figures beside phocap's."""

    code: str
    name: str
    figures: list[OfficialComparisonOut]


class ThresholdsUpdate(Struct, kw_only=True):
    """The thresholds form, and the `phocap ward rules` options."""

    identity_age: Annotated[int, Meta(ge=6, le=100)]
    adult_age: Annotated[int, Meta(ge=14, le=100)]
    # VNeID has two levels of electronic identification; nothing else is a minimum.
    identity_min_level: Literal[1, 2]
    identity_requires_bank: bool
    family_criteria: Annotated[list[SkillCriterion], Meta(min_length=1)]


class TargetsUpdate(Struct, kw_only=True):
    """The targets form and API body."""

    informed: Percent
    digital_family: Percent
    identity: Percent
    skills_confirmed: Percent
    vneid_level2: Percent
    bank: Percent
    basic_skills: Percent
    ai_tool: Percent


class TargetsOut(Struct, kw_only=True):
    """A year's targets, in percent, and where they come from: `ward` (the ward's own), `province` (the
    province's defaults), `plans` (the 2025-2026 plans')."""

    year: int
    source: Literal["ward", "province", "plans"]
    informed: int
    digital_family: int
    identity: int
    skills_confirmed: int
    vneid_level2: int
    bank: int
    basic_skills: int
    ai_tool: int


class OfflineUrls(Struct):
    """The pages of a village to keep on the phone, in the order to fetch them, and the addresses of
    the parts that answer them many at a time (each page in exactly one part, in this order)."""

    urls: list[str]
    parts: list[str] = []
    # Where this copy stands, for a later refresh (`offline/changes?since=`): an opaque string.
    cursor: str = ""


class OfflineChanges(Struct):
    """What changed in a village since a phone's copy (docs/architecture.md §7): the pages to fetch again
    and the parts that bring them, the pages to delete, whether the village's list changed, and the
    cursor of the copy once refreshed. The phone patches its copy of the list: `head` (the filters and
    their counts, as the list page draws them) and `rows` (the rows of the households changed or added,
    as it draws them) when the list changed, and `ids`, the households the list holds now as ranges
    (`3-40,52`), when that set changed (else null). `villages`: the villages the user may see now, as
    ranges; the phone deletes the pages it keeps of any other."""

    cursor: str
    pages: list[str]
    parts: list[str]
    gone: list[str]
    list: bool
    head: str = ""
    rows: str = ""
    ids: str | None = None
    villages: str = ""


class CountryIndicator(Struct):
    """One indicator of a province (or the country): count, what it is counted over, the percentage
    (None for a province not started: no households, not 0%), the province's target (its wards' own,
    weighted by what each counts the indicator over), whether it is met, and the percentage points
    gained since the end of last week."""

    count: int
    of: int
    percent: float | None
    target: float | None
    met: bool | None
    change: float | None


class CountryProvinceLine(Struct):
    """A province of the national view, with the address of its dashboard."""

    province_code: str
    province_name: str
    started: bool
    behind_target: bool
    wards: int
    wards_started: int
    wards_behind_target: int
    households: int
    citizens_16_plus: int
    indicators: dict[str, CountryIndicator]
    dashboard: str
    # The province's wards by the state of their report on `report_period` (the latest ended quarter):
    # not_submitted, submitted, accepted, returned.
    report_submissions: dict[str, int]


class CountryTotal(Struct):
    """The country's total: the sum of its provinces."""

    provinces: int
    provinces_started: int
    provinces_behind_target: int
    households: int
    citizens_16_plus: int
    indicators: dict[str, CountryIndicator]


class CountryReportOut(Struct):
    """The national view's numbers: every province of the official list."""

    year: int
    as_of: datetime
    # The period of the reports counted in each province's `report_submissions` (the latest ended quarter).
    report_period: str
    provinces: list[CountryProvinceLine]
    total: CountryTotal
