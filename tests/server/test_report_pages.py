"""The ward officer's periodic report: the page, the A4 document, the Word file and the workbook
read back, and the API, with bad periods answered field by field."""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import docx
import openpyxl
import pytest
from click.testing import CliRunner
from docx.shared import Pt
from litestar.testing import AsyncTestClient

from surveys.core.settings import Settings
from surveys.reporting.village_counts import rebuild
from surveys.tables import Attendance, ClassSession, Help, Household, Member, TeamMember, Visit
from tests.conftest import api_token, sign_in
from tests.factories import World, make_user
from tests.server.helpers import LATEST_ENDED_QUARTER, field_errors, soup
from tests.surveys.test_reports import visit_an

Q3 = {"from": "2025-07-01", "to": "2025-09-30"}


async def an_visited_in_august_2025(world: World) -> None:
    """The fixture's households registered in January 2025; An's household visited on 15/08/2025."""
    await Household.update({Household.created_at: datetime(2025, 1, 10, tzinfo=UTC)}).where(Household.id > 0)
    await Member.update({Member.created_at: datetime(2025, 1, 10, tzinfo=UTC)}).where(Member.id > 0)
    await visit_an(world)
    await Visit.update({Visit.at: datetime(2025, 8, 15, 3, tzinfo=UTC)}).where(Visit.id > 0)
    # Dates written behind the writers' back, as an import of old records does: the counts rebuilt.
    await rebuild()


def rows_of(table: Any) -> list[list[str]]:
    """The body rows of an HTML table as text."""
    return [[c.text.strip() for c in tr.find_all(["th", "td"])] for tr in table.select("tbody tr")]


async def test_ward_officer_makes_the_quarters_report_as_an_a4_document(
    client: AsyncTestClient[Any], world: World
) -> None:
    await an_visited_in_august_2025(world)
    await sign_in(client, "ward")
    dashboard = soup(await client.get("/wards/01849"))
    assert dashboard.find("a", href="/wards/01849/reports") is not None
    chooser = soup(await client.get("/wards/01849/reports"))
    assert chooser.select_one("select#period option[selected]") is not None
    assert chooser.select_one("article.a4") is None

    page = soup(await client.get("/wards/01849/reports", params={"period": "2025-Q3"}))
    report = page.select_one("article.a4")
    assert report is not None and report["lang"] == "vi"
    head = [td.get_text(" ", strip=True) for td in report.select("table.doc-head td")]
    assert head == ["ỦY BAN NHÂN DÂN XÃ PHONG QUANG", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM Độc lập - Tự do - Hạnh phúc",
                    "Số: …/BC-UBND", head[3]]  # fmt: skip
    assert head[3].startswith("Phong Quang, ngày … tháng … năm ")
    texts = [p.text for p in report.select("p.doc-center")]
    assert texts == [
        'Kết quả thực hiện phong trào "Bình dân học vụ số" quý III năm 2025',
        "(Từ ngày 01/07/2025 đến ngày 30/09/2025)",
        "Kính gửi: Ủy ban nhân dân tỉnh Thái Nguyên (qua Sở Khoa học và Công nghệ).",
    ]
    assert [h.text for h in report.select("h3")] == [
        "I. KẾT QUẢ THỰC HIỆN", "II. TỒN TẠI, HẠN CHẾ", "III. PHƯƠNG HƯỚNG, NHIỆM VỤ", "IV. KIẾN NGHỊ, ĐỀ XUẤT",
    ]  # fmt: skip
    tables = report.select("table.doc-table")
    figures = {row[0]: row[1:] for row in rows_of(tables[0])}
    # VNeID: at the start Hùng, as the register says (not visited yet), of the 4 citizens 16+; at the end
    # An and Bình too: 75%, target 100%, not met.
    assert figures["Công dân từ 16 tuổi có VNeID"] == ["1", "25,0", "3", "4", "75,0", "2", "100", "Chưa đạt"]
    assert figures["Hộ đã đến thăm"][2:4] == ["1", "3"]
    activity = rows_of(tables[1])
    assert activity[0] == ["Thôn Đồng Tâm", "1", "1", "1", "0", "1"] and activity[-1][0] == "Toàn xã"
    assert (
        page.find("a", id="download-docx")["href"]
        == "/wards/01849/reports.docx?from=2025-07-01&to=2025-09-30"
    )  # type: ignore[index]


