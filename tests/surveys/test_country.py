"""The national view (docs/design.md §6): every province of the official list, each
line its province dashboard's total and the week's change, the country the sum of its provinces; a
province with no households is not started; targets weighted by what each ward counts; the generator of
villages without households that the national benchmark reads."""

from __future__ import annotations

from datetime import timedelta

import pytest

from surveys.core.clock import local_now, this_year
from surveys.generate import generate_villages
from surveys.register.admin_units import import_units
from surveys.reporting.country import (
    country_out,
    country_report,
    shown_provinces,
    sorted_provinces,
    ward_counts_on,
)
from surveys.reporting.periods import latest_ended_quarter, named_period
from surveys.reporting.province import province_report
from surveys.reporting.reports import Indicators
from surveys.reporting.schemas import TargetsUpdate
from surveys.reporting.submission_schemas import DecisionIn
from surveys.reporting.submissions import decide, submit_report
from surveys.reporting.targets import save_province_targets, save_targets
from surveys.reporting.village_counts import rebuild, stored_trend
from surveys.tables import Province, Village, VillageCount, Ward
from tests.factories import make_household, make_user, make_village, make_ward, person
from tests.surveys.test_province import _two_provinces


async def test_each_province_is_its_dashboards_total_and_the_country_their_sum(database_url: str) -> None:
    await _two_provinces()
    await import_units()  # the official list: 34 provinces, most without households
    report = await country_report()
    assert len(report.provinces) == 34 == await Province.count()
    assert [p.code for p in report.provinces] == sorted(p.code for p in report.provinces)
    for line in report.provinces:
        dashboard = await province_report(line.id)
        assert line.indicators == dashboard.total, line.code
        assert line.change == dashboard.total_change, line.code
        assert (line.wards, line.wards_started, line.wards_behind) == (
            len(dashboard.wards), dashboard.started, dashboard.behind
        ), line.code  # fmt: skip
    assert report.total == Indicators.sum([p.indicators for p in report.provinces])
    assert {p.code for p in report.provinces if p.started} == {"01", "19"}
    assert report.started == 2 and report.total.visited > 0
    # The visits were made this week: the country gained what they covered since last week's end.
    assert report.total_change["visited"] == report.total.percent("visited") > 0


async def test_a_province_without_households_is_not_started_and_listed_apart(database_url: str) -> None:
    await _two_provinces()
    await import_units()
    report = await country_report()
    idle = [p for p in report.provinces if not p.started]
    assert len(idle) == 32
    assert all(not p.behind and p.met("vneid") is None and p.wards_started == 0 for p in idle)
    assert [p.code for p in shown_provinces(report.provinces, "not_started")] == [p.code for p in idle]
    ordered = sorted_provinces(report.provinces, "households", descending=True)
    assert [p.code for p in ordered[:2]] == sorted(
        ("01", "19"), key=lambda c: -next(p for p in report.provinces if p.code == c).indicators.households
    )
    assert [p.code for p in ordered[2:]] == [p.code for p in idle]  # not started last, by code
    out = country_out(report)
    hanoi = next(p for p in out.provinces if p.province_code == "01")
    assert hanoi.dashboard == "/provinces/01" and hanoi.report_submissions["not_submitted"] == hanoi.wards
    for p in out.provinces:
        if not p.started:
            assert all(
                i.percent is None and i.change is None and i.met is None for i in p.indicators.values()
            )
    assert out.total.provinces == 34 and out.total.provinces_started == 2


async def test_a_provinces_target_is_its_wards_own_weighted_by_what_each_counts(database_url: str) -> None:
    # Two wards of one province: three households in one (target 100%), one in the other (target 40%).
    big, small = await make_ward("01849", "Xã Lớn", "19"), await make_ward("01852", "Xã Nhỏ", "19")
    for ward, households in ((big, 3), (small, 1)):
        village = await make_village(ward, "01", "Thôn 1")
        for n in range(households):
            await make_household(village, f"{ward}-{n}", [person(f"Người {ward} {n}", 1980)])
    officer = await make_user("officer", "ward_officer", ward_id=small)
    targets = dict.fromkeys(TargetsUpdate.__struct_fields__, 100) | {"digital_family": 40, "identity": 0}
    await save_targets(small, this_year(), TargetsUpdate(**targets), officer)
    line = (await country_report()).provinces[0]
    # (100 × 3 + 40 × 1) / 4 households; identity over citizens 16+, one a household: (100 × 3 + 0 × 1) / 4.
    assert line.targets["digital_family"] == 85.0
    assert line.targets["vneid"] == 75.0
    assert line.targets["visited"] is None  # no target: a measure of the work, not a goal
    assert line.met("digital_family") is False and line.behind


