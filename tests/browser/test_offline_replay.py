"""What waits on the phone is sent by itself, and leaves it only on the server's word (issue 23 items 4
and 6, docs/architecture.md §7): with the page left open the queue goes once the server answers again;
a visit leaves the phone only when the server names its client_id as recorded, never on a redirect, a
sign-in page, a refusal or an error, which keep it waiting with the reason shown until the cause is gone.

The signal is taken away by the proxy in front of the server (tests/browser/processes.py), which can also
answer the phone's posts itself, as something between the phone and the server might."""

# ruff: noqa: F811 (each test's `field` is test_offline.py's fixture, imported below: no new name)
from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.async_api import expect

from surveys.tables import User, Visit
from tests.browser.test_offline import Field, field, signed_in  # noqa: F401
from tests.factories import PASSWORD, World

pytestmark = pytest.mark.browser

# The first retry after one second (OFFLINE_RETRY_SECONDS, 15 by default), so a test need not wait
# out the production wait; it still doubles up to five minutes.
QUICK_RETRIES = {"OFFLINE_RETRY_SECONDS": "1"}
# The longest a test waits for the phone to send by itself: the retries doubled while the server was
# stopped (its start takes 10-30 s on a busy machine), so the wait may have reached a minute.
BY_ITSELF_MS = 150_000

ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
QUEUE_JS = """() => new Promise((resolve, reject) => {
    const open = indexedDB.open("phocap");
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
        const all = open.result.transaction("queue").objectStore("queue").getAll();
        all.onsuccess = () => { resolve(all.result); open.result.close(); };
        all.onerror = () => reject(all.error);
    };
})"""


async def queued(phone: Any) -> list[dict[str, Any]]:
    """The items kept in the phone's queue (IndexedDB), as the worker stores them."""
    return list(await phone.evaluate(QUEUE_JS))


async def sent_by_itself(phone: Any) -> None:
    """Wait, doing nothing, until the header's counter says nothing waits."""
    await phone.wait_for_function(
        "() => document.getElementById('queue-count').dataset.count === '0'", timeout=BY_ITSELF_MS
    )


def answer(status: str, headers: str = "", body: str = "") -> bytes:
    """A whole HTTP answer, as the proxy sends it instead of the server's."""
    data = body.encode()
    head = f"HTTP/1.1 {status}\r\n{headers}Content-Type: text/html; charset=utf-8\r\n"
    return head.encode() + f"Content-Length: {len(data)}\r\nConnection: close\r\n\r\n".encode() + data


@pytest.mark.parametrize("field", [QUICK_RETRIES], indirect=True)
async def test_visits_saved_without_a_signal_are_sent_by_themselves_while_the_page_stays_open(
    field: Field, world: World
) -> None:
    phone = field.phone
    await signed_in(field, world.households["an"])
    await field.take_village_offline(world.villages["v1"])
    await field.network_lost()
    await field.record_visit_offline(world.households["an"])
    await field.record_visit_offline(world.households["dang"])
    await field.wait_for_counter(2)
    # Each kept body carries the moment the volunteer saved it, in UTC; the replay sends it unchanged.
    kept = await queued(phone)
    saved_at = [dict(re.findall(r"([^&=]+)=([^&]*)", e["body"])).get("saved_at", "") for e in kept]
    assert [ISO_UTC.match(s.replace("%3A", ":")) is not None for s in saved_at] == [True, True], saved_at
    await phone.goto(f"{field.url}/queue")  # the phone's own copy of the page: no signal
    await expect(phone.locator("#queue-waiting .queue-item")).to_have_count(2)

    await field.network_back()
    # Nobody taps anything, no page is loaded, the phone's network never changed (no `online`).
    await sent_by_itself(phone)
    await expect(phone.locator("#queue-waiting .queue-item")).to_have_count(0)
    await expect(phone.locator("#queue-waiting")).to_have_text(
        "Không có gì đang chờ gửi trên điện thoại này."
    )
    recorded = await Visit.select(Visit.client_id).order_by(Visit.id)
    assert sorted(str(v["client_id"]) for v in recorded) == sorted(e["clientId"] for e in kept)


