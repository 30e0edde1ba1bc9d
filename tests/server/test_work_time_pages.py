"""The time the work was done, over HTTP: the phone's queue adds `saved_at` to the visit form and the class
attendance form it sends later, and an API client may send it in JSON. The server dates the work then,
or refuses a time it cannot believe with the reason in Vietnamese (the phone shows it under "Cần xem
lại"), on the page with everything typed kept and in the API as a problem body."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from surveys.core.clock import now
from surveys.tables import Attendance, ClassSession, Visit
from tests.conftest import api_token, sign_in
from tests.factories import World
from tests.server.helpers import soup
from tests.server.test_household_pages import record_visit_through_the_form, visit_form_values

TOO_OLD = (
    "Việc này đã lưu trên điện thoại quá lâu (lâu hơn thời hạn máy giữ trang của thôn) nên không được tính: "
    "hãy ghi lại."
)
IN_FUTURE = (
    "Điện thoại ghi thời điểm lưu là một lúc chưa tới: hãy chỉnh lại ngày giờ của điện thoại rồi ghi lại."
)
# A moment without its zone is refused as every date sent without one is (surveys/core/validation.py).
NO_ZONE = "Hãy ghi giờ kèm độ lệch so với UTC, ví dụ 2026-07-01T08:00:00+07:00 cho Việt Nam."
WARD = "/wards/01849/classes"
# How far from the server's clock the phone says it saved the work, and why that is refused (read when
# each test runs: a time read at import would drift while a long run goes on).
REFUSED = [
    pytest.param(-timedelta(days=9), TOO_OLD, "too_old", id="too_old"),
    pytest.param(timedelta(minutes=30), IN_FUTURE, "in_future", id="in_future"),
]


def iso(moment: Any) -> str:
    """As the phone's `new Date().toISOString()` writes it."""
    return str(moment.astimezone().isoformat(timespec="milliseconds")).replace("+00:00", "Z")


@pytest.mark.parametrize(("offset", "reason", "code"), REFUSED)
async def test_a_visit_sent_later_with_a_time_not_believed_comes_back_with_the_reason_and_the_answers(
    client: AsyncTestClient[Any], world: World, offset: timedelta, reason: str, code: str
) -> None:
    await sign_in(client, "volunteer1")
    token = world.households["dang"]
    changes = {
        "outcome": "done",
        "consent": "on",
        "notes": "Nhà có cháu nội",
        "saved_at": iso(now() + offset),
    }
    response = await record_visit_through_the_form(client, token, changes)
    assert response.status_code == 422
    page = soup(response)
    assert [li.text.strip() for li in page.select("#error-summary li")] == [reason]
    values = visit_form_values(response)
    assert (values["outcome"], values["consent"], values["notes"]) == ("done", "on", "Nhà có cháu nội")
    # Saved again from this page, it is a visit of now.
    assert "saved_at" not in values
    assert await Visit.count() == 0


async def test_a_visit_sent_later_is_dated_when_it_was_saved_and_keeps_its_arrival(
    client: AsyncTestClient[Any], world: World
) -> None:
    await sign_in(client, "volunteer1")
    saved_at = now() - timedelta(days=2, hours=3)
    response = await record_visit_through_the_form(
        client, world.households["dang"], {"outcome": "nobody_home", "saved_at": iso(saved_at)}
    )
    assert response.status_code == 200
    kept = await Visit.select(Visit.at, Visit.received_at).first()
    assert kept is not None
    assert abs(kept["at"] - saved_at) < timedelta(milliseconds=1)
    assert abs(kept["received_at"] - now()) < timedelta(minutes=1)


async def test_the_api_dates_a_visit_when_it_was_saved_and_refuses_a_time_it_cannot_believe(
    client: AsyncTestClient[Any], world: World
) -> None:
    headers = await api_token(client, "volunteer1")
    url = f"/api/households/{world.households['dang']}/visits"

    def body(saved_at: str) -> dict[str, Any]:
        return {
            "client_id": str(uuid.uuid4()),
            "outcome": "come_back",
            "household_version": 1,
            "saved_at": saved_at,
        }

    refusals = [(iso(now() - timedelta(days=9)), TOO_OLD, "too_old"),
                (iso(now() + timedelta(minutes=30)), IN_FUTURE, "in_future"),
                (now().replace(tzinfo=None).isoformat(), NO_ZONE, "needs_zone")]  # fmt: skip
    for sent, reason, code in refusals:
        refused = await client.post(url, json=body(sent), headers=headers)
        assert refused.status_code == 422
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert refused.json()["errors"] == [{"field": "saved_at", "code": code, "message": reason}]
    assert await Visit.count() == 0
    saved_at = now() - timedelta(hours=20)
    created = await client.post(url, json=body(saved_at.isoformat()), headers=headers)
    assert created.status_code == 201
    assert datetime.fromisoformat(created.json()["last_visit_at"]) == saved_at


async def held_class(world: World) -> int:
    inserted = await ClassSession.insert(
        ClassSession(ward=world.wards["pq"], starts_at=now() - timedelta(days=3), topics=["vneid"])
    )
    return int(inserted[0]["id"])


@pytest.mark.parametrize(("offset", "reason", "code"), REFUSED)
async def test_an_attendance_sent_later_with_a_time_not_believed_is_refused_with_the_reason(
    client: AsyncTestClient[Any], world: World, offset: timedelta, reason: str, code: str
) -> None:
    saved_at = now() + offset
    class_id = await held_class(world)
    csrf = await sign_in(client, "volunteer1")
    body = {
        "_csrf_token": csrf,
        "client_id": str(uuid.uuid4()),
        "age_group": "60_plus",
        "saved_at": iso(saved_at),
    }
    response = await client.post(f"{WARD}/{class_id}/attendance", data=body)
    assert response.status_code == 422
    error = soup(response).select_one(".error")
    # The reason, then "nothing has been saved".
    assert error is not None and [p.text for p in error.select("p")][:-1] == [reason]
    headers = await api_token(client, "volunteer1")
    api = await client.post(
        f"/api/wards/01849/classes/{class_id}/attendance",
        json={"client_id": str(uuid.uuid4()), "age_group": "60_plus", "saved_at": iso(saved_at)},
        headers=headers,
    )
    assert api.status_code == 422
    assert api.json()["errors"] == [{"field": "saved_at", "code": code, "message": reason}]
    assert await Attendance.count() == 0


async def test_an_attendance_sent_later_is_dated_when_it_was_saved(
    client: AsyncTestClient[Any], world: World
) -> None:
    class_id = await held_class(world)
    csrf = await sign_in(client, "volunteer1")
    saved_at = now() - timedelta(days=2)
    body = {
        "_csrf_token": csrf,
        "client_id": str(uuid.uuid4()),
        "age_group": "60_plus",
        "saved_at": iso(saved_at),
    }
    response = await client.post(f"{WARD}/{class_id}/attendance", data=body, follow_redirects=False)
    assert response.status_code == 303
    kept = await Attendance.select(Attendance.at, Attendance.received_at).first()
    assert kept is not None and abs(kept["at"] - saved_at) < timedelta(milliseconds=1)
    assert abs(kept["received_at"] - now()) < timedelta(minutes=1)
