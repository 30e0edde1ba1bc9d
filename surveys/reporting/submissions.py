"""Reports that go upward (docs/design.md §6): a ward submits a period's report once the period has
ended; the numbers and the Word file are kept as submitted, version by version, and never change; the
province sees every ward's state (not submitted, submitted, accepted, returned), the due date and whether
it came on time, and accepts it (which locks it), returns it with a comment, or reopens it. Every step
is audited. DHIS2's data approval, tied to a register kept door to door.

Due dates are the province's (surveys/reporting/due_dates.py); they drive `on_time`, the ward's reminders
in its weekly digest and the province's list of wards late."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import msgspec

from surveys.core.audit import audit
from surveys.core.clock import local_now, now
from surveys.core.db import LOCK_REPORT_SUBMISSIONS, serialise_on, write_transaction
from surveys.core.text import place_sort_key
from surveys.core.validation import FieldError, InvalidInput
from surveys.reporting.documents import report_document, to_docx
from surveys.reporting.due_dates import due_on, on_time, period_kind
from surveys.reporting.periodic import period_report_out, ward_period_report
from surveys.reporting.periods import Period, latest_ended_quarter, named_period
from surveys.reporting.reminders import Reminder
from surveys.reporting.submission_schemas import (
    STATUSES,
    DecisionIn,
    ProvinceSubmissionsOut,
    SubmissionOut,
    SubmissionVersionOut,
    WardSubmissionOut,
)
from surveys.tables import Province, ReportSubmission, Village, Visit, Ward


class SubmissionLocked(Exception):
    """The report was accepted: it is locked until the province reopens it (409, nothing changed)."""


class DecisionRefused(Exception):
    """The decision does not fit the report's state (accepting one not submitted, reopening one not
    accepted …): 409, nothing changed; `status` is the state it is in."""

    def __init__(self, status: str) -> None:
        super().__init__(status)
        self.status = status


def ended_period(name: str) -> Period:
    """The named period (`2026-Q3`, `2026-H2`, `2026`) once it has ended; InvalidInput naming `period`
    else (a report is submitted on what happened, not on what is still happening)."""
    period = named_period(name)
    if period.end > now():
        raise InvalidInput([FieldError("period", "not_ended")])
    return period


async def _province_of_ward(ward_id: int) -> dict[str, Any]:
    ward = await Ward.select(Ward.province).where(Ward.id == ward_id).first()
    province = await Province.select().where(Province.id == (ward or {}).get("province")).first()
    return province or {}


async def _rows(ward_id: int, period: str) -> list[dict[str, Any]]:
    """The ward's versions of the period's report, newest first, without the files."""
    return list(
        await ReportSubmission.select(
            ReportSubmission.version, ReportSubmission.status, ReportSubmission.submitted_at,
            ReportSubmission.submitted_by._.display_name.as_alias("submitted_by"), ReportSubmission.decided_at,
            ReportSubmission.decided_by._.display_name.as_alias("decided_by"), ReportSubmission.comment,
        )
        .where((ReportSubmission.ward == ward_id) & (ReportSubmission.period == period))
        .order_by(ReportSubmission.version, ascending=False)
    )  # fmt: skip


async def submit_report(ward_id: int, name: str, user_id: int | None, client_addr: str = "") -> SubmissionOut:
    """Submit the ward's report on the named period as it stands now: a new version (the first, or the
    next while the last is submitted or returned), its numbers and Word file kept as they are. A period
    not ended is InvalidInput; an accepted report is SubmissionLocked."""
    period = ended_period(name)
    report = await ward_period_report(ward_id, period)
    numbers = msgspec.json.encode(period_report_out(report)).decode()
    document = to_docx(report_document(report))
    async with write_transaction():
        # Two submissions (or a submission and a decision) of one report take turns: each reads what the
        # other wrote, so versions follow each other and an accepted report is never submitted over.
        await serialise_on(LOCK_REPORT_SUBMISSIONS, f"{ward_id}:{period.name}")
        latest = await (
            ReportSubmission.select(ReportSubmission.version, ReportSubmission.status)
            .where((ReportSubmission.ward == ward_id) & (ReportSubmission.period == period.name))
            .order_by(ReportSubmission.version, ascending=False)
            .first()
        )
        if latest and latest["status"] == "accepted":
            raise SubmissionLocked(period.name)
        version = (latest["version"] if latest else 0) + 1
        await ReportSubmission.insert(
            ReportSubmission(ward=ward_id, period=period.name, version=version, status="submitted",
                             submitted_at=now(), submitted_by=user_id, report=numbers, document=document)
        )  # fmt: skip
        await audit("report.submitted", "ward", ward_id, user_id, {"period": period.name, "version": version},
                    client_addr)  # fmt: skip
    return await submission(ward_id, period.name, version)


async def submission(ward_id: int, name: str, version: int | None = None) -> SubmissionOut:
    """The ward's report on the named period as submitted: the latest version (or the one given), its
    state and numbers (`not_submitted` and no numbers before any), with its due date and the late
    arrivals."""
    period = named_period(name)
    rows = await _rows(ward_id, period.name)
    due = due_on(period, period_kind(period.name), await _province_of_ward(ward_id))
    versions = [SubmissionVersionOut(**{**r, "submitted_by": r["submitted_by"] or "",
                                        "decided_by": r["decided_by"] or ""}) for r in rows]  # fmt: skip
    today = local_now().date()
    if not versions:
        return SubmissionOut(period=period.name, version=0, status="not_submitted", submitted_at=None,
                             submitted_by="", comment="", decided_at=None, decided_by="", due=due,
                             on_time=on_time(due, None, today), late_arrivals=0, report=None, versions=[])  # fmt: skip
    latest = next((v for v in versions if v.version == version), versions[0])
    stored = await (
        ReportSubmission.select(ReportSubmission.report)
        .where((ReportSubmission.ward == ward_id) & (ReportSubmission.period == period.name)
               & (ReportSubmission.version == latest.version))
        .first()
    )  # fmt: skip
    raw = (stored or {}).get("report") or "{}"
    return SubmissionOut(
        period=period.name, version=latest.version, status=latest.status, submitted_at=latest.submitted_at,
        submitted_by=latest.submitted_by, comment=latest.comment, decided_at=latest.decided_at,
        decided_by=latest.decided_by, due=due, on_time=on_time(due, versions[-1].submitted_at, today),
        late_arrivals=await late_arrivals(ward_id, period, latest.submitted_at),
        report=msgspec.json.decode(raw) if isinstance(raw, str | bytes) else raw, versions=versions,
    )  # fmt: skip


@dataclass(frozen=True)
class Panel:
    """What the ward's report page says of its submission: the state, whether the period has ended,
    and whether this reader may submit it now (its officers, once ended, unless accepted)."""

    state: SubmissionOut
    ended: bool
    can_submit: bool


async def submission_panel(ward_id: int, name: str, can_manage: bool) -> Panel | None:
    """The submission panel of the ward's report on the named period (None: not a named period)."""
    try:
        period = named_period(name)
    except InvalidInput:
        return None
    state = await submission(ward_id, period.name)
    ended = period.end <= now()
    return Panel(state, ended, can_manage and ended and state.status != "accepted")


