"""The community digital team and its mentors through the JSON API, with the conventions of classes:
`client_id` idempotency, 409 with the current record on a stale version, 422 naming each bad field, 403
for a village head outside their villages."""

from __future__ import annotations

import uuid
from typing import Any

from litestar.testing import AsyncTestClient

from surveys.learning.digital_team import pairs
from surveys.tables import Member, Mentorship, TeamMember
from tests.conftest import api_token
from tests.factories import World

TEAM = "/api/wards/01849/digital-team"


async def _member_id(name: str) -> int:
    row = await Member.select(Member.id).where(Member.full_name == name).first()
    assert row is not None
    return int(row["id"])


async def _create(client: AsyncTestClient[Any], headers: dict[str, str], **fields: Any) -> Any:
    body = {"client_id": str(uuid.uuid4()), "name": "Lò Văn Sáng", "role": "ambassador", **fields}
    return await client.post(TEAM, json=body, headers=headers)


async def test_a_team_member_is_created_once_and_listed(client: AsyncTestClient[Any], world: World) -> None:
    headers = await api_token(client, "ward")
    body = {"client_id": str(uuid.uuid4()), "name": " Lò Văn Sáng ", "phone": "0912 345 678",
            "role": "ambassador", "village": world.villages["v1"]}  # fmt: skip
    first = await client.post(TEAM, json=body, headers=headers)
    again = await client.post(TEAM, json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json() == again.json() and await TeamMember.count() == 1
    made = first.json()
    assert (made["name"], made["phone"], made["village_id"], made["active"], made["version"]) == (
        "Lò Văn Sáng", "0912 345 678", world.villages["v1"], True, 1,
    )  # fmt: skip
    listed = await client.get(TEAM, headers=await api_token(client, "volunteer2"))
    assert [(m["id"], m["phone"]) for m in listed.json()] == [(made["id"], "")]  # volunteers: no phone


async def test_a_create_without_client_id_or_with_bad_fields_names_each_in_vietnamese(
    client: AsyncTestClient[Any], world: World
) -> None:
    headers = {**await api_token(client, "ward"), "Accept-Language": "vi"}
    response = await client.post(
        TEAM, json={"name": "  ", "phone": "12345", "role": "mayor", "village": world.villages["v4"]},
        headers=headers,
    )  # fmt: skip
    assert response.status_code == 422
    fields = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert set(fields) == {"client_id", "name", "phone", "role", "village"}
    assert fields["name"] == "Hãy nhập tên." and fields["phone"].startswith("Hãy nhập số điện thoại")
    assert await TeamMember.count() == 0


async def test_an_update_with_a_stale_version_is_a_409_with_the_member_as_it_stands(
    client: AsyncTestClient[Any], world: World
) -> None:
    headers = await api_token(client, "ward")
    made = (await _create(client, headers)).json()
    change = {"version": 1, "name": "Lò Văn Sáng", "role": "team_leader", "phone": "+84912345678"}
    updated = await client.post(f"{TEAM}/{made['id']}", json=change, headers=headers)
    assert updated.status_code == 200
    assert (updated.json()["role"], updated.json()["version"]) == ("team_leader", 2)
    stale = await client.post(f"{TEAM}/{made['id']}", json={**change, "role": "police"}, headers=headers)
    assert stale.status_code == 409
    assert (stale.json()["current"]["role"], stale.json()["current"]["version"]) == ("team_leader", 2)
    row = await TeamMember.select(TeamMember.role).where(TeamMember.id == made["id"]).first()
    assert row == {"role": "team_leader"}
    bad = await client.post(f"{TEAM}/{made['id']}", json={"name": "A"}, headers=headers)
    assert bad.status_code == 422 and [e["field"] for e in bad.json()["errors"]] == ["version"]


async def test_a_member_leaves_and_comes_back_through_the_api(
    client: AsyncTestClient[Any], world: World
) -> None:
    headers = await api_token(client, "ward")
    made = (await _create(client, headers, village=world.villages["v1"])).json()
    anh = await _member_id("Đặng Thị Ánh")
    assigned = await client.post(f"{TEAM}/{made['id']}/learners", json={"learner": anh}, headers=headers)
    assert assigned.status_code == 201 and assigned.json()["learners"] == 1
    left = await client.post(f"{TEAM}/{made['id']}/active", json={"active": False}, headers=headers)
    assert left.status_code == 200 and (left.json()["active"], left.json()["learners"]) == (False, 0)
    listed = (await client.get(TEAM, headers=headers)).json()
    assert [(m["id"], m["active"]) for m in listed] == [(made["id"], False)]
    refused = await client.post(f"{TEAM}/{made['id']}/learners", json={"learner": anh}, headers=headers)
    assert refused.status_code == 422 and refused.json()["errors"][0]["code"] == "left_team"
    back = await client.post(f"{TEAM}/{made['id']}/active", json={"active": True}, headers=headers)
    assert back.json()["active"] is True
    bad = await client.post(f"{TEAM}/{made['id']}/active", json={"active": "có"}, headers=headers)
    assert bad.status_code == 422 and [e["field"] for e in bad.json()["errors"]] == ["active"]


async def test_learners_are_assigned_and_unassigned_but_not_the_mentor_nor_twice(
    client: AsyncTestClient[Any], world: World
) -> None:
    headers = await api_token(client, "ward")
    an = await _member_id("Nguyễn Văn An")
    made = (await _create(client, headers, member=an)).json()
    own = await client.post(f"{TEAM}/{made['id']}/learners", json={"learner": an}, headers=headers)
    assert own.status_code == 422 and own.json()["errors"][0]["code"] == "own_learner"
    binh = await _member_id("Trần Thị Bình")
    first = await client.post(f"{TEAM}/{made['id']}/learners", json={"learner": binh}, headers=headers)
    twice = await client.post(f"{TEAM}/{made['id']}/learners", json={"learner": binh}, headers=headers)
    assert (first.status_code, twice.status_code) == (201, 422)
    assert twice.json()["errors"][0]["code"] == "has_mentor"
    mai = await _member_id("Lý Thị Mai")  # the neighbour ward's
    other = await client.post(f"{TEAM}/{made['id']}/learners", json={"learner": mai}, headers=headers)
    assert other.status_code == 422 and await Mentorship.count() == 1
    gone = await client.delete(f"{TEAM}/{made['id']}/learners/{binh}", headers=headers)
    assert gone.status_code == 204 and await Mentorship.count().where(pairs()) == 0
    # The pair ended and is kept; Bình may be paired again, and unpairing twice changes nothing.
    again = await client.post(f"{TEAM}/{made['id']}/learners", json={"learner": binh}, headers=headers)
    assert again.status_code == 201 and await Mentorship.count().where(pairs()) == 1
    assert await Mentorship.count() == 2
    assert (await client.delete(f"{TEAM}/{made['id']}/learners/{binh}", headers=headers)).status_code == 204
    assert (await client.delete(f"{TEAM}/{made['id']}/learners/{binh}", headers=headers)).status_code == 204
    assert await Mentorship.count().where(Mentorship.ended_at.is_not_null()) == 2
    assert (await client.delete(f"{TEAM}/{made['id']}/learners/{mai}", headers=headers)).status_code == 404


async def test_a_village_head_keeps_their_villages_team_only(
    client: AsyncTestClient[Any], world: World
) -> None:
    headers = await api_token(client, "head1")
    ours = await _create(client, headers, village=world.villages["v1"])
    assert ours.status_code == 201
    theirs = await _create(client, headers, village=world.villages["v3"])
    ward_level = await _create(client, headers)
    assert (theirs.status_code, ward_level.status_code) == (403, 403)
    assert theirs.json()["status"] == 403 and await TeamMember.count() == 1
    officer = await api_token(client, "ward")
    other = (await _create(client, officer, village=world.villages["v3"])).json()
    change = {"version": 1, "name": "Đổi tên"}
    for method, path, body in (
        ("POST", f"{TEAM}/{other['id']}", change),
        ("POST", f"{TEAM}/{other['id']}/active", {"active": False}),
        ("POST", f"{TEAM}/{other['id']}/learners", {"learner": await _member_id("Ma Văn Hùng")}),
    ):
        response = await client.request(method, path, json=body, headers=headers)
        assert response.status_code == 403, path
    moved = await client.post(f"{TEAM}/{ours.json()['id']}", json={**change, "village": world.villages["v3"]},
                              headers=headers)  # fmt: skip
    assert moved.status_code == 403
    hung = await _member_id("Ma Văn Hùng")  # of v3, not theirs
    learner = await client.post(
        f"{TEAM}/{ours.json()['id']}/learners", json={"learner": hung}, headers=headers
    )
    assert learner.status_code == 403
    rows = await TeamMember.select(TeamMember.name, TeamMember.active, TeamMember.village).order_by(
        TeamMember.id
    )
    assert [(r["name"], r["active"]) for r in rows] == [("Lò Văn Sáng", True), ("Lò Văn Sáng", True)]
    assert await Mentorship.count() == 0


async def test_the_openapi_document_describes_the_team_api(
    client: AsyncTestClient[Any], world: World
) -> None:
    paths = (await client.get("/schema/openapi.json")).json()["paths"]
    create = paths["/api/wards/{code}/digital-team"]["post"]
    assert {"200", "201", "403", "422"} <= set(create["responses"])
    assert "client_id" in create["requestBody"]["content"]["application/json"]["schema"]["required"]
    update = paths["/api/wards/{code}/digital-team/{team_id}"]["post"]
    assert {"403", "409", "422"} <= set(update["responses"])
    assert (
        "204"
        in paths["/api/wards/{code}/digital-team/{team_id}/learners/{learner_id}"]["delete"]["responses"]
    )
