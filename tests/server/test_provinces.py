"""A province officer's day: their province's wards at a glance, sorted and filtered, the exports and the
API; nothing of another province, and nothing written."""

from __future__ import annotations

import csv
import io
from typing import Any

import openpyxl
from click.testing import CliRunner
from litestar.testing import AsyncTestClient

from surveys.core.settings import Settings
from surveys.reporting.province import province_report
from surveys.tables import Province
from tests.conftest import api_token, sign_in
from tests.factories import World, make_household, make_user, make_village, make_ward, person
from tests.server.helpers import soup
from tests.surveys.test_reports import households_registered_weeks_ago, visit_an


async def _provinces(world: World) -> None:
    """Thái Nguyên (19) has Phong Quang, Đồng Hỷ and a ward not started; Hà Nội (01) has Ba Đình with a
    household. `province` reads Thái Nguyên, `hanoi` Hà Nội."""
    await make_ward("01858", "Xã Chưa Dùng", "19")
    world.wards["hn"] = await make_ward("00004", "Phường Ba Đình", "01")
    world.villages["hn"] = await make_village(world.wards["hn"], "01", "Tổ dân phố 1")
    world.households["hn"] = await make_household(
        world.villages["hn"], "BD-01-0001", [person("Vũ Văn Tâm", 1985)]
    )
    await households_registered_weeks_ago()
    for login, code in (("province", "19"), ("hanoi", "01")):
        row = await Province.select(Province.id).where(Province.code == code).first()
        assert row is not None
        world.users[login] = await make_user(login, "province_officer", province_id=row["id"])


def _lines(page: Any) -> dict[str, list[str]]:
    return {
        str(tr["data-ward"]): [c.get_text(" ", strip=True) for c in tr.find_all(["th", "td"]) or [tr]]
        for tr in page.select("tr[data-ward], .idle-wards li[data-ward]")
    }


async def test_province_officer_lands_on_every_ward_of_their_province(
    client: AsyncTestClient[Any], world: World
) -> None:
    await _provinces(world)
    await visit_an(world)
    await sign_in(client, "province")
    response = await client.get("/", follow_redirects=True)
    assert response.url.path == "/provinces/19"
    page = soup(response)
    assert page.h1 is not None and page.h1.text == "Tỉnh Thái Nguyên"
    lines = _lines(page)
    # By name in Vietnamese order (Đồng before Phong), the ward not started last; nothing of Hà Nội.
    assert list(lines) == ["01852", "01849", "01858"]
    # Phong Quang: 3 households, 4 citizens 16+, 1 visited of 3 this week; the ward not started says so.
    pq = lines["01849"]
    assert (
        pq[1:3] == ["3", "4"] and pq[3] == "33,3\u00a0% 1/3 +33,3"
    )  # visited: no target; Vietnamese decimal comma
    assert pq[6] == "75,0\u00a0% / 100\u00a0% 3/4 +50,0"  # VNeID: An and Bình this week, Hùng before
    # The ward not started is listed apart, with no numbers (not 0%).
    idle = page.select_one("details.idle-wards")
    assert idle is not None and idle.summary is not None
    assert idle.summary.text == "Chưa triển khai: 1 xã, phường chưa có hộ nào trên phocap"
    assert lines["01858"] == ["Xã Chưa Dùng"] and page.select_one("tr[data-ward='01858']") is None
    total = [c.get_text(" ", strip=True) for c in page.select("tfoot tr")[0].find_all(["th", "td"])]
    assert total[:4] == ["Toàn tỉnh", "4", "5", "25,0\u00a0% 1/4 +25,0"]
    assert len(page.select(".chart svg polyline")) == 7
    # The wards' own pages open, but nothing that writes.
    assert (await client.get("/wards/01849")).status_code == 200
    assert (await client.get(f"/villages/{world.villages['v1']}")).status_code == 200
    for path in (
        "/wards/01849/targets",
        "/wards/01849/staff",
        f"/villages/{world.villages['v1']}/households/new",
    ):
        assert (await client.get(path)).status_code == 404, path


async def test_sort_by_a_column_and_show_wards_behind_target(
    client: AsyncTestClient[Any], world: World
) -> None:
    await _provinces(world)
    await visit_an(world)
    await sign_in(client, "province")
    by_households = _lines(soup(await client.get("/provinces/19?sort=households&order=desc")))
    assert list(by_households) == ["01849", "01852", "01858"]
    by_households_up = _lines(soup(await client.get("/provinces/19?sort=households&order=asc")))
    assert list(by_households_up) == ["01852", "01849", "01858"]  # not started: always last
    page = soup(await client.get("/provinces/19?show=behind"))
    assert list(_lines(page)) == ["01852", "01849"]
    assert [a.text.strip() for a in page.select(".chips-nav .chip.on")] == ["Chậm so với chỉ tiêu"]
    assert list(_lines(soup(await client.get("/provinces/19?show=not_started")))) == ["01858"]
    # A column header sorts by it; an unknown sort or filter falls back to the whole list by name.
    header = page.select_one("thead th a[href*='sort=vneid']")
    assert header is not None
    assert set(_lines(soup(await client.get("/provinces/19?sort=nonsense&show=nonsense")))) == {
        "01849",
        "01852",
        "01858",
    }


