"""The time work was done (docs/architecture.md §7, "work carries its own time"): a visit or an attendance saved on
a phone without a signal carries the moment it was saved (`saved_at`, ISO 8601 with its zone, from the
phone's clock), sent later. The server keeps that as the work's time, which every count, digest and
report reads, and the arrival beside it; a `saved_at` it cannot believe is refused with its reason, so
the phone puts the work in "Cần xem lại" instead of dating it wrongly.

Believed: from `OFFLINE_DAYS` + 1 days ago (a phone keeps its pages that long, and a day more for a
phone that synced on the last one) up to `CLOCK_SKEW` ahead of the server's clock (phones' clocks are a
little off). Absent: the work is of now (an online post). Its shape (`surveys.schemas.SavedAt`: a date
and time with its zone) is the schema's to check."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from surveys.core.settings import get_settings
from surveys.core.validation import FieldError

# How far ahead of the server's clock a phone's clock may be.
CLOCK_SKEW = timedelta(minutes=5)


def oldest_believed(at: datetime) -> datetime:
    """The earliest `saved_at` believed at the server's time `at`."""
    return at - timedelta(days=get_settings().offline_days + 1)


def saved_at_errors(saved_at: datetime | None, received: datetime) -> list[FieldError]:
    """What is wrong with work saved `saved_at` (parsed: a date and time with its zone; None: now) and
    received at `received`: too far ahead (`in_future`) or too old (`too_old`). Checked only for work not
    recorded yet, so a replay of work recorded days ago still answers as the first time did."""
    if saved_at is None:
        return []
    if saved_at > received + CLOCK_SKEW:
        return [FieldError("saved_at", "in_future")]
    if saved_at < oldest_believed(received):
        return [FieldError("saved_at", "too_old")]
    return []


def time_made(saved_at: datetime | None, received: datetime) -> datetime:
    """The work's time: when it was saved, if the client said so (checked by `saved_at_errors`), or its
    arrival; in UTC, as every time is stored. Never after its arrival: a phone's clock a little ahead
    does not date work in the future."""
    return (received if saved_at is None else min(saved_at, received)).astimezone(UTC)
