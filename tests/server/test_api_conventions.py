"""What the served OpenAPI document says of errors, parameters and methods, checked against real
answers: one shape for every validation error, yes/no parameters spelt one way, `OPTIONS` naming every
method of its path."""

from __future__ import annotations

import re
from typing import Any

import pytest
from litestar.routes import HTTPRoute
from litestar.testing import AsyncTestClient

from tests.conftest import sign_in
from tests.factories import World

FLAG_SPELLINGS_REFUSED = ("1", "0", "True", "FALSE", "yes", "on", "")


async def served_schema(client: AsyncTestClient[Any]) -> dict[str, Any]:
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    schema: dict[str, Any] = response.json()
    return schema


async def test_every_operation_with_parameters_documents_the_422_problem_and_no_other_error_shape(
    client: AsyncTestClient[Any],
) -> None:
    schema = await served_schema(client)
    problem = schema["components"]["schemas"]["Problem"]
    assert "errors" in problem["properties"]
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            takes_input = any(p["in"] == "query" for p in operation.get("parameters", [])) or (
                "requestBody" in operation
            )
            if takes_input:
                assert "422" in responses, f"{method} {path}"
                assert "`errors` names every bad field" in responses["422"]["description"]
            for status, answer in responses.items():
                if status.startswith("4"):
                    media = answer["content"]["application/problem+json"]["schema"]
                    if status == "409" and media != {"$ref": "#/components/schemas/Problem"}:
                        # A 409 may name the record it carries: the problem's fields, `current` typed.
                        conflict = schema["components"]["schemas"][media["$ref"].rsplit("/", 1)[-1]]
                        assert {"type", "title", "status", "current"} <= set(conflict["properties"]), path
                        assert set(conflict["properties"]) <= set(problem["properties"]), path
                        continue
                    assert media == {"$ref": "#/components/schemas/Problem"}, f"{method} {path} {status}"
    # Litestar's own error shape (`detail`, `extra`) is documented nowhere.
    assert "extra" not in str(schema["components"])


async def test_no_boolean_parameter_of_the_api_takes_another_spelling(client: AsyncTestClient[Any]) -> None:
    schema = await served_schema(client)
    for operations in schema["paths"].values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter["schema"].get("type") == "boolean":
                    assert parameter["schema"].get("enum") == [True, False], parameter


@pytest.mark.parametrize(
    ("login", "path"),
    [
        ("volunteer1", "/h/{an}?saved={flag}"),
        ("volunteer1", "/h/{an}?reissued={flag}"),
        ("volunteer1", "/villages/{v1}?erased={flag}"),
        ("ward", "/wards/01849/rules?saved={flag}"),
        ("ward", "/wards/01849/staff/{volunteer1}?created={flag}"),
    ],
)
async def test_yes_no_parameters_are_true_or_false_and_nothing_else(
    client: AsyncTestClient[Any], world: World, login: str, path: str
) -> None:
    await sign_in(client, login)
    ids = {"an": world.households["an"], "v1": world.villages["v1"], "volunteer1": world.users["volunteer1"]}
    for flag in ("true", "false"):
        assert (await client.get(path.format(**ids, flag=flag))).status_code == 200, flag
    for flag in FLAG_SPELLINGS_REFUSED:
        assert (await client.get(path.format(**ids, flag=flag))).status_code == 400, flag


def _concrete(template: str, world: World) -> str:
    values = {
        "token": world.households["an"],
        "village_id": world.villages["v1"],
        "code": "01849",
        "user_id": world.users["volunteer1"],
        "digest_id": 1,
        "file_path": "app.css",
        "path": "openapi.json",
        "class_id": 1,
        "attendance_id": 1,
        "team_id": 1,
        "learner_id": 1,
        "key": "vneid",
        "period": "2026-Q3",
        "ward": "01849",
        "version": 1,
    }
    if template.startswith(("/provinces/", "/api/provinces/")):
        values["code"] = "19"
    return re.sub(r"\{(\w+)(:\w+)?\}", lambda m: str(values[m.group(1)]), template)


async def test_options_names_every_method_of_every_path(client: AsyncTestClient[Any], world: World) -> None:
    routes = [r for r in client.app.routes if isinstance(r, HTTPRoute)]
    assert len(routes) > 40
    for route in routes:
        path = _concrete(route.path, world)
        response = await client.options(path)
        assert response.status_code == 204, path
        assert set(response.headers["allow"].split(", ")) == set(route.methods), path
    # As the served schema says too: the session is taken with POST and given back with DELETE.
    schema = await served_schema(client)
    allow = (await client.options("/api/session")).headers["allow"].split(", ")
    assert {m.upper() for m in schema["paths"]["/api/session"]} <= set(allow)
    assert allow == ["DELETE", "OPTIONS", "POST"]
    assert (await client.options("/signin")).headers["allow"] == "GET, OPTIONS, POST"
