"""The province officer's periodic report: the page, the Word file and the workbook read back, and the
API, each the sum of the wards' reports, one line per ward; bad periods named; nothing of another
province."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import docx
import openpyxl
import pytest
from click.testing import CliRunner
from litestar.testing import AsyncTestClient

from surveys.core.clock import this_year
from surveys.core.settings import Settings
from surveys.reporting.periodic import Line, ward_period_report
from surveys.reporting.periods import Period
from surveys.tables import Province
from tests.conftest import api_token, sign_in
from tests.factories import World, make_household, make_user, make_village, make_ward, person
from tests.server.helpers import LATEST_ENDED_QUARTER, field_errors, soup
from tests.server.test_report_pages import Q3, an_visited_in_august_2025, rows_of

HOUSEHOLDS = ("households", "visited", "informed", "digital_family", "covered")


async def two_provinces(world: World) -> None:
    """Thái Nguyên (19): Phong Quang (An's household visited in August 2025) and Đồng Hỷ (its household
    never visited); Hà Nội (01): Ba Đình. `province` reads Thái Nguyên, `hanoi` Hà Nội."""
    world.wards["hn"] = await make_ward("00004", "Phường Ba Đình", "01")
    world.villages["hn"] = await make_village(world.wards["hn"], "01", "Tổ dân phố 1")
    await make_household(world.villages["hn"], "BD-01-0001", [person("Vũ Văn Tâm", 1985)])
    await an_visited_in_august_2025(world)
    for login, code in (("province", "19"), ("hanoi", "01")):
        row = await Province.select(Province.id).where(Province.code == code).first()
        assert row is not None
        world.users[login] = await make_user(login, "province_officer", province_id=row["id"])


async def wards_q3(world: World) -> list[Line]:
    """The quarter's totals of the province's wards, as each ward's own report gives them."""
    period = Period(date(2025, 7, 1), date(2025, 9, 30))
    return [(await ward_period_report(world.wards[w], period)).total for w in ("pq", "other")]


def household_cells(line: Line) -> list[int]:
    return [getattr(line.end, name) for name in HOUSEHOLDS]


async def test_province_officer_makes_the_quarters_report_from_the_dashboard(
    client: AsyncTestClient[Any], world: World
) -> None:
    await two_provinces(world)
    await sign_in(client, "province")
    dashboard = soup(await client.get("/provinces/19"))
    link = dashboard.find("a", href="/provinces/19/reports")
    assert link is not None and link.text == "Báo cáo định kỳ"
    chooser = soup(await client.get("/provinces/19/reports"))
    assert chooser.select_one("select#period option[selected]") is not None
    assert chooser.select_one("form.report-period")["action"] == "/provinces/19/reports"  # type: ignore[index]
    assert chooser.select_one("article.a4") is None

    page = soup(await client.get("/provinces/19/reports", params={"period": "2025-Q3"}))
    report = page.select_one("article.a4")
    assert report is not None
    head = [td.get_text(" ", strip=True) for td in report.select("table.doc-head td")]
    assert head[0] == "ỦY BAN NHÂN DÂN TỈNH THÁI NGUYÊN"
    assert head[3].startswith("Thái Nguyên, ngày … tháng … năm ")
    assert [p.text for p in report.select("p.doc-center")][-1] == "Kính gửi: Bộ Khoa học và Công nghệ."
    activity = rows_of(report.select("table.doc-table")[1])
    assert [row[0] for row in activity] == ["Xã Phong Quang", "Xã Đồng Hỷ", "Toàn tỉnh"]
    assert activity[0][1:] == ["1", "1", "1", "0", "1"] and activity[1][1:] == ["0", "0", "0", "0", "0"]
    assert (
        page.find("a", id="download-docx")["href"]
        == "/provinces/19/reports.docx?from=2025-07-01&to=2025-09-30"
    )  # type: ignore[index]


