"""The province's official figures beside phocap's (issue 26 item 7): its officers enter, per period, the
figures each ward declared (form and API); the province's report (page, JSON, Word, workbook) shows each
ward's and the total beside phocap's count with the difference; figures beside an accepted report are
locked; bad input is named and nothing is lost; others are refused."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from typing import Any

import docx
import openpyxl
from litestar.testing import AsyncTestClient

from surveys.core.clock import local_now
from surveys.reporting.periods import Period, latest_ended_quarter, named_period
from surveys.tables import AuditEntry, OfficialFigure, Province
from tests.conftest import api_token, sign_in
from tests.factories import World, make_user, make_ward
from tests.server.helpers import field_errors, form_values, soup

SOURCE = "Báo cáo UBND xã số 12/BC-UBND"
COUNT = "Hãy nhập số liệu nhận được: một số nguyên từ 0 trở lên."


def this_quarter() -> Period:
    """The quarter holding today: the world's households count at its end."""
    today = local_now().date()
    return named_period(f"{today.year}-Q{(today.month - 1) // 3 + 1}")


def span(period: Period) -> dict[str, str]:
    return {"from": period.first.isoformat(), "to": period.last.isoformat()}


async def officers(world: World) -> None:
    """`province` of Thái Nguyên (19), `hanoi` of Hà Nội (01), `national` reading every province."""
    await make_ward("00004", "Phường Ba Đình", "01", "Thành phố Hà Nội")
    for login, code in (("province", "19"), ("hanoi", "01")):
        row = await Province.select(Province.id).where(Province.code == code).first()
        assert row is not None
        world.users[login] = await make_user(login, "province_officer", province_id=row["id"])
    world.users["national"] = await make_user("national", "national_officer")


async def phocap_end(client: AsyncTestClient[Any], ward: str, period: Period, name: str) -> int:
    """phocap's count of the ward at the period's end, as the ward's own report gives it."""
    headers = await api_token(client, "admin")
    report = (await client.get(f"/api/wards/{ward}/reports", params=span(period), headers=headers)).json()
    return int(report["total"]["end"][name])


async def test_the_province_enters_its_wards_figures_and_its_report_sets_them_beside_phocaps(
    client: AsyncTestClient[Any], world: World
) -> None:
    await officers(world)
    quarter = this_quarter()
    csrf = await sign_in(client, "province")
    page = soup(await client.get("/provinces/19/official-figures", params={"period": quarter.name}))
    assert [f["id"] for f in page.select("fieldset.official-ward")] == ["ward-01849", "ward-01852"]
    typed = {**form_values(page.select_one("form.official-wards")), "_csrf_token": csrf}  # type: ignore[arg-type]
    typed.update({"01849.households": "1.250", "01849.digital_family": "800", "01849.vneid": "2000",
                  "01849.source": SOURCE, "01852.households": "40"})  # fmt: skip
    saved = await client.post("/provinces/19/official-figures", data=typed, follow_redirects=False)
    assert saved.status_code == 303
    again = soup(await client.get(saved.headers["location"]))
    assert again.select_one("p.notice").text.strip() == "Đã lưu."  # type: ignore[union-attr]
    assert again.find("input", attrs={"name": "01849.households"})["value"] == "1250"  # type: ignore[index]
    assert again.find("input", attrs={"name": "01849.bank"})["value"] == ""  # type: ignore[index]

    # The JSON report: each ward's figures beside phocap's, and the total over the wards that declared.
    pq_households = await phocap_end(client, "01849", quarter, "households")
    other_households = await phocap_end(client, "01852", quarter, "households")
    pq_vneid = await phocap_end(client, "01849", quarter, "vneid")
    assert pq_households > 0 and other_households > 0
    headers = await api_token(client, "province")
    report = (await client.get("/api/provinces/19/reports", params=span(quarter), headers=headers)).json()
    by_ward = {w["code"]: {f["indicator"]: f for f in w["figures"]} for w in report["official_by_ward"]}
    assert by_ward["01849"]["households"] == {"indicator": "households", "phocap": pq_households,
                                              "official": 1250, "difference": pq_households - 1250,
                                              "source": SOURCE, "wards": 1}  # fmt: skip
    assert by_ward["01849"]["vneid"]["difference"] == pq_vneid - 2000
    assert set(by_ward["01852"]) == {"households"}
    totals = {f["indicator"]: f for f in report["official_total"]}
    assert totals["households"] == {"indicator": "households", "phocap": pq_households + other_households,
                                    "official": 1290, "difference": pq_households + other_households - 1290,
                                    "source": "", "wards": 2}  # fmt: skip
    assert totals["digital_family"]["wards"] == 1 and "bank" not in totals
    # The ward's own report shows what the province entered for it.
    ward_report = (await client.get("/api/wards/01849/reports", params=span(quarter), headers=headers)).json()
    family = next(f for f in ward_report["figures"] if f["indicator"] == "digital_family")
    assert (family["official"], family["official_source"]) == (800, SOURCE)

    # The page, the Word file and the workbook: the same table, the same numbers.
    caption = "Bảng 7. Số liệu chính thức bên cạnh số liệu phocap, theo xã/phường"
    row = ["Xã Phong Quang", "Số hộ", str(pq_households), "1250", str(pq_households - 1250), SOURCE]
    total = ["Toàn tỉnh (2 xã/phường đã công bố)", "Số hộ", str(pq_households + other_households), "1290",
             str(pq_households + other_households - 1290), ""]  # fmt: skip
    page = soup(await client.get("/provinces/19/reports", params={"period": quarter.name}))
    table = next(t for t in page.select("table.doc-table") if t.caption and t.caption.text.strip() == caption)
    rows = [[c.text.strip() for c in tr.find_all(["th", "td"])] for tr in table.select("tbody tr")]
    assert row in rows and total in rows
    document = docx.Document(
        io.BytesIO((await client.get("/provinces/19/reports.docx", params=span(quarter))).content)
    )
    words = [[c.text for c in r.cells] for t in document.tables for r in t.rows]
    assert row in words and total in words
    book = openpyxl.load_workbook(
        io.BytesIO((await client.get("/provinces/19/reports.xlsx", params=span(quarter))).content)
    )
    cells = list(book["Bảng 7"].iter_rows(values_only=True))
    assert ("Xã Phong Quang", "Số hộ", pq_households, 1250, pq_households - 1250, SOURCE) in cells
    # Each ward's change is audited, with who entered the figures.
    entries = await AuditEntry.select(AuditEntry.entity_id).where(
        AuditEntry.action == "official.province_saved"
    )
    assert sorted(e["entity_id"] for e in entries) == sorted([world.wards["pq"], world.wards["other"]])
    assert await OfficialFigure.count().where(OfficialFigure.entered_by == world.users["province"]) == 4


