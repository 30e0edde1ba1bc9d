"""A province's default targets (issue 26 item 7): its officers set them on a page or through the API; a
ward without its own targets for the year inherits them, one with its own keeps them, and the ward's
dashboard says where its targets come from. Bad values are named and nothing is saved."""

from __future__ import annotations

import json
from typing import Any

from litestar.testing import AsyncTestClient

from surveys.core.clock import this_year
from surveys.reporting.province import province_report
from surveys.reporting.targets import targets_for
from surveys.tables import AuditEntry, Province, ProvinceTarget, WardTarget
from tests.conftest import api_token, sign_in
from tests.factories import World, make_user, make_ward
from tests.server.helpers import field_errors, soup

DEFAULTS = {"informed": "90", "digital_family": "70", "identity": "85", "vneid_level2": "60", "bank": "75",
            "basic_skills": "65", "skills_confirmed": "50", "ai_tool": "40"}  # fmt: skip
PERCENT = "Hãy nhập số nguyên từ 0 đến 100."


async def officers(world: World) -> None:
    """`province` reads Thái Nguyên (19), `hanoi` Hà Nội (01)."""
    await make_ward("00004", "Phường Ba Đình", "01")
    for login, code in (("province", "19"), ("hanoi", "01")):
        row = await Province.select(Province.id).where(Province.code == code).first()
        assert row is not None
        world.users[login] = await make_user(login, "province_officer", province_id=row["id"])


def source_of(page: Any) -> str:
    found = page.select_one(".targets-source")
    assert found is not None
    return str(found.text.strip())


async def test_a_ward_inherits_the_provinces_default_targets_unless_it_set_its_own(
    client: AsyncTestClient[Any], world: World
) -> None:
    await officers(world)
    await sign_in(client, "ward")
    dashboard = soup(await client.get("/wards/01849"))
    assert source_of(dashboard) == "Chỉ tiêu theo kế hoạch 2025-2026 (xã và tỉnh chưa đặt riêng)."

    csrf = await sign_in(client, "province")
    form = soup(await client.get("/provinces/19/targets"))
    assert source_of(form) == "Tỉnh chưa đặt: đây là chỉ tiêu theo kế hoạch 2025-2026."
    saved = await client.post(
        "/provinces/19/targets", data={"_csrf_token": csrf, **DEFAULTS}, follow_redirects=False
    )
    assert (saved.status_code, saved.headers["location"]) == (303, "/provinces/19")
    assert source_of(soup(await client.get("/provinces/19/targets"))) == "Do tỉnh đặt."

    # Phong Quang set none: it inherits them, and its dashboard says so; the province's lines agree.
    inherited = await targets_for(world.wards["pq"], this_year())
    assert (inherited.source, inherited.digital_family, inherited.ai_tool) == ("province", 70, 40)
    province = await Province.select(Province.id).where(Province.code == "19").first()
    assert province is not None
    lines = {line.code: line for line in (await province_report(province["id"])).wards}
    assert lines["01849"].targets == inherited
    await sign_in(client, "ward")
    dashboard = soup(await client.get("/wards/01849"))
    assert source_of(dashboard) == "Chỉ tiêu mặc định của tỉnh (xã chưa tự đặt)."
    # Its targets form opens on the inherited values; saving makes them its own.
    form = soup(await client.get("/wards/01849/targets"))
    assert form.find("input", attrs={"name": "digital_family"})["value"] == "70"  # type: ignore[index]
    csrf = await sign_in(client, "ward")
    own = {**DEFAULTS, "digital_family": "95", "_csrf_token": csrf}
    assert (await client.post("/wards/01849/targets", data=own, follow_redirects=False)).status_code == 303
    assert source_of(soup(await client.get("/wards/01849"))) == "Chỉ tiêu do xã tự đặt."

    # The province changes its defaults again: Phong Quang keeps its own, Đồng Hỷ follows.
    headers = await api_token(client, "province")
    body = {**{k: int(v) for k, v in DEFAULTS.items()}, "digital_family": 60}
    response = await client.post("/api/provinces/19/targets", json=body, headers=headers)
    assert response.status_code == 200
    assert response.json() == {"year": this_year(), "source": "province", **body}
    assert (await targets_for(world.wards["pq"], this_year())).digital_family == 95
    assert (await targets_for(world.wards["other"], this_year())).digital_family == 60
    # Each change is in the audit log, before and after.
    changes = await AuditEntry.select(AuditEntry.details).where(AuditEntry.action == "province_targets.saved")
    assert len(changes) == 2
    assert await WardTarget.count() == 1 and await ProvinceTarget.count() == 1


