"""A national officer's day: every province of the official list at a glance against its targets, sorted
and filtered, the API, and down to any province's and ward's dashboard, read only; no village, household,
class or team of any ward, and nothing written (tests/server/test_access_matrix.py tries every route)."""

from __future__ import annotations

from typing import Any

from click.testing import CliRunner
from litestar.testing import AsyncTestClient

from surveys.core.settings import Settings
from surveys.register.admin_units import import_units
from surveys.tables import Province, Ward
from tests.conftest import api_token, sign_in
from tests.factories import World, make_user
from tests.server.helpers import soup
from tests.server.test_provinces import _provinces
from tests.surveys.test_reports import visit_an


async def _country(world: World) -> None:
    """The province officers' fixture (Thái Nguyên: Phong Quang with An visited this week, Đồng Hỷ, a
    ward not started; Hà Nội: Ba Đình), the official list of 34 provinces, and a national officer."""
    await _provinces(world)
    await visit_an(world)
    await import_units()
    world.users["national"] = await make_user("national", "national_officer")


def _lines(page: Any) -> dict[str, list[str]]:
    return {
        str(tr["data-province"]): [c.get_text(" ", strip=True) for c in tr.find_all(["th", "td"]) or [tr]]
        for tr in page.select("tr[data-province], .idle-wards li[data-province]")
    }


async def _wards_of(code: str) -> int:
    return await Ward.count().where(Ward.province._.code == code)


async def test_national_officer_lands_on_every_province_and_reads_down_to_a_ward(
    client: AsyncTestClient[Any], world: World
) -> None:
    await _country(world)
    await sign_in(client, "national")
    response = await client.get("/", follow_redirects=True)
    assert response.url.path == "/country"
    page = soup(response)
    assert page.h1 is not None and page.h1.text == "Cả nước"
    lines = _lines(page)
    assert len(lines) == 34 == await Province.count()
    # Started first (by code), then the 32 not started, listed apart with no numbers (not 0%).
    assert list(lines)[:2] == ["01", "19"] and page.select_one("tr[data-province='04']") is None
    idle = page.select_one("details.idle-wards")
    assert idle is not None and idle.summary is not None
    assert idle.summary.text == "Chưa triển khai: 32 tỉnh, thành phố chưa có hộ nào trên phocap"
    # Thái Nguyên: 2 of its wards use phocap, 4 households, 5 citizens 16+; An's visit of this week.
    tn = lines["19"]
    assert tn[0].startswith("Tỉnh Thái Nguyên") and tn[1] == f"2/{await _wards_of('19')}"
    assert tn[2:4] == ["4", "5"] and tn[4] == "25,0\u00a0% 1/4 +25,0"  # visited: no target
    assert tn[7].startswith("60,0\u00a0% / 100,0\u00a0% 3/5")  # VNeID against its wards' 100%
    assert tn[-1] == f"0/{await _wards_of('19')}"  # no ward has reported on the latest ended quarter
    total = [c.get_text(" ", strip=True) for c in page.select("tfoot tr")[0].find_all(["th", "td"])]
    assert total[0] == "Cả nước" and total[2:4] == ["5", "6"]
    # Down to each province's dashboard, started or not, and to a ward's: read only.
    links = {a["href"] for a in page.select("tr[data-province] th a, .idle-wards a")}
    assert links == {f"/provinces/{code}" for code in lines}
    for path in ("/provinces/19", "/provinces/01", "/provinces/04", "/wards/01849", "/wards/00004"):
        assert (await client.get(path)).status_code == 200, path
    for path in (
        f"/villages/{world.villages['v1']}",
        f"/h/{world.households['an']}",
        "/wards/01849/targets",
        "/wards/01849/classes",
        "/wards/01849/digital-team",
    ):
        assert (await client.get(path)).status_code in (404, 200), path
        assert "Nguyễn Văn An" not in (await client.get(path)).text, path
    assert (await client.get(f"/villages/{world.villages['v1']}")).status_code == 404
    assert (await client.get("/wards/01849/targets")).status_code == 404


async def test_sort_by_a_column_and_show_provinces_not_started(
    client: AsyncTestClient[Any], world: World
) -> None:
    await _country(world)
    await sign_in(client, "national")
    # Thái Nguyên has 4 households, Hà Nội 1; the provinces not started always come last, by code.
    by_households = list(_lines(soup(await client.get("/country?sort=households&order=desc"))))
    assert by_households[:3] == ["19", "01", "04"]
    assert list(_lines(soup(await client.get("/country?sort=households&order=asc"))))[:2] == ["01", "19"]
    idle = list(_lines(soup(await client.get("/country?show=not_started"))))
    assert len(idle) == 32 and "19" not in idle
    assert list(_lines(soup(await client.get("/country?show=started")))) == ["01", "19"]
    # An unknown sort or filter falls back to every province by code; a value too long is refused in words.
    assert list(_lines(soup(await client.get("/country?sort=nonsense&show=nonsense"))))[:2] == ["01", "19"]
    refused = await client.get("/country?sort=" + "x" * 21)
    assert refused.status_code == 400
    heading = soup(refused).h1
    assert heading is not None and heading.text.strip() == "Yêu cầu không hợp lệ."


