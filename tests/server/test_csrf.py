"""Forged requests: a CSRF token works only in the session (or, signed out, the pre-session) it was made
for, and a browser's unsafe request from another site is refused, for pages and the API alike."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from surveys.tables import AuthSession
from tests.conftest import BASE_URL, api_token, csrf_token, sign_in
from tests.factories import PASSWORD, World
from tests.server.helpers import soup

FORGED_PAGE = "Biểu mẫu này đã hết hạn hoặc không phải do trang này tạo ra."
OTHER_SITE_PAGE = "Biểu mẫu này đến từ một trang khác: phocap không nhận."


def refusal(response: Any) -> str:
    """The message of the error page."""
    assert response.status_code == 403, response.text[:300]
    main = soup(response).find("main")
    assert main is not None
    return " ".join(main.get_text(" ").split())


async def test_a_token_of_one_session_is_refused_in_the_next_one_on_the_same_phone(
    client: AsyncTestClient[Any], world: World
) -> None:
    first = await sign_in(client, "volunteer1")
    assert (
        await client.post("/signout", data={"_csrf_token": first}, follow_redirects=False)
    ).status_code == 303
    second = await sign_in(client, "volunteer2")
    # volunteer1's token, in volunteer2's session: refused, with a page that says what to do.
    refused = await client.post("/language", data={"locale": "en", "next": "/villages", "_csrf_token": first})
    assert FORGED_PAGE in refusal(refused)
    assert (await client.post("/language", data={"locale": "en", "_csrf_token": second})).status_code == 200


async def test_a_token_of_another_browsers_session_is_refused(
    client: AsyncTestClient[Any], world: World
) -> None:
    async with AsyncTestClient(app=client.app, base_url=BASE_URL) as other:
        theirs = await sign_in(other, "volunteer2")
        await sign_in(client, "volunteer1")
        refused = await client.post("/signout", data={"_csrf_token": theirs}, follow_redirects=False)
        assert FORGED_PAGE in refusal(refused)
        # Nor in the header htmx sends it in.
        refused = await client.post("/signout", headers={"x-csrftoken": theirs}, follow_redirects=False)
        assert refused.status_code == 403
        assert await AuthSession.count() == 2


async def test_a_signed_out_visitors_token_is_bound_to_its_pre_session_cookie(
    client: AsyncTestClient[Any], world: World
) -> None:
    token = await csrf_token(client)
    presession = client.cookies.get("phocap_csrf")
    assert presession
    form = {"login": "volunteer1", "password": PASSWORD, "_csrf_token": token}
    # Another pre-session cookie (planted, or another browser's): the token is not for it.
    client.cookies.set("phocap_csrf", "planted-by-someone-else", domain="testserver.local")
    assert FORGED_PAGE in refusal(await client.post("/signin", data=form, follow_redirects=False))
    assert await AuthSession.count() == 0
    client.cookies.set("phocap_csrf", presession, domain="testserver.local")
    assert (await client.post("/signin", data=form, follow_redirects=False)).status_code == 303
    # Signed in, the token made before no longer serves: the session has tokens of its own.
    refused = await client.post("/signout", data={"_csrf_token": token}, follow_redirects=False)
    assert refused.status_code == 403
    assert await AuthSession.count() == 1


async def test_the_pre_session_cookie_is_httponly_secure_and_lax(client: AsyncTestClient[Any]) -> None:
    cookie = (await client.get("/signin")).headers["set-cookie"]
    assert cookie.startswith("phocap_csrf=")
    assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=lax" in cookie


@pytest.mark.parametrize(
    "headers",
    [
        {"sec-fetch-site": "cross-site"},
        {"origin": "https://evil.example"},
        {"origin": "https://testserver.local:8443"},  # another port: another origin
        {"origin": "null"},  # a sandboxed frame, or a page whose origin the browser hides
    ],
)
async def test_the_api_refuses_a_browsers_request_from_another_site_with_a_problem_body(
    client: AsyncTestClient[Any], world: World, headers: dict[str, str]
) -> None:
    login = {"login": "volunteer1", "password": PASSWORD}
    refused = await client.post("/api/session", json=login, headers=headers)
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json() == {
        "type": "about:blank",
        "title": "A page of another site cannot send this request.",
        "status": 403,
    }
    assert await AuthSession.count() == 0
    # A bearer token does not make it less forged.
    bearer = await api_token(client, "volunteer1")
    refused = await client.delete("/api/session", headers={**bearer, **headers})
    assert refused.status_code == 403 and await AuthSession.count() == 1


async def test_the_api_takes_bearer_clients_with_no_origin_and_the_apps_own_origin(
    client: AsyncTestClient[Any], world: World
) -> None:
    login = {"login": "volunteer1", "password": PASSWORD}
    # A script sends no Origin and no CSRF token: the API reads no cookie, so it needs none.
    assert (await client.post("/api/session", json=login)).status_code == 200
    own = {"origin": BASE_URL, "sec-fetch-site": "same-origin"}
    assert (await client.post("/api/session", json=login, headers=own)).status_code == 200


async def test_a_form_from_another_site_gets_a_page_saying_so(
    client: AsyncTestClient[Any], world: World
) -> None:
    token = await csrf_token(client)
    form = {"login": "volunteer1", "password": PASSWORD, "_csrf_token": token}
    refused = await client.post("/signin", data=form, headers={"origin": "https://evil.example"})
    assert OTHER_SITE_PAGE in refusal(refused)
    assert await AuthSession.count() == 0


async def test_base_url_is_the_apps_origin_even_when_the_proxy_passes_another_host(
    client: AsyncTestClient[Any], world: World
) -> None:
    # Behind the TLS proxy the request may reach phocap under another allowed name; the browser's
    # Origin is still BASE_URL's.
    token = await csrf_token(client)
    form = {"login": "volunteer1", "password": PASSWORD, "_csrf_token": token}
    headers = {"origin": BASE_URL, "host": "testserver.local:8000"}
    assert (
        await client.post("/signin", data=form, headers=headers, follow_redirects=False)
    ).status_code == 303