async def test_on_a_phone_the_village_tables_scroll_in_a_named_box_and_the_others_stack_by_label(
    client: AsyncTestClient[Any], world: World
) -> None:
    """What report.css lays out on a phone: each table of villages sits in a box a keyboard can reach
    and scroll, named by its table's caption; every other value carries its column's name."""
    await an_visited_in_august_2025(world)
    await sign_in(client, "ward")
    report = soup(await client.get("/wards/01849/reports", params={"period": "2025-Q3"})).select_one(
        "article.a4"
    )
    assert report is not None
    boxes = report.select("div.doc-scroll")
    assert [box.table.caption.get_text() for box in boxes] == [  # type: ignore[union-attr]
        "Bảng 2. Hoạt động trong kỳ", "Bảng 4. Hộ gia đình cuối kỳ", "Bảng 5. Công dân từ 16 tuổi cuối kỳ",
    ]  # fmt: skip
    for box in boxes:
        assert box["role"] == "region" and box["tabindex"] == "0"
        assert report.find(id=box["aria-labelledby"]) is box.caption  # type: ignore[union-attr]
    stacked = report.select("table.doc-stack")
    assert stacked and all(t.find_parent("div", class_="doc-scroll") is None for t in stacked)
    vneid = stacked[0].find("th", string="Công dân từ 16 tuổi có VNeID").parent  # type: ignore[union-attr]
    labels = {td["data-label"]: td.get_text() for td in vneid.find_all("td")}  # type: ignore[union-attr]
    assert labels["Cuối kỳ"] == "3" and labels["Trên tổng số"] == "4" and labels["Đánh giá"] == "Chưa đạt"


async def test_a_bad_range_comes_back_with_each_field_named_and_kept(
    client: AsyncTestClient[Any], world: World
) -> None:
    await sign_in(client, "ward")
    response = await client.get("/wards/01849/reports", params={"from": "2025-09-30", "to": "2025-07-01"})
    assert response.status_code == 422
    page = soup(response)
    assert field_errors(page) == ["Kỳ báo cáo kết thúc trước khi bắt đầu: ngày cuối kỳ phải sau ngày đầu kỳ."]
    assert page.find("input", id="to")["value"] == "2025-07-01"  # type: ignore[index]
    assert page.select_one("article.a4") is None
    typo = soup(await client.get("/wards/01849/reports", params={"from": "30/09/2025", "to": ""}))
    assert field_errors(typo) == ["Hãy nhập ngày theo dạng năm-tháng-ngày, ví dụ 2026-07-01.",
                                  "Hãy nhập ngày cuối kỳ báo cáo."]  # fmt: skip
    assert (await client.get("/wards/01849/reports", params={"period": "2025-Q5"})).status_code == 422
    assert (await client.get("/wards/01849/reports.docx", params={"from": "2025-07-01"})).status_code == 422
    # The range of days stays open where it was used, with its error; folded away for a quarter.
    assert page.select_one("details.range").has_attr("open")
    quarter = soup(await client.get("/wards/01849/reports", params={"period": "2025-Q3"}))
    assert not quarter.select_one("details.range").has_attr("open")
    assert not soup(await client.get("/wards/01849/reports")).select_one("details.range").has_attr("open")


