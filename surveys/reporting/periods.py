"""The period a report covers: a quarter, a half-year, a year or any range of days, and the moments
its numbers are read at (the start of its first day and the end of its last, in phocap's time zone).

Plans ask for reports "định kỳ hằng quý" (quarterly), every six months and yearly; an office may also
need any range (a campaign month). Bad input is a `FieldError` naming the field, never a guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from surveys.core.settings import get_settings
from surveys.core.validation import FieldError, InvalidInput, date_problem

# `2026-Q3`, `2026-H1`, `2026`: the shortcuts the report page offers.
_NAMED = re.compile(r"^(?P<year>\d{4})(?:-(?P<kind>[QH])(?P<n>\d))?$")
# A report longer than this is a mistake (a year typed wrong), not a plan's period.
MAX_DAYS = 366 * 5


@dataclass(frozen=True)
class Period:
    """Whole days from `first` to `last`, both included."""

    first: date
    last: date

    @property
    def start(self) -> datetime:
        """The moment the period starts: 00:00 of its first day, local time (as UTC)."""
        return _local_midnight(self.first)

    @property
    def end(self) -> datetime:
        """The moment it ends: 00:00 of the day after its last, local time (as UTC)."""
        return _local_midnight(self.last + timedelta(days=1))

    @property
    def name(self) -> str:
        """`2026-Q3`, `2026-H1`, `2026` when it is one of those, else `2026-07-01_2026-08-15`."""
        for candidate in _named_periods(self.first.year):
            if candidate[1] == self:
                return candidate[0]
        return f"{self.first.isoformat()}_{self.last.isoformat()}"


def _local_midnight(day: date) -> datetime:
    # UTC: SQLite compares timestamps as text, which holds only within one offset.
    zone = ZoneInfo(get_settings().timezone)
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def _named_periods(year: int) -> list[tuple[str, Period]]:
    quarters = [
        (f"{year}-Q{q}", Period(date(year, 3 * q - 2, 1), _month_end(year, 3 * q))) for q in range(1, 5)
    ]
    halves = [(f"{year}-H1", Period(date(year, 1, 1), date(year, 6, 30))),
              (f"{year}-H2", Period(date(year, 7, 1), date(year, 12, 31)))]  # fmt: skip
    return [*quarters, *halves, (str(year), Period(date(year, 1, 1), date(year, 12, 31)))]


def _month_end(year: int, month: int) -> date:
    following = date(year + (month == 12), month % 12 + 1, 1)
    return following - timedelta(days=1)


def named_period(name: str) -> Period:
    """The quarter (`2026-Q3`), half-year (`2026-H2`) or year (`2026`) so named; InvalidInput else."""
    match = _NAMED.match(name.strip())
    if match and not date_problem(date(int(match["year"]), 1, 1)):
        for candidate, period in _named_periods(int(match["year"])):
            if candidate == name.strip():
                return period
    raise InvalidInput([FieldError("period", "invalid")])


def period_between(first: str | None, last: str | None) -> Period:
    """The period from two `YYYY-MM-DD` texts (the API's `from` and `to`); every bad one is named."""
    errors: list[FieldError] = []
    days: dict[str, date] = {}
    for field, text in (("from", first), ("to", last)):
        if not text or not text.strip():
            errors.append(FieldError(field, "required"))
            continue
        try:
            days[field] = date.fromisoformat(text.strip())
        except ValueError:
            errors.append(FieldError(field, "invalid_date"))
            continue
        if problem := date_problem(days[field]):
            errors.append(FieldError(field, problem))
    if not errors and days["to"] < days["from"]:
        errors.append(FieldError("to", "before_start"))
    if not errors and (days["to"] - days["from"]).days > MAX_DAYS:
        errors.append(FieldError("to", "too_long_period"))
    if errors:
        raise InvalidInput(errors)
    return Period(days["from"], days["to"])


def period_choices(today: date, years: int = 2, upcoming: bool = False) -> list[tuple[str, Period]]:
    """The named periods of this year and the ones before, newest first, for the report page (with
    `upcoming`, those of next year and not yet started too: a report due later covers them)."""
    choices: list[tuple[str, Period]] = []
    for year in range(today.year + upcoming, today.year - years, -1):
        choices += [(name, p) for name, p in _named_periods(year) if upcoming or p.first <= today]
    return choices


def latest_ended_quarter(today: date) -> Period:
    """The last quarter that ended before `today` (the report page opens on it: the one to report on)."""
    current = named_period(f"{today.year}-Q{(today.month - 1) // 3 + 1}")
    day = current.first - timedelta(days=1)
    return named_period(f"{day.year}-Q{(day.month - 1) // 3 + 1}")
