"""An admin gives accounts their ward or province from a ward's staff page; a ward officer cannot make
officers."""

from __future__ import annotations

from typing import Any

from litestar.testing import AsyncTestClient

from surveys.tables import AuditEntry, Province, User, UserVillage
from tests.conftest import sign_in
from tests.factories import World
from tests.server.helpers import field_errors, soup


async def _create(client: AsyncTestClient[Any], csrf: str, code: str, **fields: Any) -> Any:
    data = {"_csrf_token": csrf, "display_name": "Hoàng Văn Sở", "password": "mat-khau-so-1", **fields}
    return await client.post(f"/wards/{code}/staff/new", data=data, follow_redirects=False)


async def test_admin_makes_a_province_officer_who_lands_on_the_province(
    client: AsyncTestClient[Any], world: World
) -> None:
    csrf = await sign_in(client, "admin")
    form = soup(await client.get("/wards/01849/staff/new"))
    roles = [str(i["value"]) for i in form.select("input[name=role]")]
    assert roles == ["volunteer", "village_head", "ward_officer", "province_officer"]
    assert "Tỉnh Thái Nguyên" in form.text
    response = await _create(
        client, csrf, "01849", login="so.khcn", role="province_officer", villages=[str(world.villages["v1"])]
    )
    assert (
        response.status_code == 303 and response.headers["location"] == "/wards/01849/staff?created=officer"
    )
    province = await Province.select(Province.id).where(Province.code == "19").first()
    user = await User.select().where(User.login == "so.khcn").first()
    assert province is not None and user is not None
    assert (user["role"], user["province"], user["ward"]) == ("province_officer", province["id"], None)
    assert await UserVillage.count().where(UserVillage.user == user["id"]) == 0  # officers have no villages
    staff = soup(await client.get("/wards/01849/staff?created=officer"))
    assert staff.select_one(".notice") is not None and "Hoàng Văn Sở" in staff.text
    assert await AuditEntry.count().where(AuditEntry.action == "account.created") == 1
    await client.post("/signout", data={"_csrf_token": csrf})
    csrf = await sign_in(client, "so.khcn", "mat-khau-so-1")
    await client.post(
        "/password",
        data={"_csrf_token": csrf, "current_password": "mat-khau-so-1",
              "new_password": "mat-khau-moi-cua-so", "new_password_again": "mat-khau-moi-cua-so"},
    )  # fmt: skip
    landed = await client.get("/", follow_redirects=True)
    assert landed.url.path == "/provinces/19"


async def test_admin_makes_a_ward_officer_for_any_ward(client: AsyncTestClient[Any], world: World) -> None:
    csrf = await sign_in(client, "admin")
    response = await _create(client, csrf, "01852", login="can.bo.dh", role="ward_officer")
    assert response.status_code == 303
    user = await User.select(User.role, User.ward, User.province).where(User.login == "can.bo.dh").first()
    assert user == {"role": "ward_officer", "ward": world.wards["other"], "province": None}


async def test_a_ward_officer_cannot_make_officers(client: AsyncTestClient[Any], world: World) -> None:
    csrf = await sign_in(client, "ward")
    form = soup(await client.get("/wards/01849/staff/new"))
    assert [str(i["value"]) for i in form.select("input[name=role]")] == ["volunteer", "village_head"]
    for role in ("ward_officer", "province_officer"):
        response = await _create(client, csrf, "01849", login="len.chuc", role=role)
        assert response.status_code == 422
        assert field_errors(soup(response)) == ["Hãy chọn tình nguyện viên hoặc trưởng thôn."]
    assert await User.count().where(User.login == "len.chuc") == 0