async def test_the_word_file_is_an_editable_a4_administrative_document_with_the_figures(
    client: AsyncTestClient[Any], world: World
) -> None:
    await an_visited_in_august_2025(world)
    await sign_in(client, "ward")
    response = await client.get("/wards/01849/reports.docx", params=Q3)
    assert response.status_code == 200
    assert 'filename="phocap-01849-report-2025-Q3.docx"' in response.headers["content-disposition"]
    document = docx.Document(io.BytesIO(response.content))
    section = document.sections[0]

    def mm(length: Any) -> int:
        return round(length.mm)

    assert (mm(section.page_width), mm(section.page_height)) == (210, 297)
    assert (mm(section.left_margin), mm(section.right_margin), mm(section.top_margin)) == (30, 15, 20)
    paragraphs = [p.text for p in document.paragraphs]
    for heading in ("I. KẾT QUẢ THỰC HIỆN", "II. TỒN TẠI, HẠN CHẾ", "III. PHƯƠNG HƯỚNG, NHIỆM VỤ",
                    "IV. KIẾN NGHỊ, ĐỀ XUẤT", "BÁO CÁO"):  # fmt: skip
        assert heading in paragraphs
    assert "Kính gửi: Ủy ban nhân dân tỉnh Thái Nguyên (qua Sở Khoa học và Công nghệ)." in paragraphs
    runs = [r for p in document.paragraphs for r in p.runs if r.text]
    assert {r.font.name for r in runs} == {"Times New Roman"}
    assert {r.font.size for r in runs} <= {Pt(12), Pt(13), Pt(14)}
    head = document.tables[0]
    assert head.cell(0, 0).text == "ỦY BAN NHÂN DÂN\nXÃ PHONG QUANG"
    assert head.cell(1, 0).text == "Số: …/BC-UBND"
    figures = {row.cells[0].text: [c.text for c in row.cells[1:]] for row in document.tables[1].rows}
    assert figures["Công dân từ 16 tuổi có VNeID"] == ["1", "25,0", "3", "4", "75,0", "2", "100", "Chưa đạt"]
    villages = [[c.text for c in row.cells] for row in document.tables[4].rows]
    assert villages[0] == ["Thôn", "Số hộ", "Đã đến thăm", "Được tuyên truyền", "Gia đình số", "Đã đạt"]
    assert villages[1] == ["Thôn Đồng Tâm", "2", "1", "1", "1", "1"]
    # Hùng's household: a digital family as the register says, not visited so not covered.
    assert villages[-1] == ["Toàn xã", "3", "1", "1", "2", "1"]


async def test_the_workbook_holds_the_same_numbers(client: AsyncTestClient[Any], world: World) -> None:
    await an_visited_in_august_2025(world)
    await sign_in(client, "ward")
    response = await client.get("/wards/01849/reports.xlsx", params=Q3)
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["Bảng 1", "Bảng 2", "Bảng 3", "Bảng 4", "Bảng 5", "Bảng 6"]
    rows = list(book["Bảng 1"].iter_rows(values_only=True))
    vneid = next(r for r in rows if r[0] == "Công dân từ 16 tuổi có VNeID")
    assert vneid == ("Công dân từ 16 tuổi có VNeID", 1, 25, 3, 4, 75, 2, 100, "Chưa đạt")
    citizens = list(book["Bảng 5"].iter_rows(values_only=True))
    assert ("Toàn xã", 4, 3, 2, 2, 2, 1, 0) in citizens  # Hùng counted as the register says


async def a_class_in_august_2025(world: World) -> None:
    """One class for the elderly on 10/08/2025: An (now able to use an AI tool) and a walk-in; An helped
    to install VNeID that day; a team of one (joined in July), not trained."""
    an = await Member.select(Member.id).where(Member.full_name == "Nguyễn Văn An").first()
    assert an is not None
    held = datetime(2025, 8, 10, 1, tzinfo=UTC)
    session = await ClassSession.insert(ClassSession(ward=world.wards["pq"], starts_at=held, topics=["ai"],
                                                     audience="elderly", client_id=uuid.uuid4()))  # fmt: skip
    await Attendance.insert(
        Attendance(session=session[0]["id"], member=an["id"], can_use=["ai"], client_id=uuid.uuid4()),
        Attendance(session=session[0]["id"], age_group="60_plus", sex="female", client_id=uuid.uuid4()),
    )
    await Help.insert(Help(member=an["id"], kind="vneid_installed", at=held, client_id=uuid.uuid4()))
    joined = datetime(2025, 7, 20, 3, tzinfo=UTC)  # the quarter's team counts those who joined by its end
    await TeamMember.insert(
        TeamMember(ward=world.wards["pq"], name="Nguyễn Thu Trang", role="ambassador", created_at=joined)
    )


