"""The demo commune: realistic, complete, and loaded only once."""

from __future__ import annotations

from surveys.demo import DEMO_PASSWORD, load_demo
from surveys.people.accounts import check_credentials
from surveys.tables import Household, Member, User, Village, Visit


async def test_demo_loads_phong_quang_with_accounts_and_visits_once(database_url: str) -> None:
    assert await load_demo() is True
    counts = (await Village.count(), await Household.count(), await Member.count(), await Visit.count())
    assert counts[0] == 6
    assert 250 <= counts[1] <= 350
    assert counts[2] > 2 * counts[1]
    assert counts[3] > 30
    for login in ("volunteer1", "volunteer2", "head1", "ward", "admin"):
        assert await check_credentials(login, DEMO_PASSWORD) is not None
    assert await load_demo() is False
    assert (
        await Village.count(),
        await Household.count(),
        await Member.count(),
        await Visit.count(),
    ) == counts
    assert await User.count() == 5
    ages = {m["birth_year"] for m in await Member.select(Member.birth_year)}
    assert min(ages) < 1950 and max(ages) > 2012  # elders and children alike