@pytest.mark.parametrize("field", [QUICK_RETRIES], indirect=True)
async def test_a_visit_waiting_while_the_password_must_be_changed_is_kept_and_sent_after_the_change(
    field: Field, world: World
) -> None:
    """The case that lost visits: the ward office reset the volunteer's password meanwhile, every page
    leads to /password, and the visit's replay got that redirect, was taken for sent and deleted."""
    phone = field.phone
    token = world.households["an"]
    await signed_in(field, token)
    await field.take_village_offline(world.villages["v1"])
    await field.network_lost()
    await field.record_visit_offline(token)
    await field.wait_for_counter(1)
    await User.update({User.must_change_password: True}).where(User.id == world.users["volunteer1"])

    await field.network_back()
    await phone.goto(f"{field.url}/villages")
    await phone.wait_for_url(f"{field.url}/password")
    await phone.get_by_role("link", name="Hãy đặt mật khẩu mới trước").wait_for()
    assert await phone.get_by_text("Đã gửi 1 lượt thăm đang chờ.").count() == 0
    assert await field.counter() == "1"
    assert [(e["state"], e["why"]) for e in await queued(phone)] == [("waiting", "password")]
    assert await Visit.count() == 0

    await phone.get_by_label("Mật khẩu hiện tại").fill(PASSWORD)
    await phone.get_by_label("Mật khẩu mới (ít nhất 8 ký tự)").fill("Mật-khẩu-mới-của-tôi-2026")
    await phone.get_by_label("Nhập lại mật khẩu mới").fill("Mật-khẩu-mới-của-tôi-2026")
    await phone.get_by_role("button", name="Lưu").click()
    await phone.wait_for_url(f"{field.url}/villages")
    await sent_by_itself(phone)
    assert await Visit.count() == 1


SIGN_IN_AGAIN = "Chờ đăng nhập"
ANSWERS = {
    # A session that ended, as a proxy or an older server says it: a redirect to the sign-in page.
    "redirect to sign-in": (answer("302 Found", "Location: /signin?next=/villages\r\n"), SIGN_IN_AGAIN),
    "401": (answer("401 Unauthorized", body="<p>Sign in</p>"), SIGN_IN_AGAIN),
    "403": (
        answer("403 Forbidden", body="<p>Forbidden</p>"),
        "Máy chủ tạm thời từ chối (một bước kiểm tra không đạt); mục này sẽ tự gửi lại.",
    ),
    "500": (answer("500 Internal Server Error"), "Máy chủ gặp sự cố; mục này sẽ tự gửi lại."),
}


@pytest.mark.parametrize("field", [QUICK_RETRIES], indirect=True)
@pytest.mark.parametrize("case", list(ANSWERS))
async def test_a_visit_answered_with_anything_but_recorded_waits_with_the_reason_and_goes_once_later(
    field: Field, world: World, case: str
) -> None:
    phone = field.phone
    refusal, reason = ANSWERS[case]
    token = world.households["an"]
    await signed_in(field, token)
    await field.take_village_offline(world.villages["v1"])
    await field.network_lost()
    await field.record_visit_offline(token)
    await field.wait_for_counter(1)

    field.proxy.answer_posts = refusal
    await field.network_back()
    await phone.goto(f"{field.url}/queue")  # the page load sends the queue
    waiting = phone.locator("#queue-waiting .queue-item")
    await expect(waiting).to_contain_text(reason)
    assert field.proxy.answered_posts >= 1
    assert await field.counter() == "1"
    assert await Visit.count() == 0

    # The cause is gone: the phone sends it by itself, once.
    field.proxy.answer_posts = None
    await sent_by_itself(phone)
    await expect(waiting).to_have_count(0)
    assert await Visit.count() == 1