async def test_the_api_sets_and_clears_a_wards_figures_and_keeps_the_others(
    client: AsyncTestClient[Any], world: World
) -> None:
    await officers(world)
    headers = await api_token(client, "province")
    path = "/api/provinces/19/official-figures/2026-Q3"
    body = {"wards": [{"ward": "01849", "households": 900, "bank": 300, "source": SOURCE},
                      {"ward": "01852", "adults": 120}]}  # fmt: skip
    saved = await client.put(path, json=body, headers=headers)
    assert saved.status_code == 200
    wards = {w["ward"]: w for w in saved.json()["wards"]}
    assert (wards["01849"]["households"], wards["01849"]["bank"], wards["01849"]["vneid"]) == (900, 300, None)
    assert (wards["01849"]["entered_by"], wards["01849"]["locked"]) == ("Tài khoản province", False)
    assert saved.json()["period_end"] == "2026-09-30"
    # Phong Quang again, its bank figure withdrawn (null): cleared; Đồng Hỷ, not listed, kept.
    again = await client.put(path, json={"wards": [{"ward": "01849", "households": 950, "bank": None}]},
                             headers=headers)  # fmt: skip
    wards = {w["ward"]: w for w in again.json()["wards"]}
    assert (wards["01849"]["households"], wards["01849"]["bank"], wards["01849"]["source"]) == (950, None, "")
    assert wards["01852"]["adults"] == 120
    # A national officer reads them.
    national = await api_token(client, "national")
    assert (await client.get(path, headers=national)).json()["wards"][0]["households"] == 950
    # The year's report (31/12) does not see the quarter's figures as its own: they are as of 30/09.
    assert await OfficialFigure.count() == 2


