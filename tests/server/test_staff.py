"""The ward office manages its staff accounts; a reset password is changed at next sign-in."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from server.app import create_app
from surveys.core.settings import Settings
from surveys.tables import AuditEntry, AuthSession, User, UserVillage
from tests.conftest import BASE_URL, api_token, csrf_token, sign_in
from tests.factories import PASSWORD, World
from tests.server.helpers import field_errors, soup


async def new_account(client: AsyncTestClient[Any], csrf: str, **fields: Any) -> Any:
    data = {
        "_csrf_token": csrf,
        "login": "tnv.hoa",
        "display_name": "Lò Thị Hoa",
        "role": "volunteer",
        "password": "mat-khau-1",
        **fields,
    }
    return await client.post("/wards/01849/staff/new", data=data, follow_redirects=False)


async def test_ward_officer_creates_a_volunteer_with_villages(
    client: AsyncTestClient[Any], world: World
) -> None:
    csrf = await sign_in(client, "ward")
    response = await new_account(
        client, csrf, villages=[str(world.villages["v1"]), str(world.villages["v3"])]
    )
    assert response.status_code == 303
    user = await User.select().where(User.login == "tnv.hoa").first()
    assert user is not None and user["ward"] == world.wards["pq"] and user["must_change_password"]
    villages = {
        r["village"]
        for r in await UserVillage.select(UserVillage.village).where(UserVillage.user == user["id"])
    }
    assert villages == {world.villages["v1"], world.villages["v3"]}
    staff = soup(await client.get("/wards/01849/staff"))
    assert "Lò Thị Hoa" in staff.text and "Thôn Đồng Tâm, Thôn Bản Cái" in staff.text
    assert await AuditEntry.count().where(AuditEntry.action == "account.created") == 1


async def test_a_bookmark_of_the_old_team_address_moves_permanently_to_the_staff_pages(
    client: AsyncTestClient[Any], world: World
) -> None:
    await sign_in(client, "ward")
    volunteer = world.users["volunteer1"]
    moved = {
        "/wards/01849/team": "/wards/01849/staff",
        "/wards/01849/team?created=officer": "/wards/01849/staff?created=officer",
        f"/wards/01849/team/{volunteer}": f"/wards/01849/staff/{volunteer}",
    }
    for old, new in moved.items():
        response = await client.get(old, follow_redirects=False)
        assert (response.status_code, response.headers["location"]) == (301, new)
    page = soup(await client.get(f"/wards/01849/team/{volunteer}"))
    assert page.find("form", action=f"/wards/01849/staff/{volunteer}") is not None


async def test_bad_account_input_comes_back_with_messages(client: AsyncTestClient[Any], world: World) -> None:
    csrf = await sign_in(client, "ward")
    response = await new_account(
        client,
        csrf,
        login="Hoa Lò!",
        display_name="  ",
        role="admin",
        password="ngan",
        villages=[str(world.villages["v4"])],
    )
    assert response.status_code == 422
    page = soup(response)
    assert set(field_errors(page)) == {
        "Dùng 3 đến 50 chữ thường không dấu, chữ số, dấu chấm, gạch ngang hoặc gạch dưới.",
        "Hãy nhập tên hiển thị trong ứng dụng.",
        "Hãy chọn tình nguyện viên hoặc trưởng thôn.",
        "Mật khẩu có ít nhất 8 ký tự.",
    }
    assert page.find("input", attrs={"name": "login"})["value"] == "Hoa Lò!"  # type: ignore[index]
    taken = await new_account(client, csrf, login="volunteer1")
    assert field_errors(soup(taken)) == ["Tên đăng nhập này đã có người dùng."]
    elsewhere = await new_account(client, csrf, villages=[str(world.villages["v4"])])
    assert field_errors(soup(elsewhere)) == ["Hãy chọn các thôn của xã này."]
    assert await User.count().where(User.login == "tnv.hoa") == 0


async def test_new_user_must_choose_a_password_first(client: AsyncTestClient[Any], world: World) -> None:
    csrf = await sign_in(client, "ward")
    await new_account(client, csrf, villages=[str(world.villages["v1"])])
    await client.post("/signout", data={"_csrf_token": csrf})
    await sign_in(client, "tnv.hoa", "mat-khau-1")
    response = await client.get(f"/villages/{world.villages['v1']}", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/password"
    csrf = await csrf_token(client, "/password")
    wrong = await client.post(
        "/password",
        data={
            "_csrf_token": csrf,
            "current_password": "sai",
            "new_password": "ngan",
            "new_password_again": "",
        },
    )
    assert field_errors(soup(wrong)) == [
        "Đây không phải mật khẩu hiện tại của bạn.",
        "Mật khẩu có ít nhất 8 ký tự.",
    ]
    ok = await client.post(
        "/password",
        data={
            "_csrf_token": csrf,
            "current_password": "mat-khau-1",
            "new_password": "mat-khau-rieng",
            "new_password_again": "mat-khau-rieng",
        },
        follow_redirects=False,
    )
    assert ok.status_code == 303
    assert (await client.get(f"/villages/{world.villages['v1']}")).status_code == 200


async def test_reset_password_ends_sessions_and_shows_a_temporary_one(
    client: AsyncTestClient[Any], world: World
) -> None:
    from datetime import timedelta

    from surveys.people.accounts import open_session

    await open_session(world.users["volunteer1"], "web", timedelta(days=1))
    csrf = await sign_in(client, "ward")
    page = soup(
        await client.post(
            f"/wards/01849/staff/{world.users['volunteer1']}/password", data={"_csrf_token": csrf}
        )
    )
    temporary = page.select_one(".big-code")
    assert temporary is not None and len(temporary.text) >= 8
    assert await AuthSession.count().where(AuthSession.user == world.users["volunteer1"]) == 0
    user = await User.select(User.must_change_password).where(User.id == world.users["volunteer1"]).first()
    assert user == {"must_change_password": True}
    assert (
        await client.post("/api/session", json={"login": "volunteer1", "password": temporary.text})
    ).status_code == 403


async def test_deactivate_ends_sessions_at_once(client: AsyncTestClient[Any], world: World) -> None:
    from datetime import timedelta

    from surveys.people.accounts import open_session

    await open_session(world.users["volunteer2"], "api", timedelta(days=1))
    csrf = await sign_in(client, "ward")
    response = await client.post(
        f"/wards/01849/staff/{world.users['volunteer2']}/active",
        data={"_csrf_token": csrf, "active": "false"},
    )
    assert response.status_code == 200
    assert await AuthSession.count().where(AuthSession.user == world.users["volunteer2"]) == 0
    assert (
        await client.post("/api/session", json={"login": "volunteer2", "password": "correct-horse-battery"})
    ).status_code == 401
    history = soup(await client.get(f"/wards/01849/staff/{world.users['volunteer2']}"))
    assert "Đã khóa" in history.text


async def test_edit_villages_and_role_is_audited(client: AsyncTestClient[Any], world: World) -> None:
    csrf = await sign_in(client, "ward")
    user = world.users["volunteer2"]
    response = await client.post(
        f"/wards/01849/staff/{user}",
        data={
            "_csrf_token": csrf,
            "display_name": "Ma Văn Hùng",
            "role": "village_head",
            "villages": [str(world.villages["v2"])],
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert await User.select(User.role, User.display_name).where(User.id == user).first() == {
        "role": "village_head",
        "display_name": "Ma Văn Hùng",
    }
    entry = (
        await AuditEntry.select(AuditEntry.details)
        .where(AuditEntry.action == "account.updated")
        .output(load_json=True)
        .first()
    )
    assert entry is not None and entry["details"]["before"]["villages"] == [world.villages["v3"]]
    assert entry["details"]["after"] == {
        "display_name": "Ma Văn Hùng",
        "role": "village_head",
        "villages": [world.villages["v2"]],
    }


@pytest.mark.parametrize("login", ["volunteer1", "head1", "otherward"])
async def test_only_the_wards_officers_manage_its_accounts(
    client: AsyncTestClient[Any], world: World, login: str
) -> None:
    csrf = await sign_in(client, login)
    target = world.users["volunteer2"]
    assert (await client.get("/wards/01849/staff")).status_code == 404
    assert (await new_account(client, csrf)).status_code == 404
    assert (
        await client.post(f"/wards/01849/staff/{target}/password", data={"_csrf_token": csrf})
    ).status_code == 404
    assert (
        await client.post(
            f"/wards/01849/staff/{target}/active", data={"_csrf_token": csrf, "active": "false"}
        )
    ).status_code == 404
    assert await User.count().where(User.login == "tnv.hoa") == 0


async def test_a_ward_officer_cannot_manage_another_wards_user_or_an_officer(
    client: AsyncTestClient[Any], world: World
) -> None:
    csrf = await sign_in(client, "ward")
    assert (await client.get(f"/wards/01849/staff/{world.users['otherward']}")).status_code == 404
    assert (await client.get(f"/wards/01849/staff/{world.users['ward']}")).status_code == 404
    assert (
        await client.post(
            f"/wards/01849/staff/{world.users['admin']}/active", data={"_csrf_token": csrf, "active": "false"}
        )
    ).status_code == 404


async def test_changing_ones_own_password_ends_the_other_sessions_and_keeps_this_one(
    client: AsyncTestClient[Any], settings: Settings, world: World
) -> None:
    # Signed in on the phone (a lost one, say) and on the office PC; the password is changed on the PC.
    async with AsyncTestClient(app=create_app(settings), base_url=BASE_URL) as phone:
        await sign_in(phone, "volunteer1")
        api = await api_token(phone, "volunteer1")
        csrf = await sign_in(client, "volunteer1")
        changed = await client.post(
            "/password",
            data={
                "_csrf_token": csrf,
                "current_password": PASSWORD,
                "new_password": "dong-lua-chin-vang",
                "new_password_again": "dong-lua-chin-vang",
            },
            follow_redirects=False,
        )
        assert changed.status_code == 303
        assert (await client.get("/villages")).status_code == 200
        on_phone = await phone.get("/villages", follow_redirects=False)
        assert on_phone.status_code == 303 and on_phone.headers["location"] == "/signin?next=/villages"
        assert (await phone.get("/api/villages", headers=api)).status_code == 401


async def test_the_staff_pages_are_named_staff_accounts_not_the_digital_teams(
    client: AsyncTestClient[Any], world: World
) -> None:
    """The accounts that sign in are the staff's ("Tài khoản cán bộ": on the page, in its title, on the
    dashboard's link and on an account's way back); "tổ" is the community digital team's word."""
    await sign_in(client, "ward")
    staff = soup(await client.get("/wards/01849/staff"))
    assert staff.title is not None and staff.title.text.startswith("Tài khoản cán bộ")
    assert staff.h1 is not None and staff.h1.text == "Tài khoản cán bộ"
    dashboard = soup(await client.get("/wards/01849"))
    link = dashboard.find("a", href="/wards/01849/staff")
    assert link is not None and link.text == "Tài khoản cán bộ"
    account = soup(await client.get(f"/wards/01849/staff/{world.users['volunteer1']}"))
    crumb = account.select_one(".crumbs a[href='/wards/01849/staff']")
    assert crumb is not None and crumb.text == "Tài khoản cán bộ"
    for page in (staff, account):
        main = page.find("main")
        assert main is not None and "tổ" not in main.text.replace("tổ dân phố", "").lower().split()
