"""The coverage list, the ward dashboard, targets, exports and activity, as their users see them."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import openpyxl
import pytest
from litestar.testing import AsyncTestClient

from surveys.register.search_matches import search_words
from surveys.reporting.coverage import STATUSES, village_coverage
from surveys.reporting.reports import ward_report
from surveys.survey.criteria import REASONS
from surveys.tables import AuditEntry, Household, WardTarget
from tests.conftest import api_token, sign_in
from tests.factories import World, make_household, person
from tests.server.helpers import field_errors, soup
from tests.surveys.test_reports import visit_an


async def test_village_head_filters_not_visited_with_counts_and_a_url(
    client: AsyncTestClient[Any], world: World
) -> None:
    await visit_an(world)
    await sign_in(client, "head1")
    v1 = world.villages["v1"]
    page = soup(await client.get(f"/villages/{v1}"))
    chips = {a.get_text(" ", strip=True) for a in page.select(".chips-nav a")}
    assert {"Tất cả 2", "Chưa đạt 1", "Đã đạt 1", "Chưa đến thăm 1"} <= chips
    link = next(a for a in page.select(".chips-nav a") if a.get_text(strip=True).startswith("Chưa đến thăm"))
    assert link["href"] == f"/villages/{v1}?reason=not_visited"
    filtered = await client.get(link["href"], headers={"HX-Request": "true"})
    assert filtered.headers["hx-push-url"] == f"/villages/{v1}?reason=not_visited"
    assert [s.text for s in soup(filtered).select("li:not([hidden]) strong")] == ["Đặng Thị Ánh"]


async def test_the_list_shows_last_visit_days_and_volunteer(
    client: AsyncTestClient[Any], world: World
) -> None:
    await visit_an(world)
    await sign_in(client, "head1")
    page = soup(await client.get(f"/villages/{world.villages['v1']}?sort=name"))
    first = page.select("#results li:not([hidden]) a.row-link")[0].get_text(" ", strip=True)
    assert "Nguyễn Văn An" in first and "(hôm nay)" in first and "Tài khoản volunteer1" in first


async def test_the_whole_village_is_one_page_a_phone_can_search_and_filter_by_itself(
    client: AsyncTestClient[Any], world: World
) -> None:
    """No pages: every household is a row (the phone keeps this page and filters it without a
    signal), each with the server's own search key, status, reasons and place in each order."""
    v2 = world.villages["v2"]
    for n in range(55):
        await make_household(v2, f"PQ-02-{n:04d}", [person(f"Hà Văn Số{n:02d}", 1980)])
    await sign_in(client, "ward")
    page = soup(await client.get(f"/villages/{v2}"))
    rows = page.select("#results ul.households > li")
    assert len(rows) == 55 and not page.select(".pager") and not page.find("a", rel="next")
    assert page.find(id="shown").text == "55 hộ"
    # An old bookmark of a page still opens, on the whole list.
    assert len(soup(await client.get(f"/villages/{v2}?page=2")).select("#results ul.households > li")) == 55
    last = next(r for r in rows if r.find("small", string="PQ-02-0054"))
    assert last["data-search"] == "pq-02-0054 xom tren ha van so54" and last["data-status"] == "u"
    assert last["data-reasons"] == "not_visited"
    # Each row carries its key in each order (the phone orders a list it patched by them): in plain
    # string order they order the rows as the server's own query orders the village, priority
    # households first in the order to visit.
    await Household.update({Household.priority_poor: True}).where(
        Household.code.is_in(["PQ-02-0007", "PQ-02-0040"])
    )
    for order in ("visit", "name"):
        drawn = soup(await client.get(f"/villages/{v2}?sort={order}")).select("#results ul.households > li")
        keys = [
            r["data-by-name"] if order == "name" else f"{r['data-rank']} {r['data-by-name']}" for r in drawn
        ]
        assert keys == sorted(keys) and len(set(keys)) == 55
        assert (order == "visit") == ({r.small.text for r in drawn[:2]} == {"PQ-02-0007", "PQ-02-0040"})
        queried = await village_coverage(v2, per_page=100, order=order)
        assert [r.a["href"] for r in drawn] == [f"/h/{r.token}" for r in queried.rows]


