"""Brute-force protection (ASVS 5.0 V6.3.1) and password choice (V6.2): sign-in is refused for a while
after too many failures per account and per client address, even with the right password; the client
address comes from a proxy's header only when that proxy is trusted; common passwords are refused."""

from __future__ import annotations

import asyncio
import contextvars
from datetime import timedelta
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from server.app import create_app
from server.security import ClientAddressMiddleware
from surveys.core.settings import Settings, load_settings
from surveys.people import hashing
from surveys.people.accounts import purge_expired_sessions
from surveys.people.passwords import common_passwords, password_problem
from surveys.tables import SignInFailure, User
from tests.conftest import BASE_URL, csrf_token, sign_in
from tests.factories import PASSWORD, World
from tests.server.helpers import field_errors, soup


async def _attempt(client: AsyncTestClient[Any], login: str, password: str, **headers: str) -> Any:
    token = await csrf_token(client)
    return await client.post(
        "/signin",
        data={"login": login, "password": password, "_csrf_token": token},
        headers=headers,
        follow_redirects=False,
    )


async def _age_failures(minutes: int) -> None:
    """Move every recorded failure `minutes` into the past, as if that time had passed."""
    for row in await SignInFailure.select(SignInFailure.id, SignInFailure.failed_at):
        await SignInFailure.update(
            {SignInFailure.failed_at: row["failed_at"] - timedelta(minutes=minutes)}
        ).where(SignInFailure.id == row["id"])


async def test_after_five_failures_even_the_right_password_waits_for_the_window(
    client: AsyncTestClient[Any], world: World
) -> None:
    for _ in range(5):
        assert (await _attempt(client, "volunteer1", "wrong-guess")).status_code == 401
    locked = await _attempt(client, "volunteer1", PASSWORD)
    assert locked.status_code == 429
    assert locked.headers["retry-after"] == "900"
    alert = soup(locked).find(role="alert")
    assert alert is not None and alert.text == "Đăng nhập sai quá nhiều lần. Hãy thử lại sau 15 phút."
    assert "phocap_session" not in locked.cookies
    # Refused attempts are not counted: the lock does not grow while someone keeps trying.
    assert await SignInFailure.count() == 5
    # Another account from the same address is not locked by these five.
    assert (await _attempt(client, "head1", PASSWORD)).status_code == 303
    await _age_failures(16)
    assert (await _attempt(client, "volunteer1", PASSWORD)).status_code == 303
    # A success clears the account's count.
    assert await SignInFailure.count().where(SignInFailure.login == "volunteer1") == 0


async def test_the_api_token_endpoint_counts_the_same_failures(
    client: AsyncTestClient[Any], world: World
) -> None:
    for _ in range(5):
        wrong = await client.post("/api/session", json={"login": "volunteer1", "password": "wrong-guess"})
        assert wrong.status_code == 401
    locked = await client.post("/api/session", json={"login": "volunteer1", "password": PASSWORD})
    assert locked.status_code == 429 and locked.headers["content-type"] == "application/problem+json"
    assert locked.json()["status"] == 429 and int(locked.headers["retry-after"]) > 0
    # The web sign-in is locked too: the limit is the account's, whatever the door.
    assert (await _attempt(client, "volunteer1", PASSWORD)).status_code == 429


async def test_one_address_trying_many_logins_is_locked(settings: Settings, world: World) -> None:
    strict = load_settings(
        environ={}, **{**settings.__dict__, "signin_max_failures_per_address": 3, "trusted_proxies": ""}
    )
    async with AsyncTestClient(app=create_app(strict), base_url=BASE_URL) as client:
        for login in ("an", "binh", "chi"):
            # A forged X-Forwarded-For changes nothing: no proxy is trusted.
            forged = {"x-forwarded-for": f"203.0.113.{len(login)}"}
            assert (await _attempt(client, login, "wrong-guess", **forged)).status_code == 401
        assert (await _attempt(client, "volunteer1", PASSWORD)).status_code == 429
    assert {r["client_addr"] for r in await SignInFailure.select(SignInFailure.client_addr)} == {"testclient"}


