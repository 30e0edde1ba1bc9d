"""When a ward's periodic report is due at its province: so many days after the period ends, by kind of
period (a quarter, a half-year, the year), as the province sets them (defaults: the 10th day after a
quarter or a half-year, 15 January for the year's report). They drive whether a report came on time,
the ward's reminders and the province's list of wards late (surveys/reporting/submissions.py)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from surveys.core.audit import audit
from surveys.core.clock import local_date
from surveys.core.db import write_transaction
from surveys.core.validation import parse
from surveys.reporting.periods import Period
from surveys.reporting.submission_schemas import ReportSchedule
from surveys.tables import Province

# A period's kind by its name's shape (`2026-Q3`, `2026-H2`, `2026`) and the province's column for it.
DUE_COLUMNS = {"quarter": "report_due_quarter", "half": "report_due_half", "year": "report_due_year"}
# When in its week the province's reminder of the reports past due goes out (province_reminders.py).
REMINDER_COLUMNS = ("reminder_weekday", "reminder_hour")
# The province's schedule (`ReportSchedule`): its due days, and when its reminder goes out.
SCHEDULE_COLUMNS = (*DUE_COLUMNS.values(), *REMINDER_COLUMNS)
# The province's due days when it has set none: the 10th day after a quarter or a half-year ends; the
# year's report by 15 January.
DEFAULT_DUE_DAYS = {kind: getattr(ReportSchedule(), column) for kind, column in DUE_COLUMNS.items()}


def period_kind(name: str) -> str:
    """`quarter`, `half` or `year`, by the period's name."""
    return "quarter" if "-Q" in name else "half" if "-H" in name else "year"


def due_on(period: Period, kind: str, province: dict[str, Any] | None) -> date:
    """The day a report on `period` is due, by the province's setting for its kind (the default when
    unset)."""
    days = (province or {}).get(DUE_COLUMNS[kind])
    return period.last + timedelta(days=int(days if days is not None else DEFAULT_DUE_DAYS[kind]))


def on_time(due: date, first_submitted: datetime | None, today: date) -> bool | None:
    """Whether the first version came by the due date (phocap's time zone); not submitted: late once the
    due date has passed, else None (not yet known)."""
    if first_submitted is None:
        return False if today > due else None
    submitted = local_date(first_submitted)
    return submitted is not None and submitted <= due


async def report_schedule(province_id: int) -> ReportSchedule:
    """The province's due days, by kind of period, and when its reminder goes out."""
    row = (
        await Province.select(*(getattr(Province, c) for c in SCHEDULE_COLUMNS))
        .where(Province.id == province_id)
        .first()
    )
    return ReportSchedule(**(row or {}))


def parse_schedule(raw: dict[str, Any]) -> ReportSchedule:
    """The form's values as a schedule (an empty field is no number); InvalidInput naming every bad field
    at once."""
    return parse(raw, ReportSchedule)


async def save_report_schedule(
    province_id: int, schedule: ReportSchedule, user_id: int | None, client_addr: str = ""
) -> ReportSchedule:
    """Set the province's due days and its reminder's time, audited."""
    values = {c: getattr(schedule, c) for c in SCHEDULE_COLUMNS}
    async with write_transaction():
        await Province.update({getattr(Province, c): v for c, v in values.items()}).where(
            Province.id == province_id
        )
        await audit("report_schedule.saved", "province", province_id, user_id, values, client_addr)
    return schedule
