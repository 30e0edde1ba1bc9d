"""Weekly digests: what goes into one, and when one is due.

A digest is made for a ward (or a village head's villages) and an ISO week, stored, then sent from the
outbox (`surveys.reporting.outbox`). It carries counts and links that need sign-in, never names, addresses or
household codes (docs/architecture.md §6). It is written in Vietnamese: it goes to the ward office.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec
from jinja2 import Environment, FileSystemLoader, select_autoescape

from surveys.core.clock import local_now, now, week_label, week_start
from surveys.core.db import write_transaction
from surveys.core.i18n import N_, gettext, ngettext, use_locale
from surveys.core.messages import INDICATOR_NAMES
from surveys.core.messages import REASONS as REASONS_NAMES
from surveys.core.replicas import replica_reads
from surveys.core.settings import Settings
from surveys.core.wording import percent, points, week_name
from surveys.reporting.reminders import reminder
from surveys.reporting.reports import INDICATORS, Indicators, VillageLine, WardReport, ward_report, ward_rules
from surveys.reporting.submissions import ward_reminders
from surveys.reporting.village_counts import ward_reasons
from surveys.survey.criteria import REASONS
from surveys.tables import Digest, User, UserVillage, Village, Visit

TEMPLATES = Path(__file__).resolve().parent / "email"
WARD = "ward"
# Weeks looked back for digests that were never made (the scheduler was down all week): each one is
# recorded as skipped, so a gap is never silent.
LOOKBACK_WEEKS = 4


def audience_of(user_id: int) -> str:
    """The audience key of a village head's own digest."""
    return f"user-{user_id}"