async def submitted_document(ward_id: int, name: str, version: int) -> bytes | None:
    """The Word file of that version as it was submitted (None: no such version)."""
    row = await (
        ReportSubmission.select(ReportSubmission.document)
        .where((ReportSubmission.ward == ward_id) & (ReportSubmission.period == name)
               & (ReportSubmission.version == version))
        .first()
    )  # fmt: skip
    return bytes(row["document"]) if row else None


async def late_arrivals(ward_id: int, period: Period, since: datetime) -> int:
    """The visits made during the period (their `at`) that reached phocap after `since` (their
    `received_at`): made offline and sent after the report was submitted, so not in its numbers."""
    villages = [r["id"] for r in await Village.select(Village.id).where(Village.ward == ward_id)]
    if not villages:
        return 0
    return int(
        await Visit.count().where(
            Visit.village.is_in(villages) & (Visit.at >= period.start) & (Visit.at < period.end)
            & (Visit.received_at > since)
        )
    )  # fmt: skip


_NEXT = {
    # decision: (the states it applies to, the state it leaves, its audit action)
    "accept": (("submitted",), "accepted", "report.accepted"),
    "return": (("submitted",), "returned", "report.returned"),
    "reopen": (("accepted",), "submitted", "report.reopened"),
}


def check_decision(decision: DecisionIn) -> DecisionIn:
    """A return says why (its comment); InvalidInput naming the comment else."""
    if decision.decision == "return" and not decision.comment.strip():
        raise InvalidInput([FieldError("comment", "required_to_return")])
    return decision


