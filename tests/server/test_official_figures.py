"""Official figures beside phocap's: the ward office types one in or imports a CSV (preview, then all
or nothing, malformed lines named with their number), and the report shows both and the difference."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import docx
from litestar.testing import AsyncTestClient

from surveys.tables import AuditEntry, OfficialFigure
from tests.conftest import api_token, sign_in
from tests.factories import World
from tests.server.helpers import field_errors, soup
from tests.server.test_report_pages import Q3, an_visited_in_august_2025, rows_of

GOOD_CSV = (
    "ward_code,indicator,period_end,value,source\n"
    "01849,vneid_level2,2025-09-30,3,Công an xã\n"
    "01849,adults,2025-09-30,5,Công an xã\n"
    "01849,basic_skills,2025-06-30,2,Nền tảng Bình dân học vụ số\n"
)


async def upload(client: AsyncTestClient[Any], csrf: str, text: str) -> Any:
    files = {"file": ("so-lieu.csv", text.encode("utf-8"), "text/csv")}
    return await client.post("/wards/01849/official-figures/import", data={"_csrf_token": csrf}, files=files)


async def test_ward_office_types_a_figure_and_a_bad_one_comes_back(
    client: AsyncTestClient[Any], world: World
) -> None:
    csrf = await sign_in(client, "ward")
    bad = await client.post(
        "/wards/01849/official-figures",
        data={"_csrf_token": csrf, "indicator": "vneid_level2", "period_end": "2025-09-31", "value": "-3",
              "source": "Công an xã"},
    )  # fmt: skip
    assert bad.status_code == 422
    page = soup(bad)
    assert field_errors(page) == ["Hãy nhập ngày theo dạng năm-tháng-ngày, ví dụ 2026-09-30.",
                                  "Hãy nhập số liệu nhận được: một số nguyên từ 0 trở lên."]  # fmt: skip
    assert page.find("input", id="source")["value"] == "Công an xã"  # type: ignore[index]
    assert await OfficialFigure.count() == 0
    saved = await client.post(
        "/wards/01849/official-figures",
        data={"_csrf_token": csrf, "indicator": "vneid_level2", "period_end": "2025-09-30", "value": "3",
              "source": "Công an xã"},
        follow_redirects=False,
    )  # fmt: skip
    assert saved.status_code == 303
    listed = rows_of(soup(await client.get("/wards/01849/official-figures")).select_one("#recorded"))
    assert listed == [["Công dân từ 16 tuổi có VNeID mức 2", "30/09/2025", "3", "Công an xã"]]
    assert await AuditEntry.count().where(AuditEntry.action == "official.saved") == 1


async def test_a_count_with_thousands_separators_reads_as_vietnamese_write_it(
    client: AsyncTestClient[Any], world: World
) -> None:
    """1.250 (or 1 250) is one thousand two hundred and fifty, in the form and in a file alike, as the
    province's form reads it; 1.25 is no count and comes back as typed."""
    csrf = await sign_in(client, "ward")
    figure = {"_csrf_token": csrf, "indicator": "adults", "period_end": "2025-09-30", "source": "Công an xã"}
    refused = await client.post("/wards/01849/official-figures", data={**figure, "value": "1.25"})
    assert refused.status_code == 422
    assert field_errors(soup(refused)) == ["Hãy nhập số liệu nhận được: một số nguyên từ 0 trở lên."]
    assert soup(refused).find("input", id="value")["value"] == "1.25"  # type: ignore[index]
    saved = await client.post(
        "/wards/01849/official-figures", data={**figure, "value": "1.250"}, follow_redirects=False
    )
    assert saved.status_code == 303
    preview = await upload(
        client,
        csrf,
        "ward_code,indicator,period_end,value,source\n01849,vneid_level2,2025-09-30,2 500,x\n"
        "01849,vneid,2025-09-30,2.5,x\n",
    )
    assert [li.text for li in soup(preview).select("#preview li.problem")] == [
        "Dòng 3: Giá trị “2.5” không phải là số nguyên từ 0 trở lên."
    ]
    good = await upload(
        client, csrf, "ward_code,indicator,period_end,value,source\n01849,vneid_level2,2025-09-30,2.500,x\n"
    )
    assert good.status_code == 200
    assert {(r["indicator"], r["value"]) for r in await OfficialFigure.select()} == {("adults", 1250)}
    assert rows_of(soup(good).select_one("#preview")) == [
        ["Công dân từ 16 tuổi có VNeID mức 2", "30/09/2025", "2500", "x"]
    ]