@dataclass(frozen=True)
class DigestContent:
    """A digest ready to store: subject, bodies, a short summary, the figures behind them."""

    subject: str
    text_body: str
    html_body: str
    summary: str
    figures: dict[str, Any]


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_callables(gettext, ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.trim_blocks = env.lstrip_blocks = True
    env.filters.update(percent=percent, points=points, week=week_name)
    return env


# The email templates (surveys/reporting/email), rendered in Vietnamese: the ward's digests and the
# province's reminders (surveys.reporting.province_reminders).
EMAILS = _environment()


def _previous_week(week: str) -> str:
    year, number = week.split("-W")
    monday = datetime.fromisocalendar(int(year), int(number), 1)
    return week_label(monday - timedelta(weeks=1))


def _figures(
    report: WardReport, villages: list[VillageLine], reasons: dict[int, dict[str, int]]
) -> dict[str, Any]:
    def indicators(counts: Indicators) -> dict[str, Any]:
        return {
            i: {
                "count": getattr(counts, i),
                "of": counts.denominator(i),
                "percent": counts.percent(i),
                "target": report.targets.for_indicator(i),
            }
            for i in INDICATORS
        }

    total = Indicators.sum([v.indicators for v in villages])
    lines = []
    for v in villages:
        counts = reasons.get(v.id, {})
        lines.append({
            "id": v.id, "code": v.code, "name": v.name, "households": v.indicators.households,
            "uncovered": counts.get("uncovered", 0),
            "reasons": {r: counts.get(r, 0) for r in REASONS if counts.get(r, 0)},
            "indicators": indicators(v.indicators),
        })  # fmt: skip
    return {
        "households": total.households,
        "uncovered": sum(line["uncovered"] for line in lines),
        "indicators": indicators(total),
        "villages": lines,
    }


async def _visits_last_week(village_ids: list[int], week: str) -> dict[str, int]:
    """Visits in the ISO week before `week` (the week the digest looks back on)."""
    year, number = _previous_week(week).split("-W")
    start = week_start(datetime.fromisocalendar(int(year), int(number), 1).replace(tzinfo=local_now().tzinfo))
    end = start + timedelta(weeks=1)
    if not village_ids:
        return {"visits": 0, "done": 0, "volunteers": 0}
    visits = await Visit.select(Visit.outcome, Visit.volunteer).where(
        Visit.household._.village.is_in(village_ids) & (Visit.at >= start) & (Visit.at < end)
    )
    return {
        "visits": len(visits),
        "done": sum(1 for v in visits if v["outcome"] == "done"),
        "volunteers": len({v["volunteer"] for v in visits}),
    }


@replica_reads
async def build_digest(ward_id: int, week: str, audience: str, settings: Settings) -> DigestContent:
    """The digest of a ward (or of a village head's villages) for an ISO week, as of now."""
    rules, ward = await ward_rules(ward_id)
    report = await ward_report(ward_id)
    villages = report.villages
    if audience != WARD:
        user_id = int(audience.removeprefix("user-"))
        mine = {
            r["village"]
            for r in await UserVillage.select(UserVillage.village).where(UserVillage.user == user_id)
        }
        villages = [v for v in villages if v.id in mine]
    figures = _figures(report, villages, await ward_reasons(ward_id, rules))
    figures.update(week=week, looks_back_on=_previous_week(week), as_of=now().isoformat(), audience=audience)
    figures["activity"] = await _visits_last_week([v.id for v in villages], week)
    previous = await Digest.select(Digest.figures).where(
        (Digest.ward == ward_id) & (Digest.week == _previous_week(week)) & (Digest.audience == audience)
        & (Digest.status != "skipped")
    ).first()  # fmt: skip
    before = msgspec.json.decode(previous["figures"]) if previous and previous["figures"] else None
    base = settings.base_url.rstrip("/")
    # The ward office's next periodic report (not in a village head's own digest): the date the office set,
    # else the province's due date of the next report not submitted; and the reports past due.
    scheduled, overdue = await ward_reminders(ward, local_now().date()) if audience == WARD else (None, [])
    context = {
        "ward": ward,
        "week": week,
        "f": figures,
        "before": before,
        "names": INDICATOR_NAMES,
        "reasons": REASONS_NAMES,
        "base": base,
        "dashboard": f"{base}/wards/{ward['code']}",
        "top": sorted((v for v in figures["villages"] if v["uncovered"]), key=lambda v: -v["uncovered"])[:5],
        "scope": audience,
        "date": local_now().strftime("%d/%m/%Y"),
        "reminder": (reminder(ward, local_now().date()) or scheduled) if audience == WARD else None,
        "overdue": overdue,
    }
    subject = N_("Bình dân học vụ số: %(ward)s, %(week)s")
    return written(subject, {"ward": ward["name"], "week": week}, ("digest", "summary"), context, figures)


def written(
    subject: str,
    names: dict[str, Any],
    templates: tuple[str, str],
    context: dict[str, Any],
    figures: dict[str, Any],
) -> DigestContent:
    """A message in Vietnamese: its `subject` (a message id, `names` put in it, `week` as words), its text
    and HTML bodies (`templates[0]` .txt and .html) and its one-line summary (`templates[1]`.txt)."""
    body, summary = templates
    with use_locale("vi"):
        return DigestContent(
            subject=gettext(subject) % {**names, "week": week_name(names["week"])},
            text_body=EMAILS.get_template(f"{body}.txt").render(context),
            html_body=EMAILS.get_template(f"{body}.html").render(context),
            summary=EMAILS.get_template(f"{summary}.txt").render(context).strip(),
            figures=figures,
        )


def ward_recipients(ward: dict[str, Any]) -> list[str]:
    """The ward office's digest addresses (one per line or comma-separated)."""
    raw = str(ward.get("digest_emails") or "").replace(",", "\n").replace(";", "\n")
    return [a.strip() for a in raw.splitlines() if a.strip()]


def scheduled_time(ward: dict[str, Any], week: datetime) -> datetime:
    """When the ward's digest of the ISO week starting `week` (local Monday 00:00) is due."""
    return week_time(week, ward.get("digest_weekday") or 1, ward.get("digest_hour") or 0)


def week_time(week: datetime, weekday: int, hour: int) -> datetime:
    """The moment of the ISO week starting `week` (local Monday 00:00) on ISO `weekday` (1 = Monday) at
    `hour`, each kept within its range."""
    return week + timedelta(days=min(7, max(1, int(weekday))) - 1, hours=min(23, max(0, int(hour))))


async def make_digest(ward_id: int, week: str, audience: str, settings: Settings) -> tuple[int, bool]:
    """Store the digest of (ward, week, audience) unless it exists; returns its id and whether this
    call made it. The unique index on the three decides between two schedulers racing."""
    existing = await _digest_id(ward_id, week, audience)
    if existing is not None:
        return existing, False
    content = await build_digest(ward_id, week, audience, settings)
    made = await store_digest(content, await _recipients(ward_id, audience), week, audience, ward=ward_id)
    if made is not None:
        return made, True
    # Another scheduler stored it first.
    existing = await _digest_id(ward_id, week, audience)
    if existing is None:
        raise LookupError((ward_id, week, audience))  # stored, then deleted at once: not for us to make
    return existing, False


async def store_digest(
    content: DigestContent,
    recipients: list[str],
    week: str,
    audience: str,
    *,
    ward: int | None = None,
    province: int | None = None,
) -> int | None:
    """Store a digest to send (of a ward, or of a province: `surveys.reporting.province_reminders`) and
    return its id; None when another scheduler stored the same one first (its unique index refused
    ours). With no recipient it is kept, marked so, and never sent."""
    try:
        async with write_transaction():
            inserted = await Digest.insert(
                Digest(
                    ward=ward,
                    province=province,
                    week=week,
                    audience=audience,
                    recipients="\n".join(recipients),
                    subject=content.subject,
                    text_body=content.text_body,
                    html_body=content.html_body,
                    summary=content.summary,
                    figures=msgspec.json.encode(content.figures).decode(),
                    status="pending" if recipients else "no_recipients",
                    queued_at=now(),
                    next_attempt_at=now(),
                )
            )
    except Exception:
        if await stored_digest(week, audience, ward=ward, province=province) is None:
            raise  # not refused for being there already
        return None
    return int(inserted[0]["id"])


async def stored_digest(
    week: str, audience: str, *, ward: int | None = None, province: int | None = None
) -> int | None:
    """The id of the digest of `ward` (or of `province`), week and audience, if stored."""
    owner = Digest.ward == ward if ward is not None else Digest.province == province
    row = (
        await Digest.select(Digest.id)
        .where(owner & (Digest.week == week) & (Digest.audience == audience))
        .first()
    )
    return int(row["id"]) if row else None


async def _digest_id(ward_id: int, week: str, audience: str) -> int | None:
    return await stored_digest(week, audience, ward=ward_id)


async def _recipients(ward_id: int, audience: str) -> list[str]:
    if audience == WARD:
        _, ward = await ward_rules(ward_id)
        return ward_recipients(ward)
    user = (
        await User.select(User.email, User.active, User.wants_digest)
        .where(User.id == int(audience.removeprefix("user-")))
        .first()
    )
    return [user["email"]] if user and user["active"] and user["wants_digest"] and user["email"] else []


async def due_digests(settings: Settings, at: datetime | None = None) -> list[int]:
    """Make every digest whose time has come and that does not exist yet: this week's once its day and
    hour have passed, and a skipped record for any earlier week that was missed. Returns the ids made.
    Safe to run any number of times, from any number of processes."""
    at = at or now()
    made = []
    for ward in await _active_wards():
        this_week = week_start(at)
        first = (
            await Digest.select(Digest.week).where(Digest.ward == ward["id"]).order_by(Digest.week).first()
        )
        for weeks_back in range(LOOKBACK_WEEKS, 0, -1):
            start = this_week - timedelta(weeks=weeks_back)
            if (
                first
                and week_label(start) > first["week"]
                and await _digest_id(ward["id"], week_label(start), WARD) is None
            ):
                skipped = await _record_skipped(ward["id"], week_label(start))
                if skipped is not None:
                    made.append(skipped)
        if at < scheduled_time(ward, this_week):
            continue
        week = week_label(this_week)
        digest_id, created = await make_digest(ward["id"], week, WARD, settings)
        if created:
            made.append(digest_id)
        for head in await _heads_wanting_digest(ward["id"]):
            digest_id, created = await make_digest(ward["id"], week, audience_of(head), settings)
            if created:
                made.append(digest_id)
    return made


async def _record_skipped(ward_id: int, week: str) -> int | None:
    """Record the week as missed; None when another scheduler recorded it (or its digest) first."""
    with use_locale("vi"):
        note = gettext("No digest was made this week: the scheduler was not running.")
    try:
        async with write_transaction():
            inserted = await Digest.insert(
                Digest(
                    ward=ward_id,
                    week=week,
                    audience=WARD,
                    subject=note,
                    text_body=note,
                    html_body="",
                    summary=note,
                    status="skipped",
                    last_error=note,
                )
            )
    except Exception:
        # Two schedulers (or two web processes with the embedded one) at once: the unique index on
        # (ward, week, audience) refused the second; that one has nothing to do.
        if await _digest_id(ward_id, week, WARD) is None:
            raise
        return None
    return int(inserted[0]["id"])


async def _active_wards() -> list[dict[str, Any]]:
    """Wards that run the campaign: those with villages."""
    from surveys.tables import Ward

    ids = {r["ward"] for r in await Village.select(Village.ward)}
    if not ids:
        return []
    return list(await Ward.select().where(Ward.id.is_in(list(ids))))


async def _heads_wanting_digest(ward_id: int) -> list[int]:
    rows = await User.select(User.id).where(
        (User.ward == ward_id) & (User.role == "village_head") & User.active.eq(True) & User.wants_digest.eq(True)
        & (User.email != "")
    )  # fmt: skip
    return [int(r["id"]) for r in rows]
