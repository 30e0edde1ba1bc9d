"""The visit form at the gate, server side: the last visit's answers filled in, "no change" per member,
a child's card that asks nothing, and an error summary that names and links every wrong field."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from bs4 import BeautifulSoup, Tag
from litestar.testing import AsyncTestClient

from surveys.tables import Household, Member
from tests.conftest import sign_in
from tests.factories import ADULT_1, ADULT_2, CHILD, ELDER, World, household_of_four
from tests.server.helpers import soup
from tests.server.test_household_pages import record_visit_through_the_form, visit_form_values

FIRST_VISIT = {
    "outcome": "done", "consent": "on", "informed": "on",
    # The head: a digital core member with VNeID level 2.
    "m-0-vneid": "level2", "m-0-bank_account": "yes", "m-0-smartphone": "yes", "m-0-answer_source": "seen",
    "m-0-skill_learned": "on", "m-0-skill_understands": "on", "m-0-skill_uses_services": "on",
    "m-0-skill_guides_others": "on",
    # The elder (listed after the head, then by birth year) and the other adult: no VNeID yet.
    "m-1-vneid": "not_installed", "m-1-bank_account": "no",
    "m-2-vneid": "installed", "m-2-bank_account": "yes", "m-2-skill_learned": "on",
}  # fmt: skip


async def visited_household(client: AsyncTestClient[Any], world: World) -> str:
    """A household of 4 in the volunteer's village after a first visit through the form."""
    token = await household_of_four(world.villages["v1"], "PQ-01-0100")
    await sign_in(client, "volunteer1")
    response = await record_visit_through_the_form(client, token, FIRST_VISIT)
    assert response.status_code == 200
    return token


def card(page: BeautifulSoup, name: str) -> Tag:
    """The member card naming `name`."""
    found = [c for c in page.select("fieldset.member-card") if c.legend and name in c.legend.text]
    assert len(found) == 1, name
    return found[0]


async def vneid_of(name: str) -> str:
    row = await Member.select(Member.vneid).where(Member.full_name == name).first()
    assert row is not None
    return str(row["vneid"])


async def test_a_repeat_visit_opens_with_the_last_visits_answers_and_consent_date(
    client: AsyncTestClient[Any], world: World
) -> None:
    token = await visited_household(client, world)
    response = await client.get(f"/h/{token}/visit")
    values = visit_form_values(response)
    assert values["consent"] == "on" and values["informed"] == "on"
    assert (values["m-0-vneid"], values["m-0-bank_account"], values["m-0-skill_guides_others"]) == (
        "level2",
        "yes",
        "on",
    )
    assert (values["m-2-vneid"], values["m-2-skill_learned"]) == ("installed", "on")
    assert "outcome" not in values  # the outcome is today's, chosen each time
    consent_at = (await Household.select(Household.consent_at).where(Household.token == token).first() or {})[
        "consent_at"
    ]
    date = consent_at.astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).strftime("%d/%m/%Y")
    consent = soup(response).select_one(".consent")
    assert consent is not None and consent.p is not None
    assert consent.p.text.strip() == f"Hộ đã đồng ý ngày {date}."


async def test_cards_open_on_what_a_member_still_lacks(client: AsyncTestClient[Any], world: World) -> None:
    token = await visited_household(client, world)
    page = soup(await client.get(f"/h/{token}/visit"))
    opened = {
        name: card(page, name).select_one("details.answers").has_attr("open")  # type: ignore[union-attr]
        for name in (ADULT_1, ELDER, ADULT_2)
    }
    assert opened == {ADULT_1: False, ELDER: True, ADULT_2: True}
    elder = card(page, ELDER)
    assert [li.text.strip() for li in elder.select(".chips li.todo")] == [
        "VNeID: Chưa cài đặt",
        "Tài khoản ngân hàng số: Không",
        "Kỹ năng số: 0/4",
    ]
    assert elder.select_one(".lack") is not None
    assert card(page, ADULT_1).select(".chips li.todo") == []