async def test_bad_figures_are_named_and_nothing_is_saved_or_lost(
    client: AsyncTestClient[Any], world: World
) -> None:
    await officers(world)
    csrf = await sign_in(client, "province")
    typed = {"_csrf_token": csrf, "period": "2026-Q3", "01849.households": "12a", "01849.adults": "-5",
             "01849.vneid": "300", "01849.source": "x" * 201, "01852.bank": "1.5"}  # fmt: skip
    response = await client.post("/provinces/19/official-figures", data=typed)
    assert response.status_code == 422
    page = soup(response)
    assert field_errors(page) == [COUNT, COUNT, "Nguồn có tối đa 200 ký tự.", COUNT]
    assert page.select_one("p.error[role=alert]") is not None
    for name in ("01849.households", "01849.vneid", "01852.bank"):
        assert page.find("input", attrs={"name": name})["value"] == typed[name]  # type: ignore[index]
    assert await OfficialFigure.count() == 0
    bad_period = await client.post(
        "/provinces/19/official-figures", data={"_csrf_token": csrf, "period": "2026-Q9"}
    )
    assert bad_period.status_code == 422

    headers = await api_token(client, "province")
    path = "/api/provinces/19/official-figures/2026-Q3"
    body = {"wards": [{"ward": "01849", "households": -1, "vneid": "x"}, {"ward": "00004", "bank": 1},
                      {"ward": "01849", "bank": 2}, {"ward": "01852", "adults": 100_000_001}]}  # fmt: skip
    bad = await client.put(path, json=body, headers=headers)
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
    assert sorted((e["field"], e["code"]) for e in bad.json()["errors"]) == [
        ("wards.0.households", "out_of_range"),
        ("wards.0.vneid", "invalid"),
        ("wards.1.ward", "unknown_ward"),
        ("wards.2.ward", "duplicate_ward"),
        ("wards.3.adults", "out_of_range"),
    ]
    assert (await client.put(path, json=[1], headers=headers)).status_code == 422
    assert (await client.put(path, content=b"{", headers=headers)).status_code == 400
    assert (await client.put("/api/provinces/19/official-figures/2026-Q5", json={"wards": []},
                             headers=headers)).status_code == 422  # fmt: skip
    assert await OfficialFigure.count() == 0


async def test_only_the_provinces_officers_enter_its_figures(
    client: AsyncTestClient[Any], world: World
) -> None:
    await officers(world)
    body = {"wards": [{"ward": "01849", "households": 10}]}
    path = "/api/provinces/19/official-figures/2026-Q3"
    for login in ("hanoi", "ward", "otherward", "volunteer1", "national"):
        headers = await api_token(client, login)
        assert (await client.put(path, json=body, headers=headers)).status_code == 404, login
        csrf = await sign_in(client, login)
        assert (await client.get("/provinces/19/official-figures")).status_code == 404, login
        form = {"_csrf_token": csrf, "period": "2026-Q3", "01849.households": "10"}
        assert (await client.post("/provinces/19/official-figures", data=form)).status_code == 404, login
    for login in ("hanoi", "ward", "volunteer1"):
        assert (await client.get(path, headers=await api_token(client, login))).status_code == 404, login
    assert await OfficialFigure.count() == 0
    # Hà Nội's officer cannot name a ward of Thái Nguyên in Hà Nội's figures either.
    hanoi = await api_token(client, "hanoi")
    wrong = await client.put("/api/provinces/01/official-figures/2026-Q3", json=body, headers=hanoi)
    assert wrong.status_code == 422
    assert [(e["field"], e["code"], e["message"]) for e in wrong.json()["errors"]] == [
        ("wards.0.ward", "unknown_ward", "Xã/phường này không thuộc tỉnh này.")
    ]
    assert await OfficialFigure.count() == 0