async def province_ward(province_id: int, ward_code: str) -> int | None:
    """The id of the province's ward with this code (None: none such in this province)."""
    row = await Ward.select(Ward.id).where((Ward.code == ward_code) & (Ward.province == province_id)).first()
    return int(row["id"]) if row else None


async def decide(
    ward_id: int, name: str, decision: DecisionIn, user_id: int | None, client_addr: str = ""
) -> SubmissionOut:
    """The province's decision on the latest version of the ward's report: accept a submitted one
    (locked from then), return it with a comment, reopen an accepted one (unlocked: the ward may submit
    again). DecisionRefused when it does not fit the state."""
    decision = check_decision(decision)
    period = named_period(name)
    applies_to, leaves, action = _NEXT[decision.decision]
    async with write_transaction():
        await serialise_on(LOCK_REPORT_SUBMISSIONS, f"{ward_id}:{period.name}")
        latest = await (
            ReportSubmission.select(ReportSubmission.id, ReportSubmission.version, ReportSubmission.status)
            .where((ReportSubmission.ward == ward_id) & (ReportSubmission.period == period.name))
            .order_by(ReportSubmission.version, ascending=False)
            .first()
        )
        if latest is None or latest["status"] not in applies_to:
            raise DecisionRefused(latest["status"] if latest else "not_submitted")
        await ReportSubmission.update(
            {ReportSubmission.status: leaves, ReportSubmission.decided_at: now(),
             ReportSubmission.decided_by: user_id, ReportSubmission.comment: decision.comment.strip()}
        ).where(ReportSubmission.id == latest["id"])  # fmt: skip
        await audit(action, "ward", ward_id, user_id,
                    {"period": period.name, "version": latest["version"], "comment": bool(decision.comment)},
                    client_addr)  # fmt: skip
    return await submission(ward_id, period.name, int(latest["version"]))


@dataclass(frozen=True)
class ProvinceSubmissions:
    """Every ward of a province and its report on a period, with the counts the page heads with."""

    period: Period
    due: date
    wards: list[WardSubmissionOut]

    @property
    def submitted(self) -> int:
        """Wards whose report reached the province (submitted, accepted or returned)."""
        return sum(1 for w in self.wards if w.status != "not_submitted")

    @property
    def on_time(self) -> int:
        """Wards whose first version came by the due date."""
        return sum(1 for w in self.wards if w.on_time is True and w.status != "not_submitted")

    @property
    def late(self) -> list[WardSubmissionOut]:
        """Wards late: not submitted once the due date has passed, or submitted after it."""
        return [w for w in self.wards if w.on_time is False]

    def out(self) -> ProvinceSubmissionsOut:
        """As the API gives it."""
        return ProvinceSubmissionsOut(period=self.period.name, due=self.due, wards_total=len(self.wards),
                                      submitted=self.submitted, on_time=self.on_time, late=len(self.late),
                                      wards=self.wards)  # fmt: skip


async def province_submissions(province_id: int, name: str) -> ProvinceSubmissions:
    """Every ward of the province, in code order, with its report's state on the named period."""
    period = named_period(name)
    province = await Province.select().where(Province.id == province_id).first()
    due = due_on(period, period_kind(period.name), province)
    today = local_now().date()
    rows = await (
        ReportSubmission.select(ReportSubmission.ward, ReportSubmission.version, ReportSubmission.status,
                                ReportSubmission.submitted_at)
        .where((ReportSubmission.ward._.province == province_id) & (ReportSubmission.period == period.name))
        .order_by(ReportSubmission.version)
    )  # fmt: skip
    first: dict[int, datetime] = {}
    latest: dict[int, dict[str, Any]] = {}
    for row in rows:
        first.setdefault(int(row["ward"]), row["submitted_at"])
        latest[int(row["ward"])] = row
    wards = (
        await Ward.select(Ward.id, Ward.code, Ward.name)
        .where(Ward.province == province_id)
        .order_by(Ward.code)
    )
    lines = [
        WardSubmissionOut(
            code=w["code"], name=w["name"], status=latest[w["id"]]["status"] if w["id"] in latest else STATUSES[0],
            version=latest[w["id"]]["version"] if w["id"] in latest else 0,
            submitted_at=latest[w["id"]]["submitted_at"] if w["id"] in latest else None,
            due=due, on_time=on_time(due, first.get(w["id"]), today),
        )
        for w in wards
    ]  # fmt: skip
    return ProvinceSubmissions(period, due, lines)