async def test_expired_failures_are_purged(client: AsyncTestClient[Any], world: World) -> None:
    await _attempt(client, "volunteer1", "wrong-guess")
    await _age_failures(20)
    await _attempt(client, "head1", "wrong-guess")
    await purge_expired_sessions(timedelta(days=7), timedelta(minutes=15))
    assert [r["login"] for r in await SignInFailure.select(SignInFailure.login)] == ["head1"]


def test_the_client_address_comes_from_a_trusted_proxy_only() -> None:
    proxies = load_settings(environ={}, trusted_proxies="10.0.0.0/8, 127.0.0.1").proxy_networks
    middleware = ClientAddressMiddleware(proxies)
    # Straight from the internet: the peer, whatever the header says.
    assert middleware.client("198.51.100.7", ["203.0.113.9"]) == "198.51.100.7"
    # Through the proxy: the right-most address the proxy did not add itself.
    assert middleware.client("127.0.0.1", ["203.0.113.9"]) == "203.0.113.9"
    assert middleware.client("10.1.2.3", ["6.6.6.6", "203.0.113.9", "10.9.9.9"]) == "203.0.113.9"
    # Garbage in the header is not believed.
    assert middleware.client("127.0.0.1", ["not-an-ip"]) == "127.0.0.1"
    assert middleware.client("127.0.0.1", []) == "127.0.0.1"
    assert ClientAddressMiddleware([]).client("127.0.0.1", ["203.0.113.9"]) == "127.0.0.1"


async def test_the_middleware_rewrites_the_client_behind_a_trusted_proxy() -> None:
    seen: list[Any] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.append(scope["client"])

    middleware = ClientAddressMiddleware(
        load_settings(environ={}, trusted_proxies="127.0.0.1").proxy_networks
    )
    for peer in ("127.0.0.1", "198.51.100.7"):
        scope = {
            "type": "http",
            "client": (peer, 5000),
            "headers": [(b"x-forwarded-for", b"6.6.6.6, 203.0.113.9")],
        }
        await middleware.handle(scope, None, None, app)  # type: ignore[arg-type]
    assert seen == [("203.0.113.9", 5000), ("198.51.100.7", 5000)]


@pytest.mark.parametrize(
    ("password", "login", "problem"),
    [
        ("ngan", "", "too_short"),
        ("12345678", "", "too_common"),
        ("Password1", "", "too_common"),
        ("matkhau123", "", "too_common"),
        ("anhyeuem", "", "too_common"),
        ("tnv.hoa-2026", "tnv.hoa", "like_login"),
        ("x" * 201, "", "too_long"),
        ("đồng-lúa-chín-vàng", "tnv.hoa", None),
        (PASSWORD, "volunteer1", None),
    ],
)
def test_password_rules(password: str, login: str, problem: str | None) -> None:
    assert password_problem(password, login) == problem


def test_the_common_password_list_is_a_few_thousand_long_enough_ones() -> None:
    common = common_passwords()
    assert 3000 <= len(common) <= 20000
    assert all(len(p) >= 8 for p in common)


async def test_a_common_password_is_refused_where_passwords_are_chosen(
    client: AsyncTestClient[Any], world: World
) -> None:
    csrf = await sign_in(client, "ward")
    created = await client.post(
        "/wards/01849/staff/new",
        data={
            "_csrf_token": csrf,
            "login": "tnv.hoa",
            "display_name": "Lò Thị Hoa",
            "role": "volunteer",
            "password": "iloveyou123",
        },
    )
    assert created.status_code == 422
    assert field_errors(soup(created)) == [
        "Mật khẩu này nằm trong số những mật khẩu phổ biến nhất và bị đoán ra đầu tiên. Hãy chọn mật khẩu khác."
    ]
    csrf = await csrf_token(client, "/password")
    own = await client.post(
        "/password",
        data={
            "_csrf_token": csrf,
            "current_password": PASSWORD,
            "new_password": "ward-2026-pw",
            "new_password_again": "ward-2026-pw",
        },
    )
    assert field_errors(soup(own)) == ["Mật khẩu không được chứa tên đăng nhập."]