async def test_figures_beside_an_accepted_report_are_locked_until_it_is_reopened(
    client: AsyncTestClient[Any], world: World
) -> None:
    await officers(world)
    period = latest_ended_quarter(local_now().date())
    ward = await api_token(client, "ward")
    submitted = await client.post(f"/api/wards/01849/reports/{period.name}/submission", headers=ward)
    assert submitted.status_code == 201
    province = await api_token(client, "province")
    decision = f"/api/provinces/19/submissions/01849/{period.name}/decision"
    assert (await client.post(decision, json={"decision": "accept"}, headers=province)).status_code == 200

    path = f"/api/provinces/19/official-figures/{period.name}"
    both = {"wards": [{"ward": "01849", "households": 10}, {"ward": "01852", "households": 20}]}
    locked = await client.put(path, json=both, headers=province)
    assert locked.status_code == 409 and locked.headers["content-type"].startswith("application/problem+json")
    assert await OfficialFigure.count() == 0  # Đồng Hỷ's was not saved either: all or nothing
    assert [w["locked"] for w in (await client.get(path, headers=province)).json()["wards"]] == [True, False]
    only_other = {"wards": [{"ward": "01852", "households": 20}]}
    assert (await client.put(path, json=only_other, headers=province)).status_code == 200
    # The form: the locked ward's box is disabled (not sent), the others are saved.
    await sign_in(client, "province")
    page = soup(await client.get("/provinces/19/official-figures", params={"period": period.name}))
    assert page.select_one("#ward-01849").has_attr("disabled")  # type: ignore[union-attr]
    # The ward's own entry of a figure dated within the accepted quarter is locked too; after it, not.
    csrf = await sign_in(client, "ward")
    within = (period.first + timedelta(days=40)).isoformat()
    own = {"_csrf_token": csrf, "indicator": "households", "period_end": within, "value": "5"}
    refused = await client.post("/wards/01849/official-figures", data=own)
    assert refused.status_code == 409
    assert soup(refused).find("input", attrs={"name": "value"})["value"] == "5"  # type: ignore[index]
    assert await OfficialFigure.count() == 1
    after = {**own, "period_end": (period.last + timedelta(days=1)).isoformat()}
    assert (
        await client.post("/wards/01849/official-figures", data=after, follow_redirects=False)
    ).status_code == 303
    assert await OfficialFigure.count() == 2
    # Reopened: the province may change them again.
    assert (await client.post(decision, json={"decision": "reopen"}, headers=province)).status_code == 200
    assert (await client.put(path, json=both, headers=province)).status_code == 200
    assert await OfficialFigure.count() == 3


async def test_a_provinces_figures_never_show_another_provinces(
    client: AsyncTestClient[Any], world: World
) -> None:
    await officers(world)
    hanoi = await api_token(client, "hanoi")
    outside = {"wards": [{"ward": "00004", "households": 4321, "source": "Báo cáo số 7/BC-UBND Ba Đình"}]}
    assert (
        await client.put("/api/provinces/01/official-figures/2026-Q3", json=outside, headers=hanoi)
    ).status_code == 200
    province = await api_token(client, "province")
    read = await client.get("/api/provinces/19/official-figures/2026-Q3", headers=province)
    assert [w["ward"] for w in read.json()["wards"]] == ["01849", "01852"]
    assert "4321" not in read.text and "Ba Đình" not in read.text
    report = await client.get(
        "/api/provinces/19/reports", params=span(named_period("2026-Q3")), headers=province
    )
    assert report.json()["official_by_ward"] == [] and "4321" not in report.text
    await sign_in(client, "province")
    page = await client.get("/provinces/19/official-figures", params={"period": "2026-Q3"})
    assert "4321" not in page.text and "Ba Đình" not in page.text
    # Hà Nội's report does show it.
    hanoi_report = await client.get(
        "/api/provinces/01/reports", params=span(named_period("2026-Q3")), headers=hanoi
    )
    assert hanoi_report.json()["official_by_ward"][0]["figures"][0]["official"] == 4321


async def test_a_figure_the_ward_entered_keeps_its_source_and_author_when_the_province_saves_others(
    client: AsyncTestClient[Any], world: World
) -> None:
    await officers(world)
    csrf = await sign_in(client, "ward")
    own = {"_csrf_token": csrf, "indicator": "households", "period_end": "2026-09-30", "value": "700",
           "source": "Sổ theo dõi hộ của xã"}  # fmt: skip
    assert (
        await client.post("/wards/01849/official-figures", data=own, follow_redirects=False)
    ).status_code == 303
    csrf = await sign_in(client, "province")
    page = soup(await client.get("/provinces/19/official-figures", params={"period": "2026-Q3"}))
    typed = {**form_values(page.select_one("form.official-wards")), "_csrf_token": csrf}  # type: ignore[arg-type]
    assert (typed["01849.households"], typed["01849.source"]) == ("700", "Sổ theo dõi hộ của xã")
    typed["01849.digital_family"] = "300"
    assert (
        await client.post("/provinces/19/official-figures", data=typed, follow_redirects=False)
    ).status_code == 303
    rows = {
        r["indicator"]: r
        for r in await OfficialFigure.select(
            OfficialFigure.indicator, OfficialFigure.entered_by, OfficialFigure.source
        )
    }
    assert rows["households"]["entered_by"] == world.users["ward"]
    assert (rows["digital_family"]["entered_by"], rows["digital_family"]["source"]) == (
        world.users["province"],
        "Sổ theo dõi hộ của xã",
    )
    # Đồng Hỷ, sent empty as it was, is not touched (nor audited).
    audited = await AuditEntry.select(AuditEntry.entity_id, AuditEntry.details).where(
        AuditEntry.action == "official.province_saved"
    )
    details = [(a["entity_id"], json.loads(a["details"]) if isinstance(a["details"], str) else a["details"])
               for a in audited]  # fmt: skip
    assert details == [
        (world.wards["pq"], {"period": "2026-Q3", "changed": ["digital_family"], "cleared": []})
    ]