async def test_a_province_without_targets_of_its_wards_gives_its_own_defaults(database_url: str) -> None:
    """A ward with no targets of its own inherits its province's defaults (docs/design.md §6), here too."""
    ward = await make_ward("01849", "Xã Lớn", "19")
    village = await make_village(ward, "01", "Thôn 1")
    await make_household(village, "H-1", [person("Người 1", 1980)])
    officer = await make_user("officer", "province_officer", province_id=await _province_id("19"))
    defaults = dict.fromkeys(TargetsUpdate.__struct_fields__, 100) | {"digital_family": 70}
    await save_province_targets(await _province_id("19"), this_year(), TargetsUpdate(**defaults), officer)
    line = (await country_report()).provinces[0]
    assert line.targets["digital_family"] == 70.0


async def test_each_province_counts_its_wards_reports_on_the_latest_ended_quarter(database_url: str) -> None:
    wards = await _two_provinces()
    await import_units()
    quarter = latest_ended_quarter(local_now().date()).name
    officer = await make_user("officer", "admin")
    await submit_report(wards["01849"], quarter, officer)
    await submit_report(wards["01852"], quarter, officer)
    await decide(wards["01852"], quarter, DecisionIn(decision="accept"), officer)
    await submit_report(wards["00004"], quarter, officer)
    await decide(
        wards["00004"], quarter, DecisionIn(decision="return", comment="Thiếu số liệu lớp học"), officer
    )
    # A report on another quarter is not this one's.
    earlier = latest_ended_quarter(named_period(quarter).first).name
    await submit_report(wards["01855"], earlier, officer)
    report = await country_report()
    assert report.period == quarter
    lines = {p.code: p for p in report.provinces}
    thai_nguyen = await Ward.count().where(Ward.province._.code == "19")
    assert lines["19"].submissions == {
        "not_submitted": thai_nguyen - 2, "submitted": 1, "accepted": 1, "returned": 0,
    }  # fmt: skip
    assert lines["01"].reported == 1 and lines["01"].submissions["returned"] == 1
    assert lines["04"].reported == 0 and lines["04"].submissions["not_submitted"] == lines["04"].wards
    out = {p.province_code: p for p in country_out(report).provinces}
    assert out["19"].report_submissions == lines["19"].submissions
    assert country_out(report).report_period == quarter


async def test_the_ward_counts_follow_the_daily_counts_rule_on_any_day(database_url: str) -> None:
    made = await generate_villages(68, days=5)
    assert made.villages == 68 and made.counts == 68 * 5 and made.provinces == 34
    today = local_now().date()
    days = [today, today - timedelta(days=6), today - timedelta(days=17), today - timedelta(days=200)]
    mine = await ward_counts_on(days)
    theirs = await stored_trend("id IS NOT NULL", [], days, by="ward")
    assert set(mine) == set(theirs)
    for ward, points in theirs.items():
        assert mine[ward] == [Indicators.from_row(p) for p in points], ward
    assert all(p[3] == Indicators() for p in mine.values())  # before any row: nothing
    assert len({p[0] for p in mine.values()}) > 1  # villages of different sizes


async def test_generated_villages_reach_every_province_and_read_as_their_dashboards(
    database_url: str,
) -> None:
    await generate_villages(68, days=3)
    per_province = await Village.raw(
        "SELECT w.province AS province, COUNT(*) AS n FROM village v JOIN ward w ON w.id = v.ward GROUP BY w.province"
    )
    assert len(per_province) == 34 and {int(r["n"]) for r in per_province} == {2}
    report = await country_report()
    assert report.started == 34
    for line in report.provinces:
        assert line.indicators == (await province_report(line.id)).total, line.code
    assert 68 * 150 <= report.total.households <= 68 * 500
    with pytest.raises(ValueError, match="empty database"):
        await generate_villages(10)


async def test_the_national_view_reads_the_daily_counts_never_the_households(database_url: str) -> None:
    await _two_provinces()
    await rebuild()  # the fixture changed a ward's rules behind the writers' back: counted again
    before = (await country_report()).provinces
    await VillageCount.delete().where(VillageCount.id > 0)
    assert (await country_report()).total == Indicators()  # the households are all still there
    await rebuild()
    after = (await country_report()).provinces
    assert [(p.code, p.indicators, p.change) for p in after] == [
        (p.code, p.indicators, p.change) for p in before
    ]
    assert sum(p.indicators.households for p in after) > 0


async def test_a_village_last_counted_in_an_earlier_year_is_counted_live_as_its_dashboard_does(
    database_url: str,
) -> None:
    await generate_villages(34, days=2)
    village = await Village.select(Village.id, Village.ward._.province.as_alias("province")).first()
    assert village is not None
    before = next(p for p in (await country_report()).provinces if p.id == village["province"])
    # Its rows say last year: members may have reached the identity age since; no household stands
    # behind the generated counts, so counted live it has none.
    await VillageCount.update({VillageCount.year: this_year() - 1}).where(
        VillageCount.village == village["id"]
    )
    after = next(p for p in (await country_report()).provinces if p.id == village["province"])
    assert after.indicators == (await province_report(village["province"])).total
    assert after.indicators.households == 0 < before.indicators.households


async def _province_id(code: str) -> int:
    row = await Province.select(Province.id).where(Province.code == code).first()
    assert row is not None
    return int(row["id"])
