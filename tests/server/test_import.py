"""Bulk import of a household list: preview with every row's problems, all or nothing, never twice."""

from __future__ import annotations

import io
import unicodedata
from typing import Any

import openpyxl
import pytest
from litestar.testing import AsyncTestClient

from surveys.register.imports import MAX_BYTES
from surveys.tables import Household, ImportUpload, Member
from tests.conftest import sign_in
from tests.factories import World
from tests.server.helpers import soup

HEADER = "Thôn,Hộ số,Địa chỉ,Họ và tên,Năm sinh,Giới tính,Chủ hộ\n"
GOOD = HEADER + (
    "Thôn Đồng Tâm,1,Xóm Giữa,Lục Văn Thành,1968,Nam,x\n"
    "Thôn Đồng Tâm,1,Xóm Giữa,Lục Thị Nga,1972,Nữ,\n"
    "Thôn Khuôn Ngọa,7,Xóm Suối,Hà Thị Liên,1990,Nữ,x\n"
    "Thôn Khuôn Ngọa,7,Xóm Suối,Hà Minh Khang,2016,Nam,\n"
)


async def upload(client: AsyncTestClient[Any], csrf: str, name: str, content: bytes) -> Any:
    return await client.post("/import", data={"_csrf_token": csrf}, files={"file": (name, content)})


async def confirm(client: AsyncTestClient[Any], csrf: str, page: Any) -> Any:
    form = soup(page).find("form", action=lambda a: bool(a) and a.startswith("/import/"))
    assert form is not None, page.text
    return await client.post(form["action"], data={"_csrf_token": csrf})


async def test_a_good_file_previews_then_imports_and_again_creates_nothing(
    client: AsyncTestClient[Any], world: World
) -> None:
    csrf = await sign_in(client, "ward")
    content = ("\ufeff" + GOOD).encode("utf-8")
    preview = await upload(client, csrf, "danh-sach.csv", content)
    assert preview.status_code == 200
    assert "2 hộ mới, 0 hộ đã có trong sổ (bỏ qua), 0 lỗi." in preview.text
    assert await Household.count() == 4  # nothing yet
    done = await confirm(client, csrf, preview)
    assert "Đã thêm 2 hộ" in done.text
    thanh = await Household.select().where(Household.head_name == "Lục Văn Thành").first()
    assert thanh is not None and thanh["village"] == world.villages["v1"] and thanh["code"] == "01849-01-0001"
    assert await Member.count().where(Member.household == thanh["id"]) == 2
    assert await ImportUpload.count() == 0
    again = await upload(client, csrf, "danh-sach.csv", content)
    assert "0 hộ mới, 2 hộ đã có trong sổ (bỏ qua), 0 lỗi." in again.text
    await confirm(client, csrf, again)
    assert await Household.count() == 6


async def test_one_bad_row_in_the_middle_blocks_everything(
    client: AsyncTestClient[Any], world: World
) -> None:
    csrf = await sign_in(client, "ward")
    lines = GOOD.splitlines()
    bad = "\n".join([*lines[:3], "Thôn Không Có,3,Xóm,,19x0,Bê đê,x", *lines[3:]]) + "\n"
    preview = await upload(client, csrf, "list.csv", bad.encode())
    assert preview.status_code == 422
    problems = [p.text for p in soup(preview).select(".problem")]
    assert problems == [
        "dòng 4: Không rõ thôn (hoặc không phải thôn bạn phụ trách)",
        "dòng 4: Thiếu họ tên",
        "dòng 4: Thiếu năm sinh hoặc năm sinh không hợp lệ",
        "dòng 4: Giới tính phải là Nam, Nữ hoặc Khác",
    ]
    assert soup(preview).find("form", action=lambda a: bool(a) and a.startswith("/import/")) is None
    token = (await ImportUpload.select(ImportUpload.token).first() or {})["token"]
    refused = await client.post(f"/import/{token}", data={"_csrf_token": csrf})
    assert refused.status_code == 422
    assert await Household.count() == 4 and await Member.count() == 6


async def test_xlsx_with_decomposed_text_is_read_as_nfc(client: AsyncTestClient[Any], world: World) -> None:
    csrf = await sign_in(client, "ward")
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for line in GOOD.splitlines():
        sheet.append(
            [
                unicodedata.normalize("NFD", cell) if not cell.isdigit() else int(cell)
                for cell in line.split(",")
            ]
        )
    out = io.BytesIO()
    book.save(out)
    preview = await upload(client, csrf, "danh-sach.xlsx", out.getvalue())
    assert preview.status_code == 200
    await confirm(client, csrf, preview)
    names = {m["full_name"] for m in await Member.select(Member.full_name)}
    assert "Lục Văn Thành" in names and all(unicodedata.is_normalized("NFC", n) for n in names)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("list.pdf", b"%PDF-1.4", "Hãy tải danh sách lên dưới dạng tệp .csv hoặc .xlsx"),
        ("list.xlsx", b"not a zip", "Hãy tải danh sách lên dưới dạng tệp .csv hoặc .xlsx"),
        ("list.csv", "Tên,Tuổi\nAn,3\n".encode(), "Thiếu các cột: Thôn, Hộ số"),
        ("list.csv", HEADER.encode(), "Tệp không có dòng nào dưới dòng tiêu đề."),
        ("list.csv", GOOD.encode("utf-16"), "Tệp CSV không ở dạng UTF-8."),
        ("list.csv", b"x" * (MAX_BYTES + 1), "Tệp lớn hơn 5 MB."),
    ],
)
async def test_unreadable_files_get_a_clear_message(
    client: AsyncTestClient[Any], world: World, name: str, content: bytes, message: str
) -> None:
    csrf = await sign_in(client, "ward")
    response = await upload(client, csrf, name, content)
    assert response.status_code == 422
    alert = soup(response).find(role="alert")
    assert alert is not None and message in alert.text
    assert await Household.count() == 4


