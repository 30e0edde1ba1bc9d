"""The API's shapes of report submissions (surveys/reporting/submissions.py): a ward's submission of a
period's report, the province's list of its wards' submissions, and its decision."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from msgspec import Meta, Struct

from surveys.core.i18n import N_

# What the province decides on a ward's submitted report.
Decision = Literal["accept", "return", "reopen"]
# A ward's report as the province sees it: the latest version's state, or none yet.
STATUSES = ("not_submitted", "submitted", "accepted", "returned")
STATUS_NAMES = {
    "not_submitted": N_("Not submitted"),
    "submitted": N_("Submitted"),
    "accepted": N_("Accepted"),
    "returned": N_("Returned"),
}


# How many days after its period a report may be due (a quarter's report due half a year later is a typo).
MAX_DUE_DAYS = 90
DueDays = Annotated[int, Meta(ge=0, le=MAX_DUE_DAYS)]


Weekday = Annotated[int, Meta(ge=1, le=7, description="ISO weekday: 1 Monday … 7 Sunday")]
Hour = Annotated[int, Meta(ge=0, le=23)]


class ReportSchedule(Struct, kw_only=True):
    """When the province's wards' reports are due: days after the period ends, by kind of period; and
    when in its week the province's officers are reminded of those past due (phocap's time zone)."""

    report_due_quarter: DueDays = 10
    report_due_half: DueDays = 10
    report_due_year: DueDays = 15
    reminder_weekday: Weekday = 1
    reminder_hour: Hour = 7


class DecisionIn(Struct, kw_only=True):
    """The province's decision: accept (locks the report), return (with a comment saying why), reopen
    (an accepted report, so that the ward may submit a new version)."""

    decision: Decision
    comment: Annotated[str, Meta(max_length=2000)] = ""


class SubmissionVersionOut(Struct, kw_only=True):
    """One version as submitted, and what the province decided on it."""

    version: int
    status: str
    submitted_at: datetime
    submitted_by: str
    decided_at: datetime | None
    decided_by: str
    comment: str


class SubmissionOut(Struct, kw_only=True):
    """A ward's report on a period as submitted: the latest version with its status, the province's
    comment and the report exactly as submitted (`report`: the periodic report's JSON as it stood;
    None before any submission, `status` then `not_submitted`); its due date and whether it came on
    time; the visits of the period that reached phocap after it was submitted; every version."""

    period: str
    version: int
    status: str
    submitted_at: datetime | None
    submitted_by: str
    comment: str
    decided_at: datetime | None
    decided_by: str
    due: date
    on_time: bool | None
    late_arrivals: int
    report: dict[str, Any] | None
    versions: list[SubmissionVersionOut]


class WardSubmissionOut(Struct, kw_only=True):
    """A ward's line in the province's list: its report's state on the period."""

    code: str
    name: str
    status: str
    version: int
    submitted_at: datetime | None
    due: date
    on_time: bool | None


class ProvinceSubmissionsOut(Struct, kw_only=True):
    """Every ward of the province and its report on the period: completeness (how many submitted of
    how many wards) and timeliness (how many on time, how many late)."""

    period: str
    due: date
    wards_total: int
    submitted: int
    on_time: int
    late: int
    wards: list[WardSubmissionOut]
