"""A `client_id` makes a retried submission a no-op, and nothing more (issue 25 item 4): access is checked
before a replay is looked up, a reused id with another body is a 409, and an id that is not random (the
nil UUID, a hand-made one) is refused."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from litestar.testing import AsyncTestClient

from surveys.core.clock import now
from surveys.tables import Attendance, ClassSession, Help, Member, Visit
from tests.conftest import api_token
from tests.factories import World


async def _member_id(name: str) -> int:
    row = await Member.select(Member.id).where(Member.full_name == name).first()
    assert row is not None
    return int(row["id"])


async def test_a_volunteer_replaying_another_users_help_id_gets_nothing_of_its_record(
    client: AsyncTestClient[Any], world: World
) -> None:
    hung = await _member_id("Ma Văn Hùng")  # of v3
    body = {"client_id": str(uuid.uuid4()), "member": hung, "kind": "other", "note": "Cài Zalo cho con"}
    theirs = await client.post(
        f"/api/households/{world.households['v3']}/help",
        json=body,
        headers=await api_token(client, "volunteer2"),
    )
    assert theirs.status_code == 201
    # volunteer1 sends that id and member to a household of their own village.
    response = await client.post(
        f"/api/households/{world.households['an']}/help",
        json=body,
        headers=await api_token(client, "volunteer1"),
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["member"]
    assert "Zalo" not in response.text and "note" not in response.json()
    assert await Help.count() == 1


async def test_a_help_id_sent_again_with_other_answers_is_a_conflict_not_a_retry(
    client: AsyncTestClient[Any], world: World
) -> None:
    headers = await api_token(client, "volunteer1")
    url = f"/api/households/{world.households['an']}/help"
    body = {"client_id": str(uuid.uuid4()), "member": await _member_id("Nguyễn Văn An"), "kind": "other",
            "note": "Cài VNeID"}  # fmt: skip
    assert (await client.post(url, json=body, headers=headers)).status_code == 201
    assert (await client.post(url, json=body, headers=headers)).status_code == 200  # the same body: a retry
    for change in ({"note": "Cài ngân hàng số"}, {"kind": "bank", "note": ""}):
        response = await client.post(url, json={**body, **change}, headers=headers)
        assert response.status_code == 409, change
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["status"] == 409
    rows = await Help.select(Help.kind, Help.note)
    assert rows == [{"kind": "other", "note": "Cài VNeID"}]


async def test_a_visit_id_sent_again_with_other_answers_is_a_conflict_not_a_retry(
    client: AsyncTestClient[Any], world: World
) -> None:
    headers = await api_token(client, "volunteer1")
    url = f"/api/households/{world.households['dang']}/visits"
    body = {"client_id": str(uuid.uuid4()), "outcome": "nobody_home", "household_version": 1}
    assert (await client.post(url, json=body, headers=headers)).status_code == 201
    assert (await client.post(url, json=body, headers=headers)).status_code == 200
    other = await client.post(url, json={**body, "outcome": "come_back"}, headers=headers)
    assert other.status_code == 409 and other.json()["status"] == 409
    rows = await Visit.select(Visit.outcome)
    assert rows == [{"outcome": "nobody_home"}]


async def test_an_attendance_id_sent_again_with_other_answers_is_a_conflict_not_a_retry(
    client: AsyncTestClient[Any], world: World
) -> None:
    inserted = await ClassSession.insert(
        ClassSession(
            ward=world.wards["pq"],
            starts_at=now() - timedelta(hours=1),
            topics=["vneid", "ai"],
            client_id=str(uuid.uuid4()),
        )
    )
    url = f"/api/wards/01849/classes/{inserted[0]['id']}/attendance"
    headers = await api_token(client, "volunteer1")
    body = {"client_id": str(uuid.uuid4()), "age_group": "60_plus", "sex": "female", "can_use": ["vneid"]}
    assert (await client.post(url, json=body, headers=headers)).status_code == 201
    assert (await client.post(url, json=body, headers=headers)).status_code == 200
    for change in ({"sex": "male"}, {"can_use": ["vneid", "ai"]}):
        assert (await client.post(url, json={**body, **change}, headers=headers)).status_code == 409, change
    assert await Attendance.count() == 1


async def test_a_submission_id_that_is_not_random_is_refused(
    client: AsyncTestClient[Any], world: World
) -> None:
    headers = await api_token(client, "volunteer1")
    url = f"/api/households/{world.households['an']}/help"
    member = await _member_id("Nguyễn Văn An")
    for client_id in (str(uuid.UUID(int=0)), "12345678-1234-1234-1234-123456789abc", str(uuid.uuid1())):
        body = {"client_id": client_id, "member": member, "kind": "bank"}
        response = await client.post(url, json=body, headers=headers)
        assert response.status_code == 422, client_id
        assert [e["field"] for e in response.json()["errors"]] == ["client_id"]
    visit = {"client_id": str(uuid.UUID(int=0)), "outcome": "nobody_home", "household_version": 1}
    refused = await client.post(
        f"/api/households/{world.households['an']}/visits", json=visit, headers=headers
    )
    assert refused.status_code == 422
    assert await Help.count() == 0 and await Visit.count() == 0
