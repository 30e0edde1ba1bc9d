"""Finding a household without the QR: villages and their searchable household lists."""

from __future__ import annotations

from typing import Any

from litestar.testing import AsyncTestClient

from tests.conftest import csrf_token, sign_in
from tests.factories import World
from tests.server.helpers import form_values, soup


async def test_volunteer_sees_only_their_villages(client: AsyncTestClient[Any], world: World) -> None:
    await sign_in(client, "volunteer1")
    page = soup(await client.get("/villages"))
    links = [(a["href"], a.span.text) for a in page.select("a.row-link") if a.span]
    assert links == [
        (f"/villages/{world.villages['v1']}", "Thôn Đồng Tâm"),
        (f"/villages/{world.villages['v2']}", "Thôn Khuôn Ngọa"),
    ]


async def test_village_list_shows_code_head_address_and_status(
    client: AsyncTestClient[Any], world: World
) -> None:
    await sign_in(client, "volunteer1")
    page = soup(await client.get(f"/villages/{world.villages['v1']}"))
    rows = page.select("#results li:not([hidden]) a.row-link")
    assert [r.strong.text for r in rows if r.strong] == ["Nguyễn Văn An", "Đặng Thị Ánh"]
    first = rows[0].text
    assert "PQ-01-0001" in first and "Xóm Trên, Thôn Đồng Tâm" in first and "Chưa đến thăm" in first
    assert rows[0]["href"] == f"/h/{world.households['an']}"


async def test_search_box_ignores_accents_and_case(client: AsyncTestClient[Any], world: World) -> None:
    csrf = await sign_in(client, "volunteer1")
    v1 = world.villages["v1"]
    for q, expected in (
        ("nguyen van", ["Nguyễn Văn An"]),
        ("dang", ["Đặng Thị Ánh"]),
        ("ÁNH", ["Đặng Thị Ánh"]),
    ):
        response = await client.post(f"/villages/{v1}", data={"q": q, "_csrf_token": csrf})
        assert response.status_code == 200
        page = soup(response)
        assert [s.text for s in page.select("#results li:not([hidden]) strong")] == expected, q
        search = page.find("input", attrs={"name": "q"})
        assert search is not None and search["value"] == q


async def test_htmx_search_returns_only_the_results(client: AsyncTestClient[Any], world: World) -> None:
    csrf = await sign_in(client, "volunteer1")
    response = await client.post(
        f"/villages/{world.villages['v1']}",
        data={"q": "dang"},
        headers={"HX-Request": "true", "X-CSRFToken": csrf},
    )
    assert "<html" not in response.text and "<h1>" not in response.text
    assert [s.text for s in soup(response).select("li:not([hidden]) strong")] == ["Đặng Thị Ánh"]


async def test_the_text_searched_never_lands_in_a_url(client: AsyncTestClient[Any], world: World) -> None:
    csrf = await sign_in(client, "head1")
    v1 = world.villages["v1"]
    page = soup(await client.get(f"/villages/{v1}"))
    form = page.find("form", id="search")
    assert form is not None and form["method"] == "post" and form["action"] == f"/villages/{v1}"
    # A filter link clicked during a search keeps the search (the box's text posted along), not in its URL.
    response = await client.post(
        f"/villages/{v1}?status=uncovered",
        data={"q": "Nguyễn Văn"},
        headers={"HX-Request": "true", "X-CSRFToken": csrf},
    )
    assert [s.text for s in soup(response).select("li:not([hidden]) strong")] == ["Nguyễn Văn An"]
    assert response.headers["hx-push-url"] == f"/villages/{v1}?status=uncovered"
    results = soup(response)
    urls = [a.get("href", "") for a in results.find_all("a")]
    assert urls and not any("q=" in str(u) or "Nguy" in str(u) for u in urls)


async def test_another_villages_list_is_404(client: AsyncTestClient[Any], world: World) -> None:
    await sign_in(client, "volunteer2")
    for village in ("v1", "v4"):
        response = await client.get(f"/villages/{world.villages[village]}")
        assert response.status_code == 404
        assert "Nguyễn Văn An" not in response.text
    assert (await client.get("/villages/not-a-number")).status_code in (400, 404)


