"""The current time, in one place, so that "this year" and "now" mean the same everywhere."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from surveys.settings import get_settings


def now() -> datetime:
    """The current time, timezone-aware (UTC)."""
    return datetime.now(UTC)


def local_now() -> datetime:
    """The current time in phocap's time zone (Asia/Ho_Chi_Minh by default)."""
    return now().astimezone(ZoneInfo(get_settings().timezone))


def this_year() -> int:
    """The current calendar year in phocap's time zone; ages are counted against it."""
    return local_now().year
