"""A ward's classes and their attendance are open to everyone who works in the ward, but a record that
lives in a village is written only by those who may write to that village: its village as it stands and
the one a change gives it (issue 25 item 3)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from litestar.testing import AsyncTestClient

from surveys.core.clock import now
from surveys.tables import Attendance, ClassSession, Member
from tests.conftest import api_token, sign_in
from tests.factories import World
from tests.server.helpers import soup

PAGES = "/wards/01849/classes"
API = "/api/wards/01849/classes"


async def _class(world: World, village: str | None) -> dict[str, Any]:
    """A class held two hours ago, planned by the ward office."""
    inserted = await ClassSession.insert(
        ClassSession(
            ward=world.wards["pq"],
            village=world.villages[village] if village else None,
            starts_at=now() - timedelta(hours=2),
            place="Nhà văn hoá",
            topics=["vneid"],
            audience="everyone",
            client_id=str(uuid.uuid4()),
        )
    )
    row = await ClassSession.select().where(ClassSession.id == inserted[0]["id"]).first()
    assert row is not None
    return row


def _change(c: dict[str, Any], village: int | None) -> dict[str, Any]:
    return {"version": c["version"], "starts_at": c["starts_at"].isoformat(), "topics": ["vneid", "safety"],
            "village": village}  # fmt: skip


async def test_a_village_head_cannot_move_or_rewrite_another_villages_class(
    client: AsyncTestClient[Any], world: World
) -> None:
    theirs = await _class(world, "v3")
    headers = await api_token(client, "head1")  # head of v1
    for village in (None, world.villages["v1"]):  # to the ward hall, to the head's own village
        response = await client.post(f"{API}/{theirs['id']}", json=_change(theirs, village), headers=headers)
        assert response.status_code == 403, village
        assert response.headers["content-type"].startswith("application/problem+json")
    # Kept in v3, a village the head does not plan in: the choice itself is refused, as on a new class.
    kept = await client.post(
        f"{API}/{theirs['id']}", json=_change(theirs, world.villages["v3"]), headers=headers
    )
    assert kept.status_code == 422
    row = (
        await ClassSession.select(ClassSession.village, ClassSession.version)
        .where(ClassSession.id == theirs["id"])
        .first()
    )
    assert row == {"village": world.villages["v3"], "version": 1}  # untouched
    # Their own village's class and a class of the ward hall stay theirs to change, but not into v3.
    ours, hall = await _class(world, "v1"), await _class(world, None)
    moved = await client.post(
        f"{API}/{ours['id']}", json=_change(ours, world.villages["v3"]), headers=headers
    )
    assert moved.status_code == 422 and [e["field"] for e in moved.json()["errors"]] == ["village"]
    for c in (ours, hall):
        response = await client.post(f"{API}/{c['id']}", json=_change(c, c["village"]), headers=headers)
        assert response.status_code == 200 and response.json()["topics"] == ["vneid", "safety"]


async def test_a_village_head_gets_no_edit_page_for_another_villages_class(
    client: AsyncTestClient[Any], world: World
) -> None:
    theirs = await _class(world, "v3")
    csrf = await sign_in(client, "head1")
    page = soup(await client.get(f"{PAGES}/{theirs['id']}"))
    assert page.find("a", href=f"{PAGES}/{theirs['id']}/edit") is None
    assert (await client.get(f"{PAGES}/{theirs['id']}/edit")).status_code == 403
    local = theirs["starts_at"] + timedelta(hours=7)
    form = {"_csrf_token": csrf, "version": "1", "date": local.date().isoformat(), "time": "08:00",
            "topics": ["vneid"], "audience": "everyone", "village": "", "place": "Sân đình"}  # fmt: skip
    response = await client.post(f"{PAGES}/{theirs['id']}/edit", data=form, follow_redirects=False)
    assert response.status_code == 403
    row = (
        await ClassSession.select(ClassSession.village, ClassSession.place)
        .where(ClassSession.id == theirs["id"])
        .first()
    )
    assert row == {"village": world.villages["v3"], "place": "Nhà văn hoá"}


async def test_a_volunteer_cannot_remove_an_attendee_of_a_village_they_do_not_work_in(
    client: AsyncTestClient[Any], world: World
) -> None:
    c = await _class(world, "v3")
    hung = await Member.select(Member.id).where(Member.full_name == "Ma Văn Hùng").first()  # of v3
    assert hung is not None
    inserted = await Attendance.insert(
        Attendance(session=c["id"], member=hung["id"], client_id=str(uuid.uuid4()), at=now())
    )
    remove = f"{PAGES}/{c['id']}/attendance/{inserted[0]['id']}/remove"
    csrf = await sign_in(client, "volunteer1")  # of v1 and v2
    response = await client.post(remove, data={"_csrf_token": csrf}, follow_redirects=False)
    assert response.status_code == 403
    assert await Attendance.count() == 1
    csrf = await sign_in(client, "volunteer2")  # of v3
    response = await client.post(remove, data={"_csrf_token": csrf}, follow_redirects=False)
    assert response.status_code == 303
    assert await Attendance.count() == 0
