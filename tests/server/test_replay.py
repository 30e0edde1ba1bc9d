"""The phone's replays of kept visits and attendance (server/replay.py): a post marked
`X-Phocap-Replay: 1` that the server has is answered with a result naming its client_id (201 recorded
now, 200 recorded before), never a redirect; anything else is answered as the browser's post is, so the
phone keeps the item. A plain browser post keeps its redirect."""

from __future__ import annotations

import uuid
from datetime import UTC, timedelta
from typing import Any

from litestar.testing import AsyncTestClient

from surveys.core.clock import now
from surveys.tables import Attendance, AuthSession, ClassSession, User, Visit
from tests.conftest import sign_in
from tests.factories import World
from tests.server.helpers import soup
from tests.server.test_household_pages import visit_form_values

REPLAY = {"X-Phocap-Replay": "1"}
# What the phone adds to each item it keeps (the moment it was saved); until the server reads it, the
# form handlers take it as any other field they do not know.


def saved_at() -> dict[str, str]:
    """What the phone adds to a body it keeps: the moment it was saved, a minute ago (as JavaScript's
    `new Date().toISOString()` writes it). A fixed date would fall out of the days a phone keeps work."""
    moment = now().astimezone(UTC) - timedelta(minutes=1)
    return {"saved_at": moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")}


async def _kept_visit(client: AsyncTestClient[Any], token: str, csrf: str) -> dict[str, str]:
    """A completed visit as the phone keeps it: the form's fields, a client_id, saved_at."""
    form = visit_form_values(await client.get(f"/h/{token}/visit"))
    return {**form, "outcome": "done", "consent": "on", "informed": "on", "_csrf_token": csrf, **saved_at()}


async def test_a_replayed_visit_is_answered_with_its_client_id_once_recorded_and_again_when_sent_twice(
    client: AsyncTestClient[Any], world: World
) -> None:
    csrf = await sign_in(client, "volunteer1")
    token = world.households["an"]
    body = await _kept_visit(client, token, csrf)

    first = await client.post(f"/h/{token}/visits", data=body, headers=REPLAY, follow_redirects=False)
    assert first.status_code == 201
    assert first.json() == {"client_id": body["client_id"], "status": "recorded"}
    again = await client.post(f"/h/{token}/visits", data=body, headers=REPLAY, follow_redirects=False)
    assert again.status_code == 200
    assert again.json() == {"client_id": body["client_id"], "status": "recorded"}
    assert await Visit.count() == 1


async def test_a_visit_posted_by_the_browser_still_goes_to_the_household_page(
    client: AsyncTestClient[Any], world: World
) -> None:
    csrf = await sign_in(client, "volunteer1")
    token = world.households["an"]
    body = await _kept_visit(client, token, csrf)
    response = await client.post(f"/h/{token}/visits", data=body, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == f"/h/{token}?saved=true"
    assert await Visit.count() == 1  # saved_at, unknown to the form, changed nothing


async def test_a_replayed_visit_with_a_wrong_answer_gets_the_form_with_the_reason_not_a_result(
    client: AsyncTestClient[Any], world: World
) -> None:
    csrf = await sign_in(client, "volunteer1")
    token = world.households["an"]
    body = {k: v for k, v in (await _kept_visit(client, token, csrf)).items() if k != "consent"}
    response = await client.post(f"/h/{token}/visits", data=body, headers=REPLAY, follow_redirects=False)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
    assert soup(response).select_one("#error-summary") is not None  # what to fix, for "Cần xem lại"
    assert await Visit.count() == 0


async def test_a_replay_from_a_user_who_must_change_their_password_is_no_success(
    client: AsyncTestClient[Any], world: World
) -> None:
    """The case that lost visits: the answer is the way to /password, which names no client_id."""
    csrf = await sign_in(client, "volunteer1")
    token = world.households["an"]
    body = await _kept_visit(client, token, csrf)
    await User.update({User.must_change_password: True}).where(User.id == world.users["volunteer1"])
    response = await client.post(f"/h/{token}/visits", data=body, headers=REPLAY, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/password"
    assert await Visit.count() == 0


async def test_a_replay_after_the_session_ended_gets_the_sign_in_page_not_a_result(
    client: AsyncTestClient[Any], world: World
) -> None:
    csrf = await sign_in(client, "volunteer1")
    token = world.households["an"]
    body = await _kept_visit(client, token, csrf)
    await AuthSession.delete(force=True)  # it outlived SESSION_IDLE_HOURS, say
    response = await client.post(f"/h/{token}/visits", data=body, headers=REPLAY, follow_redirects=False)
    assert response.status_code == 401
    assert soup(response).find("form", action="/signin") is not None
    assert await Visit.count() == 0


async def test_a_replayed_attendance_is_answered_with_its_client_id(
    client: AsyncTestClient[Any], world: World
) -> None:
    held = await ClassSession.insert(
        ClassSession(ward=world.wards["pq"], starts_at=now() - timedelta(hours=1), topics=["vneid"])
    )
    csrf = await sign_in(client, "volunteer1")
    client_id = str(uuid.uuid4())
    walk_in = {
        "_csrf_token": csrf,
        "client_id": client_id,
        "age_group": "60_plus",
        "sex": "female",
        **saved_at(),
    }
    path = f"/wards/01849/classes/{held[0]['id']}/attendance"
    headers = {**REPLAY, "HX-Request": "true"}  # as the phone sends it: the class page's htmx form

    first = await client.post(path, data=walk_in, headers=headers, follow_redirects=False)
    assert (first.status_code, first.json()) == (201, {"client_id": client_id, "status": "recorded"})
    again = await client.post(path, data=walk_in, headers=headers, follow_redirects=False)
    assert (again.status_code, again.json()) == (200, {"client_id": client_id, "status": "recorded"})
    assert await Attendance.count() == 1

    # The browser's own post of a new attendee keeps its redirect to the class.
    plain = {**walk_in, "client_id": str(uuid.uuid4())}
    response = await client.post(path, data=plain, follow_redirects=False)
    assert response.status_code == 303
    assert await Attendance.count() == 2