async def test_the_api_holds_the_pages_numbers_and_each_provinces_dashboard(
    client: AsyncTestClient[Any], world: World
) -> None:
    await _country(world)
    headers = await api_token(client, "national")
    api = (await client.get("/api/country/report", headers=headers)).json()
    provinces = {p["province_code"]: p for p in api["provinces"]}
    assert len(provinces) == 34 and api["total"]["provinces_started"] == 2
    tn = provinces["19"]
    assert tn["dashboard"] == "/provinces/19" and set(tn["report_submissions"].values()) == {0, tn["wards"]}
    assert tn["indicators"]["visited"] == {
        "count": 1, "of": 4, "percent": 25.0, "target": None, "met": None, "change": 25.0,
    }  # fmt: skip
    assert tn["indicators"]["vneid"]["target"] == 100.0 and tn["behind_target"] is True
    # The province's own API says the same: its total, the week's change.
    own = (await client.get("/api/provinces/19/report", headers=headers)).json()["total"]
    assert tn["households"] == own["households"] and tn["wards_started"] == own["wards_started"]
    for name, indicator in own["indicators"].items():
        assert {k: tn["indicators"][name][k] for k in ("count", "of", "percent", "change")} == {
            k: indicator[k] for k in ("count", "of", "percent", "change")
        }, name
    idle = provinces["04"]
    assert idle["started"] is False and idle["indicators"]["vneid"]["percent"] is None
    assert api["total"]["households"] == sum(p["households"] for p in api["provinces"]) == 5


async def test_only_national_officers_and_admins_see_the_country(
    client: AsyncTestClient[Any], world: World
) -> None:
    await _country(world)
    for login in ("province", "ward", "volunteer1"):
        await sign_in(client, login)
        assert (await client.get("/country")).status_code == 404, login
        headers = await api_token(client, login)
        assert (await client.get("/api/country/report", headers=headers)).status_code == 404, login
    client.cookies.clear()
    refused = await client.get("/api/country/report")
    assert refused.status_code == 401 and refused.json()["status"] == 401
    await sign_in(client, "admin")
    assert (await client.get("/country")).status_code == 200


def test_cli_creates_a_national_officer_and_refuses_an_area(
    settings: Settings, world: World, monkeypatch: Any
) -> None:
    from server.cli import main
    from surveys.core.settings import get_settings

    monkeypatch.setenv("DATABASE_URL", settings.resolved_database_url)
    monkeypatch.setenv("PHOCAP_DATA_DIR", settings.data_dir)
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        base = ["user", "create", "--login", "bokhcn", "--name", "Bộ KH&CN", "--password-stdin"]
        made = runner.invoke(main, [*base, "--role", "national_officer"], input="mat-khau-ca-nuoc\n")
        assert made.exit_code == 0, made.output
        for area in (["--ward", "01849"], ["--province", "19"], ["--village", str(world.villages["v1"])]):
            refused = runner.invoke(
                main, [*base, "--role", "national_officer", *area], input="mat-khau-ca-nuoc\n"
            )
            assert refused.exit_code == 2, area
    finally:
        get_settings.cache_clear()


def test_cli_generates_villages_over_every_province_into_an_empty_database_only(
    settings: Settings, database_url: str, monkeypatch: Any
) -> None:
    from server.cli import main
    from surveys.core.settings import get_settings

    monkeypatch.setenv("DATABASE_URL", settings.resolved_database_url)
    monkeypatch.setenv("PHOCAP_DATA_DIR", settings.data_dir)
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        made = runner.invoke(main, ["generate", "--villages-only", "68"])
        assert made.exit_code == 0, made.output
        assert (
            made.output.strip()
            == "68 villages in 68 wards of 34 provinces, 544 daily count rows, no households."
        )
        again = runner.invoke(main, ["generate", "--villages-only", "68"])
        assert again.exit_code == 1 and "fills an empty database" in again.output
        assert runner.invoke(main, ["generate", "--villages-only", "0"]).exit_code == 2
    finally:
        get_settings.cache_clear()


async def test_a_rule_that_writes_a_province_never_lets_a_national_officer_in(
    world: World, monkeypatch: Any
) -> None:
    # A province's own decisions and settings name its readers and `write`: the national officer is one
    # of the readers of every province, and still writes none.
    from surveys.people.access import PROVINCE_READERS, RULES, Rule, allowed
    from surveys.people.accounts import actor_by_id

    await _country(world)
    monkeypatch.setitem(RULES, "province.write_test", Rule(PROVINCE_READERS, "province", write=True))
    thai_nguyen = await Province.select(Province.id).where(Province.code == "19").first()
    assert thai_nguyen is not None
    for login, may in (("national", False), ("province", True), ("hanoi", False), ("admin", True)):
        actor = await actor_by_id(world.users[login])
        assert await allowed(actor, "province.write_test", province_id=thai_nguyen["id"]) is may, login
        assert await allowed(actor, "province.read", province_id=thai_nguyen["id"]) is (login != "hanoi"), (
            login
        )