async def test_formulas_and_merged_cells_are_refused(client: AsyncTestClient[Any], world: World) -> None:
    csrf = await sign_in(client, "ward")
    for damage in ("formula", "merged"):
        book = openpyxl.Workbook()
        sheet = book.active
        assert sheet is not None
        for line in GOOD.splitlines():
            sheet.append(line.split(","))
        if damage == "formula":
            sheet["E2"] = "=1960+8"
        else:
            sheet.merge_cells("C2:C3")
        out = io.BytesIO()
        book.save(out)
        response = await upload(client, csrf, "list.xlsx", out.getvalue())
        assert response.status_code == 422
        text = soup(response).find(role="alert").text  # type: ignore[union-attr]
        assert ("công thức (đầu tiên ở ô E2)" in text) if damage == "formula" else ("ô gộp (C2:C3)" in text)


async def test_a_village_head_imports_only_into_their_villages(
    client: AsyncTestClient[Any], world: World
) -> None:
    csrf = await sign_in(client, "head1")
    preview = await upload(client, csrf, "list.csv", GOOD.encode())
    assert preview.status_code == 422
    assert "Không rõ thôn" in preview.text  # Khuôn Ngọa is not head1's


async def test_volunteers_cannot_import_and_others_cannot_confirm_an_upload(
    client: AsyncTestClient[Any], world: World
) -> None:
    csrf = await sign_in(client, "volunteer1")
    assert (await client.get("/import")).status_code == 404
    assert (await upload(client, csrf, "list.csv", GOOD.encode())).status_code == 404
    csrf = await sign_in(client, "ward")
    await upload(client, csrf, "list.csv", GOOD.encode())
    token = (await ImportUpload.select(ImportUpload.token).first() or {})["token"]
    csrf = await sign_in(client, "otherward")
    assert (await client.post(f"/import/{token}", data={"_csrf_token": csrf})).status_code == 404
    assert await Household.count() == 4


async def test_the_template_is_importable(client: AsyncTestClient[Any], world: World) -> None:
    csrf = await sign_in(client, "ward")
    template = await client.get("/import/template.csv")
    assert template.content.startswith(b"\xef\xbb\xbf")
    preview = await upload(client, csrf, "mau.csv", template.content)
    # Its second example is Đặng Thị Ánh of Xóm Dưới, already in the fixture register: found as a duplicate.
    assert preview.status_code == 200 and "1 hộ mới, 1 hộ đã có trong sổ (bỏ qua), 0 lỗi." in preview.text


async def test_control_characters_in_a_file_are_dropped_not_stored(
    client: AsyncTestClient[Any], world: World
) -> None:
    csrf = await sign_in(client, "ward")
    content = GOOD.replace("Lục Văn Thành", "Lục Văn\x00 Thành\x1b").encode("utf-8")
    done = await confirm(client, csrf, await upload(client, csrf, "danh-sach.csv", content))
    assert "Đã thêm 2 hộ" in done.text
    assert await Member.count().where(Member.full_name == "Lục Văn Thành") == 1


async def test_a_village_list_of_thousands_of_rows_in_xlsx_imports_read_one_row_at_a_time(
    client: AsyncTestClient[Any], world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A commune's whole list (3,000 people in 1,000 households) as one XLSX: it imports, and the
    workbook was opened read-only, streamed row by row, not built in memory cell by cell with styles."""
    from surveys.register import imports

    opened: list[Any] = []

    def watched_load_workbook(*args: Any, **kwargs: Any) -> Any:
        opened.append(imports_load_workbook(*args, **kwargs))
        return opened[-1]

    imports_load_workbook = imports.load_workbook
    monkeypatch.setattr(imports, "load_workbook", watched_load_workbook)
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(HEADER.strip().split(","))
    for household in range(1, 1001):
        village = "Thôn Đồng Tâm" if household % 2 else "Thôn Khuôn Ngọa"
        for person, (name, year, sex) in enumerate(
            [("Hoàng Văn Dũng", 1970, "Nam"), ("Nông Thị Hoa", 1975, "Nữ"), ("Hoàng Văn Minh", 2005, "Nam")]
        ):
            sheet.append(
                [
                    village,
                    household,
                    f"Xóm {household}",
                    f"{name} {household}",
                    year,
                    sex,
                    "x" * (person == 0),
                ]
            )
    out = io.BytesIO()
    book.save(out)
    csrf = await sign_in(client, "ward")

    preview = await upload(client, csrf, "ca-xa.xlsx", out.getvalue())
    assert preview.status_code == 200, soup(preview).find(role="alert")
    assert "1000 hộ mới, 0 hộ đã có trong sổ (bỏ qua), 0 lỗi." in preview.text
    assert len(opened) == 1 and opened[0].read_only
    done = await confirm(client, csrf, preview)
    assert "Đã thêm 1000 hộ" in done.text
    assert await Household.count() == 4 + 1000 and await Member.count() == 6 + 3000
    last = await Household.select(Household.id).where(Household.head_name == "Hoàng Văn Dũng 1000").first()
    assert last is not None and await Member.count().where(Member.household == last["id"]) == 3
