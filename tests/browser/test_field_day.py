"""A volunteer's day in the field, end to end (issue 23, "done when"): items 1-7 of the issue in one story
on a phone, in a village of more than the 50 households a page once held, with the server process
stopped (not `set_offline` alone: it does not stop the service worker's own requests).

The fixtures and helpers are test_offline.py's, test_offline_replay.py's and test_village_offline.py's;
each of those tests one item on its own, this one checks that they hold together in a day's order."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import expect

from surveys.tables import Household, Visit
from tests.browser.test_offline import Field, _more_households, field, signed_in
from tests.browser.test_offline_replay import ANSWERS, QUICK_RETRIES, SIGN_IN_AGAIN, queued, sent_by_itself
from tests.browser.test_village_offline import chip, shown_heads
from tests.factories import World
from tests.surveys.test_reports import visit_an

pytestmark = pytest.mark.browser

__all__ = ["field"]  # the fixture, shared with test_offline.py

CHIPS = ".chips-nav a.chip"


@pytest.mark.parametrize("field", [QUICK_RETRIES], indirect=True)
async def test_a_day_in_the_field_without_a_signal(field: Field, world: World) -> None:
    phone = field.phone
    village = f"{field.url}/villages/{world.villages['v1']}"
    await visit_an(world)  # An's household covered, the others not
    tokens = await _more_households(world, 55)  # 57 households: more than the 50 a page once held
    far = tokens[54]  # PQ-01-0154, "Lò Văn 54": beyond the list's first 50 rows
    (far_row,) = await Household.select(Household.id).where(Household.token == far)
    far_id = far_row["id"]

    # At the village hall, with a signal: the volunteer signs in and downloads the village.
    await signed_in(field, world.households["an"])
    await field.take_village_offline(world.villages["v1"])
    await phone.goto(village)
    await expect(phone.locator("#shown")).to_have_text("57 hộ")
    online_chips = await phone.locator(CHIPS).all_text_contents()
    assert "Tất cả 57" in online_chips and "Chưa đạt 56" in online_chips, online_chips

    # At the gate: no signal at all (the server process is stopped).
    await field.server_stopped()

    # 1. The village's list works as online: every household on one page, the same chips and counts,
    # a search that ignores accents and case, a chip that filters in place.
    await phone.goto(village)
    await phone.get_by_role("status").filter(has_text="Không có mạng: đây là bản lưu").wait_for()
    await expect(phone.locator("#shown")).to_have_text("57 hộ")
    await expect(phone.locator(CHIPS)).to_have_text(online_chips)
    await phone.get_by_role("searchbox").fill("nguyen van")
    await expect(phone.locator("#shown")).to_have_text("1 hộ")
    assert await shown_heads(phone) == ["Nguyễn Văn An"]
    await phone.get_by_role("searchbox").fill("")
    await (await chip(phone, "Chưa đạt")).click()
    await expect(phone.locator("#shown")).to_have_text("56 hộ")
    assert "Nguyễn Văn An" not in await shown_heads(phone)
    await phone.get_by_text("Lọc theo lý do").click()
    await expect(await chip(phone, "Chưa đến thăm")).to_have_text("Chưa đến thăm 56")

    # A household far down the list, found by its name in capitals and opened from its row.
    rows = phone.locator("ul.households > li")
    assert await rows.evaluate_all("rows => rows.findIndex(r => r.textContent.includes('Lò Văn 54'))") >= 50
    await phone.get_by_role("searchbox").fill("LÒ VĂN 54")
    await expect(phone.locator("#shown")).to_have_text("1 hộ")
    await phone.locator("ul.households > li:visible a").click()
    await phone.get_by_role("heading", name="PQ-01-0154").wait_for()
    assert phone.url == f"{field.url}/h/{far}"

    # 3. A visit recorded there is kept on the phone, and shown wherever a second visit would be made.
    await field.record_visit_offline(far)
    await field.wait_for_counter(1)
    (kept,) = await queued(phone)
    saved_at = datetime.fromisoformat(parse_qs(kept["body"])["saved_at"][0].replace("Z", "+00:00"))
    # The time shown is the phone's moment of saving in Vietnam's time, whatever the machine's zone.
    when = datetime.fromtimestamp(kept["at"] / 1000, ZoneInfo("Asia/Ho_Chi_Minh"))
    shown_time = f"{when:%H:%M},? {when:%d/%m/%Y}"
    await phone.goto(f"{field.url}/h/{far}")
    await expect(phone.locator("#waiting-visit")).to_have_text(
        re.compile(f"^Lượt thăm chờ gửi: lưu trên điện thoại lúc {shown_time}, Đã khảo sát\\. ")
    )
    await phone.get_by_role("link", name="Ghi lượt thăm").click()
    warning = phone.get_by_role("alert").filter(has_text="Hộ này đã có một lượt thăm đang chờ gửi")
    await expect(warning).to_contain_text("Đã khảo sát")

    await phone.goto(village)
    row = phone.locator("ul.households > li").filter(has_text="Lò Văn 54")
    await expect(row.locator(".pill.waiting")).to_have_text(
        re.compile(f"^Lượt thăm chờ gửi: {shown_time}, Đã khảo sát$")
    )
    await expect(await chip(phone, "Chờ gửi")).to_have_text("Chờ gửi 1")
    await phone.get_by_text("Lọc theo lý do").click()
    await expect(await chip(phone, "Chưa đến thăm")).to_have_text("Chưa đến thăm 55")
    await (await chip(phone, "Chờ gửi")).click()
    await expect(phone.locator("#shown")).to_have_text("1 hộ")
    assert await shown_heads(phone) == ["Lò Văn 54"]

    # 2. No dead ends: the header leads to the user's villages, a page never kept to the offline page,
    # and that page back to the villages, not to itself.
    await phone.locator("header").get_by_role("link", name="Thôn").click()
    await phone.get_by_role("heading", name="Danh sách thôn của bạn").wait_for()
    await phone.goto(f"{field.url}/profile")
    await phone.get_by_text("Trang này chưa được tải về điện thoại.").wait_for()
    await phone.get_by_role("link", name="Thôn của bạn").click()
    await phone.get_by_role("heading", name="Danh sách thôn của bạn").wait_for()
    assert phone.url == f"{field.url}/villages"

    # 7. A mis-tap on "Đăng xuất": phocap's own page says what waits; the volunteer goes back instead.
    await phone.get_by_role("button", name="Đăng xuất").click()
    await phone.wait_for_url(f"{field.url}/signout")
    await phone.get_by_role("heading", name="Đăng xuất").wait_for()
    await expect(phone.locator("#signout-waiting")).to_have_text(
        "Còn 1 mục (lượt thăm, điểm danh) chưa gửi. Chúng được giữ trên điện thoại này và sẽ được gửi khi bạn đăng nhập lại."
    )
    await phone.go_back()
    await phone.get_by_role("heading", name="Danh sách thôn của bạn").wait_for()
    await field.wait_for_counter(1)

    # 6. The signal comes back, but something between the phone and the server answers the visit
    # with the sign-in page: the visit is not taken for sent; it waits, saying why.
    field.proxy.answer_posts = ANSWERS["redirect to sign-in"][0]
    await field.server_started()
    await phone.goto(f"{field.url}/queue")  # the page load sends the queue
    waiting = phone.locator("#queue-waiting .queue-item")
    await expect(waiting).to_contain_text(SIGN_IN_AGAIN)
    assert field.proxy.answered_posts >= 1
    assert await field.counter() == "1"
    assert await Visit.count().where(Visit.household == far_id) == 0

    # 4. Sent by itself: nobody taps anything and the page is not reloaded; its row and counter go.
    field.proxy.answer_posts = None
    await sent_by_itself(phone)
    await expect(waiting).to_have_count(0)
    assert await field.counter() == ""

    # 5. Recorded once, by the volunteer, dated when it was saved on the phone, received later.
    visits = await Visit.select(Visit.household, Visit.volunteer, Visit.at, Visit.received_at).where(
        Visit.household == far_id
    )
    assert len(visits) == 1, visits
    (visit,) = visits
    assert visit["volunteer"] == world.users["volunteer1"]
    assert abs(visit["at"] - saved_at) < timedelta(seconds=1), (visit["at"], saved_at)
    assert visit["received_at"] > visit["at"]