async def test_each_row_carries_what_the_phone_filters_by_and_the_phones_counts_are_the_servers(
    client: AsyncTestClient[Any], world: World
) -> None:
    """The page filters itself by its rows' data-search, data-status and data-reasons
    (village-list.js): for each filter, the rows those keep are exactly those the server's own filter
    shows, and the chips' counts are theirs."""
    await visit_an(world)
    v1 = world.villages["v1"]
    for n in range(3):
        await make_household(v1, f"PQ-01-{n + 100:04d}", [person(f"Lò Văn Đức {n}", 1980)])
    csrf = await sign_in(client, "head1")
    page = soup(await client.get(f"/villages/{v1}"))
    rows = page.select("#results ul.households > li")
    stored = await Household.select(Household.token, Household.search_key).where(Household.village == v1)
    assert {r.a["href"]: r["data-search"] for r in rows} == {
        f"/h/{h['token']}": h["search_key"] for h in stored
    }

    def keeps(row: Any, status: str, reason: str) -> bool:
        covered = row["data-status"] == "c"
        kept = status == "all" or covered == (status == "covered")
        return kept and (not reason or reason in row["data-reasons"].split())

    filters = [(status, "") for status in STATUSES] + [("all", reason) for reason in REASONS]
    for status, reason in filters:
        served = soup(await client.get(f"/villages/{v1}", params={"status": status, "reason": reason}))
        shown = {li.a["href"] for li in served.select("#results ul.households > li:not([hidden])")}
        assert shown == {r.a["href"] for r in rows if keeps(r, status, reason)}, (status, reason)
        chip = page.select_one(
            f'.chip[data-reason="{reason}"]' if reason else f'.chip[data-status="{status}"]'
        )
        assert chip is not None and int(chip.b.text) == len(shown), (status, reason)
        assert chip.has_attr("hidden") == (bool(reason) and not shown), (status, reason)
    # The search: each word typed, folded as the server folds it, within the row's key.
    for q in ("lo van duc", "ĐỨC 2", "nguyen van", "xom tren pq-01"):
        served = soup(await client.post(f"/villages/{v1}", data={"q": q, "_csrf_token": csrf}))
        shown = {li.a["href"] for li in served.select("#results ul.households > li:not([hidden])")}
        words = search_words(q)
        assert shown == {r.a["href"] for r in rows if all(w in r["data-search"] for w in words)}, q
        assert served.find(id="shown").text == f"{len(shown)} hộ"


async def test_unknown_filter_values_fall_back_to_the_whole_list(
    client: AsyncTestClient[Any], world: World
) -> None:
    await sign_in(client, "head1")
    response = await client.get(f"/villages/{world.villages['v1']}?status=weird&reason=nope&sort=up")
    assert response.status_code == 200
    assert len(soup(response).select("#results ul.households > li:not([hidden])")) == 2
    assert (await client.get(f"/villages/{world.villages['v1']}?page=0")).status_code == 400


async def test_coverage_export_csv_and_xlsx(client: AsyncTestClient[Any], world: World) -> None:
    await visit_an(world)
    await sign_in(client, "head1")
    v1 = world.villages["v1"]
    response = await client.get(f"/villages/{v1}/coverage.csv?reason=not_visited")
    assert response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["Danh sách hộ: Thôn Đồng Tâm"]
    assert rows[1] == ["Xã Phong Quang (mã 01849), Tỉnh Thái Nguyên"]
    assert rows[2][0].startswith("Ngày báo cáo: ")
    header = rows[4]
    assert header[:3] == ["Mã hộ", "Chủ hộ", "Địa chỉ"]
    assert [r[0] for r in rows[5:]] == ["PQ-01-0002"]
    xlsx = await client.get(f"/villages/{v1}/coverage.xlsx?sort=name")
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[4][:2] == ["Mã hộ", "Chủ hộ"]
    assert [v[1] for v in values[5:]] == ["Nguyễn Văn An", "Đặng Thị Ánh"]
    assert sheet.cell(row=6, column=7).number_format == "dd/mm/yyyy"


