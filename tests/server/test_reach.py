"""The dashboards give the doors visited (any attempt) and the surveys completed as two figures (issue
26 item 6): a door where nobody was home was visited, not surveyed."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from surveys.tables import Province
from tests.conftest import sign_in
from tests.factories import World, make_user
from tests.server.helpers import soup
from tests.server.test_household_pages import record_visit_through_the_form


def reach(page: Any) -> str:
    found = page.select_one("p.reach")
    assert found is not None
    return str(found.text.strip())


@pytest.mark.parametrize("counts", [True, False], ids=["daily counts", "counted live"])
async def test_the_dashboards_tell_doors_visited_from_surveys_completed(
    client: AsyncTestClient[Any], world: World, counts: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not counts:
        for module in ("reports", "province"):
            monkeypatch.setattr(f"surveys.reporting.{module}.counts_read", lambda: False)
    await sign_in(client, "volunteer1")
    # An's door: nobody home, then declined; Đặng's: surveyed. Hùng's (village 3): nobody went.
    for outcome in ("nobody_home", "declined"):
        await record_visit_through_the_form(client, world.households["an"], {"outcome": outcome})
    await record_visit_through_the_form(
        client, world.households["dang"], {"outcome": "done", "consent": "on"}
    )
    await sign_in(client, "ward")
    assert reach(soup(await client.get("/wards/01849"))) == (
        "Đã đến (mọi lượt thăm, kể cả không gặp, từ chối, hẹn lại): 2/3 hộ; đã khảo sát xong: 1 hộ."
    )
    province = await Province.select(Province.id).where(Province.code == "19").first()
    assert province is not None
    await make_user("province", "province_officer", province_id=province["id"])
    await sign_in(client, "province")
    # The province: Phong Quang's three households and Đồng Hỷ's one, never visited.
    assert reach(soup(await client.get("/provinces/19"))) == (
        "Đã đến (mọi lượt thăm, kể cả không gặp, từ chối, hẹn lại): 2/4 hộ; đã khảo sát xong: 1 hộ."
    )
