"""Classes, attendance and help through the JSON API, with the conventions of visits: `client_id`
idempotency, 409 on a stale version, 422 naming each bad field."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from litestar.testing import AsyncTestClient

from surveys.core.clock import now
from surveys.tables import Attendance, ClassSession, ClassTrainer, Help, Member, TeamMember
from tests.conftest import api_token
from tests.factories import World

CLASSES = "/api/wards/01849/classes"


async def _plan(client: AsyncTestClient[Any], headers: dict[str, str], **fields: Any) -> Any:
    body = {"client_id": str(uuid.uuid4()), "starts_at": (now() - timedelta(hours=2)).isoformat(),
            "topics": ["vneid", "ai"], "audience": "everyone", **fields}  # fmt: skip
    return await client.post(CLASSES, json=body, headers=headers)


async def _member_id(world: World, name: str) -> int:
    row = await Member.select(Member.id).where(Member.full_name == name).first()
    assert row is not None
    return int(row["id"])


async def test_a_class_is_created_once_and_listed_in_its_month(
    client: AsyncTestClient[Any], world: World
) -> None:
    headers = await api_token(client, "ward")
    body = {"client_id": str(uuid.uuid4()), "starts_at": (now() - timedelta(hours=2)).isoformat(),
            "topics": ["vneid"], "village": world.villages["v1"]}  # fmt: skip
    first = await client.post(CLASSES, json=body, headers=headers)
    again = await client.post(CLASSES, json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"] and await ClassSession.count() == 1
    listed = await client.get(CLASSES, headers=await api_token(client, "volunteer2"))
    assert [c["id"] for c in listed.json()] == [first.json()["id"]]


async def test_a_bad_class_names_each_field_in_vietnamese(client: AsyncTestClient[Any], world: World) -> None:
    headers = {**await api_token(client, "head1"), "Accept-Language": "vi"}
    response = await _plan(client, headers, topics=["nau-an"], audience="tre-em", village=world.villages["v3"],
                           starts_at="mai")  # fmt: skip
    assert response.status_code == 422
    fields = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert set(fields) == {"topics", "audience", "village", "starts_at"}
    assert fields["topics"].startswith("Hãy chọn trong các chủ đề")
    assert await ClassSession.count() == 0


async def _team_member(ward_id: int, name: str) -> int:
    return int((await TeamMember.insert(TeamMember(ward=ward_id, name=name)))[0]["id"])


async def test_a_class_is_taught_by_members_of_the_wards_team(
    client: AsyncTestClient[Any], world: World
) -> None:
    headers = {**await api_token(client, "ward"), "Accept-Language": "vi"}
    trang = await _team_member(world.wards["pq"], "Nguyễn Thu Trang")
    neighbour = await _team_member(world.wards["other"], "Hoàng Văn Dũng")
    for bad in ([neighbour], [trang, 999999]):
        refused = await _plan(client, headers, trainer_ids=bad)
        assert refused.status_code == 422
        fields = {e["field"]: e["message"] for e in refused.json()["errors"]}
        assert fields == {"trainer_ids": "Hãy chọn người dạy trong số thành viên tổ công nghệ số của xã này."}
    assert await ClassSession.count() == 0 and await ClassTrainer.count() == 0
    created = await _plan(client, headers, trainer_ids=[trang, trang], trainers="Cán bộ Bưu điện")
    assert created.status_code == 201
    assert (created.json()["trainer_ids"], created.json()["trainers"]) == ([trang], "Cán bộ Bưu điện")
    c = created.json()
    changed = await client.post(
        f"{CLASSES}/{c['id']}",
        json={"version": c["version"], "starts_at": c["starts_at"], "topics": c["topics"], "trainer_ids": []},
        headers=headers,
    )
    assert changed.status_code == 200 and changed.json()["trainer_ids"] == []
    assert await ClassTrainer.count() == 0


async def test_a_trainer_who_left_the_team_stays_on_the_class_they_taught(
    client: AsyncTestClient[Any], world: World
) -> None:
    headers = {**await api_token(client, "ward"), "Accept-Language": "vi"}
    trang = await _team_member(world.wards["pq"], "Nguyễn Thu Trang")
    hung = await _team_member(world.wards["pq"], "Lê Văn Hùng")
    c = (await _plan(client, headers, trainer_ids=[trang])).json()
    await TeamMember.update({TeamMember.active: False}).where(TeamMember.id.is_in([trang, hung]))
    change = {
        "version": c["version"],
        "starts_at": c["starts_at"],
        "topics": c["topics"],
        "place": "Nhà văn hoá",
    }
    kept = await client.post(f"{CLASSES}/{c['id']}", json={**change, "trainer_ids": [trang]}, headers=headers)
    assert kept.status_code == 200 and kept.json()["trainer_ids"] == [trang]
    # Only a trainer newly added must be on the team today.
    change["version"] = kept.json()["version"]
    added = await client.post(
        f"{CLASSES}/{c['id']}", json={**change, "trainer_ids": [trang, hung]}, headers=headers
    )
    assert added.status_code == 422
    assert [e["field"] for e in added.json()["errors"]] == ["trainer_ids"]
    # Nor may another class take her on now that she has left.
    other = await _plan(client, headers, trainer_ids=[trang])
    assert other.status_code == 422
    assert [t["team_member"] for t in await ClassTrainer.select(ClassTrainer.team_member)] == [trang]


async def test_a_stale_class_version_is_a_409_with_the_class_as_it_stands(
    client: AsyncTestClient[Any], world: World
) -> None:
    headers = await api_token(client, "ward")
    created = (await _plan(client, headers)).json()
    change = {"version": 1, "starts_at": created["starts_at"], "topics": ["safety"]}
    ok = await client.post(f"{CLASSES}/{created['id']}", json=change, headers=headers)
    assert ok.status_code == 200 and ok.json()["version"] == 2
    stale = await client.post(
        f"{CLASSES}/{created['id']}", json={**change, "topics": ["health"]}, headers=headers
    )
    assert stale.status_code == 409 and stale.json()["current"]["topics"] == ["safety"]


async def test_attendance_through_the_api_is_recorded_once_and_refuses_a_second_copy(
    client: AsyncTestClient[Any], world: World
) -> None:
    created = (await _plan(client, await api_token(client, "ward"))).json()
    headers = await api_token(client, "volunteer1")
    an = await _member_id(world, "Nguyễn Văn An")
    body = {"client_id": str(uuid.uuid4()), "member": an, "can_use": ["vneid"]}
    url = f"{CLASSES}/{created['id']}/attendance"
    first = await client.post(url, json=body, headers=headers)
    again = await client.post(url, json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["member"] == an and not first.json()["walk_in"]
    twice = await client.post(url, json={**body, "client_id": str(uuid.uuid4())}, headers=headers)
    assert twice.status_code == 422 and twice.json()["errors"][0]["field"] == "member"
    walk_in = await client.post(
        url, json={"client_id": str(uuid.uuid4()), "can_use": ["cooking"]}, headers=headers
    )
    assert walk_in.status_code == 422
    assert {e["field"] for e in walk_in.json()["errors"]} == {"age_group", "can_use"}
    assert await Attendance.count() == 1
    # volunteer2 (village v3) sees that someone attended, not who.
    seen = await client.get(url, headers=await api_token(client, "volunteer2"))
    assert seen.json() == [{"id": first.json()["id"], "walk_in": False, "member": None, "age_group": "",
                            "sex": "", "can_use": ["vneid"]}]  # fmt: skip


async def test_help_given_through_the_api_is_recorded_once(
    client: AsyncTestClient[Any], world: World
) -> None:
    headers = await api_token(client, "volunteer1")
    token = world.households["an"]
    an = await _member_id(world, "Nguyễn Văn An")
    body = {"client_id": str(uuid.uuid4()), "member": an, "kind": "ai_tool"}
    first = await client.post(f"/api/households/{token}/help", json=body, headers=headers)
    again = await client.post(f"/api/households/{token}/help", json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["kind"] == "ai_tool" and first.json()["via"] == "other"
    other = await _member_id(world, "Lý Thị Mai")  # of another ward's household
    bad = await client.post(f"/api/households/{token}/help", json={"client_id": str(uuid.uuid4()), "member": other,
                            "kind": "magic"}, headers=headers)  # fmt: skip
    assert bad.status_code == 422 and [e["field"] for e in bad.json()["errors"]] == ["kind"]
    stranger = await client.post(f"/api/households/{token}/help", json={**body, "client_id": str(uuid.uuid4()),
                                 "member": other}, headers=headers)  # fmt: skip
    assert stranger.status_code == 422 and stranger.json()["errors"][0]["field"] == "member"
    listed = await client.get(f"/api/households/{token}/help", headers=headers)
    assert [h["id"] for h in listed.json()] == [first.json()["id"]]
    assert await Help.count() == 1


async def test_ids_sent_as_decimals_are_checked_like_whole_numbers(
    client: AsyncTestClient[Any], world: World
) -> None:
    # 3.0 is read as 3 by the schema: it must not escape the village and trainer checks that way.
    neighbour = await _team_member(world.wards["other"], "Hoàng Văn Dũng")
    headers = await api_token(client, "head1")
    response = await _plan(
        client, headers, village=float(world.villages["v3"]), trainer_ids=[float(neighbour)]
    )
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"village", "trainer_ids"}
    assert await ClassSession.count() == 0