async def test_the_village_head_prints_every_household_still_to_visit_on_one_sheet_of_rows(
    client: AsyncTestClient[Any], world: World
) -> None:
    # 55 more households not visited: more than one page of the list (50), all of them on paper.
    await visit_an(world)
    v1 = world.villages["v1"]
    for n in range(55):
        await make_household(v1, f"PQ-01-{n + 100:04d}", [person(f"Lò Văn {n:02d}", 1980)])
    await sign_in(client, "head1")
    listing = soup(await client.get(f"/villages/{v1}?status=uncovered"))
    assert len(listing.select("#results ul.households > li:not([hidden])")) == 56
    link = listing.find("a", string="In")
    assert link is not None and link["href"] == f"/villages/{v1}/print?status=uncovered"
    printed = await client.get(link["href"])
    assert printed.status_code == 200
    page = soup(printed)
    assert page.find("h1").text == "Danh sách hộ: Thôn Đồng Tâm"
    headers = [th.text for th in page.select("thead th")]
    assert headers[:3] == ["Mã hộ", "Chủ hộ", "Địa chỉ"] and headers[-1] == "Ghi chú"
    rows = [[td.text for td in tr.select("td")] for tr in page.select("tbody tr")]
    assert len(rows) == 56  # Ánh's household and the 55, not An's (covered)
    assert {r[0] for r in rows} == {"PQ-01-0002", *(f"PQ-01-{n + 100:04d}" for n in range(55))}
    assert all(r[-1] == "" for r in rows)  # the column to write in
    assert not page.select(".pager") and page.find("p", string="56 hộ")
    # The whole list, An's visit with its date as Vietnamese paper writes it.
    everyone = soup(await client.get(f"/villages/{v1}/print"))
    an = next(tr for tr in everyone.select("tbody tr") if tr.td.text == "PQ-01-0001")
    assert re.fullmatch(r"\d\d/\d\d/\d{4}", an.select("td")[6].text)


async def test_the_printed_list_takes_the_lists_filters_and_falls_back_as_it_does(
    client: AsyncTestClient[Any], world: World
) -> None:
    await visit_an(world)
    await sign_in(client, "head1")
    v1 = world.villages["v1"]
    not_visited = soup(await client.get(f"/villages/{v1}/print?reason=not_visited&sort=name"))
    assert [tr.td.text for tr in not_visited.select("tbody tr")] == ["PQ-01-0002"]
    # Unknown values show the whole list, as the page does; a search text never reaches the paper.
    odd = await client.get(f"/villages/{v1}/print?status=weird&reason=nope&sort=up&q=An")
    assert odd.status_code == 200
    assert len(soup(odd).select("tbody tr")) == 2
    nothing = soup(await client.get(f"/villages/{v1}/print?status=covered&reason=not_visited"))
    assert [td.text for td in nothing.select("tbody td")] == ["Không có hộ nào phù hợp."]


async def test_volunteers_cannot_export_or_see_the_dashboard(
    client: AsyncTestClient[Any], world: World
) -> None:
    await sign_in(client, "volunteer1")
    v1 = world.villages["v1"]
    assert (await client.get(f"/villages/{v1}")).status_code == 200
    for path in (f"/villages/{v1}/coverage.csv", f"/villages/{v1}/print", f"/villages/{v1}/activity", "/wards/01849", "/wards/01849/report.csv",
                 "/wards/01849/targets", "/wards/01849/activity"):  # fmt: skip
        assert (await client.get(path)).status_code == 404, path


