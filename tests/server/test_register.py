"""The household register: add (volunteers too), correct, move, archive, merge; each audited."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from surveys.tables import AuditEntry, Household, Member, Visit
from tests.conftest import sign_in
from tests.factories import World
from tests.server.helpers import field_errors, form_values, soup
from tests.surveys.test_reports import visit_an


async def test_a_volunteer_adds_a_household_found_in_the_field(
    client: AsyncTestClient[Any], world: World
) -> None:
    csrf = await sign_in(client, "volunteer1")
    v2 = world.villages["v2"]
    response = await client.post(
        f"/villages/{v2}/households/new",
        data={
            "_csrf_token": csrf,
            "address": "  Xóm  Đồi ",
            "m-0-full_name": "Hà Văn Mới",
            "m-0-birth_year": "1979",
            "m-0-is_head": "on",
            "m-1-full_name": "Hà Thị Con",
            "m-1-birth_year": "2012",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    token = response.headers["location"].removeprefix("/h/")
    household = await Household.select().where(Household.token == token).first()
    assert (
        household is not None and household["code"] == "01849-02-0001" and household["address"] == "Xóm Đồi"
    )
    assert household["head_name"] == "Hà Văn Mới"
    assert await Member.count().where(Member.household == household["id"]) == 2
    assert await AuditEntry.count().where(AuditEntry.action == "household.created") == 1


async def test_adding_with_bad_input_keeps_what_was_typed(client: AsyncTestClient[Any], world: World) -> None:
    csrf = await sign_in(client, "volunteer1")
    response = await client.post(
        f"/villages/{world.villages['v1']}/households/new",
        data={"_csrf_token": csrf, "address": "", "m-0-full_name": "Lê Văn Sai", "m-0-birth_year": "3000"},
    )
    assert response.status_code == 422
    page = soup(response)
    assert field_errors(page) == [
        "Hãy nhập địa chỉ (xóm, tổ hoặc số nhà).",
        "Năm sinh phải trong khoảng 120 năm trở lại đây và không sau năm nay.",
    ]
    assert form_values(page.select_one("main form"))["m-0-full_name"] == "Lê Văn Sai"  # type: ignore[arg-type]
    assert await Household.count().where(Household.village == world.villages["v1"]) == 2


async def test_a_village_head_corrects_and_moves_a_household(
    client: AsyncTestClient[Any], world: World
) -> None:
    csrf = await sign_in(client, "ward")
    token = world.households["dang"]
    form = form_values(soup(await client.get(f"/h/{token}/edit")).select_one("main form"))  # type: ignore[arg-type]
    assert form["m-0-full_name"] == "Đặng Thị Ánh"
    changed = {
        **form,
        "_csrf_token": csrf,
        "address": "Xóm Mới",
        "village": str(world.villages["v2"]),
        "m-1-full_name": "Đặng Văn Út",
        "m-1-birth_year": "2001",
    }
    response = await client.post(f"/h/{token}/edit", data=changed, follow_redirects=False)
    assert response.status_code == 303
    row = (
        await Household.select(Household.village, Household.address, Household.version)
        .where(Household.token == token)
        .first()
    )
    assert row == {"village": world.villages["v2"], "address": "Xóm Mới", "version": 2}
    assert await AuditEntry.count().where(AuditEntry.action == "household.moved") == 1
    stale = await client.post(f"/h/{token}/edit", data=changed)
    assert stale.status_code == 409 and "Người khác đã sửa hộ này" in stale.text
    history = soup(await client.get(f"/h/{token}/edit"))
    assert "Chuyển sang thôn khác" in history.text


async def test_archive_takes_the_household_out_of_the_lists(
    client: AsyncTestClient[Any], world: World
) -> None:
    csrf = await sign_in(client, "head1")
    await client.post(f"/h/{world.households['dang']}/archive", data={"_csrf_token": csrf})
    listing = soup(await client.get(f"/villages/{world.villages['v1']}"))
    assert [s.text for s in listing.select("#results li:not([hidden]) strong")] == ["Nguyễn Văn An"]


async def test_merging_a_duplicate_keeps_all_visits(client: AsyncTestClient[Any], world: World) -> None:
    await visit_an(world)
    csrf = await sign_in(client, "head1")
    keep = world.households["dang"]
    response = await client.post(
        f"/h/{keep}/merge", data={"_csrf_token": csrf, "duplicate": "pq-01-0001"}, follow_redirects=False
    )
    assert response.status_code == 303
    kept = await Household.select(Household.id).where(Household.token == keep).first()
    assert kept is not None
    assert await Visit.count().where(Visit.household == kept["id"]) == 1
    assert await Member.count().where(Member.household == kept["id"]) == 4
    assert await Household.select(Household.archived).where(
        Household.token == world.households["an"]
    ).first() == {"archived": True}
    bad = await client.post(f"/h/{keep}/merge", data={"_csrf_token": csrf, "duplicate": "PQ-03-0001"})
    assert (
        bad.status_code == 422 and "Không có hộ nào khác của xã có mã này." in bad.text
    )  # village 3 is not head1's


@pytest.mark.parametrize("login", ["volunteer1", "volunteer2", "otherward"])
async def test_volunteers_and_others_cannot_correct_archive_or_merge(
    client: AsyncTestClient[Any], world: World, login: str
) -> None:
    csrf = await sign_in(client, login)
    token = world.households["an"]
    assert (await client.get(f"/h/{token}/edit")).status_code == 404
    assert (await client.post(f"/h/{token}/archive", data={"_csrf_token": csrf})).status_code == 404
    assert (
        await client.post(f"/h/{token}/merge", data={"_csrf_token": csrf, "duplicate": "PQ-01-0002"})
    ).status_code == 404
    assert await Household.count().where(Household.archived.eq(True)) == 0


async def test_a_volunteer_cannot_add_a_household_to_another_village(
    client: AsyncTestClient[Any], world: World
) -> None:
    csrf = await sign_in(client, "volunteer2")
    response = await client.post(
        f"/villages/{world.villages['v1']}/households/new",
        data={"_csrf_token": csrf, "address": "Xóm", "m-0-full_name": "Ai Đó", "m-0-birth_year": "1980"},
    )
    assert response.status_code == 404


async def test_a_member_moves_to_another_household(client: AsyncTestClient[Any], world: World) -> None:
    csrf = await sign_in(client, "ward")
    binh = await Member.select(Member.id).where(Member.full_name == "Trần Thị Bình").first()
    assert binh is not None
    response = await client.post(
        f"/h/{world.households['an']}/move-member",
        data={"_csrf_token": csrf, "member": str(binh["id"]), "to": "PQ-03-0001"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    hung = await Household.select(Household.id).where(Household.token == world.households["v3"]).first()
    assert hung is not None
    assert await Member.select(Member.household, Member.is_head).where(Member.id == binh["id"]).first() == {
        "household": hung["id"],
        "is_head": False,
    }
    actions = {a["action"] for a in await AuditEntry.select(AuditEntry.action)}
    assert {"member.moved", "member.moved_in"} <= actions
    nowhere = await client.post(
        f"/h/{world.households['an']}/move-member",
        data={"_csrf_token": csrf, "member": "999", "to": "PQ-03-0001"},
    )
    assert nowhere.status_code == 422 and "Hãy chọn một thành viên của hộ này." in nowhere.text


async def test_corrections_record_member_changes_without_names(
    client: AsyncTestClient[Any], world: World
) -> None:
    csrf = await sign_in(client, "head1")
    token = world.households["dang"]
    form = form_values(soup(await client.get(f"/h/{token}/edit")).select_one("main form"))  # type: ignore[arg-type]
    await client.post(
        f"/h/{token}/edit",
        data={**form, "_csrf_token": csrf, "m-0-birth_year": "1961", "m-0-full_name": "Đặng Thị Ánh Hồng"},
    )
    entry = (
        await AuditEntry.select(AuditEntry.details)
        .where(AuditEntry.action == "household.updated")
        .output(load_json=True)
        .first()
    )
    assert entry is not None
    [change] = entry["details"]["members"]
    assert change["birth_year"] == {"before": 1960, "after": 1961} and change["full_name"] == {
        "changed": True
    }
    assert "Ánh" not in str(entry["details"])