async def test_a_csv_with_a_malformed_line_imports_nothing_and_names_each_line(
    client: AsyncTestClient[Any], world: World
) -> None:
    csrf = await sign_in(client, "ward")
    text = GOOD_CSV + "01852,vneid,2025-09-30,4,x\n01849,learners,2025-09-30,4,x\n01849,vneid,30/09/2025,4,x\n" \
        "01849,vneid,2025-09-30,bốn,x\n01849,vneid_level2,2025-09-30,7,x\n01849,vneid\n"  # fmt: skip
    response = await upload(client, csrf, text)
    assert response.status_code == 422
    problems = [li.text for li in soup(response).select("#preview li.problem")]
    assert problems == [
        "Dòng 5: Mã xã 01852 không phải của xã này.",
        "Dòng 6: Không có chỉ tiêu “learners”.",
        "Dòng 7: Ngày cuối kỳ “30/09/2025” không phải là ngày dạng năm-tháng-ngày.",
        "Dòng 8: Giá trị “bốn” không phải là số nguyên từ 0 trở lên.",
        "Dòng 9: Trùng chỉ tiêu và ngày cuối kỳ với dòng 2.",
        "Dòng 10: Cần 5 giá trị, nhưng có 2.",
    ]
    assert soup(response).select_one("#preview form") is None
    assert await OfficialFigure.count() == 0
    header = await upload(client, csrf, "ma,chi_tieu\n01849,vneid\n")
    assert [li.text for li in soup(header).select("#preview li.problem")] == [
        "Dòng 1: Dòng đầu tiên phải ghi tên các cột: ward_code,indicator,period_end,value,source."
    ]


async def test_a_previewed_csv_is_imported_whole_and_the_report_sets_it_beside_phocaps_count(
    client: AsyncTestClient[Any], world: World
) -> None:
    await an_visited_in_august_2025(world)
    csrf = await sign_in(client, "ward")
    preview = await upload(client, csrf, GOOD_CSV)
    assert preview.status_code == 200
    page = soup(preview)
    assert [row[0] for row in rows_of(page.select_one("#preview table"))] == [
        "Công dân từ 16 tuổi có VNeID mức 2", "Công dân từ 16 tuổi", "Công dân từ 16 tuổi có kỹ năng số cơ bản",
    ]  # fmt: skip
    assert await OfficialFigure.count() == 0  # a preview records nothing
    form = page.select_one("#preview form")
    assert form is not None
    done = await client.post(str(form["action"]), data={"_csrf_token": csrf}, follow_redirects=False)
    assert done.status_code == 303
    assert await OfficialFigure.count() == 3

    report = soup(await client.get("/wards/01849/reports", params=Q3)).select_one("article.a4")
    assert report is not None
    official = rows_of(report.select("table.doc-table")[-1])
    # Bình (visited) and Hùng (as the register says) have level 2 by phocap's count (2), the police
    # count 3: phocap is 1 short. The figure for 30/06/2025 belongs to the quarter before and is not shown.
    assert official == [
        ["Công dân từ 16 tuổi có VNeID mức 2", "2", "3", "-1", "30/09/2025", "Công an xã"],
        ["Công dân từ 16 tuổi", "4", "5", "-1", "30/09/2025", "Công an xã"],
    ]
    word = docx.Document(io.BytesIO((await client.get("/wards/01849/reports.docx", params=Q3)).content))
    assert [c.text for c in word.tables[-2].rows[1].cells] == [
        "Công dân từ 16 tuổi có VNeID mức 2", "2", "3", "-1", "30/09/2025", "Công an xã",
    ]  # fmt: skip
    body = (
        await client.get("/api/wards/01849/reports", params=Q3, headers=await api_token(client, "ward"))
    ).json()
    level2 = next(f for f in body["figures"] if f["indicator"] == "vneid_level2")
    assert (level2["end"], level2["official"], level2["difference"], level2["official_source"]) == (
        2,
        3,
        -1,
        "Công an xã",
    )
    # Importing again replaces, never adds a second figure for the same indicator and period end.
    again = soup(await upload(client, csrf, GOOD_CSV.replace(",3,", ",4,")))
    assert "3 số liệu, trong đó 3 số liệu thay cho số liệu đã ghi trước đó." in again.text
    form = again.select_one("#preview form")
    assert form is not None
    await client.post(str(form["action"]), data={"_csrf_token": csrf})
    values = await OfficialFigure.select(OfficialFigure.value).where(
        (OfficialFigure.indicator == "vneid_level2") & (OfficialFigure.period_end == date(2025, 9, 30))
    )
    assert values == [{"value": 4}]


async def test_only_the_wards_own_officers_record_official_figures(
    client: AsyncTestClient[Any], world: World
) -> None:
    csrf = await sign_in(client, "otherward")
    response = await client.post(
        "/wards/01849/official-figures",
        data={"_csrf_token": csrf, "indicator": "vneid", "period_end": "2025-09-30", "value": "3"},
    )
    assert response.status_code == 404
    assert (await upload(client, csrf, GOOD_CSV)).status_code == 404
    assert await OfficialFigure.count() == 0
