"""Official figures beside phocap's own: what a ward received from outside (the police's count of
citizens with VNeID level 2 from VNeID, the national Bình dân học vụ số platform's learner count), per
indicator and period end. Kept apart and never mixed into phocap's counts (docs/design.md §6): a report
shows both and the difference, so the office sees where the door-to-door data and the statistics
disagree. Typed in one by one, or imported from a CSV `ward_code,indicator,period_end,value,source`,
previewed, then all or nothing; or, by the province's officers, for each of its wards on a period
(surveys/reporting/province_official.py).

A figure counts as of a day (households, citizens with VNeID … on 30/09), so the quarter, half-year and
year ending that day share it. Figures are locked with the report they sit beside: once the province
accepted a ward's report on a period, the ward's figures dated within that period change no more (from
the ward or the province) until the province reopens the report: the comparison it accepted stays the
one on file."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from surveys.core.audit import audit
from surveys.core.clock import now
from surveys.core.db import write_transaction
from surveys.core.text import clean
from surveys.reporting.periods import Period
from surveys.reporting.schemas import MAX_VALUE, OfficialFigureIn, OfficialIndicator
from surveys.tables import OfficialFigure, ReportSubmission

OFFICIAL_INDICATORS: tuple[str, ...] = OfficialIndicator.__args__  # type: ignore[attr-defined]
CSV_COLUMNS = ("ward_code", "indicator", "period_end", "value", "source")
MAX_LINES = 5_000


# 1.234 or 1 234: thousands as Vietnamese write them (a count has no decimals).
THOUSANDS = re.compile(r"^\d{1,3}([. ]\d{3})+$")


def typed_count(text: str) -> str:
    """A count as typed, its thousands separators taken out (`1.250` is 1250, never 1.25): the ward's
    form and file, the province's form and workbook read a count alike."""
    text = text.strip()
    return text.replace(".", "").replace(" ", "") if THOUSANDS.match(text) else text


@dataclass(frozen=True)
class Official:
    """A recorded official figure."""

    indicator: str
    period_end: date
    value: int
    source: str


class OfficialLocked(Exception):
    """Figures sit beside a report the province accepted: nothing changed (409). `wards`: their ids."""

    def __init__(self, wards: list[int]) -> None:
        super().__init__(f"locked: {wards}")
        self.wards = wards


def periods_containing(day: date) -> list[str]:
    """The named periods holding `day`: its quarter, its half-year, its year."""
    return [
        f"{day.year}-Q{(day.month - 1) // 3 + 1}",
        f"{day.year}-H{1 if day.month <= 6 else 2}",
        str(day.year),
    ]


async def locked_wards(ward_ids: list[int], day: date) -> set[int]:
    """The wards among `ward_ids` whose report on a period holding `day` is accepted (an accepted version
    is always the latest: a new one is refused, reopening turns it back to submitted)."""
    if not ward_ids:
        return set()
    rows = await ReportSubmission.select(ReportSubmission.ward).where(
        ReportSubmission.ward.is_in(ward_ids)
        & ReportSubmission.period.is_in(periods_containing(day))
        & (ReportSubmission.status == "accepted")
    )
    return {int(r["ward"]) for r in rows}


async def refuse_locked(ward_ids: list[int], days: set[date]) -> None:
    """OfficialLocked when figures of these wards as of these days sit beside an accepted report."""
    locked: set[int] = set()
    for day in days:
        locked |= await locked_wards(ward_ids, day)
    if locked:
        raise OfficialLocked(sorted(locked))


@dataclass(frozen=True)
class LineError:
    """A malformed line of an import: its number in the file (the header is line 1) and why."""

    line: int
    code: str
    detail: str = ""


@dataclass(frozen=True)
class ImportPreview:
    """What importing the file would do: the figures read, and every malformed line."""

    figures: list[OfficialFigureIn]
    errors: list[LineError]
    replaced: int  # figures already recorded for the same indicator and period end


async def save_figure(ward_id: int, figure: OfficialFigureIn, user_id: int, client_addr: str = "") -> None:
    """Record one figure (replacing the one of the same indicator and period end), audited."""
    await save_figures(ward_id, [figure], user_id, client_addr)


async def save_figures(
    ward_id: int, figures: list[OfficialFigureIn], user_id: int, client_addr: str = ""
) -> None:
    """Record the figures, all in one transaction: all or nothing (OfficialLocked: none, when any sits
    beside an accepted report)."""
    async with write_transaction():
        await refuse_locked([ward_id], {f.period_end for f in figures})
        for f in figures:
            where = (
                (OfficialFigure.ward == ward_id)
                & (OfficialFigure.indicator == f.indicator)
                & (OfficialFigure.period_end == f.period_end)
            )
            values: dict[Any, Any] = {
                OfficialFigure.value: f.value,
                OfficialFigure.source: clean(f.source),
                OfficialFigure.entered_by: user_id,
                OfficialFigure.entered_at: now(),
            }
            if await OfficialFigure.exists().where(where):
                await OfficialFigure.update(values).where(where)
            else:
                await OfficialFigure.insert(
                    OfficialFigure(
                        {OfficialFigure.ward: ward_id, OfficialFigure.indicator: f.indicator,
                         OfficialFigure.period_end: f.period_end, **values}
                    )
                )  # fmt: skip
        await audit("official.saved", "ward", ward_id, user_id, {"figures": len(figures)}, client_addr)


