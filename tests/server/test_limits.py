"""Bounded input: a household has at most HOUSEHOLD_MAX_MEMBERS (30) members and a form at most
MAX_FORM_FIELDS fields; beyond, a clear refusal (422 or 413) and nothing saved. A fault run posted 15,000
members in one request and got a 58.5 MB page back after 16.5 s."""

from __future__ import annotations

import uuid
from typing import Any

from litestar.testing import AsyncTestClient

from server.security import MAX_FORM_FIELDS
from surveys.tables import Household, Member, Visit
from tests.conftest import api_token, sign_in
from tests.factories import World
from tests.server.helpers import field_errors, form_values, soup

TOO_MANY = "Quá nhiều thành viên cho một hộ. Hãy xem có dòng nào nhập hai lần không, hoặc tách thành hai hộ."


async def _member_counts() -> int:
    return int(await Member.count())


async def test_a_visit_that_would_leave_more_than_thirty_members_is_refused_and_saves_nothing(
    client: AsyncTestClient[Any], world: World
) -> None:
    headers = await api_token(client, "volunteer1")
    members_before = await _member_counts()
    household = (await client.get(f"/api/households/{world.households['an']}", headers=headers)).json()
    present = len(household["members"])
    for count in (31 - present, 15_000):
        body = {"client_id": str(uuid.uuid4()), "outcome": "done", "household_version": household["version"],
                "household": {"consent": True, "informed": True},
                "members": [{"full_name": f"Người {n}", "birth_year": 1990} for n in range(count)]}  # fmt: skip
        response = await client.post(
            f"/api/households/{world.households['an']}/visits", json=body, headers=headers
        )
        assert response.status_code == 422
        assert response.json()["errors"] == [
            {
                "field": "members",
                "code": "too_many",
                "message": TOO_MANY,
            }
        ]
    assert await _member_counts() == members_before and await Visit.count() == 0
    # Up to thirty is fine.
    body = {"client_id": str(uuid.uuid4()), "outcome": "done", "household_version": household["version"],
            "household": {"consent": True, "informed": True},
            "members": [{"full_name": f"Người {n}", "birth_year": 1990} for n in range(30 - present)]}  # fmt: skip
    fine = await client.post(f"/api/households/{world.households['an']}/visits", json=body, headers=headers)
    assert fine.status_code == 201 and len(fine.json()["members"]) == 30


async def test_adding_a_household_of_thirty_one_keeps_the_form_and_saves_nothing(
    client: AsyncTestClient[Any], world: World
) -> None:
    csrf = await sign_in(client, "volunteer1")
    rows = {f"m-{n}-full_name": f"Hà Văn Số {n}" for n in range(31)} | {
        f"m-{n}-birth_year": "1980" for n in range(31)
    }
    response = await client.post(
        f"/villages/{world.villages['v2']}/households/new",
        data={"_csrf_token": csrf, "address": "Xóm Đồi", "m-0-is_head": "on", **rows},
    )
    assert response.status_code == 422
    page = soup(response)
    assert field_errors(page) == [TOO_MANY]
    assert form_values(page.select_one("main form"))["m-30-full_name"] == "Hà Văn Số 30"  # type: ignore[arg-type]
    assert await Household.count().where(Household.village == world.villages["v2"]) == 0


async def test_a_form_with_too_many_fields_is_refused_before_it_is_read(
    client: AsyncTestClient[Any], world: World
) -> None:
    csrf = await sign_in(client, "volunteer1")
    fields = {f"x{n}": "1" for n in range(MAX_FORM_FIELDS)}
    response = await client.post(
        f"/villages/{world.villages['v2']}/households/new", data={"_csrf_token": csrf, **fields}
    )
    assert response.status_code == 413
    assert soup(response).find("h1").text.strip() == "Dữ liệu gửi lên quá lớn."
    assert await Household.count().where(Household.village == world.villages["v2"]) == 0