async def states_by_province(name: str) -> dict[int, dict[str, int]]:
    """Each province's wards that sent a report on the named period, by its latest version's state (the
    national view's column): one read of that period's versions, never the reports themselves."""
    period = named_period(name)
    rows = await ReportSubmission.select(
        ReportSubmission.ward, ReportSubmission.ward._.province.as_alias("province"), ReportSubmission.version,
        ReportSubmission.status,
    ).where(ReportSubmission.period == period.name).order_by(ReportSubmission.version)  # fmt: skip
    latest = {int(r["ward"]): r for r in rows}
    states: dict[int, dict[str, int]] = {}
    for row in latest.values():
        counted = states.setdefault(int(row["province"]), dict.fromkeys(STATUSES[1:], 0))
        counted[row["status"]] += 1
    return states


# The province page's sorts: (key, how to read a ward's line for it).
SORTS: dict[str, Any] = {
    "name": lambda w: place_sort_key(w.name),
    "status": lambda w: STATUSES.index(w.status),
    "submitted_at": lambda w: (w.submitted_at is None, w.submitted_at or now()),
    "on_time": lambda w: {True: 0, None: 1, False: 2}[w.on_time],
}


def sorted_wards(wards: list[WardSubmissionOut], sort: str, descending: bool) -> list[WardSubmissionOut]:
    """The wards by one of `SORTS` (an unknown one: by name)."""
    return sorted(wards, key=SORTS.get(sort, SORTS["name"]), reverse=descending)


def reminder_periods(today: date) -> list[Period]:
    """The reports a ward is reminded of and a province shown late: the latest ended quarter and the
    quarter before it, and the year just ended (the plans ask "định kỳ hằng quý", and a year's report)."""
    latest = latest_ended_quarter(today)
    before = latest_ended_quarter(latest.first)
    return [latest, before, named_period(str(today.year - 1))]


async def ward_reminders(ward: dict[str, Any], today: date) -> tuple[Reminder | None, list[Reminder]]:
    """The ward's (its row's) next report by the province's due dates (the nearest not submitted and not
    yet due) and the reports past due and not submitted, for its weekly digest."""
    ward_id = int(ward["id"])
    province = await _province_of_ward(ward_id)
    submitted = {r["period"] for r in await ReportSubmission.select(ReportSubmission.period)
                 .where(ReportSubmission.ward == ward_id)}  # fmt: skip
    upcoming: list[Reminder] = []
    overdue: list[Reminder] = []
    for period in reminder_periods(today):
        if period.name in submitted:
            continue
        due = due_on(period, period_kind(period.name), province)
        item = Reminder(due=due, period=period.name, days_left=(due - today).days,
                        draft_path=f"/wards/{ward['code']}/reports?period={period.name}")  # fmt: skip
        (upcoming if due >= today else overdue).append(item)
    upcoming.sort(key=lambda r: r.due)
    return (upcoming[0] if upcoming else None), sorted(overdue, key=lambda r: r.due)


@dataclass(frozen=True)
class LateReport:
    """A report the province is waiting for: its period, due date and the wards late with it."""

    period: str
    due: date
    wards: list[WardSubmissionOut]


async def late_wards(province_id: int, today: date) -> list[LateReport]:
    """The reminder to the province: for each report past due (`reminder_periods`), the wards that have
    not submitted it."""
    found = []
    for period in reminder_periods(today):
        listed = await province_submissions(province_id, period.name)
        waiting = [w for w in listed.wards if w.status == "not_submitted" and w.on_time is False]
        if waiting:
            found.append(LateReport(period.name, listed.due, waiting))
    return found