async def test_the_word_file_has_a_line_per_ward_and_their_sum(
    client: AsyncTestClient[Any], world: World
) -> None:
    await two_provinces(world)
    await sign_in(client, "province")
    response = await client.get("/provinces/19/reports.docx", params=Q3)
    assert response.status_code == 200
    assert 'filename="phocap-province-19-report-2025-Q3.docx"' in response.headers["content-disposition"]
    document = docx.Document(io.BytesIO(response.content))
    assert document.tables[0].cell(0, 0).text == "ỦY BAN NHÂN DÂN\nTỈNH THÁI NGUYÊN"
    assert "Kính gửi: Bộ Khoa học và Công nghệ." in [p.text for p in document.paragraphs]
    rows = [[c.text for c in row.cells] for row in document.tables[4].rows]
    assert rows[0] == ["Xã/Phường", "Số hộ", "Đã đến thăm", "Được tuyên truyền", "Gia đình số", "Đã đạt"]
    pq, dh = await wards_q3(world)
    assert rows[1] == ["Xã Phong Quang", *map(str, household_cells(pq))]
    assert rows[2] == ["Xã Đồng Hỷ", *map(str, household_cells(dh))]
    total = [a + b for a, b in zip(household_cells(pq), household_cells(dh), strict=True)]
    assert rows[3] == ["Toàn tỉnh", *map(str, total)]
    # Phong Quang's 3 households (1 visited and covered; Hùng's a digital family as the register says)
    # and Đồng Hỷ's 1; nothing of Hà Nội.
    assert rows[3] == ["Toàn tỉnh", "4", "1", "1", "2", "1"]
    figures = {row.cells[0].text: [c.text for c in row.cells[1:]] for row in document.tables[1].rows}
    # The province has no target of its own: each ward keeps its own.
    assert figures["Công dân từ 16 tuổi có VNeID"] == ["1", "20,0", "3", "5", "60,0", "2", "", ""]


async def test_the_workbook_holds_the_same_numbers(client: AsyncTestClient[Any], world: World) -> None:
    await two_provinces(world)
    await sign_in(client, "province")
    response = await client.get("/provinces/19/reports.xlsx", params=Q3)
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["Bảng 1", "Bảng 2", "Bảng 3", "Bảng 4", "Bảng 5"]
    households = list(book["Bảng 4"].iter_rows(values_only=True))
    assert ("Xã/Phường", "Số hộ", "Đã đến thăm", "Được tuyên truyền", "Gia đình số", "Đã đạt") in households
    assert ("Xã Đồng Hỷ", 1, 0, 0, 0, 0) in households
    assert ("Toàn tỉnh", 4, 1, 1, 2, 1) in households


async def test_the_api_gives_the_provinces_report_and_names_a_bad_date(
    client: AsyncTestClient[Any], world: World
) -> None:
    await two_provinces(world)
    headers = await api_token(client, "province")
    body = (await client.get("/api/provinces/19/reports", params=Q3, headers=headers)).json()
    assert (body["from"], body["to"], body["area"], body["code"], body["name"]) == (
        "2025-07-01", "2025-09-30", "province", "19", "Tỉnh Thái Nguyên",
    )  # fmt: skip
    assert [line["name"] for line in body["lines"]] == ["Xã Phong Quang", "Xã Đồng Hỷ"]
    for part in ("start", "end", "activity"):
        assert body["total"][part] == {
            name: sum(line[part][name] for line in body["lines"]) for name in body["total"][part]
        }
    pq, dh = await wards_q3(world)
    assert [line["end"]["households"] for line in body["lines"]] == [pq.end.households, dh.end.households]
    vneid = next(f for f in body["figures"] if f["indicator"] == "vneid")
    assert (vneid["end"], vneid["end_of"], vneid["target"], vneid["met"]) == (3, 5, None, None)
    bad = await client.get(
        "/api/provinces/19/reports", params={"from": "2025-13-01", "to": "2025-01-01"}, headers=headers
    )
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
    assert [(e["field"], e["code"]) for e in bad.json()["errors"]] == [("from", "invalid_date")]
    backwards = await client.get("/api/provinces/19/reports", params={"from": "2025-09-30", "to": "2025-07-01"},
                                 headers=headers)  # fmt: skip
    assert backwards.status_code == 422
    assert [(e["field"], e["code"]) for e in backwards.json()["errors"]] == [("to", "before_start")]


