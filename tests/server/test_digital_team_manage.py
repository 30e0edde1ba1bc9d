"""Keeping the community digital team on its pages: editing and deactivating a member, unpairing a
mentor's learner, and a village head keeping only the team of their own villages."""

from __future__ import annotations

from typing import Any

from litestar.testing import AsyncTestClient

from surveys.learning.digital_team import pairs
from surveys.tables import AuditEntry, Mentorship, TeamMember
from tests.conftest import sign_in
from tests.factories import World
from tests.server.helpers import field_errors, form_values, soup

TEAM = "/wards/01849/digital-team"


async def _team_member(
    world: World, name: str = "Lò Văn Sáng", village: str | None = "v1", **more: Any
) -> int:
    row = TeamMember(ward=world.wards["pq"], name=name, role="ambassador",
                     village=world.villages[village] if village else None, **more)  # fmt: skip
    return int((await TeamMember.insert(row))[0]["id"])


async def _member_id(name: str) -> int:
    from surveys.tables import Member

    row = await Member.select(Member.id).where(Member.full_name == name).first()
    assert row is not None
    return int(row["id"])


async def _edit_form(client: AsyncTestClient[Any], team_id: int) -> dict[str, str]:
    form = soup(await client.get(f"{TEAM}/{team_id}")).find("form", action=f"{TEAM}/{team_id}")
    assert form is not None
    return form_values(form)


async def test_the_ward_office_edits_a_team_member_from_their_page(
    client: AsyncTestClient[Any], world: World
) -> None:
    team_id = await _team_member(world)
    await sign_in(client, "ward")
    data = await _edit_form(client, team_id)
    assert data["name"] == "Lò Văn Sáng" and data["version"] == "1"
    data.update(name=" Lò  Văn Sáng ", phone="0912 345 678", role="team_leader",
                village=str(world.villages["v2"]), user=str(world.users["volunteer1"]))  # fmt: skip
    response = await client.post(f"{TEAM}/{team_id}", data=data, follow_redirects=False)
    assert response.status_code == 303
    row = await TeamMember.select().where(TeamMember.id == team_id).first()
    assert row is not None
    assert (row["name"], row["phone"], row["role"], row["village"], row["user"], row["version"]) == (
        "Lò Văn Sáng", "0912 345 678", "team_leader", world.villages["v2"], world.users["volunteer1"], 2,
    )  # fmt: skip
    assert await AuditEntry.count().where(AuditEntry.action == "team.member_updated") == 1


async def test_a_bad_edit_says_each_field_in_vietnamese_and_saves_nothing(
    client: AsyncTestClient[Any], world: World
) -> None:
    team_id = await _team_member(world)
    await sign_in(client, "ward")
    data = await _edit_form(client, team_id)
    data.update(name="  ", phone="gọi bà Lan", village=str(world.villages["v4"]))  # v4: the neighbour ward's
    response = await client.post(f"{TEAM}/{team_id}", data=data)
    assert response.status_code == 422
    assert field_errors(soup(response)) == [
        "Hãy nhập tên.",
        "Hãy nhập số điện thoại: số 0 và 9 hoặc 10 chữ số (hoặc +84 thay cho số 0); có thể có dấu cách và dấu chấm.",
        "Hãy chọn một thôn bạn phụ trách.",
    ]
    assert soup(response).find("input", attrs={"name": "phone"})["value"] == "gọi bà Lan"  # kept as typed
    row = await TeamMember.select(TeamMember.name, TeamMember.version).where(TeamMember.id == team_id).first()
    assert row == {"name": "Lò Văn Sáng", "version": 1}


async def test_a_stale_edit_is_a_conflict_not_an_overwrite(
    client: AsyncTestClient[Any], world: World
) -> None:
    team_id = await _team_member(world)
    await sign_in(client, "ward")
    data = await _edit_form(client, team_id)
    await TeamMember.update({TeamMember.name: "Lò Văn Sáng (tổ trưởng)", TeamMember.version: 2}).where(
        TeamMember.id == team_id
    )
    response = await client.post(f"{TEAM}/{team_id}", data={**data, "phone": "0912345678"})
    assert response.status_code == 409
    assert "Có người đã sửa thành viên này" in soup(response).select_one(".error").text
    row = await TeamMember.select(TeamMember.name, TeamMember.phone).where(TeamMember.id == team_id).first()
    assert row == {"name": "Lò Văn Sáng (tổ trưởng)", "phone": ""}
    again = form_values(soup(response).find("form", action=f"{TEAM}/{team_id}"))
    assert again["version"] == "2" and again["phone"] == "0912345678"