async def test_ward_officer_sees_all_villages_of_the_ward_only(
    client: AsyncTestClient[Any], world: World
) -> None:
    await sign_in(client, "ward")
    page = soup(await client.get("/villages"))
    assert len(page.select("a.row-link")) == 3
    assert (await client.get(f"/villages/{world.villages['v4']}")).status_code == 404


async def test_search_says_which_member_it_found_when_not_the_head(
    client: AsyncTestClient[Any], world: World
) -> None:
    csrf = await sign_in(client, "volunteer1")
    v1 = world.villages["v1"]
    found = soup(await client.post(f"/villages/{v1}", data={"q": "tran thi binh", "_csrf_token": csrf}))
    [row] = found.select("#results li:not([hidden]) a.row-link")
    assert row.strong is not None and row.strong.text == "Nguyễn Văn An"  # the household, by its head
    assert [s.text for s in row.select("span.small:not(.muted)")] == ["Thành viên khớp: Trần Thị Bình"]
    # The head found: nothing more to say.
    head = soup(await client.post(f"/villages/{v1}", data={"q": "nguyen van an", "_csrf_token": csrf}))
    assert [s.text for s in head.select("#results li:not([hidden]) span.small")] == []
    # The page that searches itself names each household's other members, to say the same.
    rows = soup(await client.get(f"/villages/{v1}")).select("#results ul.households > li")
    others = {li.strong.text: li.get("data-others") for li in rows if li.strong}
    assert others == {"Nguyễn Văn An": "Trần Thị Bình|Nguyễn Minh Khôi", "Đặng Thị Ánh": None}


async def test_the_ward_names_its_villages_in_its_own_word(
    client: AsyncTestClient[Any], world: World
) -> None:
    v1 = world.villages["v1"]
    await sign_in(client, "volunteer1")
    page = soup(await client.get("/villages"))
    assert page.h1 is not None and page.h1.text == "Danh sách thôn của bạn"  # the default: thôn

    await client.post("/signout", data={"_csrf_token": await csrf_token(client, "/villages")})
    await sign_in(client, "ward")
    targets = soup(await client.get("/wards/01849/targets"))
    form = targets.find("form", action="/wards/01849/village-word")
    assert form is not None
    refused = await client.post(
        "/wards/01849/village-word", data={**form_values(form), "village_word": "lang"}
    )
    assert refused.status_code == 422
    assert [e.text for e in soup(refused).select(".field-error")] == ["Hãy chọn một trong các lựa chọn."]
    saved = await client.post(
        "/wards/01849/village-word", data={**form_values(form), "village_word": "to_dan_pho"}
    )
    assert saved.status_code == 200

    await client.post("/signout", data={"_csrf_token": await csrf_token(client, "/villages")})
    await sign_in(client, "volunteer1")
    page = soup(await client.get("/villages"))
    assert page.h1 is not None and page.h1.text == "Danh sách tổ dân phố của bạn"
    village = soup(await client.get(f"/villages/{v1}"))
    crumb = village.select_one(".crumbs a")
    assert crumb is not None and crumb.text == "Tổ dân phố"
    # The menu link to the list says it too, on every page.
    assert [a.text for a in village.select("nav.bar-links a[href='/villages']")] == ["Tổ dân phố"]


async def test_the_ward_dashboard_heads_its_village_column_with_the_wards_word(
    client: AsyncTestClient[Any], world: World
) -> None:
    await sign_in(client, "ward")
    page = soup(await client.get("/wards/01849/"))
    assert page.select("table.numbers thead th")[0].text == "Thôn"
    targets = soup(await client.get("/wards/01849/targets"))
    form = targets.find("form", action="/wards/01849/village-word")
    assert form is not None
    await client.post("/wards/01849/village-word", data={**form_values(form), "village_word": "ban"})

    page = soup(await client.get("/wards/01849/"))
    assert page.select("table.numbers thead th")[0].text == "Bản"
    assert page.select("h2")[0].text == "Theo bản"
    assert [a.text for a in page.select("nav.bar-links a[href='/villages']")] == ["Bản"]
