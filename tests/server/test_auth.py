"""Signing in and out, sessions, CSRF, and the interface language."""

from __future__ import annotations

from typing import Any

from bs4 import BeautifulSoup
from litestar.testing import AsyncTestClient

from surveys.tables import AuditEntry, AuthSession, User
from tests.conftest import BASE_URL, csrf_token, sign_in
from tests.factories import PASSWORD, World


def soup(response: Any) -> BeautifulSoup:
    return BeautifulSoup(response.text, "html.parser")


async def test_sign_in_page_is_vietnamese_by_default(client: AsyncTestClient[Any], world: World) -> None:
    page = soup(await client.get("/signin"))
    assert page.html is not None and page.html["lang"] == "vi"
    assert page.h1 is not None and page.h1.text == "Đăng nhập"


async def test_wrong_password_is_refused_with_a_message_and_the_login_kept(
    client: AsyncTestClient[Any], world: World
) -> None:
    token = await csrf_token(client)
    response = await client.post(
        "/signin", data={"login": "Volunteer1", "password": "wrong", "_csrf_token": token}
    )
    assert response.status_code == 401
    page = soup(response)
    alert = page.find(role="alert")
    assert alert is not None and alert.text == "Sai tên đăng nhập hoặc mật khẩu."
    login = page.find("input", attrs={"name": "login"})
    assert login is not None and login["value"] == "volunteer1"
    assert "phocap_session" not in response.cookies


