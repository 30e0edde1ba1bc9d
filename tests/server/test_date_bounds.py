"""Every date a user can send is bounded to 2000-01-01 … 2100-12-31 and a moment needs its UTC offset:
a clear 422 naming the field, never a 500 from datetime arithmetic at the year 1 or 9999 (issue 25 item 6)."""

from __future__ import annotations

import uuid
from typing import Any

from litestar.testing import AsyncTestClient

from surveys.tables import ClassSession
from tests.conftest import api_token, sign_in
from tests.factories import World

EDGES = [("0001-01-01", "0001-01-02"), ("9999-12-30", "9999-12-31"), ("1999-12-31", "2026-01-01")]
OUT_OF_RANGE = "Hãy nhập ngày từ 01/01/2000 đến 31/12/2100."


async def test_a_report_for_days_at_the_calendars_edges_is_a_422_on_every_form_of_it(
    client: AsyncTestClient[Any], world: World
) -> None:
    headers = {**await api_token(client, "admin"), "Accept-Language": "vi"}
    await sign_in(client, "admin")
    for first, last in EDGES:
        period = {"from": first, "to": last}
        for url in ("/api/wards/01849/reports", "/api/provinces/19/reports"):
            response = await client.get(url, params=period, headers=headers)
            assert response.status_code == 422, (url, period)
            errors = {e["field"]: e["message"] for e in response.json()["errors"]}
            assert errors["from"] == OUT_OF_RANGE, (url, period)
        for url in ("/wards/01849/reports", "/wards/01849/reports.docx", "/wards/01849/reports.xlsx",
                    "/provinces/19/reports"):  # fmt: skip
            response = await client.get(url, params=period)
            assert response.status_code == 422, (url, period)
    named = await client.get("/wards/01849/reports", params={"period": "0001"})
    assert named.status_code == 422


async def test_a_class_at_the_calendars_edges_or_without_its_offset_is_refused(
    client: AsyncTestClient[Any], world: World
) -> None:
    headers = {**await api_token(client, "ward"), "Accept-Language": "vi"}
    for starts_at, message in (
        ("9999-12-31T23:59:59Z", OUT_OF_RANGE),
        ("0001-01-01T00:00:00+14:00", OUT_OF_RANGE),
        (
            "2026-07-01T08:00:00",
            "Hãy ghi giờ kèm độ lệch so với UTC, ví dụ 2026-07-01T08:00:00+07:00 cho Việt Nam.",
        ),
    ):
        body = {"client_id": str(uuid.uuid4()), "starts_at": starts_at, "topics": ["vneid"]}
        response = await client.post("/api/wards/01849/classes", json=body, headers=headers)
        assert response.status_code == 422, starts_at
        errors = [(e["field"], e["message"]) for e in response.json()["errors"]]
        assert errors == [("starts_at", message)], starts_at
    assert await ClassSession.count() == 0
    ok = {"client_id": str(uuid.uuid4()), "starts_at": "2100-12-31T23:00:00+07:00", "topics": ["vneid"]}
    created = await client.post("/api/wards/01849/classes", json=ok, headers=headers)
    assert created.status_code == 201
    await sign_in(client, "ward")
    page = await client.get(f"/wards/01849/classes/{created.json()['id']}")
    assert page.status_code == 200
