"""The JSON API contract: health, tokens, villages, households, visits, and its problem bodies."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from piccolo.engine.sqlite import SQLiteEngine

from surveys.core import db
from surveys.tables import ALL_TABLES, Visit
from tests.conftest import api_token
from tests.factories import PASSWORD, World


async def test_healthz_reports_the_database(client: AsyncTestClient[Any]) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


async def test_healthz_is_503_when_the_database_is_unreachable(
    client: AsyncTestClient[Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    unreachable = SQLiteEngine(path=str(tmp_path / "missing-dir" / "db.sqlite3"))
    for table in ALL_TABLES:
        monkeypatch.setattr(table._meta, "_db", unreachable)
    monkeypatch.setattr(db, "_engine", unreachable)
    response = await client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "error"}


async def test_session_gives_a_bearer_token_with_the_role(client: AsyncTestClient[Any], world: World) -> None:
    response = await client.post("/api/session", json={"login": "head1", "password": PASSWORD})
    assert response.status_code == 200
    body = response.json()
    assert body["role"] == "village_head" and len(body["token"]) > 30


async def test_wrong_credentials_are_401_with_a_problem_body(
    client: AsyncTestClient[Any], world: World
) -> None:
    response = await client.post("/api/session", json={"login": "head1", "password": "nope"})
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["status"] == 401 and response.json()["title"]


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        (b"[]", ["$"]),
        (b"{}", ["login", "password"]),
        (b'{"login": "", "password": 5}', ["login", "password"]),
    ],
)
async def test_bad_session_bodies_are_422_naming_each_field(
    client: AsyncTestClient[Any], world: World, body: bytes, fields: list[str]
) -> None:
    response = await client.post("/api/session", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == fields


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"[" * 100_000,  # nested deeper than any decoder goes
        b'{"login": "\xff\xfe", "password": "x"}',  # not UTF-8
        b"\xef\xbb\xbf{}",  # a byte-order mark
        b"",
    ],
)
async def test_a_body_that_is_not_json_is_400_with_a_problem_body_on_every_json_route(
    client: AsyncTestClient[Any], world: World, body: bytes
) -> None:
    headers = {"content-type": "application/json", **await api_token(client, "volunteer1")}
    for path in ("/api/session", f"/api/households/{world.households['an']}/visits"):
        response = await client.post(path, content=body, headers=headers)
        assert response.status_code == 400, path
        assert response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        assert problem["status"] == 400 and problem["title"] == "The request body is not valid JSON."
        assert [e["field"] for e in problem["errors"]] == ["$"]
    assert await Visit.count() == 0


async def test_api_needs_a_bearer_token_and_ignores_the_session_cookie(
    client: AsyncTestClient[Any], world: World
) -> None:
    assert (await client.get("/api/villages")).status_code == 401
    bad = await client.get("/api/villages", headers={"Authorization": "Bearer forged"})
    assert bad.status_code == 401 and bad.headers["content-type"].startswith("application/problem+json")
    from tests.conftest import sign_in

    await sign_in(client, "volunteer1")
    assert (await client.get("/api/villages")).status_code == 401


async def test_villages_are_the_callers(client: AsyncTestClient[Any], world: World) -> None:
    headers = await api_token(client, "volunteer1")
    body = (await client.get("/api/villages", headers=headers)).json()
    assert [(v["id"], v["name"], v["ward_code"]) for v in body] == [
        (world.villages["v1"], "Thôn Đồng Tâm", "01849"),
        (world.villages["v2"], "Thôn Khuôn Ngọa", "01849"),
    ]
    ward = (await client.get("/api/villages", headers=await api_token(client, "ward"))).json()
    assert {v["id"] for v in ward} == {world.villages[k] for k in ("v1", "v2", "v3")}


async def test_households_of_a_village_with_search(client: AsyncTestClient[Any], world: World) -> None:
    headers = await api_token(client, "volunteer1")
    v1 = world.villages["v1"]
    listed = (await client.get(f"/api/households?village={v1}", headers=headers)).json()
    assert [h["code"] for h in listed] == ["PQ-01-0001", "PQ-01-0002"]  # An before Ánh
    assert set(listed[0]) >= {"token", "code", "head_name", "status"}
    found = (await client.get(f"/api/households?village={v1}&q=dang", headers=headers)).json()
    assert [h["head_name"] for h in found] == ["Đặng Thị Ánh"]
    other = await client.get(f"/api/households?village={world.villages['v3']}", headers=headers)
    assert other.status_code == 404


async def test_bad_query_parameters_are_422_naming_each_field_as_bad_bodies_are(
    client: AsyncTestClient[Any], world: World
) -> None:
    headers = await api_token(client, "volunteer1")
    v1 = world.villages["v1"]
    for path, field, code in (
        ("/api/households", "village", "required"),
        ("/api/households?village=abc", "village", "invalid"),
        ("/api/households?village=0", "village", "out_of_range"),
        (f"/api/households?village={v1}&q={'x' * 101}", "q", "too_long"),
        (f"/api/villages/{v1}/coverage?page=x", "page", "invalid"),
        (f"/api/villages/{v1}/coverage?sort={'x' * 11}", "sort", "too_long"),
    ):
        response = await client.get(path, headers=headers)
        assert response.status_code == 422, path
        assert response.headers["content-type"].startswith("application/problem+json")
        problem = response.json()
        assert set(problem) == {"type", "title", "status", "errors"} and problem["status"] == 422
        assert problem["title"] == "A parameter is not valid."  # not the URL: it may hold a searched name
        [error] = problem["errors"]
        assert set(error) == {"field", "code", "message"} and (error["field"], error["code"]) == (field, code)
        assert error["message"]


async def test_household_with_members_and_status(client: AsyncTestClient[Any], world: World) -> None:
    headers = await api_token(client, "volunteer1")
    body = (await client.get(f"/api/households/{world.households['an']}", headers=headers)).json()
    assert body["code"] == "PQ-01-0001" and body["ward_code"] == "01849"
    assert [m["full_name"] for m in body["members"]] == ["Nguyễn Văn An", "Trần Thị Bình", "Nguyễn Minh Khôi"]
    assert body["status"] == {
        "visited": False,
        "digital_family": False,
        "identity_complete": False,
        "covered": False,
        "reasons": ["not_visited"],
        "members_without_vneid": 2,
        "members_without_bank": 2,
    }


async def test_volunteer2_can_neither_read_nor_write_village_1(
    client: AsyncTestClient[Any], world: World
) -> None:
    headers = await api_token(client, "volunteer2")
    token = world.households["an"]
    assert (await client.get(f"/api/households/{token}", headers=headers)).status_code == 404
    assert (await client.get("/api/households/unknown-token", headers=headers)).status_code == 404
    visit = {"client_id": str(uuid.uuid4()), "outcome": "nobody_home", "household_version": 1}
    assert (
        await client.post(f"/api/households/{token}/visits", json=visit, headers=headers)
    ).status_code == 404
    assert await Visit.count() == 0


async def test_record_visit_201_then_200_for_the_same_client_id(
    client: AsyncTestClient[Any], world: World
) -> None:
    headers = await api_token(client, "volunteer1")
    token = world.households["dang"]
    visit = {
        "client_id": str(uuid.uuid4()),
        "outcome": "done",
        "household_version": 1,
        "household": {"consent": True, "informed": True, "priority_elderly_alone": True},
        "members": [
            {"full_name": "Đặng Văn Tú", "birth_year": 1988, "vneid": "level2", "bank_account": "yes",
             "skill_learned": True, "skill_understands": True, "skill_uses_services": True, "skill_guides_others": True},
        ],
    }  # fmt: skip
    first = await client.post(f"/api/households/{token}/visits", json=visit, headers=headers)
    assert first.status_code == 201
    assert first.json()["status"]["digital_family"] is True
    assert first.json()["status"]["reasons"] == ["members_without_vneid"]  # Đặng Thị Ánh, 16+, unknown
    again = await client.post(f"/api/households/{token}/visits", json=visit, headers=headers)
    assert again.status_code == 200 and again.json() == first.json()
    assert await Visit.count() == 1


async def test_outdated_version_is_409_with_the_current_state(
    client: AsyncTestClient[Any], world: World
) -> None:
    headers = await api_token(client, "volunteer1")
    token = world.households["dang"]
    base = {"outcome": "done", "household_version": 1, "household": {"consent": True}}
    await client.post(
        f"/api/households/{token}/visits", json={**base, "client_id": str(uuid.uuid4())}, headers=headers
    )
    late = await client.post(
        f"/api/households/{token}/visits",
        json={**base, "client_id": str(uuid.uuid4()), "members": [{"full_name": "Muộn", "birth_year": 1990}]},
        headers=headers,
    )
    assert late.status_code == 409
    assert late.json()["current"]["version"] == 2
    assert "Muộn" not in [m["full_name"] for m in late.json()["current"]["members"]]


async def test_invalid_visit_is_422_naming_each_field(client: AsyncTestClient[Any], world: World) -> None:
    headers = await api_token(client, "volunteer1")
    visit = {
        "client_id": "not-a-uuid",
        "outcome": "done",
        "household_version": 1,
        "household": {"consent": False},
        "members": [{"full_name": "", "birth_year": 1700}, {"birth_year": "x"}],
    }
    response = await client.post(
        f"/api/households/{world.households['an']}/visits", json=visit, headers=headers
    )
    assert response.status_code == 422
    errors = {(e["field"], e["code"]) for e in response.json()["errors"]}
    assert errors == {
        ("client_id", "invalid"),
        ("members.0.full_name", "required"),
        ("members.0.birth_year", "out_of_range"),
        ("members.1.full_name", "required"),
        ("members.1.birth_year", "invalid"),
        ("household.consent", "consent_required"),
    }
    assert all(e["message"] for e in response.json()["errors"])
    assert await Visit.count() == 0


async def test_signing_out_ends_the_token_on_the_server(client: AsyncTestClient[Any], world: World) -> None:
    headers = await api_token(client, "volunteer1")
    assert (await client.get("/api/villages", headers=headers)).status_code == 200
    assert (await client.delete("/api/session", headers=headers)).status_code == 204
    refused = await client.get("/api/villages", headers=headers)
    assert refused.status_code == 401 and refused.headers["content-type"] == "application/problem+json"
    assert (await client.delete("/api/session", headers=headers)).status_code == 401


async def test_openapi_documents_the_contract(client: AsyncTestClient[Any]) -> None:
    schema = (await client.get("/schema/openapi.json")).json()
    paths = schema["paths"]
    for path in ("/healthz", "/api/session", "/api/villages", "/api/households", "/api/households/{token}",
                 "/api/households/{token}/visits"):  # fmt: skip
        assert path in paths, path
    body = paths["/api/households/{token}/visits"]["post"]["requestBody"]["content"]["application/json"][
        "schema"
    ]
    assert set(body["required"]) == {"client_id", "outcome", "household_version"}
    assert (await client.get("/schema")).status_code == 200