async def test_sign_in_sets_a_secure_httponly_session_cookie_and_returns_to_next(
    client: AsyncTestClient[Any], world: World
) -> None:
    token = await csrf_token(client)
    response = await client.post(
        "/signin",
        data={"login": "volunteer1", "password": PASSWORD, "next": "/villages", "_csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == "/villages"
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("phocap_session="))
    assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=lax" in cookie
    assert await AuthSession.count() == 1
    signed_in = await AuditEntry.select(AuditEntry.user, AuditEntry.action).where(AuditEntry.entity == "user")
    assert signed_in == [{"user": world.users["volunteer1"], "action": "session.signed_in"}]


async def test_next_never_leads_to_another_site(client: AsyncTestClient[Any], world: World) -> None:
    for target in ("//evil.example", "https://evil.example/", "/\\evil.example"):
        token = await csrf_token(client)  # each sign-in opens a new session, with tokens of its own
        response = await client.post(
            "/signin",
            data={"login": "volunteer1", "password": PASSWORD, "next": target, "_csrf_token": token},
            follow_redirects=False,
        )
        assert response.headers["location"] == "/"


async def test_each_sign_in_gets_a_new_session_and_the_old_one_ends(
    client: AsyncTestClient[Any], world: World
) -> None:
    await sign_in(client, "volunteer1")
    first = client.cookies.get("phocap_session")
    await sign_in(client, "volunteer1")
    assert client.cookies.get("phocap_session") != first
    assert await AuthSession.count() == 1


async def test_sign_out_ends_the_session_on_the_server(client: AsyncTestClient[Any], world: World) -> None:
    token = await sign_in(client, "volunteer1")
    stolen = client.cookies.get("phocap_session")
    response = await client.post("/signout", data={"_csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303
    assert await AuthSession.count() == 0
    client.cookies.set("phocap_session", stolen or "", domain="testserver.local")
    assert (await client.get("/villages", follow_redirects=False)).status_code == 303


async def test_a_deactivated_users_open_session_is_refused_at_the_next_request(
    client: AsyncTestClient[Any], world: World
) -> None:
    await sign_in(client, "volunteer1")
    assert (await client.get("/villages")).status_code == 200
    await User.update({User.active: False}).where(User.id == world.users["volunteer1"])
    response = await client.get("/villages", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/signin")


async def test_pages_need_sign_in_and_come_back_after_to_the_path_only(
    client: AsyncTestClient[Any], world: World
) -> None:
    # A search bookmarked before searches were posted: the name stays out of the sign-in URL.
    response = await client.get("/villages/1?q=Nguyễn Văn An", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/signin?next=/villages/1"
    # A sign-in link that already carries one keeps only its path, in the form and after signing in.
    page = soup(await client.get("/signin", params={"next": "/villages/1?q=Nguyễn Văn An#top"}))
    form = page.find("form", action="/signin")
    assert form is not None
    next_field = form.find("input", attrs={"name": "next"})
    assert next_field is not None and next_field["value"] == "/villages/1"


async def test_a_post_without_csrf_token_is_refused(client: AsyncTestClient[Any], world: World) -> None:
    await sign_in(client, "volunteer1")
    response = await client.post("/signout", data={}, follow_redirects=False)
    assert response.status_code == 403
    assert await AuthSession.count() == 1


async def test_english_is_chosen_and_remembered_for_the_user(
    client: AsyncTestClient[Any], world: World
) -> None:
    token = await sign_in(client, "volunteer1")
    response = await client.post(
        "/language", data={"locale": "en", "next": "/villages", "_csrf_token": token}
    )
    page = soup(response)
    assert page.html is not None and page.html["lang"] == "en"
    assert page.h1 is not None and page.h1.text == "Your village list"
    assert await User.select(User.locale).where(User.login == "volunteer1").first() == {"locale": "en"}


async def test_a_phone_set_to_english_still_gets_vietnamese_until_its_user_chooses(
    client: AsyncTestClient[Any], world: World
) -> None:
    english_phone = {"Accept-Language": "en-US,en;q=0.9"}
    page = soup(await client.get("/signin", headers=english_phone))
    assert page.html is not None and page.html["lang"] == "vi"
    assert page.h1 is not None and page.h1.text == "Đăng nhập"
    await sign_in(client, "volunteer1")
    page = soup(await client.get("/villages", headers=english_phone))
    assert page.html is not None and page.html["lang"] == "vi"


async def test_the_staff_page_names_each_role_in_vietnamese_on_a_phone_set_to_english(
    client: AsyncTestClient[Any], world: World
) -> None:
    await sign_in(client, "ward")
    page = soup(await client.get("/wards/01849/staff", headers={"Accept-Language": "en"}))
    table = page.find("table")
    assert table is not None
    columns = [th.text for th in table.select("thead th")]
    role = columns.index("Vai trò")
    roles = {tr.find_all(["th", "td"])[role].text for tr in table.select("tbody tr")}
    assert roles == {"Tình nguyện viên", "Trưởng thôn", "Cán bộ xã"}


async def test_a_visitor_chooses_english_on_the_sign_in_page_and_keeps_it_there(
    client: AsyncTestClient[Any], world: World
) -> None:
    token = await csrf_token(client)
    response = await client.post("/language", data={"locale": "en", "next": "/signin", "_csrf_token": token})
    page = soup(response)
    assert page.html is not None and page.html["lang"] == "en"
    assert page.h1 is not None and page.h1.text == "Sign in"


async def test_a_user_who_chose_english_gets_it_after_signing_in_on_another_phone(
    client: AsyncTestClient[Any], world: World
) -> None:
    token = await sign_in(client, "volunteer1")
    page = soup(await client.get("/profile"))
    form = page.find("form", id="language")
    assert form is not None
    choices = form.find_all("input", attrs={"name": "locale"})
    assert [(i["value"], i.has_attr("checked")) for i in choices] == [("vi", True), ("en", False)]
    response = await client.post("/language", data={"locale": "en", "next": "/profile", "_csrf_token": token})
    assert soup(response).find("legend").text == "Interface language"  # type: ignore[union-attr]
    async with AsyncTestClient(app=client.app, base_url=BASE_URL) as other_phone:
        assert soup(await other_phone.get("/signin")).html["lang"] == "vi"  # type: ignore[index]
        await sign_in(other_phone, "volunteer1")
        page = soup(await other_phone.get("/villages", headers={"Accept-Language": "vi"}))
        assert page.html is not None and page.html["lang"] == "en"
        assert page.h1 is not None and page.h1.text == "Your village list"


async def test_unknown_language_falls_back_to_vietnamese(client: AsyncTestClient[Any], world: World) -> None:
    token = await csrf_token(client)
    response = await client.post("/language", data={"locale": "fr", "_csrf_token": token, "next": "/signin"})
    assert soup(response).html["lang"] == "vi"  # type: ignore[index]


async def test_a_session_idle_too_long_is_refused(
    client: AsyncTestClient[Any], world: World, settings: Any
) -> None:
    from datetime import timedelta

    from surveys.core.clock import now

    await sign_in(client, "volunteer1")
    idle_since = now() - timedelta(hours=settings.session_idle_hours, minutes=1)
    await AuthSession.update({AuthSession.last_seen_at: idle_since}).where(
        AuthSession.user == world.users["volunteer1"]
    )
    response = await client.get("/villages", follow_redirects=False)
    assert response.status_code == 303


async def test_a_session_past_its_lifetime_is_refused(client: AsyncTestClient[Any], world: World) -> None:
    from datetime import timedelta

    from surveys.core.clock import now

    await sign_in(client, "volunteer1")
    await AuthSession.update({AuthSession.expires_at: now() - timedelta(seconds=1)}).where(
        AuthSession.user == world.users["volunteer1"]
    )
    assert (await client.get("/villages", follow_redirects=False)).status_code == 303
