"""A province's numbers: each ward's line is its ward report's total, the province total is the sum of
its wards, and nothing of another province gets in (docs/design.md §6), on generated data."""

from __future__ import annotations

import random
import uuid
from datetime import timedelta

import pytest

from surveys.core.clock import now, recent_weeks
from surveys.people.accounts import actor_by_id
from surveys.register.households import household_by_token
from surveys.reporting.province import _activity, _live_activity, province_report, shown_lines, sorted_lines
from surveys.reporting.reports import INDICATORS, Indicators, ward_report, ward_trend
from surveys.reporting.schemas import TargetsUpdate
from surveys.reporting.targets import save_targets
from surveys.reporting.village_counts import rebuild
from surveys.survey.visits import parse_visit, record_visit
from surveys.tables import Household, Member, Province, Visit, Ward
from tests.factories import make_household, make_user, make_village, make_ward, person

VNEID = ("not_installed", "installed", "level1", "level2", "unknown")


async def _generated_ward(rng: random.Random, code: str, name: str, province: str, households: int) -> int:
    ward = await make_ward(code, name, province)
    for v in range(rng.randint(1, 3)):
        village = await make_village(ward, f"{v + 1:02d}", f"Thôn {v + 1}")
        for h in range(households):
            members = [
                person(
                    f"Người {code}-{v}-{h}-{m}",
                    rng.randint(1940, 2020),
                    vneid=rng.choice(VNEID),
                    bank_account=rng.choice(("yes", "no", "unknown")),
                    skill_learned=rng.random() < 0.7,
                    skill_understands=rng.random() < 0.7,
                    skill_uses_services=rng.random() < 0.7,
                    skill_guides_others=rng.random() < 0.7,
                    skills_confirmed=rng.random() < 0.3,
                )
                for m in range(rng.randint(1, 5))
            ]
            await make_household(village, f"{code}-{v}-{h:03d}", members)
    return ward


async def _visit_some(rng: random.Random, volunteer_id: int, share: float) -> None:
    """Complete visits at a share of the households: members' answers change, some get informed."""
    actor = await actor_by_id(volunteer_id)
    assert actor is not None
    # In a fixed order: the seeded choice of households is then the same on every run and database.
    for row in await Household.select(Household.token).order_by(Household.id):
        if rng.random() > share:
            continue
        household = await household_by_token(row["token"])
        assert household is not None
        members = await Member.select().where(Member.household == household.id)
        visit = parse_visit({
            "client_id": str(uuid.uuid4()), "outcome": "done", "household_version": household.version,
            "household": {"consent": True, "informed": rng.random() < 0.8},
            "members": [
                {"id": m["id"], "full_name": m["full_name"], "birth_year": m["birth_year"], "is_head": m["is_head"],
                 "vneid": rng.choice(VNEID), "bank_account": rng.choice(("yes", "no")),
                 "skill_learned": True, "skill_understands": rng.random() < 0.8, "skill_uses_services": True,
                 "skill_guides_others": rng.random() < 0.6, "skills_confirmed": rng.random() < 0.5}
                for m in members
            ],
        })  # fmt: skip
        await record_visit(household, visit, actor)


async def _two_provinces() -> dict[str, int]:
    rng = random.Random(13)
    wards = {
        "01849": await _generated_ward(rng, "01849", "Xã Phong Quang", "19", 6),
        "01852": await _generated_ward(rng, "01852", "Xã Đồng Hỷ", "19", 4),
        "01855": await _generated_ward(rng, "01855", "Phường Phan Đình Phùng", "19", 5),
        "01858": await make_ward("01858", "Xã Chưa Dùng", "19"),  # no households: not started
        "00004": await _generated_ward(rng, "00004", "Phường Ba Đình", "01", 5),
        "00008": await _generated_ward(rng, "00008", "Phường Ngọc Hà", "01", 3),
    }
    # One ward keeps its own thresholds: adults from 18, VNeID level 2 only, a bank account required.
    await Ward.update(
        {Ward.identity_age: 18, Ward.identity_min_level: 2, Ward.identity_requires_bank: True}
    ).where(Ward.id == wards["01855"])
    await Household.update({Household.created_at: now() - timedelta(weeks=5)}).where(Household.id > 0)
    volunteer = await make_user("volunteer-gen", "admin")
    await _visit_some(rng, volunteer, 0.6)
    return wards


async def _province(code: str) -> int:
    row = await Province.select(Province.id).where(Province.code == code).first()
    assert row is not None
    return int(row["id"])


async def test_each_ward_line_is_its_ward_report_and_the_total_their_sum(database_url: str) -> None:
    wards = await _two_provinces()
    report = await province_report(await _province("19"))
    assert [w.code for w in report.wards] == ["01849", "01852", "01855", "01858"]
    for line in report.wards:
        assert line.indicators == (await ward_report(wards[line.code])).total, line.code
        trend = await ward_trend(wards[line.code])
        assert [round(trend[-1].indicators.percent(i) - trend[-2].indicators.percent(i), 1)
                for i in INDICATORS] == [line.change[i] for i in INDICATORS]  # fmt: skip
    assert report.total == Indicators.sum([w.indicators for w in report.wards])
    assert report.total.households == sum(w.indicators.households for w in report.wards) > 0
    # The trend's last point is the sum of the wards' trends, and the visits of this week show in it.
    last = Indicators.sum([(await ward_trend(wards[c]))[-1].indicators for c in ("01849", "01852", "01855")])
    assert report.trend[-1].indicators == last
    assert report.trend[-2].indicators.visited == 0 < report.trend[-1].indicators.visited
    assert sum(w.visits_this_week for w in report.wards) == report.trend[-1].indicators.visited


