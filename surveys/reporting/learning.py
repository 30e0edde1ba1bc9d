"""The ward's figures on classes and help (issue 14 item 6): classes held per month against the plans'
"at least one a month", attendees by audience and priority group, people helped by kind, and the learners
able to use at least one AI tool (Xã Phong Quang's "60% of learners", whose denominator is the learners)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import msgspec

from surveys.core.clock import local_date, local_now, now
from surveys.learning.classes import month_bounds
from surveys.learning.digital_team import mentoring_gaps, ward_digital_team
from surveys.reporting.periods import Period
from surveys.tables import Attendance, ClassSession, Help

# How many months back the dashboard shows classes held.
MONTHS = 6


@dataclass(frozen=True)
class LearningFigures:
    """The figures of one ward, this year (months: the last MONTHS, oldest first)."""

    months: list[tuple[str, int]]
    months_without_class: int
    attendees: int
    walk_ins: int
    by_audience: dict[str, int]
    learners: int
    learners_60_plus: int
    learners_poor: int
    learners_elderly_alone: int
    learners_ai: int
    helped_by_kind: dict[str, int]
    people_helped: int
    team_members: int
    team_trained: int
    ambassadors: int
    ambassadors_with_enough: int

    def percent_ai(self) -> float | None:
        """Learners able to use at least one AI tool, in percent of the learners (None: no learner)."""
        return 100 * self.learners_ai / self.learners if self.learners else None

    def percent_trained(self) -> float | None:
        """Team members who attended a team training, in percent of the team (None: no team)."""
        return 100 * self.team_trained / self.team_members if self.team_members else None


def _period_months(period: Period) -> list[tuple[int, int]]:
    first = period.first.year * 12 + period.first.month - 1
    last = period.last.year * 12 + period.last.month - 1
    return [((i // 12), i % 12 + 1) for i in range(first, last + 1)]


def _months(count: int) -> list[tuple[int, int]]:
    today = local_now()
    index = today.year * 12 + today.month - 1
    return [((i // 12), i % 12 + 1) for i in range(index - count + 1, index + 1)]


def _decoded(value: Any) -> list[str]:
    return msgspec.json.decode(value) if isinstance(value, str) else list(value or [])


async def learning_figures(ward_id: int, period: Period | None = None) -> LearningFigures:
    """The ward's class and help figures: attendance and help of this calendar year, classes held in
    each of the last MONTHS months; or, for a periodic report, attendance, help and classes held in each
    month of `period` (the team and its mentors as they stood at its end)."""
    months = _period_months(period) if period else _months(MONTHS)
    year_start = period.start if period else datetime(local_now().year, 1, 1, tzinfo=local_now().tzinfo)
    until = min(period.end, now()) if period else now()
    first = year_start if period else min(month_bounds(*months[0])[0], year_start)
    held = await ClassSession.select(ClassSession.starts_at).where(
        (ClassSession.ward == ward_id) & (ClassSession.starts_at >= first) & (ClassSession.starts_at < until)
    )
    per_month = {f"{y:04d}-{m:02d}": 0 for y, m in months}
    for r in held:
        day = local_date(r["starts_at"])
        key = f"{day.year:04d}-{day.month:02d}" if day else ""
        if key in per_month:
            per_month[key] += 1
    rows = await Attendance.select(
        Attendance.member,
        Attendance.can_use,
        Attendance.session._.audience.as_alias("audience"),
        Attendance.member._.birth_year.as_alias("birth_year"),
        Attendance.member._.uses_ai.as_alias("uses_ai"),
        Attendance.member._.household._.priority_poor.as_alias("poor"),
        Attendance.member._.household._.priority_elderly_alone.as_alias("alone"),
    ).where(
        (Attendance.session._.ward == ward_id) & (Attendance.session._.starts_at >= year_start)
        & (Attendance.session._.starts_at < until)
    )  # fmt: skip
    by_audience: dict[str, int] = {}
    learners: dict[int, dict[str, Any]] = {}
    for r in rows:
        by_audience[r["audience"]] = by_audience.get(r["audience"], 0) + 1
        if r["member"] is not None:
            learner = learners.setdefault(r["member"], {**r, "ai": False})
            learner["ai"] = learner["ai"] or "ai" in _decoded(r["can_use"]) or r["uses_ai"] == "yes"
    sixty = local_now().year - 60
    helped = await Help.select(Help.member, Help.kind).where(
        (Help.member._.household._.village._.ward == ward_id) & (Help.at >= year_start) & (Help.at < until)
    )
    # A period's team and mentors as they stood at its end (or now, for one not yet over).
    as_of = until if period else None
    team = await ward_digital_team(ward_id, as_of=as_of)
    gaps = await mentoring_gaps(ward_id, as_of)
    by_kind: dict[str, set[int]] = {}
    for h in helped:
        by_kind.setdefault(h["kind"], set()).add(h["member"])
    return LearningFigures(
        months=list(per_month.items()),
        months_without_class=sum(1 for _, n in per_month.items() if n == 0),
        attendees=len(rows),
        walk_ins=sum(1 for r in rows if r["member"] is None),
        by_audience=by_audience,
        learners=len(learners),
        learners_60_plus=sum(1 for v in learners.values() if v["birth_year"] <= sixty),
        learners_poor=sum(1 for v in learners.values() if v["poor"]),
        learners_elderly_alone=sum(1 for v in learners.values() if v["alone"]),
        learners_ai=sum(1 for v in learners.values() if v["ai"]),
        helped_by_kind={k: len(v) for k, v in by_kind.items()},
        people_helped=len({h["member"] for h in helped}),
        team_members=len(team),
        team_trained=sum(1 for m in team if m["trainings"]),
        ambassadors=gaps["ambassadors"],
        ambassadors_with_enough=gaps["with_enough"],
    )