async def test_village_head_sees_only_their_villages(client: AsyncTestClient[Any], world: World) -> None:
    await sign_in(client, "head1")
    assert (await client.get(f"/villages/{world.villages['v2']}")).status_code == 404
    assert (await client.get(f"/villages/{world.villages['v2']}/coverage.xlsx")).status_code == 404
    assert (await client.get("/wards/01849")).status_code == 404


async def test_ward_officer_sees_only_their_ward(client: AsyncTestClient[Any], world: World) -> None:
    await sign_in(client, "otherward")
    for path in ("/wards/01849", "/wards/01849/report.xlsx", f"/villages/{world.villages['v1']}"):
        assert (await client.get(path)).status_code == 404, path
    assert (await client.get("/wards/01852")).status_code == 200


async def test_dashboard_shows_the_reports_numbers(client: AsyncTestClient[Any], world: World) -> None:
    await visit_an(world)
    await sign_in(client, "ward")
    response = await client.get("/", follow_redirects=True)
    page = soup(response)
    assert page.h1 is not None and page.h1.text == "Xã Phong Quang"
    kpis = {
        k.select_one(".kpi-name").text: k.select_one(".kpi-value")
        .get_text(" ", strip=True)
        .replace("\xa0", " ")
        for k in page.select(".kpi")
    }  # type: ignore[union-attr]
    # Vietnamese numbers: a decimal comma, a space before the percent sign.
    assert kpis["Hộ đã đến thăm"] == "33,3 %"
    assert kpis["Gia đình số"] == "66,7 % / 100 %"
    assert kpis["Công dân từ 16 tuổi có VNeID"] == "75,0 % / 100 %"
    assert kpis["Công dân từ 16 tuổi đã xác nhận kỹ năng số"] == "25,0 % / 80 %"
    rows = [  # a cell's number, without the label a phone shows beside it (.cell-label)
        [
            (c.select_one(".cell-value") or c).get_text(" ", strip=True).replace("\xa0", " ")
            for c in tr.find_all(["th", "td"])
        ]
        for tr in page.select("table.numbers tbody tr")
    ]
    assert rows[0][:4] == ["Thôn Đồng Tâm", "2", "3", "50,0 % (1)"]
    labels = [label.text for label in page.select("table.numbers tbody tr")[0].select(".cell-label")]
    assert labels[:3] == ["Số hộ", "Công dân từ 16 tuổi", "Hộ đã đến thăm"]
    assert len(page.select(".chart svg polyline")) == 7


async def test_exported_report_equals_the_dashboard(client: AsyncTestClient[Any], world: World) -> None:
    await visit_an(world)
    await sign_in(client, "ward")
    report = await ward_report(world.wards["pq"])
    rows = list(
        csv.reader(io.StringIO((await client.get("/wards/01849/report.csv")).content.decode("utf-8-sig")))
    )
    assert rows[0] == ["Bình dân học vụ số: báo cáo cấp xã"]
    total = next(r for r in rows if r[1:2] == ["Toàn xã"])
    assert total[2:4] == [str(report.total.households), str(report.total.adults)]
    assert total[4:6] == [str(report.total.visited), f"{report.total.percent('visited'):.1f}"]
    assert total[10:12] == [str(report.total.vneid), f"{report.total.percent('vneid'):.1f}"]
    book = openpyxl.load_workbook(io.BytesIO((await client.get("/wards/01849/report.xlsx")).content))
    sheet = book.active
    assert sheet is not None and sheet.title == "01849"
    xlsx_total = next(row for row in sheet.iter_rows(values_only=True) if row[1:2] == ("Toàn xã",))
    assert xlsx_total[11] == report.total.percent("vneid") == 75.0
    api = (await client.get("/api/wards/01849/report", headers=await api_token(client, "ward"))).json()
    assert api["total"]["indicators"]["vneid"] == {"count": 3, "of": 4, "percent": 75.0, "target": 100}


