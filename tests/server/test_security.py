"""Headers and hosts: safe defaults for a server on the internet."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from server.security import AllowedHostsMiddleware


async def test_security_headers_on_pages(client: AsyncTestClient[Any]) -> None:
    response = await client.get("/signin")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"
    assert response.headers["strict-transport-security"].startswith("max-age=")


async def test_pages_and_api_answers_are_not_stored_but_static_assets_are_cached(
    client: AsyncTestClient[Any], world: Any
) -> None:
    from tests.conftest import api_token, sign_in

    await sign_in(client, "volunteer1")
    household = await client.get(f"/h/{world.households['an']}")
    assert "Nguyễn Văn An" in household.text and household.headers["cache-control"] == "no-store"
    headers = await api_token(client, "volunteer1")
    assert (await client.get(f"/api/households/{world.households['an']}", headers=headers)).headers[
        "cache-control"
    ] == "no-store"
    css = await client.get("/static/app.css")
    assert "max-age=31536000" in css.headers["cache-control"]


async def test_a_refusal_before_the_handler_is_logged_with_its_status(
    client: AsyncTestClient[Any], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="phocap.access"):
        await client.post("/signin", data={"login": "x", "password": "y"})
    assert [r.getMessage().split()[2] for r in caplog.records if r.name == "phocap.access"] == ["403"]


async def test_unknown_host_is_refused(client: AsyncTestClient[Any]) -> None:
    response = await client.get("/signin", headers={"host": "evil.example"})
    assert response.status_code == 400


def test_allowed_hosts_ignore_the_port() -> None:
    check = AllowedHostsMiddleware(["localhost", "*.phocap.example"])
    assert check.allowed("localhost:8000") and check.allowed("LOCALHOST")
    assert check.allowed("xa.phocap.example:443")
    assert not check.allowed("phocap.example.evil.com") and not check.allowed("")


async def test_error_pages_show_no_internals(client: AsyncTestClient[Any]) -> None:
    response = await client.get("/no-such-page")
    assert response.status_code == 404
    assert "Traceback" not in response.text and "Trang không tồn tại" in response.text


async def test_request_bodies_over_the_limit_are_refused(client: AsyncTestClient[Any]) -> None:
    response = await client.post(
        "/api/session", content=b"x" * (2 * 1024 * 1024), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413


async def test_access_log_leaves_out_the_query_string(
    client: AsyncTestClient[Any], world: Any, caplog: pytest.LogCaptureFixture
) -> None:
    from tests.conftest import sign_in

    await sign_in(client, "volunteer1")
    with caplog.at_level(logging.INFO, logger="phocap.access"):
        await client.get("/villages/1", params={"q": "Nguyễn Văn An"})
    lines = [r.getMessage() for r in caplog.records if r.name == "phocap.access"]
    assert lines and lines[-1].startswith("GET /villages/1 200")
    assert not any("Nguy" in line or "q=" in line for line in lines)


async def test_an_unmigrated_database_stops_the_app_with_the_command_to_run(tmp_path: Any) -> None:
    from server.app import create_app
    from surveys.core.db import DatabaseNotMigrated
    from surveys.core.settings import load_settings
    from tests.conftest import POSTGRES_URL

    if POSTGRES_URL:
        pytest.skip("creates its own SQLite file")
    settings = load_settings(environ={}, data_dir=str(tmp_path), allowed_hosts="testserver.local")
    with pytest.raises(BaseExceptionGroup) as failure:  # the test client's task group wraps it
        async with AsyncTestClient(app=create_app(settings)):
            pass
    assert failure.group_contains(DatabaseNotMigrated, match="phocap migrate", depth=None)


async def test_a_nul_character_is_refused_at_the_door(client: AsyncTestClient[Any], world: Any) -> None:
    from tests.conftest import api_token, csrf_token, sign_in

    # PostgreSQL cannot store a NUL: without this check it failed deep inside, as a 500.
    headers = await api_token(client, "volunteer1")
    v1 = world.villages["v1"]
    search = await client.get(f"/api/villages/{v1}/coverage", params={"q": "an\x00"}, headers=headers)
    assert search.status_code == 400 and search.headers["content-type"] == "application/problem+json"
    assert "NUL" in search.json()["title"]
    visit = await client.post(
        f"/api/households/{world.households['an']}/visits",
        content=b'{"outcome": "nobody_home", "household": {"notes": "a\\u0000b"}}',
        headers={**headers, "content-type": "application/json"},
    )
    assert visit.status_code == 400
    token = await csrf_token(client)
    form = await client.post(
        "/signin", data={"login": "volunteer1\x00", "password": "x", "_csrf_token": token}
    )
    assert form.status_code == 400 and "Yêu cầu không hợp lệ." in form.text  # a page, in Vietnamese
    csrf = await sign_in(client, "volunteer1")
    fine = await client.post(f"/villages/{v1}", data={"q": "100%00 sure", "_csrf_token": csrf})
    assert fine.status_code == 200  # a typed "%00" is text, not a NUL


SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
    "cross-origin-opener-policy": "same-origin",
    "strict-transport-security": "max-age=31536000; includeSubDomains",
    "cache-control": "no-store",
}


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/signin", 200),
        ("GET", "/no-such-page", 404),
        ("GET", "/api/no-such-thing", 404),
        ("DELETE", "/signin", 405),
        ("PUT", "/api/villages", 405),
    ],
)
async def test_every_answer_errors_included_carries_the_security_headers_and_checks_the_host(
    client: AsyncTestClient[Any], method: str, path: str, status: int
) -> None:
    response = await client.request(method, path)
    assert response.status_code == status
    assert {name: response.headers.get(name) for name in SECURITY_HEADERS} == SECURITY_HEADERS
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    # A wrong Host is refused before anything else looks at the request, whatever the path.
    refused = await client.request(method, path, headers={"host": "evil.example"})
    assert refused.status_code == 400 and refused.json()["title"] == "Invalid host header"
    assert refused.headers["x-frame-options"] == "DENY"


@pytest.mark.parametrize(
    "headers",
    [
        {"sec-fetch-site": "cross-site"},
        {"sec-fetch-site": "same-site"},
        {"origin": "https://evil.example"},
        {"origin": "https://testserver.local.evil.example"},
    ],
)
async def test_a_form_posted_from_another_site_is_refused_even_with_a_valid_token(
    client: AsyncTestClient[Any], world: Any, headers: dict[str, str]
) -> None:
    from tests.conftest import csrf_token
    from tests.factories import PASSWORD

    token = await csrf_token(client)
    form = {"login": "volunteer1", "password": PASSWORD, "_csrf_token": token}
    refused = await client.post("/signin", data=form, headers=headers, follow_redirects=False)
    assert refused.status_code == 403 and "phocap_session" not in refused.cookies
    # The same form from the site itself goes through.
    same = {"origin": "https://testserver.local", "sec-fetch-site": "same-origin"}
    assert (await client.post("/signin", data=form, headers=same, follow_redirects=False)).status_code == 303