async def test_another_provinces_wards_never_count(database_url: str) -> None:
    wards = await _two_provinces()
    hanoi = await province_report(await _province("01"))
    assert [w.code for w in hanoi.wards] == ["00004", "00008"]
    assert hanoi.total == Indicators.sum([(await ward_report(wards[c])).total for c in ("00004", "00008")])
    thai_nguyen = await province_report(await _province("19"))
    everything = await Household.count()
    assert hanoi.total.households + thai_nguyen.total.households == everything


async def test_a_ward_without_households_is_not_started_not_behind(database_url: str) -> None:
    wards = await _two_provinces()
    report = await province_report(await _province("19"))
    empty = next(w for w in report.wards if w.code == "01858")
    assert not empty.started and not empty.behind and empty.met("vneid") is None
    assert empty.last_activity is None and empty.visits_this_week == 0
    started = [w for w in report.wards if w.started]
    assert len(started) == 3 and all(w.last_activity is not None for w in started)
    assert [w.code for w in shown_lines(report.wards, "not_started")] == ["01858"]
    assert "01858" not in [w.code for w in shown_lines(report.wards, "behind")]
    # A ward whose targets are all 0% is behind nothing; the others (100% by default) are behind.
    await save_targets(
        wards["01852"],
        report.year,
        TargetsUpdate(**dict.fromkeys(TargetsUpdate.__struct_fields__, 0)),
        await make_user("officer", "ward_officer", ward_id=wards["01852"]),
    )
    report = await province_report(await _province("19"))
    assert [w.code for w in shown_lines(report.wards, "behind")] == ["01849", "01855"]


async def test_wards_sort_by_any_column_with_not_started_last(database_url: str) -> None:
    await _two_provinces()
    report = await province_report(await _province("19"))
    by_households = sorted_lines(report.wards, "households", descending=True)
    counts = [w.indicators.households for w in by_households if w.started]
    assert counts == sorted(counts, reverse=True) and by_households[-1].code == "01858"
    by_vneid = sorted_lines(report.wards, "vneid")
    percents = [w.indicators.percent("vneid") for w in by_vneid if w.started]
    assert percents == sorted(percents) and by_vneid[-1].code == "01858"
    # By name in Vietnamese order: đ after d, before e (not after z as in code points).
    assert [w.name for w in sorted_lines(report.wards, "name")] == [
        "Phường Phan Đình Phùng", "Xã Đồng Hỷ", "Xã Phong Quang", "Xã Chưa Dùng",
    ]  # fmt: skip


async def test_the_weeks_activity_read_through_the_indexes_equals_the_activity_counted_over_everything(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    wards = await _two_provinces()
    # A quiet ward: its visits three weeks old, its register changed ten weeks ago (its last activity is a
    # visit from before this week); a ward whose visits this week are older than its register changes;
    # a started ward never visited.
    quiet = [
        h["id"]
        for h in await Household.select(Household.id).where(Household.village._.ward == wards["01852"])
    ]
    await Visit.update({Visit.at: now() - timedelta(weeks=3)}).where(Visit.household.is_in(quiet))
    await Household.update({Household.updated_at: now() - timedelta(weeks=10)}).where(
        Household.id.is_in(quiet)
    )
    await Household.update({Household.updated_at: now() + timedelta(minutes=5)}).where(
        Household.village._.ward == wards["01849"]
    )
    never = await make_ward("01861", "Xã Chưa Thăm", "19")
    await make_household(
        await make_village(never, "01", "Thôn 1"), "never-1", [person("Người Chưa Thăm", 1980)]
    )
    # The visits' times were written behind the writers' back, as an import of old visits does.
    await rebuild()
    since = recent_weeks(1)[0]
    for code in ("19", "01"):
        province = await _province(code)
        assert await _activity(province, since) == await _live_activity(province, since)
    stored = await province_report(await _province("19"))
    monkeypatch.setattr("surveys.reporting.province.counts_read", lambda: False)
    live = await province_report(await _province("19"))
    lines = {w.code: (w.visits_this_week, w.last_activity) for w in stored.wards}
    assert lines == {w.code: (w.visits_this_week, w.last_activity) for w in live.wards}
    assert lines["01852"][0] == 0 and lines["01852"][1] is not None
    assert lines["01852"][1] < since < lines["01849"][1]  # type: ignore[operator]
    assert lines["01861"][0] == 0 and lines["01861"][1] is not None and lines["01858"] == (0, None)
    assert lines["01849"][0] > 0 and lines["01855"][0] > 0
