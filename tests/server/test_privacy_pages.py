"""The ward office answers a household's requests: a copy of its data, or its erasure; the visit form
shows the consent notice with its version."""

from __future__ import annotations

import io
import json
from typing import Any

from litestar.testing import AsyncTestClient
from openpyxl import load_workbook

from surveys.privacy import NOTICE_VERSION
from surveys.tables import AuditEntry, Household, Member
from tests.conftest import sign_in
from tests.factories import World
from tests.server.helpers import field_errors, soup


async def test_the_visit_form_shows_the_versioned_consent_notice_in_vietnamese(
    client: AsyncTestClient[Any], world: World
) -> None:
    await sign_in(client, "volunteer1")
    notice = soup(await client.get(f"/h/{world.households['an']}/visit")).select_one(".consent p")
    assert notice is not None
    assert notice.text.startswith(f"Thông báo về việc xử lý dữ liệu cá nhân (phiên bản {NOTICE_VERSION})")
    assert "xem, sửa hoặc xóa" in notice.text


async def test_only_the_ward_office_sees_the_personal_data_section(
    client: AsyncTestClient[Any], world: World
) -> None:
    csrf = await sign_in(client, "head1")
    assert soup(await client.get(f"/h/{world.households['an']}")).select_one("#personal-data") is None
    assert (
        await client.post("/signout", data={"_csrf_token": csrf}, follow_redirects=False)
    ).status_code == 303
    client.cookies.clear()
    await sign_in(client, "ward")
    section = soup(await client.get(f"/h/{world.households['an']}")).select_one("#personal-data")
    assert section is not None and "Chưa ghi nhận sự đồng ý." in section.text


async def test_the_household_gets_a_file_of_its_data_and_the_request_is_audited(
    client: AsyncTestClient[Any], world: World
) -> None:
    csrf = await sign_in(client, "ward")
    token = world.households["an"]
    response = await client.post(f"/h/{token}/export", data={"_csrf_token": csrf, "format": "xlsx"})
    assert response.status_code == 200
    disposition = response.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="phocap-PQ-01-0001-') and disposition.endswith(
        '.xlsx"'
    )
    assert response.headers["cache-control"] == "no-store"
    # In Vietnamese, to read and print for the family, whatever the officer's interface language.
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == [
        "Hộ gia đình",
        "Thành viên",
        "Các lượt thăm",
        "Lịch sử",
        "Lớp đã học",
        "Đã hỗ trợ",
    ]
    household = {
        row[0]: row[1] for row in book["Hộ gia đình"].iter_rows(min_row=3, values_only=True) if row[0]
    }
    assert household["Mã hộ"] == "PQ-01-0001" and household["Địa chỉ"] == "Xóm Trên, Thôn Đồng Tâm"
    assert household["Thôn"] == "Thôn Đồng Tâm, Xã Phong Quang"
    members = list(book["Thành viên"].iter_rows(min_row=3, values_only=True))
    assert members[0][:4] == ("Họ và tên", "Năm sinh", "Giới tính", "Chủ hộ")
    assert {m[0] for m in members[1:]} == {"Nguyễn Văn An", "Trần Thị Bình", "Nguyễn Minh Khôi"}
    assert ("Nguyễn Văn An", 1970, "Nam", "Có") in [m[:4] for m in members]

    as_json = await client.post(f"/h/{token}/export", data={"_csrf_token": csrf, "format": "json"})
    assert as_json.headers["content-disposition"].endswith('.json"')
    data = json.loads(as_json.content)
    assert {m["full_name"] for m in data["members"]} == {"Nguyễn Văn An", "Trần Thị Bình", "Nguyễn Minh Khôi"}
    exported = (
        await AuditEntry.select(AuditEntry.details)
        .where(AuditEntry.action == "household.data_exported")
        .order_by(AuditEntry.id)  # in the order written: without it, the order is the database's choice
    )
    assert [json.loads(e["details"]) for e in exported] == [{"format": "xlsx"}, {"format": "json"}]