async def ward_figures(ward_id: int) -> list[Official]:
    """Every official figure of the ward, newest period first."""
    rows = (
        await OfficialFigure.select()
        .where(OfficialFigure.ward == ward_id)
        .order_by(OfficialFigure.period_end, ascending=False)
        .order_by(OfficialFigure.indicator)
    )
    return [Official(r["indicator"], _day(r["period_end"]), r["value"], r["source"]) for r in rows]


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


async def figures_for_period(ward_id: int, period: Period) -> dict[str, Official]:
    """Per indicator, the ward's official figure as of a day within `period` (`figures_for_wards`)."""
    return (await figures_for_wards([ward_id], period)).get(ward_id, {})


async def figures_for_wards(ward_ids: list[int], period: Period) -> dict[int, dict[str, Official]]:
    """Per ward and indicator, the official figure of the ward as of a day within `period` (the latest
    when several are): what a report on `period` sets beside phocap's count at its end, a ward's
    (`figures_for_period`) or a province's, ward by ward."""
    rows = await (
        OfficialFigure.select(
            OfficialFigure.ward, OfficialFigure.indicator, OfficialFigure.period_end, OfficialFigure.value,
            OfficialFigure.source,
        )
        .where(
            OfficialFigure.ward.is_in(ward_ids or [0]) & (OfficialFigure.period_end >= period.first)
            & (OfficialFigure.period_end <= period.last)
        )
        .order_by(OfficialFigure.period_end, ascending=False)
    )  # fmt: skip
    chosen: dict[int, dict[str, Official]] = {}
    for r in rows:
        chosen.setdefault(int(r["ward"]), {}).setdefault(
            r["indicator"], Official(r["indicator"], _day(r["period_end"]), int(r["value"]), r["source"])
        )
    return chosen


def read_import(content: bytes, ward_code: str) -> ImportPreview:
    """The figures of an import file (UTF-8 CSV with a header line), every malformed line named with
    its number; a line of another ward is malformed (a ward records its own figures)."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return ImportPreview([], [LineError(0, "encoding")], 0)
    lines = list(csv.reader(io.StringIO(text)))
    if not lines or [c.strip().lower() for c in lines[0]] != list(CSV_COLUMNS):
        return ImportPreview([], [LineError(1, "header", ",".join(CSV_COLUMNS))], 0)
    if len(lines) > MAX_LINES + 1:
        return ImportPreview([], [LineError(0, "too_many_lines", str(MAX_LINES))], 0)
    figures: list[OfficialFigureIn] = []
    errors: list[LineError] = []
    seen: dict[tuple[str, date], int] = {}
    for number, cells in enumerate(lines[1:], start=2):
        if not any(c.strip() for c in cells):
            continue
        figure, error = _read_line(number, cells, ward_code)
        if figure is None:
            errors.append(error or LineError(number, "columns", str(len(cells))))
            continue
        key = (figure.indicator, figure.period_end)
        if key in seen:
            errors.append(LineError(number, "duplicate", str(seen[key])))
            continue
        seen[key] = number
        figures.append(figure)
    if not figures and not errors:
        errors.append(LineError(0, "empty"))
    return ImportPreview(figures, errors, 0)


def _read_line(
    number: int, cells: list[str], ward_code: str
) -> tuple[OfficialFigureIn | None, LineError | None]:
    if len(cells) != len(CSV_COLUMNS):
        return None, LineError(number, "columns", str(len(cells)))
    code, indicator, end, value, source = (c.strip() for c in cells)
    if code != ward_code:
        return None, LineError(number, "other_ward", code)
    if indicator not in OFFICIAL_INDICATORS:
        return None, LineError(number, "indicator", indicator)
    try:
        day = date.fromisoformat(end)
    except ValueError:
        return None, LineError(number, "date", end)
    count = typed_count(value)
    if not count.isdigit() or int(count) > MAX_VALUE:
        return None, LineError(number, "value", value)
    if len(source) > 200:
        return None, LineError(number, "source", "")
    return OfficialFigureIn(indicator=indicator, period_end=day, value=int(count), source=source), None  # type: ignore[arg-type]


async def with_replacements(ward_id: int, preview: ImportPreview) -> ImportPreview:
    """The preview, counting the figures it would replace."""
    existing = {(f.indicator, f.period_end) for f in await ward_figures(ward_id)}
    replaced = sum(1 for f in preview.figures if (f.indicator, f.period_end) in existing)
    return ImportPreview(preview.figures, preview.errors, replaced)
