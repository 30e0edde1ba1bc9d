"""The official figures a province enters for its wards (issue 26 item 7): those its statistics office and
the wards' people's committees declare (households, citizens 16+, digital families, citizens 16+ with
VNeID, with a digital bank account), per ward and period, each with its source. They are the wards'
official figures (surveys/reporting/official.py) as of the period's last day, so the ward's own report
shows them too; the province's report sets them beside phocap's count of each ward, with the difference.

A figure left empty is not declared (cleared). Figures dated within a period whose report the province
accepted are locked until it reopens the report (official.py). Every change is audited, one entry per ward."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from surveys.core.audit import audit
from surveys.core.clock import now
from surveys.core.db import write_transaction
from surveys.core.text import clean
from surveys.core.validation import FieldError, InvalidInput, parse
from surveys.reporting.official import Official, locked_wards, refuse_locked
from surveys.reporting.periods import Period
from surveys.reporting.schemas import (
    MAX_WARDS,
    PROVINCE_OFFICIAL,
    OfficialComparisonOut,
    OfficialPlaceOut,
    ProvinceOfficialIn,
    ProvinceOfficialOut,
    WardOfficialIn,
    WardOfficialOut,
)
from surveys.tables import OfficialFigure, Ward


@dataclass(frozen=True)
class WardOfficial:
    """A ward of the province and its official figures as of a day (None: not declared)."""

    id: int
    code: str
    name: str
    values: dict[str, int | None]
    source: str
    entered_by: str
    entered_at: datetime | None
    locked: bool

    def out(self) -> WardOfficialOut:
        """As the API gives it."""
        return WardOfficialOut(ward=self.code, name=self.name, source=self.source, entered_by=self.entered_by,
                               entered_at=self.entered_at, locked=self.locked, **self.values)  # fmt: skip


async def _wards(province_id: int) -> list[dict[str, Any]]:
    return list(
        await Ward.select(Ward.id, Ward.code, Ward.name)
        .where(Ward.province == province_id)
        .order_by(Ward.code)
    )


async def province_official(province_id: int, period: Period) -> list[WardOfficial]:
    """Every ward of the province with its official figures as of the period's last day."""
    wards = await _wards(province_id)
    ids = [int(w["id"]) for w in wards]
    rows = await OfficialFigure.select(
        OfficialFigure.ward, OfficialFigure.indicator, OfficialFigure.value, OfficialFigure.source,
        OfficialFigure.entered_at, OfficialFigure.entered_by._.display_name.as_alias("entered_by"),
    ).where(
        OfficialFigure.ward.is_in(ids or [0]) & (OfficialFigure.period_end == period.last)
        & OfficialFigure.indicator.is_in(list(PROVINCE_OFFICIAL))
    ).order_by(OfficialFigure.entered_at)  # fmt: skip
    by_ward: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        by_ward.setdefault(int(row["ward"]), []).append(row)
    locked = await locked_wards(ids, period.last)
    result = []
    for w in wards:
        mine = by_ward.get(int(w["id"]), [])
        values: dict[str, int | None] = dict.fromkeys(PROVINCE_OFFICIAL)
        values.update({r["indicator"]: int(r["value"]) for r in mine})
        last = mine[-1] if mine else {}
        result.append(WardOfficial(int(w["id"]), w["code"], w["name"], values, last.get("source") or "",
                                   last.get("entered_by") or "", last.get("entered_at"),
                                   int(w["id"]) in locked))  # fmt: skip
    return result


async def province_official_out(province_id: int, period: Period) -> ProvinceOfficialOut:
    """The API's answer: every ward with its figures for the period."""
    wards = await province_official(province_id, period)
    return ProvinceOfficialOut(period=period.name, period_end=period.last, wards=[w.out() for w in wards])


def parse_entry(raw: Any, ward_codes: set[str]) -> ProvinceOfficialIn:
    """The entry (decoded JSON, or the form as such a dict), every bad field named: a count from 0, a
    source of at most 200 characters, a ward of this province listed once."""
    errors: list[FieldError] = []
    listed = raw.get("wards") if isinstance(raw, dict) else None
    if isinstance(listed, list) and len(listed) > MAX_WARDS:
        raise InvalidInput([FieldError("wards", "too_long")])
    if isinstance(listed, list):
        seen: set[str] = set()
        for i, entry in enumerate(listed):
            code = entry.get("ward") if isinstance(entry, dict) else None
            if isinstance(code, str) and code:
                if code not in ward_codes:
                    errors.append(FieldError(f"wards.{i}.ward", "unknown_ward"))
                elif code in seen:
                    errors.append(FieldError(f"wards.{i}.ward", "duplicate_ward"))
                seen.add(code)
    return parse(raw, ProvinceOfficialIn, errors)


