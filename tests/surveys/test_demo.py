"""The demo commune: realistic, complete, and loaded only once."""

from __future__ import annotations

from surveys.demo import CAMPAIGN_WEEKS, DEMO_PASSWORD, load_demo
from surveys.people.accounts import check_credentials
from surveys.tables import Household, Member, User, Village, Visit


async def test_demo_loads_phong_quang_with_accounts_and_visits_once(database_url: str) -> None:
    assert await load_demo() is True
    counts = (await Village.count(), await Household.count(), await Member.count(), await Visit.count())
    assert counts[0] == 6 + 3  # Phong Quang's six villages, Ba Bể's three
    assert 300 <= counts[1] <= 400
    assert counts[2] > 2 * counts[1]
    assert counts[3] > 30
    for login in ("volunteer1", "volunteer2", "head1", "ward", "volunteer3", "province", "national", "admin"):
        assert await check_credentials(login, DEMO_PASSWORD) is not None
    assert await load_demo() is False
    assert (
        await Village.count(),
        await Household.count(),
        await Member.count(),
        await Visit.count(),
    ) == counts
    assert await User.count() == 8
    ages = {m["birth_year"] for m in await Member.select(Member.birth_year)}
    assert min(ages) < 1950 and max(ages) > 2012  # elders and children alike


async def test_the_demo_province_shows_two_wards_at_work(demo: None) -> None:
    from surveys.register.places import province_id
    from surveys.reporting.province import province_report
    from surveys.tables import Province

    officer = await User.select(User.province, User.ward).where(User.login == "province").first()
    thai_nguyen = await province_id("19")
    assert officer == {"province": thai_nguyen, "ward": None}
    assert await Province.count() == 34
    assert thai_nguyen is not None
    report = await province_report(thai_nguyen)
    started = {w.code: w for w in report.wards if w.started}
    assert set(started) == {"01849", "01906"}
    assert started["01906"].indicators.households == 75 and started["01906"].indicators.visited > 0
    assert len(report.wards) > 50  # the province's other communes: listed, not started


async def test_the_demo_has_classes_a_team_in_every_village_and_two_mentors(demo: None) -> None:
    from surveys.learning.digital_team import mentoring_gaps
    from surveys.register.places import ward_id
    from surveys.tables import Attendance, ClassSession, TeamMember, Village

    ward = await ward_id("01849")
    assert ward is not None
    assert await ClassSession.count().where(ClassSession.ward == ward) == 7
    assert await Attendance.count() > 20
    villages = await Village.count().where(Village.ward == ward)
    assert await TeamMember.count().where(TeamMember.role == "team_leader") == villages
    gaps = await mentoring_gaps(ward)
    assert gaps["ambassadors"] == 2 and gaps["with_enough"] == 1


async def test_the_demos_members_were_registered_with_their_households(demo: None) -> None:
    # The demo backdates its households to before the campaign; members made "now" were missing from
    # every past day: a periodic report of the last quarter counted no adult in an unvisited household.
    from datetime import timedelta

    from surveys.core.clock import now
    from surveys.register.places import ward_id
    from surveys.reporting.history import standing_at
    from surveys.reporting.reports import ward_rules

    households = {
        r["id"]: r["created_at"] for r in await Household.select(Household.id, Household.created_at)
    }
    members = await Member.select(Member.household, Member.created_at)
    assert all(m["created_at"] <= households[m["household"]] for m in members)
    ward = await ward_id("01849")
    assert ward is not None
    # Before the first visit (the demo's visits go back a year, its register two weeks more), every
    # adult comes from the register: each household's head at least.
    rules, _ = await ward_rules(ward)
    before = await standing_at(ward, now() - timedelta(weeks=CAMPAIGN_WEEKS + 1), rules)
    assert sum(s.visited for s in before.values()) == 0
    assert sum(s.adults for s in before.values()) >= sum(s.households for s in before.values()) > 0


async def test_the_demos_last_ended_quarter_has_visits_classes_and_the_team_of_then(demo: None) -> None:
    """The report page opens on the last ended quarter: the demo's year of visits gives it numbers, and
    its team is the team as it stood at the quarter's end (members joined over the year), not today's."""
    from datetime import timedelta

    from surveys.core.clock import local_date, now
    from surveys.register.places import ward_id
    from surveys.reporting.periodic import ward_period_report
    from surveys.reporting.periods import latest_ended_quarter
    from surveys.tables import TeamMember

    ward = await ward_id("01849")
    today = local_date(now())
    assert ward is not None and today is not None
    quarter = latest_ended_quarter(today)
    report = await ward_period_report(ward, quarter)
    assert report.total.activity.visits > 0 and report.total.end.visited > report.total.start.visited > 0
    assert report.learning is not None and sum(n for _, n in report.learning.months) >= 1
    joined = await TeamMember.count().where(TeamMember.created_at < quarter.end)
    assert 0 < report.learning.team_members == joined
    # The team joined over the past year (not all on the day the demo was loaded).
    dates = [r["created_at"] for r in await TeamMember.select(TeamMember.created_at)]
    assert min(dates) <= now() - timedelta(days=200) and max(dates) <= now() - timedelta(days=19)