async def test_a_member_who_left_stays_in_history_but_leaves_pickers_and_counts(
    client: AsyncTestClient[Any], world: World
) -> None:
    from surveys.learning.digital_team import mentoring_gaps

    team_id = await _team_member(world)
    anh = await _member_id("Đặng Thị Ánh")
    await Mentorship.insert(Mentorship(mentor=team_id, learner=anh))
    csrf = await sign_in(client, "ward")
    assert (await mentoring_gaps(world.wards["pq"]))["ambassadors"] == 1
    left = await client.post(f"{TEAM}/{team_id}/active", data={"_csrf_token": csrf, "active": "false"},
                             follow_redirects=False)  # fmt: skip
    assert left.status_code == 303
    gaps = await mentoring_gaps(world.wards["pq"])
    assert gaps["ambassadors"] == 0 and gaps["priority_without_mentor"] == 1  # Ánh (60+) is free again
    team = soup(await client.get(TEAM))
    assert team.select_one("table.numbers").find("a", string="Lò Văn Sáng") is None
    assert "Đã rời tổ" in team.text and team.find("a", href=f"{TEAM}/{team_id}") is not None
    picker = soup(await client.get("/wards/01849/classes/new"))
    assert picker.find("input", attrs={"name": "trainer_ids", "value": str(team_id)}) is None
    refused = await client.post(f"{TEAM}/{team_id}/learners", data={"_csrf_token": csrf, "learner": str(anh)})
    # Sáng's pair with Ánh ended when Sáng left; it is kept, dated, for the reports of the periods before.
    assert refused.status_code == 422 and await Mentorship.count().where(pairs()) == 0
    ended = await Mentorship.select(Mentorship.learner, Mentorship.ended_at).where(
        Mentorship.mentor == team_id
    )
    assert [r["learner"] for r in ended] == [anh] and ended[0]["ended_at"] is not None
    back = await client.post(f"{TEAM}/{team_id}/active", data={"_csrf_token": csrf, "active": "true"},
                             follow_redirects=False)  # fmt: skip
    assert back.status_code == 303 and (await mentoring_gaps(world.wards["pq"]))["ambassadors"] == 1


async def test_a_mentor_page_unassigns_a_learner(client: AsyncTestClient[Any], world: World) -> None:
    team_id = await _team_member(world)
    anh = await _member_id("Đặng Thị Ánh")
    await Mentorship.insert(Mentorship(mentor=team_id, learner=anh))
    await sign_in(client, "ward")
    form = soup(await client.get(f"{TEAM}/{team_id}")).find(
        "form", action=f"{TEAM}/{team_id}/learners/{anh}/remove"
    )
    assert form is not None
    response = await client.post(str(form["action"]), data=form_values(form), follow_redirects=False)
    assert response.status_code == 303 and await Mentorship.count().where(pairs()) == 0
    assert await Mentorship.count().where(Mentorship.ended_at.is_not_null()) == 1  # ended, kept
    assert "Đặng Thị Ánh" not in soup(await client.get(f"{TEAM}/{team_id}")).text
    assert await AuditEntry.count().where(AuditEntry.action == "team.learner_unassigned") == 1


async def test_a_mentor_cannot_be_their_own_learner_nor_a_learner_twice(
    client: AsyncTestClient[Any], world: World
) -> None:
    an = await _member_id("Nguyễn Văn An")
    team_id = await _team_member(world, member=an)
    csrf = await sign_in(client, "ward")
    own = await client.post(f"{TEAM}/{team_id}/learners", data={"_csrf_token": csrf, "learner": str(an)})
    assert (
        own.status_code == 422
        and "không thể là người học của chính mình" in soup(own).select_one(".error").text
    )
    binh = await _member_id("Trần Thị Bình")
    first = await client.post(f"{TEAM}/{team_id}/learners", data={"_csrf_token": csrf, "learner": str(binh)},
                              follow_redirects=False)  # fmt: skip
    twice = await client.post(f"{TEAM}/{team_id}/learners", data={"_csrf_token": csrf, "learner": str(binh)})
    assert (first.status_code, twice.status_code) == (303, 422)
    assert await Mentorship.count() == 1


