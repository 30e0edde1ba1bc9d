"""The volunteer at the gate: scan, sign in, record a visit for a new member, see the status change."""

from __future__ import annotations

from typing import Any

import pytest

from surveys.tables import Member, Visit
from tests.browser.conftest import ARTIFACTS, send_sign_in
from tests.factories import World

pytestmark = pytest.mark.browser


async def test_volunteer_records_a_visit_for_a_new_member_on_a_phone(
    live_server: str, phone: Any, world: World
) -> None:
    token = world.households["dang"]
    errors: list[str] = []
    phone.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    phone.on("pageerror", lambda e: errors.append(str(e)))

    # The camera opens the sticker's link: no personal data until signed in.
    await phone.goto(f"{live_server}/h/{token}")
    assert "Đặng Thị Ánh" not in await phone.content()
    await phone.get_by_role("link", name="Đăng nhập dành cho tình nguyện viên").click()
    await send_sign_in(phone, "volunteer1")

    # Back at the household.
    await phone.wait_for_url(f"{live_server}/h/{token}")
    status = phone.locator("#status")
    await status.get_by_text("Chưa đến thăm").wait_for()
    assert await status.get_by_text("Chưa là gia đình số").is_visible()

    # Record the visit (htmx swaps the form in: same page, new URL).
    await phone.get_by_role("link", name="Ghi lượt thăm").click()
    await phone.wait_for_url(f"{live_server}/h/{token}/visit")
    await phone.get_by_label("Đã khảo sát").check()
    await phone.get_by_label("Hộ gia đình đồng ý cho ghi lại thông tin").check()
    await phone.get_by_role("button", name="+ Thêm thành viên").click()
    row = phone.locator("#member-1")
    await row.wait_for()
    await row.get_by_label("Họ và tên").fill("Đặng Văn Tú")
    await row.get_by_label("Năm sinh").fill("1992")
    await row.get_by_label("Mức 2").check()
    await row.get_by_label("Có", exact=True).first.check()
    for skill in (
        "Đã tham gia học tập",
        "Hiểu về chuyển đổi số",
        "Sử dụng nền tảng",
        "Hướng dẫn các thành viên",
    ):
        await row.get_by_label(skill).check()
    # The elder of the house gets VNeID level 1 at the same visit: her card opens with the questions
    # showing, since she has no VNeID yet.
    first = phone.locator("#member-0")
    await first.get_by_label("Mức 1").check()
    await phone.get_by_role("button", name="Lưu lượt thăm").click()

    # The status changes without a page reload.
    await phone.get_by_text("Đã lưu lượt thăm.").wait_for()
    assert phone.url == f"{live_server}/h/{token}"
    facts = await phone.locator("#status .facts li").all_inner_texts()
    assert [f.strip() for f in facts] == ["Đã đến thăm", "Gia đình số", "Đủ danh tính số"]
    assert await phone.get_by_text("Đặng Văn Tú").is_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    await phone.screenshot(path=str(ARTIFACTS / "volunteer-household-after-visit.png"), full_page=True)

    assert await Visit.count() == 1
    assert await Member.count().where(Member.full_name == "Đặng Văn Tú") == 1
    assert errors == [], errors