def filled(content: bytes, changes: dict[str, dict[str, Any]]) -> bytes:
    """The downloaded workbook with, in the row of each ward code, the columns changed as given."""
    book = openpyxl.load_workbook(io.BytesIO(content))
    sheet = book.active
    assert sheet is not None
    rows = list(sheet.iter_rows())
    header_at = next(i for i, row in enumerate(rows) if row[0].value == "Mã xã")
    columns = {cell.value: index for index, cell in enumerate(rows[header_at])}
    for row in rows[header_at + 1 :]:
        for column, value in changes.get(str(row[0].value), {}).items():
            row[columns[column]].value = value
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def test_the_figures_go_out_and_come_back_as_a_workbook_all_or_nothing(
    client: AsyncTestClient[Any], world: World
) -> None:
    await officers(world)
    headers = await api_token(client, "province")
    body = {"wards": [{"ward": "01852", "households": 40, "source": "Cục Thống kê"}]}
    assert (
        await client.put("/api/provinces/19/official-figures/2026-Q3", json=body, headers=headers)
    ).status_code == 200
    csrf = await sign_in(client, "province")
    download = await client.get("/provinces/19/official-figures.xlsx", params={"period": "2026-Q3"})
    assert download.status_code == 200
    sheet = list(openpyxl.load_workbook(io.BytesIO(download.content)).active.iter_rows(values_only=True))  # type: ignore[union-attr]
    assert ("01852", "Xã Đồng Hỷ", 40, None, None, None, None, "Cục Thống kê") in sheet
    assert ("01849", "Xã Phong Quang", None, None, None, None, None, None) in sheet

    # One bad row (a figure as words, a negative one): nothing is saved, each cell named by its row.
    bad = filled(download.content, {"01849": {"Số hộ": 1250, "Gia đình số": "tám trăm"},
                                    "01852": {"Công dân 16+ có VNeID": -3}})  # fmt: skip
    upload = {"_csrf_token": csrf, "period": "2026-Q3"}
    refused = await client.post("/provinces/19/official-figures/upload", data=upload,
                                files={"file": ("so-lieu.xlsx", bad)})  # fmt: skip
    assert refused.status_code == 422
    problems = [li.text.strip() for li in soup(refused).select("ul.line-errors li")]
    row_pq = next(i for i, row in enumerate(sheet, start=1) if row[0] == "01849")
    row_other = next(i for i, row in enumerate(sheet, start=1) if row[0] == "01852")
    assert problems == [
        f"Dòng {row_pq}, cột Gia đình số: {COUNT}",
        f"Dòng {row_other}, cột Công dân 16+ có VNeID: {COUNT}",
    ]
    assert await OfficialFigure.count() == 1

    good = filled(download.content, {"01849": {"Số hộ": 1250, "Gia đình số": "800", "Nguồn": SOURCE},
                                     "01852": {"Số hộ": None}})  # fmt: skip
    saved = await client.post("/provinces/19/official-figures/upload", data=upload,
                              files={"file": ("so-lieu.xlsx", good)}, follow_redirects=False)  # fmt: skip
    assert saved.status_code == 303
    read = {
        w["ward"]: w
        for w in (await client.get("/api/provinces/19/official-figures/2026-Q3", headers=headers)).json()[
            "wards"
        ]
    }
    assert (read["01849"]["households"], read["01849"]["digital_family"], read["01849"]["source"]) == (
        1250,
        800,
        SOURCE,
    )
    assert read["01852"]["households"] is None  # emptied in the workbook: cleared

    not_a_workbook = await client.post("/provinces/19/official-figures/upload", data=upload,
                                       files={"file": ("so-lieu.xlsx", b"ward,households\n")})  # fmt: skip
    assert not_a_workbook.status_code == 422
    assert [li.text.strip() for li in soup(not_a_workbook).select("ul.line-errors li")] == [
        "Hãy tải lên số liệu dưới dạng sổ tính .xlsx: bắt đầu từ sổ tính tải về tại đây."
    ]
    assert await OfficialFigure.count() == 2