async def test_the_report_holds_the_dashboards_class_figures_in_json_and_workbook(
    client: AsyncTestClient[Any], world: World
) -> None:
    await an_visited_in_august_2025(world)
    await a_class_in_august_2025(world)
    classes = await client.get("/api/wards/01849/reports", params=Q3, headers=await api_token(client, "ward"))
    assert classes.json()["classes"] == {
        "classes_per_month": {"2025-07": 0, "2025-08": 1, "2025-09": 0},
        "months_without_class": 2,
        "attendees": 2,
        "walk_ins": 1,
        "attendees_by_audience": {"elderly": 2},
        "learners": 1,
        "learners_60_plus": 0,
        "learners_poor": 0,
        "learners_elderly_alone": 0,
        "learners_ai": 1,
        "learners_ai_percent": 100.0,
        "people_helped": 1,
        "helped_by_kind": {"vneid_installed": 1},
        "team_members": 1,
        "team_trained": 0,
        "team_trained_percent": 0.0,
        "ambassadors": 1,
        "ambassadors_with_enough": 0,
    }
    await sign_in(client, "ward")
    book = openpyxl.load_workbook(
        io.BytesIO((await client.get("/wards/01849/reports.xlsx", params=Q3)).content)
    )
    rows = {r[0]: r[1:] for r in book["Bảng 6"].iter_rows(values_only=True) if r[0]}
    assert rows["Lớp học đã tổ chức tháng 08/2025"] == (1, "ít nhất một lớp mỗi tháng: đạt")
    assert rows["Lớp học đã tổ chức tháng 09/2025"] == (0, "ít nhất một lớp mỗi tháng: chưa đạt")
    assert rows["Lượt người học: Người cao tuổi"][0] == 2
    # In words, as in the figures, the decimal comma of Vietnamese documents.
    assert rows["Người học dùng được công cụ AI"] == (1, "100,0% số người học")
    assert rows["Được hỗ trợ: Đã cài VNeID"][0] == 1
    assert rows["Đại sứ số có ít nhất 5 người học"] == (0, "trên 1 Đại sứ số")
    # The next quarter does not count the August class.
    later = await client.get("/api/wards/01849/reports", params={"from": "2025-10-01", "to": "2025-12-31"},
                             headers=await api_token(client, "ward"))  # fmt: skip
    assert later.json()["classes"]["attendees"] == 0


async def test_the_api_gives_the_report_and_names_a_bad_date(
    client: AsyncTestClient[Any], world: World
) -> None:
    await an_visited_in_august_2025(world)
    headers = await api_token(client, "ward")
    body = (await client.get("/api/wards/01849/reports", params=Q3, headers=headers)).json()
    assert (body["from"], body["to"], body["area"], body["code"]) == (
        "2025-07-01",
        "2025-09-30",
        "ward",
        "01849",
    )
    vneid = next(f for f in body["figures"] if f["indicator"] == "vneid")
    assert vneid == {"indicator": "vneid", "start": 1, "start_of": 4, "start_percent": 25.0, "end": 3, "end_of": 4,
                     "end_percent": 75.0, "change": 2, "target": 100, "met": False, "official": None,
                     "official_source": "", "difference": None}  # fmt: skip
    assert [line["name"] for line in body["lines"]] == ["Thôn Đồng Tâm", "Thôn Khuôn Ngọa", "Thôn Bản Cái"]
    assert body["total"]["activity"] == {
        "visits": 1,
        "first_visits": 1,
        "newly_covered": 1,
        "volunteers": 1,
        "completed": 1,
        "nobody_home": 0,
        "newly_uncovered": 0,
    }
    bad = await client.get(
        "/api/wards/01849/reports", params={"from": "2025-13-01", "to": "2025-01-01"}, headers=headers
    )
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
    assert [(e["field"], e["code"]) for e in bad.json()["errors"]] == [("from", "invalid_date")]
    backwards = await client.get("/api/wards/01849/reports", params={"from": "2025-09-30", "to": "2025-07-01"},
                                 headers=headers)  # fmt: skip
    assert [(e["field"], e["code"]) for e in backwards.json()["errors"]] == [("to", "before_start")]