async def test_no_change_keeps_a_members_answers_whatever_the_fields_hold(
    client: AsyncTestClient[Any], world: World
) -> None:
    token = await visited_household(client, world)
    changes = {
        "outcome": "done",
        "m-0-unchanged": "on",
        "m-0-vneid": "not_installed",  # a slip of the thumb on a card marked "no change"
        "m-2-vneid": "level2",  # the other adult has just activated VNeID
    }
    response = await record_visit_through_the_form(client, token, changes)
    assert response.status_code == 200
    assert await vneid_of(ADULT_1) == "level2"
    assert await vneid_of(ADULT_2) == "level2"


async def test_a_childs_card_asks_nothing_and_keeps_what_was_recorded(
    client: AsyncTestClient[Any], world: World
) -> None:
    token = await visited_household(client, world)
    await Member.update({Member.smartphone: "yes"}).where(Member.full_name == CHILD)
    page = soup(await client.get(f"/h/{token}/visit"))
    child = card(page, CHILD)
    asked = {
        str(i["name"]).split("-", 2)[2] for i in child.select("input, select") if i.get("type") != "hidden"
    }
    assert asked == {"full_name", "birth_year", "sex", "is_head", "removed"}  # the register entry only
    assert child.select_one(".chips") is None
    assert "Dưới 16 tuổi" in child.text
    response = await record_visit_through_the_form(client, token, {"outcome": "done"})
    assert response.status_code == 200
    row = await Member.select(Member.smartphone).where(Member.full_name == CHILD).first()
    assert row is not None and row["smartphone"] == "yes"


async def test_the_error_summary_names_and_links_every_wrong_field(
    client: AsyncTestClient[Any], world: World
) -> None:
    token = await household_of_four(world.villages["v1"], "PQ-01-0100")
    await sign_in(client, "volunteer1")
    response = await record_visit_through_the_form(
        client, token, {"outcome": "done", "m-4-full_name": "Hoàng Văn Mười", "m-4-birth_year": "19x5"}
    )
    assert response.status_code == 422
    page = soup(response)
    summary = page.find(id="error-summary")
    assert summary is not None and summary.get("role") == "alert"
    links = [(a["href"], a.text.strip()) for a in summary.select("a")]
    assert links == [
        ("#consent", "Sự đồng ý: Cần có sự đồng ý của hộ gia đình trước khi ghi thông tin."),
        ("#m-4-birth_year", "Hoàng Văn Mười · Năm sinh: Hãy nhập năm sinh bằng 4 chữ số, ví dụ 1985."),
    ]
    for href, _ in links:
        field = page.find(id=href.removeprefix("#"))
        assert field is not None and field.get("aria-invalid") == "true"
        message = page.find(id=field["aria-describedby"])
        assert message is not None and "field-error" in message["class"]


async def test_an_unknown_outcome_links_to_the_outcome_choices(
    client: AsyncTestClient[Any], world: World
) -> None:
    await sign_in(client, "volunteer1")
    response = await record_visit_through_the_form(client, world.households["an"], {"outcome": "maybe"})
    assert response.status_code == 422
    page = soup(response)
    link = page.select_one("#error-summary a")
    assert link is not None and link["href"] == "#outcome-done"
    assert all(r.get("aria-invalid") == "true" for r in page.select("input[name=outcome]"))
    assert page.find(id="outcome-done") is not None
    assert [m.text for m in page.select(".field-error")] == ["Hãy chọn kết quả của lượt thăm."]


async def test_a_member_who_left_is_said_in_the_villagers_words(
    client: AsyncTestClient[Any], world: World
) -> None:
    token = await household_of_four(world.villages["v1"], "PQ-01-0100")
    await sign_in(client, "volunteer1")
    page = soup(await client.get(f"/h/{token}/visit"))
    box = card(page, ELDER).find("input", attrs={"name": "m-1-removed"})
    assert box is not None and box.parent is not None
    assert box.parent.get_text(strip=True) == "Đã chuyển đi / không còn ở hộ"