async def test_bad_default_targets_are_named_and_nothing_is_saved(
    client: AsyncTestClient[Any], world: World
) -> None:
    await officers(world)
    csrf = await sign_in(client, "province")
    typed = {**DEFAULTS, "digital_family": "150", "identity": "abc", "bank": "-5", "ai_tool": ""}
    response = await client.post("/provinces/19/targets", data={"_csrf_token": csrf, **typed})
    assert response.status_code == 422
    page = soup(response)
    assert field_errors(page) == [PERCENT] * 4
    assert page.find("input", attrs={"name": "identity"})["value"] == "abc"  # type: ignore[index]
    assert page.select_one("p.error[role=alert]") is not None

    headers = await api_token(client, "province")
    bad = await client.post("/api/provinces/19/targets", json={**DEFAULTS, "informed": 101, "bank": None},
                            headers=headers)  # fmt: skip
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
    assert sorted((e["field"], e["code"]) for e in bad.json()["errors"]) == [
        ("bank", "required"),
        ("informed", "out_of_range"),
    ]
    not_an_object = await client.post("/api/provinces/19/targets", json=[1, 2], headers=headers)
    assert not_an_object.status_code == 422
    garbled = await client.post("/api/provinces/19/targets", content=b"{", headers=headers)
    assert garbled.status_code == 400
    assert await ProvinceTarget.count() == 0
    read = (await client.get("/api/provinces/19/targets", headers=headers)).json()
    assert (read["source"], read["digital_family"]) == ("plans", 100)


async def test_only_the_provinces_officers_set_its_defaults(
    client: AsyncTestClient[Any], world: World
) -> None:
    await officers(world)
    body = {k: int(v) for k, v in DEFAULTS.items()}
    for login in ("hanoi", "ward", "volunteer1"):
        headers = await api_token(client, login)
        assert (await client.get("/api/provinces/19/targets", headers=headers)).status_code == 404
        assert (await client.post("/api/provinces/19/targets", json=body, headers=headers)).status_code == 404
        csrf = await sign_in(client, login)
        form = await client.post("/provinces/19/targets", data={"_csrf_token": csrf, **DEFAULTS})
        assert form.status_code == 404
    assert await ProvinceTarget.count() == 0
    # Hà Nội's officer sets Hà Nội's: Thái Nguyên's wards are untouched.
    headers = await api_token(client, "hanoi")
    assert (await client.post("/api/provinces/01/targets", json=body, headers=headers)).status_code == 200
    assert (await targets_for(world.wards["pq"], this_year())).source == "plans"


async def test_a_ward_with_targets_of_its_own_can_go_back_to_the_provinces(
    client: AsyncTestClient[Any], world: World
) -> None:
    """A ward that set its own targets gives them up on its targets page and follows its province's
    defaults again (the plans' when the province set none); the change is in the audit log."""
    await officers(world)
    csrf = await sign_in(client, "province")
    await client.post("/provinces/19/targets", data={"_csrf_token": csrf, **DEFAULTS})
    csrf = await sign_in(client, "ward")
    # No targets of its own: nothing to give up, no button.
    assert (
        soup(await client.get("/wards/01849/targets")).find("form", action="/wards/01849/targets/inherit")
        is None
    )
    own = {**DEFAULTS, "digital_family": "95", "_csrf_token": csrf}
    await client.post("/wards/01849/targets", data=own)
    page = soup(await client.get("/wards/01849/targets"))
    form = page.find("form", action="/wards/01849/targets/inherit")
    assert form is not None and "Dùng lại chỉ tiêu của tỉnh" in form.text
    done = await client.post(
        "/wards/01849/targets/inherit", data={"_csrf_token": csrf}, follow_redirects=False
    )
    assert (done.status_code, done.headers["location"]) == (303, "/wards/01849/targets")
    targets = await targets_for(world.wards["pq"], this_year())
    assert (targets.source, targets.digital_family) == ("province", 70)
    page = soup(await client.get("/wards/01849/targets"))
    assert source_of(page) == "Chỉ tiêu mặc định của tỉnh (xã chưa tự đặt)."
    assert page.find("input", attrs={"name": "digital_family"})["value"] == "70"  # type: ignore[index]
    assert await WardTarget.count() == 0
    changes = await AuditEntry.select(AuditEntry.details).where(AuditEntry.action == "targets.inherited")
    assert len(changes) == 1
    details = changes[0]["details"]
    details = json.loads(details) if isinstance(details, str) else details
    assert (details["before"]["digital_family"], details["after"]["source"]) == (95, "province")
    # Again: nothing left to give up, nothing changes or is logged.
    assert (await client.post("/wards/01849/targets/inherit", data={"_csrf_token": csrf})).status_code == 200
    assert await AuditEntry.count().where(AuditEntry.action == "targets.inherited") == 1
    # Without a form token the request is refused and the targets stay.
    await client.post("/wards/01849/targets", data=own)
    refused = await client.post("/wards/01849/targets/inherit", data={}, follow_redirects=False)
    assert refused.status_code == 403
    assert (await targets_for(world.wards["pq"], this_year())).source == "ward"