async def test_guessing_the_current_password_on_an_open_session_counts_too(
    client: AsyncTestClient[Any], world: World
) -> None:
    await sign_in(client, "volunteer1")
    csrf = await csrf_token(client, "/password")
    form = {
        "_csrf_token": csrf,
        "new_password": "dong-lua-chin-vang",
        "new_password_again": "dong-lua-chin-vang",
    }
    for _ in range(5):
        wrong = await client.post("/password", data={**form, "current_password": "wrong-guess"})
        assert field_errors(soup(wrong)) == ["Đây không phải mật khẩu hiện tại của bạn."]
    locked = await client.post("/password", data={**form, "current_password": PASSWORD})
    assert locked.status_code == 422
    assert field_errors(soup(locked)) == [
        "Nhập sai mật khẩu quá nhiều lần. Hãy thử lại sau, hoặc liên hệ cán bộ xã."
    ]
    client.cookies.clear()
    assert (await _attempt(client, "volunteer1", PASSWORD)).status_code == 429


async def test_thirty_parallel_guesses_at_one_account_get_no_more_than_five_checks(
    client: AsyncTestClient[Any], world: World
) -> None:
    # A fault run sent 30 wrong passwords at once and all 30 were checked (401): the limit is counted
    # atomically, so at most five are checked and the rest refused as if sent one after another. The
    # account gets phocap's own argon2 cost (the fixtures' is the cheapest): checks as slow as in the
    # field leave the window such a race needs.
    await User.update({User.password_hash: hashing.hash_password_now(PASSWORD)}).where(
        User.login == "volunteer1"
    )
    guesses = [
        client.post("/api/session", json={"login": "volunteer1", "password": f"guess-{n}"}) for n in range(30)
    ]
    statuses = sorted(r.status_code for r in await asyncio.gather(*guesses))
    assert statuses == [401] * 5 + [429] * 25
    assert await SignInFailure.count() == 5
    # The right password is refused too now, as after five failures in a row.
    assert (await _attempt(client, "volunteer1", PASSWORD)).status_code == 429


async def test_when_this_process_checks_too_many_passwords_one_more_waits_503_and_counts_nothing(
    client: AsyncTestClient[Any], world: World
) -> None:
    # Every place taken (as by a flood of sign-ins whose argon2 is still running).
    held = [(contextvars.copy_context(), hashing.hashing_slot()) for _ in range(hashing.MAX_IN_FLIGHT)]
    for context, slot in held:
        context.run(slot.__enter__)
    try:
        api = await client.post("/api/session", json={"login": "volunteer1", "password": PASSWORD})
        web = await _attempt(client, "volunteer1", PASSWORD)
    finally:
        for context, slot in held:
            context.run(slot.__exit__, None, None, None)
    assert api.status_code == 503 and api.headers["content-type"] == "application/problem+json"
    assert api.headers["retry-after"] == str(hashing.RETRY_AFTER_SECONDS) and api.json()["status"] == 503
    assert web.status_code == 503 and web.headers["retry-after"] == str(hashing.RETRY_AFTER_SECONDS)
    assert soup(web).find("h1").text.strip() == (
        "Máy chủ đang bận hoặc cơ sở dữ liệu chưa trả lời. Hãy thử lại sau giây lát."
    )
    assert await SignInFailure.count() == 0
    # With places free again, the same sign-in goes through.
    assert (await _attempt(client, "volunteer1", PASSWORD)).status_code == 303
