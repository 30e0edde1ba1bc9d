"""The contents of the export files: which columns, in Vietnamese (files go upward to the district
and province in Vietnamese, whatever language the officer reads the app in)."""

from __future__ import annotations

from surveys.core.clock import local_date, local_now
from surveys.core.exports import Cell, Table
from surveys.core.i18n import gettext, use_locale
from surveys.core.messages import INDICATOR_NAMES, OUTCOMES, REASONS, label
from surveys.reporting.coverage import CoverageRow
from surveys.reporting.province import ProvinceReport
from surveys.reporting.reports import INDICATORS, Indicators, WardReport


def _title(report_name: str, ward_name: str, ward_code: str, province: str) -> list[str]:
    return [
        report_name,
        gettext("%(ward)s (code %(code)s), %(province)s")
        % {"ward": ward_name, "code": ward_code, "province": province},
        gettext("Report date: %(date)s") % {"date": local_now().strftime("%d/%m/%Y")},
    ]


def _indicator_cells(indicators: Indicators) -> list[Cell]:
    cells: list[Cell] = [indicators.households, indicators.adults]
    for name in INDICATORS:
        cells += [getattr(indicators, name), indicators.percent(name)]
    return cells


def report_table(report: WardReport) -> Table:
    """The ward report: one row per village, the ward's total, and the year's targets."""
    with use_locale("vi"):
        headers = [
            gettext("Village code"),
            gettext("Village"),
            gettext("Households"),
            gettext("Citizens 16+"),
        ]
        for name in INDICATORS:
            headers += [gettext(INDICATOR_NAMES[name]), "%"]
        rows: list[list[Cell]] = [[v.code, v.name, *_indicator_cells(v.indicators)] for v in report.villages]
        rows.append(["", gettext("Whole ward"), *_indicator_cells(report.total)])
        targets: list[Cell] = ["", gettext("Target %(year)d") % {"year": report.year}, None, None]
        for name in INDICATORS:
            targets += [None, report.targets.for_indicator(name)]
        rows.append(targets)
        title = _title(
            gettext("Bình dân học vụ số: ward report"),
            report.ward_name,
            report.ward_code,
            report.province_name,
        )
    return Table(title=title, headers=headers, rows=rows, sheet=report.ward_code)


def province_table(report: ProvinceReport) -> Table:
    """The province report: one row per ward (count, percent and the ward's target of each indicator,
    the week's change, visits this week, last activity), then the province's total."""
    with use_locale("vi"):
        headers = [gettext("Ward code"), gettext("Ward"), gettext("Status"), gettext("Households"),
                   gettext("Citizens 16+")]  # fmt: skip
        for name in INDICATORS:
            headers += [gettext(INDICATOR_NAMES[name]), "%", gettext("Target %"), gettext("Change this week")]
        headers += [gettext("Visits this week"), gettext("Last activity")]
        rows: list[list[Cell]] = []
        for w in report.wards:
            status = gettext("Behind target") if w.behind else gettext("On target")
            row: list[Cell] = [w.code, w.name, status if w.started else gettext("Not started"),
                               w.indicators.households, w.indicators.adults]  # fmt: skip
            for name in INDICATORS:
                if w.started:
                    row += [getattr(w.indicators, name), w.indicators.percent(name),
                            w.targets.for_indicator(name), w.change[name]]  # fmt: skip
                else:
                    row += [None, None, w.targets.for_indicator(name), None]
            rows.append([*row, w.visits_this_week, local_date(w.last_activity)])
        total: list[Cell] = ["", gettext("Whole province"), "", report.total.households, report.total.adults]
        for name in INDICATORS:
            total += [getattr(report.total, name), report.total.percent(name), None, None]
        rows.append([*total, sum(w.visits_this_week for w in report.wards), None])
        title = [
            gettext("Bình dân học vụ số: province report"),
            gettext("%(province)s (code %(code)s)") % {"province": report.name, "code": report.code},
            gettext("Report date: %(date)s") % {"date": local_now().strftime("%d/%m/%Y")},
        ]
    return Table(title=title, headers=headers, rows=rows, sheet=report.code)


def coverage_table(
    rows: list[CoverageRow], village: str, ward_name: str, ward_code: str, province: str
) -> Table:
    """A village's coverage list as filtered on the page."""
    with use_locale("vi"):
        headers = [
            gettext("Household code"), gettext("Head of household"), gettext("Address"), gettext("Priority support"),
            gettext("Status"), gettext("Reasons"), gettext("Last visit"), gettext("Days since last visit"),
            gettext("Outcome"), gettext("Volunteer"),
        ]  # fmt: skip
        body: list[list[Cell]] = [
            [
                r.code,
                r.head_name,
                r.address,
                gettext("Yes") if r.priority else "",
                gettext("Covered") if r.covered else gettext("Not covered"),
                "; ".join(label(REASONS, code) for code in r.reasons),
                local_date(r.last_visit_at),
                r.days_since_visit,
                label(OUTCOMES, r.last_outcome) if r.last_outcome else "",
                r.last_volunteer or "",
            ]
            for r in rows
        ]
        title = _title(
            gettext("Coverage list: %(village)s") % {"village": village}, ward_name, ward_code, province
        )
    return Table(title=title, headers=headers, rows=body, sheet=village)