async def test_a_bad_range_comes_back_on_the_page_with_each_field_named(
    client: AsyncTestClient[Any], world: World
) -> None:
    await two_provinces(world)
    await sign_in(client, "province")
    response = await client.get("/provinces/19/reports", params={"from": "2025-09-30", "to": "2025-07-01"})
    assert response.status_code == 422
    page = soup(response)
    assert field_errors(page) == ["Kỳ báo cáo kết thúc trước khi bắt đầu: ngày cuối kỳ phải sau ngày đầu kỳ."]
    assert page.find("input", id="from")["value"] == "2025-09-30"  # type: ignore[index]
    assert page.select_one("article.a4") is None
    assert (await client.get("/provinces/19/reports", params={"period": "2025-Q5"})).status_code == 422
    for suffix in ("docx", "xlsx"):
        response = await client.get(f"/provinces/19/reports.{suffix}", params={"from": "2025-07-01"})
        assert response.status_code == 422
        assert field_errors(soup(response)) == ["Hãy nhập ngày cuối kỳ báo cáo."]


PATHS = ("/provinces/19/reports?period=2025-Q3", "/provinces/19/reports.docx?from=2025-07-01&to=2025-09-30",
         "/provinces/19/reports.xlsx?from=2025-07-01&to=2025-09-30")  # fmt: skip


@pytest.mark.parametrize("login", ["hanoi", "ward", "volunteer1"])
async def test_only_the_provinces_officers_get_its_report(
    client: AsyncTestClient[Any], world: World, login: str
) -> None:
    await two_provinces(world)
    await sign_in(client, login)
    for path in PATHS:
        assert (await client.get(path)).status_code == 404, path
    api = await client.get("/api/provinces/19/reports", params=Q3, headers=await api_token(client, login))
    assert api.status_code == 404


async def test_another_provinces_officer_gets_their_own(client: AsyncTestClient[Any], world: World) -> None:
    await two_provinces(world)
    headers = await api_token(client, "hanoi")
    body = (await client.get("/api/provinces/01/reports", params=Q3, headers=headers)).json()
    assert [line["name"] for line in body["lines"]] == ["Phường Ba Đình"]


