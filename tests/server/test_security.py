"""Headers and hosts: safe defaults for a server on the internet."""

from __future__ import annotations

from typing import Any

from litestar.testing import AsyncTestClient

from server.security import AllowedHostsMiddleware


async def test_security_headers_on_pages(client: AsyncTestClient[Any]) -> None:
    response = await client.get("/signin")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"
    assert response.headers["strict-transport-security"].startswith("max-age=")


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