async def test_a_village_head_keeps_the_team_of_their_village_only(
    client: AsyncTestClient[Any], world: World
) -> None:
    ours = await _team_member(world, "Hoàng Thị Hoa", "v1")
    theirs = await _team_member(world, "Ma Văn Lực", "v3")
    ward_level = await _team_member(world, "Nông Văn Tú", None)
    csrf = await sign_in(client, "head1")
    add = soup(await client.get(TEAM)).find("form", action=TEAM)
    assert add is not None
    choices = [o["value"] for o in add.select("select[name=village] option")]
    assert choices == [str(world.villages["v1"])]  # their village only: not the ward's, not v2 or v3
    made = await client.post(TEAM, data={"_csrf_token": csrf, "name": "Lò Thị Nga",
                                         "village": str(world.villages["v1"])}, follow_redirects=False)  # fmt: skip
    assert made.status_code == 303
    other_village = await client.post(TEAM, data={"_csrf_token": csrf, "name": "Lò Thị Nga",
                                                  "village": str(world.villages["v3"])})  # fmt: skip
    assert other_village.status_code == 403
    data = await _edit_form(client, ours)
    assert (await client.post(f"{TEAM}/{ours}", data=data, follow_redirects=False)).status_code == 303
    moved = await client.post(
        f"{TEAM}/{ours}", data={**data, "version": "2", "village": str(world.villages["v3"])}
    )
    assert moved.status_code == 403
    for team_id in (theirs, ward_level):
        assert soup(await client.get(f"{TEAM}/{team_id}")).find("form", action=f"{TEAM}/{team_id}") is None
        for action in ("", "/active", "/learners"):
            response = await client.post(f"{TEAM}/{team_id}{action}", data={"_csrf_token": csrf, "name": "X"})
            assert response.status_code == 403, action
    hung = await _member_id("Ma Văn Hùng")  # of v3
    refused = await client.post(f"{TEAM}/{ours}/learners", data={"_csrf_token": csrf, "learner": str(hung)})
    assert refused.status_code == 403
    assert await TeamMember.count() == 4 and await Mentorship.count() == 0
    rows = await TeamMember.select(TeamMember.name, TeamMember.active).where(
        TeamMember.id.is_in([theirs, ward_level])
    )
    assert all(r["active"] for r in rows)


async def test_a_volunteer_sees_a_mentors_learners_of_their_villages_and_only_a_count_of_others(
    client: AsyncTestClient[Any], world: World
) -> None:
    mentor = await _team_member(world, "Hoàng Thị Hoa", "v3")
    for name in ("Đặng Thị Ánh", "Ma Văn Hùng"):  # of v1 (volunteer1's) and of v3 (not theirs)
        await Mentorship.insert(Mentorship(mentor=mentor, learner=await _member_id(name)))
    await sign_in(client, "volunteer1")
    page = soup(await client.get(f"{TEAM}/{mentor}"))
    learners = page.select("ul.list > li")
    assert [li.strong.text for li in learners if li.strong] == ["Đặng Thị Ánh"]
    assert "PQ-01-0002" in learners[0].text
    elsewhere = page.select_one("li.learners-elsewhere")
    assert elsewhere is not None and elsewhere.text.strip() == "và 1 người ở thôn khác"
    text = page.text
    assert "Ma Văn Hùng" not in text and "PQ-03-" not in text and "1980" not in text
    assert "(2 / 5)" in page.h2.find_next("h2").text  # the count is the mentor's whole
    await sign_in(client, "ward")
    names = [
        li.strong.text
        for li in soup(await client.get(f"{TEAM}/{mentor}")).select("ul.list > li")
        if li.strong
    ]
    assert set(names) == {"Đặng Thị Ánh", "Ma Văn Hùng"}  # the office sees every learner