async def province_ward_codes(province_id: int) -> set[str]:
    """The codes of the province's wards."""
    return {w["code"] for w in await _wards(province_id)}


async def save_province_official(
    province_id: int, period: Period, entry: ProvinceOfficialIn, user_id: int | None, client_addr: str = ""
) -> None:
    """Give each ward listed exactly these figures as of the period's last day (an empty one cleared),
    all in one transaction; OfficialLocked (nothing saved) when any ward's report on a period holding that
    day is accepted. A figure unchanged, with the source as read, keeps its own source and who entered it
    when (a ward's own entry is not taken over); a new source applies to each figure of the ward."""
    async with write_transaction():
        current = {w.code: w for w in await province_official(province_id, period)}
        await refuse_locked([current[e.ward].id for e in entry.wards], {period.last})
        for e in entry.wards:
            ward = current[e.ward]
            changed, cleared = await _save_ward(ward, period.last, e, user_id)
            if changed or cleared:
                await audit("official.province_saved", "ward", ward.id, user_id,
                            {"period": period.name, "changed": changed, "cleared": cleared}, client_addr)  # fmt: skip


async def _save_ward(
    ward: WardOfficial, day: date, e: WardOfficialIn, user_id: int | None
) -> tuple[list[str], list[str]]:
    """The ward's figures as `e` gives them; the names of those changed and those cleared."""
    changed: list[str] = []
    cleared: list[str] = []
    source = clean(e.source)
    for name in PROVINCE_OFFICIAL:
        value, before = getattr(e, name), ward.values[name]
        where = (
            (OfficialFigure.ward == ward.id) & (OfficialFigure.indicator == name) & (OfficialFigure.period_end == day)
        )  # fmt: skip
        if value is None:
            if before is not None:
                await OfficialFigure.delete().where(where)
                cleared.append(name)
            continue
        if value == before and source == ward.source:
            continue
        values: dict[Any, Any] = {OfficialFigure.value: value, OfficialFigure.source: source,
                                  OfficialFigure.entered_by: user_id, OfficialFigure.entered_at: now()}  # fmt: skip
        if before is not None:
            await OfficialFigure.update(values).where(where)
        else:
            await OfficialFigure.insert(OfficialFigure({OfficialFigure.ward: ward.id, OfficialFigure.indicator: name,
                                                        OfficialFigure.period_end: day, **values}))  # fmt: skip
        changed.append(name)
    return changed, cleared


@dataclass(frozen=True)
class Comparison:
    """An official figure beside phocap's count at the period's end; a total's over `wards` wards."""

    indicator: str
    phocap: int
    official: int
    source: str = ""
    wards: int = 1

    @property
    def difference(self) -> int:
        """phocap's count less the official figure: below zero, the counting lags (or the figure is high)."""
        return self.phocap - self.official

    def out(self) -> OfficialComparisonOut:
        """As the API gives it."""
        return OfficialComparisonOut(indicator=self.indicator, phocap=self.phocap, official=self.official,
                                     difference=self.difference, source=self.source, wards=self.wards)  # fmt: skip


def compare(ours: Any, official: dict[str, Official]) -> list[Comparison]:
    """The province's indicators a ward declared, beside `ours` (its standing at the period's end)."""
    return [
        Comparison(name, getattr(ours, name), official[name].value, official[name].source)
        for name in PROVINCE_OFFICIAL
        if name in official
    ]


def total(by_ward: list[list[Comparison]]) -> list[Comparison]:
    """Per indicator, the sum over the wards that declared it: their official figures and phocap's counts
    of the same wards, so that a ward not declared adds nothing to either side."""
    result = []
    for name in PROVINCE_OFFICIAL:
        these = [c for ward in by_ward for c in ward if c.indicator == name]
        if these:
            result.append(Comparison(name, sum(c.phocap for c in these), sum(c.official for c in these),
                                     "", len(these)))  # fmt: skip
    return result


def places_out(report_lines: list[tuple[str, str, list[Comparison]]]) -> list[OfficialPlaceOut]:
    """Each ward that declared something, as the API gives it."""
    return [OfficialPlaceOut(code=code, name=name, figures=[c.out() for c in comparisons])
            for code, name, comparisons in report_lines if comparisons]  # fmt: skip
