"""Door stickers: the QR codes scan to the household URLs, sheets print on A4, the PDF is drawn on the
server; a lost sticker is replaced and the old link stops working."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import segno
import zxingcpp
from litestar.testing import AsyncTestClient
from PIL import Image

from surveys.register import stickers
from surveys.register.stickers import Sticker, qr_code, stickers_pdf
from surveys.tables import AuditEntry, Household
from tests.conftest import BASE_URL, sign_in
from tests.factories import World
from tests.server.helpers import form_values, soup


def decode_png(code: segno.QRCode) -> list[str]:
    out = io.BytesIO()
    code.save(out, kind="png", scale=4, border=4)
    return [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(out.getvalue())))]


def test_the_qr_scans_to_the_household_url_and_is_regular_with_error_correction_m_or_better() -> None:
    url = f"{BASE_URL}/h/Xq3v9_aB-c2dE4fG5hI6jK"
    code = qr_code(url)
    assert not code.is_micro and code.error in ("M", "Q", "H")
    assert decode_png(code) == [url]


async def test_printing_all_unprinted_or_chosen_stickers_records_them(
    client: AsyncTestClient[Any], world: World
) -> None:
    csrf = await sign_in(client, "head1")
    v1 = world.villages["v1"]
    chooser = soup(await client.get(f"/villages/{v1}/stickers"))
    assert len(chooser.select("input[name=h]")) == 2
    sheet = await client.post(
        f"/villages/{v1}/stickers/sheet",
        data={"_csrf_token": csrf, "choice": "selected", "h": [world.households["an"]]},
    )
    page = soup(sheet)
    stickers = page.select(".sticker")
    assert [s.select_one(".code").text for s in stickers] == ["PQ-01-0001"]  # type: ignore[union-attr]
    assert "Thôn Đồng Tâm" in stickers[0].text and "Xã Phong Quang" in stickers[0].text
    assert "Nguyễn Văn An" not in sheet.text and "Xóm Trên" not in sheet.text  # no name or address on a door
    assert page.find("link", href=re.compile(r"^/static/stickers\.css\?v="))
    printed = {
        h["code"]: h["printed_at"]
        for h in await Household.select(Household.code, Household.printed_at).where(Household.village == v1)
    }
    assert printed["PQ-01-0001"] is not None and printed["PQ-01-0002"] is None
    unprinted = soup(
        await client.post(f"/villages/{v1}/stickers/sheet", data={"_csrf_token": csrf, "choice": "unprinted"})
    )
    assert [s.select_one(".code").text for s in unprinted.select(".sticker")] == ["PQ-01-0002"]  # type: ignore[union-attr]
    none_left = await client.post(
        f"/villages/{v1}/stickers/sheet", data={"_csrf_token": csrf, "choice": "unprinted"}
    )
    assert none_left.status_code == 422 and "Không có hộ nào để in" in none_left.text


async def test_the_pdf_has_a_page_of_stickers_whose_codes_scan(
    client: AsyncTestClient[Any], world: World
) -> None:
    csrf = await sign_in(client, "ward")
    response = await client.post(
        f"/villages/{world.villages['v1']}/stickers/stickers.pdf", data={"_csrf_token": csrf, "choice": "all"}
    )
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF") and b"/Type /Page" in response.content
    assert 'filename="phocap-01849-01-stickers-' in response.headers["content-disposition"]


def test_a_full_pdf_sheet_splits_into_pages_of_21() -> None:
    stickers = [
        Sticker(n, f"{BASE_URL}/h/token{n:04d}", f"PQ-01-{n:04d}", "Thôn Đồng Tâm", "Xã Phong Quang")
        for n in range(43)
    ]
    pdf = stickers_pdf(stickers, "Tình nguyện viên: quét mã này.")
    assert len(re.findall(rb"/Type /Page[^s]", pdf)) == 3  # 21 + 21 + 1


def test_the_qr_codes_in_the_pdf_scan(tmp_path: Path) -> None:
    """Rasterise the PDF as a printer would (poppler's pdftoppm) and read every code on the page."""
    pdftoppm = shutil.which("pdftoppm")
    if not pdftoppm:
        if os.environ.get("CI"):
            pytest.fail("pdftoppm is required in CI (apt-get install poppler-utils)")
        pytest.skip("no pdftoppm here (apt-get install poppler-utils)")
    urls = [f"{BASE_URL}/h/{n:02d}Xq3v9aBc2dE4fG5hI6j" for n in range(21)]
    pdf = tmp_path / "stickers.pdf"
    pdf.write_bytes(
        stickers_pdf(
            [Sticker(n, u, f"PQ-01-{n:04d}", "Thôn Đồng Tâm", "Xã Phong Quang") for n, u in enumerate(urls)],
            "quét",
        )
    )
    subprocess.run([pdftoppm, "-png", "-r", "200", str(pdf), str(tmp_path / "page")], check=True)
    [png] = sorted(tmp_path.glob("page*.png"))
    assert sorted(r.text for r in zxingcpp.read_barcodes(Image.open(png))) == sorted(urls)


@pytest.mark.parametrize("login", ["volunteer1", "volunteer2", "otherward"])
async def test_volunteers_and_other_wards_cannot_print_stickers(
    client: AsyncTestClient[Any], world: World, login: str
) -> None:
    csrf = await sign_in(client, login)
    v1 = world.villages["v1"]
    assert (await client.get(f"/villages/{v1}/stickers")).status_code == 404
    assert (
        await client.post(f"/villages/{v1}/stickers/sheet", data={"_csrf_token": csrf})
    ).status_code == 404
    assert await Household.count().where(Household.printed_at.is_not_null()) == 0


async def test_a_lost_sticker_is_replaced_and_the_old_link_shows_no_personal_data(
    client: AsyncTestClient[Any], world: World
) -> None:
    csrf = await sign_in(client, "head1")
    old = world.households["an"]
    response = await client.post(
        f"/h/{old}/reissue", data={"_csrf_token": csrf, "confirm": "yes"}, follow_redirects=False
    )
    assert response.status_code == 303
    new = response.headers["location"].split("/h/")[1].split("?")[0]
    assert new != old
    assert "Nguyễn Văn An" in (await client.get(f"/h/{new}")).text
    stale = await client.get(f"/h/{old}")
    assert stale.status_code == 404  # signed in: unknown like any other
    await client.post("/signout", data={"_csrf_token": csrf})
    anonymous = await client.get(f"/h/{old}")
    assert "không còn sử dụng" in anonymous.text and "Nguyễn" not in anonymous.text
    assert await AuditEntry.count().where(AuditEntry.action == "household.token_reissued") == 1


async def test_the_village_head_is_asked_before_the_sticker_on_the_door_stops_working(
    client: AsyncTestClient[Any], world: World
) -> None:
    """Without JavaScript (and with it: the household page's button is a plain form), the first post
    only asks; the sticker changes when the question's own form is sent."""
    await sign_in(client, "head1")
    token = world.households["an"]
    household = soup(await client.get(f"/h/{token}"))
    button = household.find("form", action=f"/h/{token}/reissue")
    assert button is not None
    question = await client.post(f"/h/{token}/reissue", data=form_values(button), follow_redirects=False)
    assert question.status_code == 200
    assert await Household.count().where(Household.token == token) == 1
    page = soup(question)
    assert page.h1 is not None and page.h1.text == "Làm tem mới?"
    cancel = page.find("a", string="Hủy: giữ tem đang dán trên cửa")
    assert cancel is not None and cancel["href"] == f"/h/{token}"
    confirm = page.find("form", action=f"/h/{token}/reissue")
    assert confirm is not None and form_values(confirm)["confirm"] == "yes"
    asked = soup(await client.get(f"/h/{token}/reissue"))  # the same question as a page of its own
    assert asked.find("form", action=f"/h/{token}/reissue") is not None
    assert await Household.count().where(Household.token == token) == 1
    done = await client.post(f"/h/{token}/reissue", data=form_values(confirm), follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"].endswith("?reissued=true")
    assert await Household.count().where(Household.token == token) == 0
    assert await AuditEntry.count().where(AuditEntry.action == "household.token_reissued") == 1


async def test_a_volunteer_cannot_reissue_a_sticker(client: AsyncTestClient[Any], world: World) -> None:
    csrf = await sign_in(client, "volunteer1")
    assert (
        await client.post(f"/h/{world.households['an']}/reissue", data={"_csrf_token": csrf})
    ).status_code == 404
    assert await Household.count().where(Household.token == world.households["an"]) == 1


async def test_the_qr_workers_stop_when_the_web_process_stops(settings: Any) -> None:
    """The sticker list starts QR worker processes; the app's shutdown stops them (none left behind)."""
    from server.app import create_app
    from surveys.register import stickers

    async with AsyncTestClient(app=create_app(settings), base_url=BASE_URL):
        pool = stickers._pool()
        assert [f.result(timeout=60) for f in [pool.submit(stickers.qr_svg, "https://phocap/x")]]
        workers = list(pool._processes.values())
        assert workers and all(p.is_alive() for p in workers)
    assert stickers._pool.cache_info().currsize == 0
    for process in workers:
        process.join(timeout=10)
    assert not any(p.is_alive() for p in workers)


def test_the_sticker_pool_has_a_process_per_core_the_process_may_use_at_most_four(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each sticker process holds segno (~30 MB): a container given one core of a 64-core host starts one."""
    monkeypatch.setattr(os, "cpu_count", lambda: 64)
    monkeypatch.setattr(os, "process_cpu_count", lambda: 1, raising=False)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {3}, raising=False)
    assert stickers.pool_size() == 1
    monkeypatch.setattr(os, "process_cpu_count", lambda: 64, raising=False)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(64)), raising=False)
    assert stickers.pool_size() == 4