async def test_without_signing_in_the_report_asks_for_it(client: AsyncTestClient[Any], world: World) -> None:
    await two_provinces(world)
    for path in PATHS:
        response = await client.get(path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/signin?next=")
    assert (await client.get("/api/provinces/19/reports", params=Q3)).status_code == 401


def test_the_command_line_writes_the_provinces_report_file(
    settings: Settings, world: World, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from server.cli import main
    from surveys.core.settings import get_settings

    monkeypatch.setenv("DATABASE_URL", settings.resolved_database_url)
    monkeypatch.setenv("PHOCAP_DATA_DIR", settings.data_dir)
    get_settings.cache_clear()
    # This year: the fixture's households were registered today.
    year = str(this_year())  # Vietnam's year: from 1 January 00:00 there, while UTC is still in 31 December
    try:
        runner = CliRunner()
        target = tmp_path / "bao-cao-tinh.docx"
        made = runner.invoke(main, ["report", "--province", "19", "--period", year, "--out", str(target)])
        assert made.exit_code == 0, made.output
        document = docx.Document(str(target))
        assert document.tables[0].cell(0, 0).text == "ỦY BAN NHÂN DÂN\nTỈNH THÁI NGUYÊN"
        rows = [[c.text for c in row.cells][0:2] for row in document.tables[4].rows]
        assert rows == [
            ["Xã/Phường", "Số hộ"],
            ["Xã Phong Quang", "3"],
            ["Xã Đồng Hỷ", "1"],
            ["Toàn tỉnh", "4"],
        ]
        as_json = tmp_path / "bao-cao-tinh.json"
        args = ["report", "--province", "19", "--from", f"{year}-01-01", "--to", f"{year}-12-31"]
        args += ["--format", "json"]
        assert runner.invoke(main, [*args, "--out", str(as_json)]).exit_code == 0
        written = json.loads(as_json.read_text())
        assert (written["area"], written["code"], written["from"], written["to"]) == (
            "province", "19", f"{year}-01-01", f"{year}-12-31",
        )  # fmt: skip
        assert [line["name"] for line in written["lines"]] == ["Xã Phong Quang", "Xã Đồng Hỷ"]
        workbook = tmp_path / "bao-cao-tinh.xlsx"
        assert runner.invoke(main, [*args[:-2], "--format", "xlsx", "--out", str(workbook)]).exit_code == 0
        assert ("Toàn tỉnh", 4, 0, 0, 1, 0) in openpyxl.load_workbook(workbook)["Bảng 4"].iter_rows(
            values_only=True
        )
        # One area at a time, and one that exists.
        both = runner.invoke(main, [*args[:3], "--ward", "01849", "--period", "2025", "--out", str(target)])
        assert both.exit_code == 2 and "either --ward or --province" in both.output
        unknown = runner.invoke(
            main, ["report", "--province", "99", "--period", "2025", "--out", str(target)]
        )
        assert unknown.exit_code == 2 and "no province with code 99" in unknown.output
    finally:
        get_settings.cache_clear()


@pytest.mark.parametrize(("moment", "opens_on"), LATEST_ENDED_QUARTER)
async def test_the_province_report_chooser_opens_on_the_latest_ended_quarter(
    client: AsyncTestClient[Any],
    world: World,
    clock_at: Callable[[datetime], None],
    moment: datetime,
    opens_on: str,
) -> None:
    await two_provinces(world)
    clock_at(moment)
    await sign_in(client, "province")
    chooser = soup(await client.get("/provinces/19/reports"))
    chosen = chooser.select("select#period option[selected]")
    assert [o["value"] for o in chosen] == [opens_on]
    assert chooser.select_one("article.a4") is None


async def test_the_provinces_report_groups_the_wards_not_started_in_the_page_the_word_file_and_the_workbook(
    client: AsyncTestClient[Any], world: World
) -> None:
    await two_provinces(world)
    await make_ward("05800", "Xã Võ Nhai", "19")  # no household in phocap: not started
    await sign_in(client, "province")
    dashboard = soup(await client.get("/provinces/19"))
    idle = dashboard.select_one("details.idle-wards")
    assert idle is not None and "Xã Võ Nhai" in idle.get_text(" ", strip=True)

    report = soup(await client.get("/provinces/19/reports", params={"period": "2025-Q3"})).select_one(
        "article.a4"
    )
    assert report is not None
    tables = report.select("table.doc-table")
    for table in (tables[1], tables[3], tables[4]):  # activity, households, citizens: started wards only
        assert [row[0] for row in rows_of(table)] == ["Xã Phong Quang", "Xã Đồng Hỷ", "Toàn tỉnh"]
    caption = tables[5].select_one("caption")
    assert caption is not None
    assert caption.text == "Bảng 6. Xã, phường chưa triển khai (chưa có hộ nào trên phocap)"
    assert rows_of(tables[5]) == [["Xã Võ Nhai", "05800"]]

    word = docx.Document(io.BytesIO((await client.get("/provinces/19/reports.docx", params=Q3)).content))
    assert [c.text for c in word.tables[4].columns[0].cells] == [
        "Xã/Phường",
        "Xã Phong Quang",
        "Xã Đồng Hỷ",
        "Toàn tỉnh",
    ]
    assert [[c.text for c in row.cells] for row in word.tables[6].rows] == [
        ["Xã/Phường", "Mã xã"],
        ["Xã Võ Nhai", "05800"],
    ]
    assert "Bảng 6. Xã, phường chưa triển khai (chưa có hộ nào trên phocap)" in [
        p.text for p in word.paragraphs
    ]

    book = openpyxl.load_workbook(
        io.BytesIO((await client.get("/provinces/19/reports.xlsx", params=Q3)).content)
    )
    assert book.sheetnames == ["Bảng 1", "Bảng 2", "Bảng 3", "Bảng 4", "Bảng 5", "Bảng 6"]
    assert all(row[0] != "Xã Võ Nhai" for row in book["Bảng 4"].iter_rows(values_only=True))
    assert ("Xã Võ Nhai", "05800") in list(book["Bảng 6"].iter_rows(values_only=True))

    # The API groups it the same way: out of the lines, in `not_started`; the total unchanged.
    body = (
        await client.get("/api/provinces/19/reports", params=Q3, headers=await api_token(client, "province"))
    ).json()
    assert [line["name"] for line in body["lines"]] == ["Xã Phong Quang", "Xã Đồng Hỷ"]
    assert body["not_started"] == [{"code": "05800", "name": "Xã Võ Nhai"}]
    for part in ("start", "end", "activity"):
        assert body["total"][part] == {
            name: sum(line[part][name] for line in body["lines"]) for name in body["total"][part]
        }
    ward = (
        await client.get("/api/wards/01849/reports", params=Q3, headers=await api_token(client, "ward"))
    ).json()
    assert ward["not_started"] == [] and len(ward["lines"]) == 3