async def test_ward_officer_sets_targets_and_bad_values_come_back(
    client: AsyncTestClient[Any], world: World
) -> None:
    csrf = await sign_in(client, "ward")
    response = await client.post(
        "/wards/01849/targets",
        data={
            "_csrf_token": csrf,
            "informed": "95",
            "digital_family": "150",
            "identity": "abc",
            "skills_confirmed": "",
        },
    )
    assert response.status_code == 422
    page = soup(response)
    # The two bad values and the five targets left empty, each named next to its field.
    assert field_errors(page) == ["Hãy nhập số nguyên từ 0 đến 100."] * 7
    assert page.find("input", attrs={"name": "digital_family"})["value"] == "150"  # type: ignore[index]
    assert await WardTarget.count() == 0
    saved = await client.post(
        "/wards/01849/targets",
        data={
            "_csrf_token": csrf,
            "informed": "95",
            "digital_family": "70",
            "identity": "90",
            "vneid_level2": "-5",
            "bank": "80",
            "basic_skills": "70",
            "skills_confirmed": "60",
            "ai_tool": "60",
        },
    )
    # A percent below 0 is as clear an error as one over 100.
    assert saved.status_code == 422
    assert field_errors(soup(saved)) == ["Hãy nhập số nguyên từ 0 đến 100."]
    assert await WardTarget.count() == 0
    saved = await client.post(
        "/wards/01849/targets",
        data={
            "_csrf_token": csrf,
            "informed": "95",
            "digital_family": "70",
            "identity": "90",
            "vneid_level2": "50",
            "bank": "80",
            "basic_skills": "70",
            "skills_confirmed": "60",
            "ai_tool": "45",
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303
    targets = (await ward_report(world.wards["pq"])).targets
    assert targets.for_indicator("digital_family") == 70
    assert (targets.for_indicator("vneid_level2"), targets.for_indicator("bank")) == (50, 80)
    assert (targets.basic_skills, targets.ai_tool) == (70, 45)
    assert await AuditEntry.count().where(AuditEntry.action == "targets.saved") == 1


@pytest.mark.parametrize("login", ["head1", "volunteer1", "otherward"])
async def test_only_the_wards_officers_set_its_targets(
    client: AsyncTestClient[Any], world: World, login: str
) -> None:
    csrf = await sign_in(client, login)
    data = {
        "_csrf_token": csrf,
        "informed": "1",
        "digital_family": "1",
        "identity": "1",
        "skills_confirmed": "1",
    }
    assert (await client.post("/wards/01849/targets", data=data)).status_code == 404
    assert await WardTarget.count() == 0


async def test_activity_pages(client: AsyncTestClient[Any], world: World) -> None:
    await visit_an(world)
    await sign_in(client, "head1")
    page = soup(await client.get(f"/villages/{world.villages['v1']}/activity"))
    row = page.select_one("table.numbers tbody tr")
    assert row is not None and row.th is not None and row.th.text == "Tài khoản volunteer1"
    await sign_in(client, "ward")
    assert "Tài khoản volunteer1" in (await client.get("/wards/01849/activity")).text


async def test_api_coverage_matches_the_page(client: AsyncTestClient[Any], world: World) -> None:
    await visit_an(world)
    headers = await api_token(client, "head1")
    body = (
        await client.get(f"/api/villages/{world.villages['v1']}/coverage?reason=not_visited", headers=headers)
    ).json()
    assert (body["total"], body["counts"]["all"], body["counts"]["not_visited"]) == (1, 2, 1)
    assert [h["code"] for h in body["households"]] == ["PQ-01-0002"]
    assert body["households"][0]["status"]["reasons"] == ["not_visited"]
    assert (
        await client.get(f"/api/villages/{world.villages['v3']}/coverage", headers=headers)
    ).status_code == 404
    assert (await client.get("/api/wards/01849/report", headers=headers)).status_code == 404
    bad = await client.get(f"/api/villages/{world.villages['v1']}/coverage?page=abc", headers=headers)
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
    assert [(e["field"], e["code"]) for e in bad.json()["errors"]] == [("page", "invalid")]