async def test_exports_and_api_hold_the_dashboards_numbers(
    client: AsyncTestClient[Any], world: World
) -> None:
    await _provinces(world)
    await visit_an(world)
    await sign_in(client, "province")
    row = await Province.select(Province.id).where(Province.code == "19").first()
    assert row is not None
    report = await province_report(row["id"])
    rows = list(
        csv.reader(io.StringIO((await client.get("/provinces/19/report.csv")).content.decode("utf-8-sig")))
    )
    assert rows[0] == ["Bình dân học vụ số: báo cáo cấp tỉnh"]
    pq = next(r for r in rows if r[:1] == ["01849"])
    assert pq[3:5] == ["3", "4"] and pq[5:9] == ["1", "33.3", "", "33.3"]
    assert next(r for r in rows if r[:1] == ["01858"])[2] == "Chưa triển khai"
    book = openpyxl.load_workbook(io.BytesIO((await client.get("/provinces/19/report.xlsx")).content))
    sheet = book.active
    assert sheet is not None and sheet.title == "19"
    total = next(r for r in sheet.iter_rows(values_only=True) if r[1:2] == ("Toàn tỉnh",))
    assert total[3:5] == (report.total.households, report.total.adults) == (4, 5)
    api = (await client.get("/api/provinces/19/report", headers=await api_token(client, "province"))).json()
    wards = {w["ward_code"]: w for w in api["wards"]}
    assert set(wards) == {"01849", "01852", "01858"}
    assert wards["01849"]["indicators"]["visited"] == {
        "count": 1, "of": 3, "percent": 33.3, "target": None, "met": None, "change": 33.3,
    }  # fmt: skip
    assert wards["01849"]["indicators"]["vneid"]["target"] == 100 and wards["01849"]["behind_target"]
    assert wards["01858"]["started"] is False and wards["01858"]["indicators"]["vneid"]["percent"] is None
    assert api["total"]["households"] == sum(w["households"] for w in api["wards"]) == 4
    assert api["total"]["wards_started"] == 2 and api["total"]["wards"] == 3
    assert api["total"]["indicators"]["visited"]["change"] == 25.0  # 0 of 4 last week, 1 of 4 now
    assert wards["01858"]["indicators"]["visited"]["change"] is None


async def test_a_province_officer_gets_404_for_anything_of_another_province(
    client: AsyncTestClient[Any], world: World
) -> None:
    await _provinces(world)
    await sign_in(client, "hanoi")
    assert (await client.get("/", follow_redirects=False)).headers["location"] == "/provinces/01"
    for path in ("/provinces/19", "/provinces/19/report.csv", "/provinces/19/report.xlsx", "/wards/01849",
                 "/wards/01849/report.xlsx", f"/villages/{world.villages['v1']}", f"/h/{world.households['an']}/edit",
                 "/provinces/99", "/provinces/1"):  # fmt: skip
        assert (await client.get(path)).status_code == 404, path
    assert (await client.get("/provinces/01")).status_code == 200
    headers = await api_token(client, "hanoi")
    for path in (
        "/api/provinces/19/report",
        "/api/wards/01849/report",
        f"/api/households/{world.households['an']}",
    ):
        assert (await client.get(path, headers=headers)).status_code == 404, path
    assert (await client.get("/api/provinces/01/report", headers=headers)).status_code == 200


async def test_ward_officers_see_no_province(client: AsyncTestClient[Any], world: World) -> None:
    await _provinces(world)
    await sign_in(client, "ward")
    assert (await client.get("/provinces/19")).status_code == 404
    assert (
        await client.get("/api/provinces/19/report", headers=await api_token(client, "ward"))
    ).status_code == 404


def test_cli_creates_a_province_officer_and_refuses_bad_input(
    settings: Settings, world: World, monkeypatch: Any
) -> None:
    from server.cli import main
    from surveys.core.settings import get_settings

    monkeypatch.setenv("DATABASE_URL", settings.resolved_database_url)
    monkeypatch.setenv("PHOCAP_DATA_DIR", settings.data_dir)
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        base = ["user", "create", "--login", "sokhcn", "--name", "Sở KH&CN", "--password-stdin"]
        made = runner.invoke(
            main, [*base, "--role", "province_officer", "--province", "19"], input="mat-khau-tinh-19\n"
        )
        assert made.exit_code == 0, made.output
        no_province = runner.invoke(main, [*base, "--role", "province_officer"], input="mat-khau-tinh-19\n")
        assert no_province.exit_code == 2 and "--province" in no_province.output
        unknown = runner.invoke(
            main, [*base, "--role", "province_officer", "--province", "77"], input="mat-khau-tinh-19\n"
        )
        assert unknown.exit_code == 2 and "77" in unknown.output
        not_for_ward = runner.invoke(
            main,
            [*base, "--role", "ward_officer", "--ward", "01849", "--province", "19"],
            input="mat-khau-tinh-19\n",
        )
        assert not_for_ward.exit_code == 2
    finally:
        get_settings.cache_clear()
