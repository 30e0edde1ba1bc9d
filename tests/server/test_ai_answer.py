"""The plans' new member answer, "uses at least one AI tool", recorded through the visit form and
kept in the visit's counts for the periodic report."""

from __future__ import annotations

from typing import Any

from litestar.testing import AsyncTestClient

from surveys.tables import Member, Visit
from tests.conftest import sign_in
from tests.factories import World
from tests.server.helpers import soup
from tests.server.test_household_pages import record_visit_through_the_form, visit_form_values


async def test_volunteer_records_that_a_member_uses_an_ai_tool(
    client: AsyncTestClient[Any], world: World
) -> None:
    await sign_in(client, "volunteer1")
    token = world.households["an"]
    form = visit_form_values(await client.get(f"/h/{token}/visit"))
    # Asked of every member, "unknown" until someone answers.
    assert form["m-0-uses_ai"] == "unknown"
    response = await record_visit_through_the_form(
        client, token, {"outcome": "done", "consent": "on", "m-0-uses_ai": "yes", "m-1-uses_ai": "no"}
    )
    assert response.status_code == 200
    answers = {m["full_name"]: m["uses_ai"] for m in await Member.select(Member.full_name, Member.uses_ai)}
    assert (answers["Nguyễn Văn An"], answers["Trần Thị Bình"], answers["Nguyễn Minh Khôi"]) == (
        "yes",
        "no",
        "unknown",
    )
    visit = await Visit.select(Visit.adults, Visit.adults_ai).first()
    assert visit == {"adults": 2, "adults_ai": 1}
    again = soup(await client.get(f"/h/{token}/visit"))
    checked = again.find("input", attrs={"name": "m-0-uses_ai", "checked": True})
    assert checked is not None and checked["value"] == "yes"


async def test_an_answer_that_is_not_yes_no_or_unknown_is_named(
    client: AsyncTestClient[Any], world: World
) -> None:
    await sign_in(client, "volunteer1")
    token = world.households["an"]
    response = await record_visit_through_the_form(
        client, token, {"outcome": "done", "consent": "on", "m-0-uses_ai": "maybe"}
    )
    assert response.status_code == 422
    assert await Visit.count() == 0
    assert soup(response).select_one("fieldset.invalid input[name='m-0-uses_ai']") is not None
