"""The current time, in one place, so that "this year" and "now" mean the same everywhere."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from surveys.core.settings import get_settings

# Where "now" is moved to, as (instant, real time it was set): set only by the test suite (its conftest
# reads PHOCAP_TEST_NOW), so a run can start at a chosen instant, such as a Sunday 23:30 in Vietnam
# when the UTC week and Vietnam's differ. The clock then moves on from there at the real pace.
_shift: timedelta = timedelta(0)


def start_clock_at(instant: datetime) -> None:
    """Make `now()` read `instant` at this moment and move on from there (tests only)."""
    global _shift
    _shift = instant.astimezone(UTC) - datetime.now(UTC)


def now() -> datetime:
    """The current time, timezone-aware (UTC)."""
    return datetime.now(UTC) + _shift


def local_now() -> datetime:
    """The current time in phocap's time zone (Asia/Ho_Chi_Minh by default)."""
    return now().astimezone(ZoneInfo(get_settings().timezone))


def this_year() -> int:
    """The current calendar year in phocap's time zone; ages are counted against it."""
    return local_now().year


def week_start(moment: datetime) -> datetime:
    """Monday 00:00, in phocap's time zone, of the ISO week holding `moment` (as an aware datetime)."""
    local = moment.astimezone(ZoneInfo(get_settings().timezone))
    monday = local - timedelta(days=local.weekday())
    return monday.replace(hour=0, minute=0, second=0, microsecond=0)


def recent_weeks(count: int, until: datetime | None = None) -> list[datetime]:
    """The starts of the last `count` ISO weeks, oldest first, the current week last."""
    current = week_start(until or now())
    return [current - timedelta(weeks=n) for n in range(count - 1, -1, -1)]


def week_label(start: datetime) -> str:
    """ISO week as `2026-W47`."""
    year, week, _ = start.isocalendar()
    return f"{year}-W{week:02d}"


def local_date(moment: datetime | None) -> date | None:
    """The calendar date of `moment` in phocap's time zone."""
    return moment.astimezone(ZoneInfo(get_settings().timezone)).date() if moment else None
