"""Finding a household without the QR: villages and their searchable household lists."""

from __future__ import annotations

from typing import Any

from litestar.testing import AsyncTestClient

from tests.conftest import sign_in
from tests.factories import World
from tests.server.helpers import soup


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
    rows = page.select("#results li a.row-link")
    assert [r.strong.text for r in rows if r.strong] == ["Nguyễn Văn An", "Đặng Thị Ánh"]
    first = rows[0].text
    assert "PQ-01-0001" in first and "Xóm Trên, Thôn Đồng Tâm" in first and "Chưa đến thăm" in first
    assert rows[0]["href"] == f"/h/{world.households['an']}"


async def test_search_box_ignores_accents_and_case(client: AsyncTestClient[Any], world: World) -> None:
    await sign_in(client, "volunteer1")
    v1 = world.villages["v1"]
    for q, expected in (
        ("nguyen van", ["Nguyễn Văn An"]),
        ("dang", ["Đặng Thị Ánh"]),
        ("ÁNH", ["Đặng Thị Ánh"]),
    ):
        page = soup(await client.get(f"/villages/{v1}", params={"q": q}))
        assert [s.text for s in page.select("#results li strong")] == expected, q
        search = page.find("input", attrs={"name": "q"})
        assert search is not None and search["value"] == q


async def test_htmx_search_returns_only_the_results(client: AsyncTestClient[Any], world: World) -> None:
    await sign_in(client, "volunteer1")
    response = await client.get(f"/villages/{world.villages['v1']}?q=dang", headers={"HX-Request": "true"})
    assert "<html" not in response.text and "<h1>" not in response.text
    assert [s.text for s in soup(response).select("li strong")] == ["Đặng Thị Ánh"]


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
