"""Free text is cleaned as names are, at the one boundary all input passes, and every file phocap writes
survives text stored before that (issue 25 item 5)."""

from __future__ import annotations

import io
import uuid
from typing import Any

import docx
from litestar.testing import AsyncTestClient
from openpyxl import load_workbook

from surveys.tables import Household, Village
from tests.conftest import api_token, sign_in
from tests.factories import World

# A start-of-heading control, a vertical tab, a zero-width space and a bidi override: what a copy-paste on a phone can carry.
DIRTY = "Nhà\x01 có chó\u200b dữ\x0b\u202e\nđi cửa sau"


async def test_a_visit_note_with_control_characters_is_stored_clean_with_its_line_breaks(
    client: AsyncTestClient[Any], world: World
) -> None:
    headers = await api_token(client, "volunteer1")
    body = {"client_id": str(uuid.uuid4()), "outcome": "done", "household_version": 1,
            "household": {"consent": True, "notes": DIRTY}}  # fmt: skip
    response = await client.post(
        f"/api/households/{world.households['an']}/visits", json=body, headers=headers
    )
    assert response.status_code == 201
    row = await Household.select(Household.notes).where(Household.token == world.households["an"]).first()
    assert row == {"notes": "Nhà có chó dữ\nđi cửa sau"}


async def test_the_households_copy_survives_text_stored_before_inputs_were_cleaned(
    client: AsyncTestClient[Any], world: World
) -> None:
    await Household.update({Household.notes: DIRTY, Household.address: "Xóm\x01 Trên"}).where(
        Household.token == world.households["an"]
    )
    csrf = await sign_in(client, "ward")
    response = await client.post(
        f"/h/{world.households['an']}/export", data={"_csrf_token": csrf, "format": "xlsx"}
    )
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    texts = {str(c) for sheet in book for row in sheet.iter_rows(values_only=True) for c in row if c}
    assert "Xóm Trên" in texts
    assert any(t.startswith("Nhà có chó") and "\x0b" not in t for t in texts)  # what XML cannot hold, gone


async def test_the_wards_report_files_survive_a_village_name_stored_with_control_characters(
    client: AsyncTestClient[Any], world: World
) -> None:
    await Village.update({Village.name: "Thôn\x07 Đồng\x1b Tâm"}).where(Village.id == world.villages["v1"])
    await sign_in(client, "ward")
    period = {"from": "2026-01-01", "to": "2026-03-31"}
    word = await client.get("/wards/01849/reports.docx", params=period)
    assert word.status_code == 200
    paragraphs = [p.text for p in docx.Document(io.BytesIO(word.content)).paragraphs]
    cells = [c.text for t in docx.Document(io.BytesIO(word.content)).tables for r in t.rows for c in r.cells]
    assert any("Thôn Đồng Tâm" in t for t in paragraphs + cells)
    excel = await client.get("/wards/01849/reports.xlsx", params=period)
    assert excel.status_code == 200
    book = load_workbook(io.BytesIO(excel.content))
    assert any(
        c == "Thôn Đồng Tâm" for sheet in book for row in sheet.iter_rows(values_only=True) for c in row
    )