@pytest.mark.parametrize("login", ["otherward", "head1", "volunteer1"])
async def test_only_the_wards_readers_get_its_report(
    client: AsyncTestClient[Any], world: World, login: str
) -> None:
    await sign_in(client, login)
    assert (await client.get("/wards/01849/reports", params={"period": "2025-Q3"})).status_code == 404
    assert (await client.get("/wards/01849/reports.docx", params=Q3)).status_code == 404
    api = await client.get("/api/wards/01849/reports", params=Q3, headers=await api_token(client, login))
    assert api.status_code == 404


async def test_a_province_officer_reads_the_report_of_a_ward_of_the_province(
    client: AsyncTestClient[Any], world: World
) -> None:
    from surveys.tables import Ward

    ward = await Ward.select(Ward.province).where(Ward.id == world.wards["pq"]).first()
    assert ward is not None
    await make_user("tinh", "province_officer", province_id=ward["province"])
    headers = await api_token(client, "tinh")
    assert (await client.get("/api/wards/01849/reports", params=Q3, headers=headers)).status_code == 200


def test_the_command_line_writes_the_report_file(
    settings: Settings, world: World, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from server.cli import main
    from surveys.core.settings import get_settings

    monkeypatch.setenv("DATABASE_URL", settings.resolved_database_url)
    monkeypatch.setenv("PHOCAP_DATA_DIR", settings.data_dir)
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        target = tmp_path / "bao-cao.docx"
        made = runner.invoke(main, ["report", "--ward", "01849", "--period", "2025-Q3", "--out", str(target)])
        assert made.exit_code == 0, made.output
        assert "BÁO CÁO" in [p.text for p in docx.Document(str(target)).paragraphs]
        as_json = tmp_path / "bao-cao.json"
        args = ["report", "--ward", "01849", "--from", "2025-07-01", "--to", "2025-09-30", "--format", "json"]
        assert runner.invoke(main, [*args, "--out", str(as_json)]).exit_code == 0
        written = json.loads(as_json.read_text())
        assert (written["code"], written["from"], written["to"]) == ("01849", "2025-07-01", "2025-09-30")
        backwards = runner.invoke(
            main, [*args[:3], "--from", "2025-09-30", "--to", "2025-07-01", "--out", str(as_json)]
        )
        assert backwards.exit_code == 2 and "--to (before_start)" in backwards.output
        assert (
            runner.invoke(
                main, ["report", "--ward", "99999", "--period", "2025", "--out", str(target)]
            ).exit_code
            == 2
        )
    finally:
        get_settings.cache_clear()


@pytest.mark.parametrize(("moment", "opens_on"), LATEST_ENDED_QUARTER)
async def test_the_ward_report_chooser_opens_on_the_latest_ended_quarter(
    client: AsyncTestClient[Any],
    world: World,
    clock_at: Callable[[datetime], None],
    moment: datetime,
    opens_on: str,
) -> None:
    clock_at(moment)
    await sign_in(client, "ward")
    chooser = soup(await client.get("/wards/01849/reports"))
    chosen = chooser.select("select#period option[selected]")
    assert [o["value"] for o in chosen] == [opens_on]
    assert chooser.select_one("article.a4") is None