async def test_erasure_needs_the_code_typed_again(client: AsyncTestClient[Any], world: World) -> None:
    csrf = await sign_in(client, "ward")
    token = world.households["an"]
    wrong = await client.post(f"/h/{token}/erase", data={"_csrf_token": csrf, "confirm": "PQ-01-0002"})
    assert wrong.status_code == 422
    page = soup(wrong)
    assert field_errors(page) == ["Hãy nhập đúng mã hộ như hiển thị để xác nhận."]
    typed = page.find("input", attrs={"name": "confirm"})
    assert typed is not None and typed["value"] == "PQ-01-0002"
    assert await Member.count().where(Member.full_name == "Nguyễn Văn An") == 1

    done = await client.post(
        f"/h/{token}/erase", data={"_csrf_token": csrf, "confirm": "pq-01-0001"}, follow_redirects=False
    )
    assert (
        done.status_code == 303
        and done.headers["location"] == f"/villages/{world.villages['v1']}?erased=true"
    )
    village = soup(await client.get(done.headers["location"]))
    assert "Đã xóa dữ liệu cá nhân của hộ" in village.text and "Nguyễn Văn An" not in village.text
    assert await Member.count().where(Member.full_name == "Nguyễn Văn An") == 0
    assert (await client.get(f"/h/{token}")).status_code == 404
    erased = await Household.select(Household.erased_at).where(Household.code == "PQ-01-0001").first()
    assert erased is not None and erased["erased_at"] is not None


async def test_a_household_that_moved_away_can_still_have_its_data_erased(
    client: AsyncTestClient[Any], world: World
) -> None:
    from surveys.register.register import archive_household

    token = world.households["an"]
    household = await Household.select(Household.id).where(Household.code == "PQ-01-0001").first()
    assert household is not None
    await archive_household(household["id"], world.users["ward"])
    # The village head no longer reaches it; the ward office does, from the village's list of them.
    await sign_in(client, "head1")
    assert (await client.get(f"/h/{token}")).status_code == 404
    client.cookies.clear()
    csrf = await sign_in(client, "ward")
    listing = soup(await client.get(f"/villages/{world.villages['v1']}/archived"))
    link = listing.select_one(f'a[href="/h/{token}"]')
    assert link is not None and "Nguyễn Văn An" in link.text
    page = soup(await client.get(f"/h/{token}"))
    assert "Đã chuyển đi: lưu trữ ngày" in page.text
    assert page.select_one("#personal-data") is not None
    assert page.find("a", href=f"/h/{token}/visit") is None  # no visit, no sticker for a household gone
    assert (await client.get(f"/h/{token}/visit")).status_code == 404
    copy = await client.post(f"/h/{token}/export", data={"_csrf_token": csrf, "format": "json"})
    assert copy.status_code == 200
    assert "Nguyễn Văn An" in {m["full_name"] for m in json.loads(copy.content)["members"]}
    erased = await client.post(f"/h/{token}/erase", data={"_csrf_token": csrf, "confirm": "PQ-01-0001"})
    assert erased.status_code == 200  # followed to the village page
    assert "Nguyễn Văn An" not in (await client.get(f"/villages/{world.villages['v1']}/archived")).text
    assert (await client.get(f"/h/{token}")).status_code == 404


async def test_answers_without_consent_are_not_stored_and_come_back_as_typed(
    client: AsyncTestClient[Any], world: World
) -> None:
    from surveys.tables import Visit
    from tests.server.test_household_pages import record_visit_through_the_form

    await sign_in(client, "volunteer1")
    token = world.households["an"]
    typed = {
        "outcome": "done",
        "m-3-full_name": "Nguyễn Thu Hà",
        "m-3-birth_year": "2000",
        "m-0-vneid": "level2",
    }
    response = await record_visit_through_the_form(client, token, typed)  # the consent box left unticked
    assert response.status_code == 422
    page = soup(response)
    assert "Cần có sự đồng ý của hộ gia đình trước khi ghi thông tin." in field_errors(page)
    name = page.find("input", attrs={"name": "m-3-full_name"})
    assert name is not None and name["value"] == "Nguyễn Thu Hà"
    assert await Visit.count() == 0 and await Member.count().where(Member.full_name == "Nguyễn Thu Hà") == 0
    answers = await Member.select(Member.vneid).where(Member.household._.code == "PQ-01-0001")
    assert {m["vneid"] for m in answers} == {"unknown"}  # no answer of the visit reached a member
    consent = await Household.select(Household.consent_at).where(Household.code == "PQ-01-0001").first()
    assert consent == {"consent_at": None}
