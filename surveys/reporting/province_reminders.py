"""The province's weekly reminder of the ward reports past due, by email.

The province's dashboard and its list of the wards' reports name the wards that have not submitted a
report past its due date (`surveys.reporting.submissions.late_wards`); an officer who does not open them
would not know. Once a week, from the day and hour the province set beside the reports' due days
(`province.reminder_weekday`, `reminder_hour`: Monday 07:00 unless changed; phocap's time zone), each
province with such reports gets one message for its officers who asked for it (their profile: an email
address and "email me the wards' reports past due"), stored as a digest of the province
(`Digest.province`, audience `province`) and sent from the same outbox as the wards' digests: retried
while the mail server is down, never twice (a unique index on province, week and audience decides
between two schedulers). A week with nothing past due sends nothing. It names wards and periods, never
a person or a household."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from surveys.core.clock import local_now, now, week_label, week_start
from surveys.core.i18n import N_
from surveys.core.settings import Settings
from surveys.reporting.digests import DigestContent, store_digest, stored_digest, week_time, written
from surveys.reporting.due_dates import REMINDER_COLUMNS
from surveys.reporting.province import ward_started
from surveys.reporting.submissions import LateReport, late_wards
from surveys.reporting.village_counts import province_counts
from surveys.tables import Province, User, Village

PROVINCE = "province"


def reminder_time(province: dict[str, Any], week: datetime) -> datetime:
    """When the province's reminder of the ISO week starting `week` (local Monday 00:00) is due."""
    return week_time(week, province["reminder_weekday"], province["reminder_hour"])


async def province_reminder(province_id: int, week: str, settings: Settings) -> DigestContent | None:
    """The reminder of the province for the ISO week `week`, as of now: each report past due and the
    wards that have not submitted it; None when there is none."""
    late = await late_wards(province_id, local_now().date())
    if not late:
        return None
    province = await Province.select(Province.code, Province.name).where(Province.id == province_id).first()
    if province is None:
        raise LookupError(province_id)
    root = settings.base_url.rstrip("/")
    started = await _started_wards(province_id)
    # Each report's wards that use phocap by name; those not started (no household in it) as a number.
    reports = [
        {"period": item.period, "due": item.due, "wards": item.wards,
         "started": [w for w in item.wards if w.code in started],
         "not_started": sum(1 for w in item.wards if w.code not in started)}
        for item in late
    ]  # fmt: skip
    context = {"province": province, "week": week, "late": reports, "base": f"{root}/provinces/{province['code']}",
               "profile": f"{root}/profile", "date": local_now().strftime("%d/%m/%Y")}  # fmt: skip
    figures = {
        "week": week,
        "as_of": now().isoformat(),
        "audience": PROVINCE,
        "late": [_late_figures(item) for item in late],
    }
    subject = N_("Bình dân học vụ số: %(province)s, ward reports past due, %(week)s")
    names = {"province": province["name"], "week": week}
    return written(subject, names, ("province_reminder", "province_summary"), context, figures)


def _late_figures(item: LateReport) -> dict[str, Any]:
    return {"period": item.period, "due": item.due.isoformat(), "wards": [w.code for w in item.wards]}


async def province_recipients(province_id: int) -> list[str]:
    """The addresses of the province's officers who asked for the reminder."""
    rows = await User.select(User.email).where(
        (User.province == province_id) & (User.role == "province_officer") & User.active.eq(True)
        & User.wants_digest.eq(True) & (User.email != "")
    ).order_by(User.email)  # fmt: skip
    return [str(r["email"]) for r in rows]


async def due_province_reminders(settings: Settings, at: datetime | None = None) -> list[int]:
    """Make this week's reminder of every province with reports past due, once its time has come and
    unless it exists; returns the ids made. Safe to run any number of times, from any number of
    processes."""
    at = at or now()
    this_week = week_start(at)
    week = week_label(this_week)
    made = []
    for province in await _provinces_in_use():
        province_id = int(province["id"])
        if at < reminder_time(province, this_week) or await _reminder_id(province_id, week) is not None:
            continue
        content = await province_reminder(province_id, week, settings)
        if content is None:
            continue
        made_id = await store_digest(
            content, await province_recipients(province_id), week, PROVINCE, province=province_id
        )
        if made_id is not None:
            made.append(made_id)
    return made


async def _reminder_id(province_id: int, week: str) -> int | None:
    return await stored_digest(week, PROVINCE, province=province_id)


async def _started_wards(province_id: int) -> set[str]:
    """The codes of the province's wards that use phocap (`ward_started`, from its villages' counts, as
    the province's dashboard says "not started")."""
    counts = await province_counts(province_id)
    households: dict[str, int] = defaultdict(int)
    for village in await Village.select(Village.id, Village.ward._.code.as_alias("code")).where(
        Village.ward._.province == province_id
    ):
        households[str(village["code"])] += counts.get(int(village["id"]), {}).get("households", 0)
    return {code for code, number in households.items() if ward_started(number)}


async def _provinces_in_use() -> list[dict[str, Any]]:
    """The provinces with a ward that runs the campaign (one with villages), with when their reminder
    goes out."""
    rows = await Village.select(Village.ward._.province.as_alias("province")).distinct()
    ids = sorted({int(r["province"]) for r in rows if r["province"] is not None})
    if not ids:
        return []
    columns = (getattr(Province, c) for c in REMINDER_COLUMNS)
    return await Province.select(Province.id, *columns).where(Province.id.is_in(ids)).order_by(Province.id)
