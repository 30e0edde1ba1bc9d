"""When a ward's next periodic report is due. The office sets the date and the period it covers (Phường
An Hải's yearly report is due before 06/12/2026); the weekly digest names the due date, and from two
weeks before it links the draft report, so the numbers are ready before the text is."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from surveys.core.audit import audit
from surveys.core.db import write_transaction
from surveys.core.validation import FieldError, InvalidInput, parse
from surveys.reporting.periods import named_period
from surveys.reporting.schemas import ReportDueUpdate
from surveys.tables import Ward

# The draft report is linked this long before the due date.
DRAFT_LEAD = timedelta(weeks=2)


@dataclass(frozen=True)
class Reminder:
    """What the digest says about the next report: its due date, and the draft's link when near."""

    due: date
    period: str
    days_left: int
    draft_path: str | None


def _rule_errors(period: str, due_given: bool) -> list[FieldError]:
    errors: list[FieldError] = []
    if period:
        try:
            named_period(period)
        except InvalidInput:
            errors.append(FieldError("report_period", "invalid_choice"))
    elif due_given:
        errors.append(FieldError("report_period", "required"))
    if period and not due_given:
        errors.append(FieldError("report_due", "required"))
    return errors


def parse_due(raw: dict[str, str]) -> ReportDueUpdate:
    """The form's values (texts) as an update; InvalidInput naming every bad field at once."""
    rules = _rule_errors(raw.get("report_period", ""), bool(raw.get("report_due")))
    return parse({k: v for k, v in raw.items() if v}, ReportDueUpdate, rules)


def check_due(update: ReportDueUpdate) -> ReportDueUpdate:
    """Both set or both empty, and the period one the report page knows; InvalidInput naming each."""
    errors = _rule_errors(update.report_period, update.report_due is not None)
    if errors:
        raise InvalidInput(errors)
    return update


async def save_report_due(ward_id: int, update: ReportDueUpdate, user_id: int, client_addr: str = "") -> None:
    """Set (or clear) the ward's next report, audited."""
    update = check_due(update)
    async with write_transaction():
        await Ward.update(
            {Ward.report_due: update.report_due, Ward.report_period: update.report_period}
        ).where(Ward.id == ward_id)
        due = update.report_due.isoformat() if update.report_due else None
        await audit("report_due.saved", "ward", ward_id, user_id, {"due": due, "period": update.report_period},
                    client_addr)  # fmt: skip


def reminder(ward: dict[str, Any], today: date) -> Reminder | None:
    """The reminder of the ward row's next report as of `today`: none when unset or past."""
    due = ward.get("report_due")
    if due is None:
        return None
    due = due if isinstance(due, date) else date.fromisoformat(str(due)[:10])
    if due < today:
        return None
    period = str(ward.get("report_period") or "")
    near = due - today <= DRAFT_LEAD
    draft = f"/wards/{ward['code']}/reports?period={period}" if near and period else None
    return Reminder(due=due, period=period, days_left=(due - today).days, draft_path=draft)
