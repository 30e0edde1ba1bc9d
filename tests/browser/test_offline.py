"""The volunteer without a signal (issue 12, docs/architecture.md §7): a village taken offline, visits kept
on the phone and sent once the server answers again, exactly once, across a lost answer, an ended
session and a conflict; and nothing left on the phone after sign-out.

The browser reaches the server through a small proxy (tests/browser/processes.py) that stays up, so the
phone's address never changes. The proxy takes the signal away (refusing and breaking off the phone's
connections); the field day (test_field_day.py) stops the server's process instead."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import expect

from surveys.core.clock import local_now, now
from surveys.tables import Attendance, AuthSession, ClassSession, Member, Visit
from tests.browser.conftest import ARTIFACTS, send_sign_in, sign_in
from tests.browser.processes import PhocapProcess, Proxy
from tests.factories import PASSWORD, World, make_household, person

pytestmark = pytest.mark.browser

SAVED_ON_PHONE = "Đã lưu trên điện thoại — sẽ gửi khi có mạng"


class Field:
    """The phone, the server behind it, and the proxy between them."""

    def __init__(self, server: PhocapProcess, proxy: Proxy, phone: Any) -> None:
        self.server = server
        self.proxy = proxy
        self.phone = phone
        self.url = f"http://127.0.0.1:{proxy.port}"

    async def network_lost(self) -> None:
        """No signal: the proxy refuses and breaks off the phone's connections (the server stays up)."""
        self.proxy.lose_signal()

    async def network_back(self) -> None:
        self.proxy.signal_back()

    async def server_stopped(self) -> None:
        """The server's process stopped: from the phone's side no signal as well."""
        await asyncio.to_thread(self.server.stop)

    async def server_started(self) -> None:
        await asyncio.to_thread(self.server.start)

    async def counter(self) -> str:
        """The number of visits waiting on the phone, as the header shows it ("" when none)."""
        counter = self.phone.locator("#queue-count")
        return "" if await counter.is_hidden() else (await counter.locator("b").inner_text())

    async def wait_for_counter(self, count: int) -> None:
        try:
            await self.phone.wait_for_function(
                "n => document.getElementById('queue-count').dataset.count === n", arg=str(count)
            )
        except Exception as exc:  # say what the phone shows instead, and how far its page got
            shown = await self.phone.locator("#queue-count").get_attribute("data-count")
            state = await self.phone.evaluate(
                "() => [document.readyState, !!navigator.serviceWorker.controller, location.pathname]"
            )
            raise AssertionError(
                f"waited for {count} waiting on the phone, it shows {shown} (page {state[2]}: "
                f"readyState {state[0]}, controlled by the worker: {state[1]})"
            ) from exc

    async def send_now_until_nothing_waits(self, taps: int = 5) -> None:
        """Tap "Gửi ngay" (each send ends when the button is back on) until nothing waits on the phone.
        A queue that never empties (a resend the server takes for a new record, say) fails the test after
        `taps` taps instead of hanging it."""
        send_now = self.phone.get_by_role("button", name="Gửi ngay")
        enabled = "() => !document.getElementById('send-now').disabled"
        for _ in range(taps):
            if await self.counter() == "":
                return
            await self.phone.wait_for_function(enabled)
            await send_now.click()
            await self.phone.wait_for_function(enabled)
        shown = await self.counter()
        assert shown == "", f"after {taps} taps of 'Gửi ngay' the phone still shows {shown} waiting"

    async def take_village_offline(self, village_id: int, screenshot: str | None = None) -> None:
        await self.phone.goto(f"{self.url}/villages/{village_id}")
        box = self.phone.locator(".offline-download")
        await box.get_by_role("button", name="Tải về để làm việc không có mạng").click()
        await box.get_by_text("Đã tải về lúc").wait_for()
        assert await box.locator("progress").get_attribute("value") == await box.locator(
            "progress"
        ).get_attribute("max")
        if screenshot:
            await self.phone.screenshot(path=str(ARTIFACTS / screenshot))

    async def record_visit_offline(
        self, token: str, notes: str = "", screenshot: bool = False, outcome: str = "Đã khảo sát"
    ) -> None:
        """Open the household (from the phone's copy), record a visit (completed unless `outcome`
        says otherwise), see it kept."""
        await self.phone.goto(f"{self.url}/h/{token}")
        if screenshot:
            await self.phone.screenshot(path=str(ARTIFACTS / "offline-household.png"))
        await self.phone.get_by_role("link", name="Ghi lượt thăm").click()
        await self.phone.get_by_label(outcome).check()
        if outcome == "Đã khảo sát":
            await self.phone.get_by_label("Hộ gia đình đồng ý cho ghi lại thông tin").check()
        if notes:
            # The notes sit folded under "priority support and notes" on the short form.
            await self.phone.get_by_text("Hỗ trợ ưu tiên và ghi chú").click()
            await self.phone.locator("#notes").fill(notes)
        await self.phone.get_by_role("button", name="Lưu lượt thăm").click()
        await self.phone.get_by_text(SAVED_ON_PHONE).wait_for()


@pytest.fixture
async def field(
    request: pytest.FixtureRequest, database_url: str, world: World, tmp_path: Path, phone: Any
) -> AsyncIterator[Field]:
    """phocap running as its own process on this test's database (with the settings a test passes
    as the fixture's parameter), behind the proxy."""
    proxy = Proxy(upstream_port=0)
    await proxy.start()
    settings = getattr(request, "param", {})
    server = PhocapProcess(database_url, tmp_path, f"http://127.0.0.1:{proxy.port}", settings)
    proxy.upstream_port = server.port
    await asyncio.to_thread(server.start)
    ARTIFACTS.mkdir(exist_ok=True)
    here = Field(server, proxy, phone)
    try:
        yield here
    finally:
        await asyncio.to_thread(server.close)
        await proxy.close()


async def signed_in(field: Field, token: str, login: str = "volunteer1") -> None:
    """volunteer1 (or `login`) scans the sticker and signs in (the phone now has the service worker)."""
    await sign_in(field.phone, field.url, login, next_url="/villages")
    await field.phone.wait_for_url(f"{field.url}/villages")
    # The service worker installs after the page is shown, then looks after the next pages.
    await field.phone.wait_for_function("() => navigator.serviceWorker.controller !== null")
    # The page then tells the worker who signed in, and only then shows the download box: until it
    # has, the worker keeps no page for anyone.
    await expect(field.phone.locator(".offline-download").first).to_be_visible()


async def test_a_visit_recorded_without_a_signal_is_sent_once_the_server_answers(
    field: Field, world: World
) -> None:
    phone = field.phone
    token = world.households["an"]
    await signed_in(field, token)
    await field.take_village_offline(world.villages["v1"], screenshot="offline-village-download.png")

    await field.network_lost()
    await field.record_visit_offline(token, screenshot=True)
    await field.wait_for_counter(1)
    assert await field.counter() == "1"
    await phone.screenshot(path=str(ARTIFACTS / "offline-queue-counter.png"))
    assert await Visit.count() == 0

    await field.network_back()
    await phone.goto(f"{field.url}/h/{token}")  # any page load sends the queue
    await field.wait_for_counter(0)
    await phone.get_by_text("Đã gửi 1 lượt thăm đang chờ.").wait_for()
    assert await field.counter() == ""
    await phone.reload()
    facts = await phone.locator("#status .facts li").all_inner_texts()
    assert "Đã đến thăm" in [f.strip() for f in facts]
    assert await Visit.count() == 1


async def _more_households(world: World, count: int) -> list[str]:
    """`count` more households in village v1; their tokens."""
    return [
        await make_household(world.villages["v1"], f"PQ-01-{n + 100:04d}", [person(f"Lò Văn {n:02d}", 1980)])
        for n in range(count)
    ]


@pytest.mark.parametrize("field", [{"OFFLINE_PART_PAGES": "10"}], indirect=True)
async def test_a_village_comes_down_in_a_few_parts_and_opens_without_a_signal(
    field: Field, world: World
) -> None:
    """A village's pages come a part (here ten pages) to an answer, not a request each; every page is
    kept for the user, and opens with the network gone."""
    tokens = await _more_households(world, 12)
    await signed_in(field, world.households["an"])
    field.proxy.gets.clear()
    await field.take_village_offline(world.villages["v1"])
    pages = int(await field.phone.locator(".offline-download progress").get_attribute("max") or 0)
    asked = [path for path in field.proxy.gets if not path.startswith("/static/")]
    parts = [path for path in asked if "/offline/pages?part=" in path]
    assert pages >= 30 and len(parts) == -(-pages // 10), (pages, asked)
    assert len(asked) <= len(parts) + 3, asked  # the village's page, its list of pages, the parts
    assert not [path for path in asked if path.startswith("/h/")]

    await field.network_lost()
    for token in (tokens[-1], world.households["an"]):
        await field.phone.goto(f"{field.url}/h/{token}/visit")
        await expect(field.phone.get_by_role("button", name="Lưu lượt thăm")).to_be_visible()
    await field.phone.goto(f"{field.url}/h/{tokens[-1]}")
    await field.phone.get_by_role("link", name="Ghi lượt thăm").wait_for()
    await field.phone.goto(f"{field.url}/villages/{world.villages['v1']}")
    await expect(field.phone.get_by_text("PQ-01-0111")).to_be_visible()


@pytest.mark.parametrize("field", [{"OFFLINE_PART_PAGES": "10"}], indirect=True)
async def test_a_part_that_broke_off_is_asked_again_alone(field: Field, world: World) -> None:
    await _more_households(world, 12)
    await signed_in(field, world.households["an"])
    field.proxy.cut = re.compile(r"/offline/pages\?part=2$")
    field.proxy.cut_answers = 1
    field.proxy.gets.clear()
    await field.take_village_offline(world.villages["v1"])  # every page kept: "Downloaded at"
    parts = [path.split("?")[1] for path in field.proxy.gets if "/offline/pages?" in path]
    assert field.proxy.cut_answers == 0
    # The part cut short came again, alone: each other part once.
    assert parts.count("part=2") == 2 and len(parts) == len(set(parts)) + 1 >= 4, parts


@pytest.mark.parametrize("field", [{"OFFLINE_PART_PAGES": "10"}], indirect=True)
async def test_a_part_the_server_is_too_busy_for_waits_and_comes_without_counting_a_try(
    field: Field, world: World
) -> None:
    """A 429 (the user's other parts in hand) is asked again after its Retry-After, more times than a
    broken part would be, and the village still comes whole."""
    await _more_households(world, 12)
    await signed_in(field, world.households["an"])
    field.proxy.busy = re.compile(r"/offline/pages\?part=2$")
    field.proxy.busy_answers = 3  # as many as a broken part's tries: counted, the part would fail
    field.proxy.gets.clear()
    await field.take_village_offline(world.villages["v1"])  # every page kept: "Downloaded at"
    parts = [path.split("?")[1] for path in field.proxy.gets if "/offline/pages?" in path]
    assert field.proxy.busy_answers == 0
    assert parts.count("part=2") == 4 and len(parts) == len(set(parts)) + 3, parts


async def test_a_server_without_parts_sends_the_village_page_by_page_six_at_a_time(
    field: Field, world: World
) -> None:
    """An older server has no parts (404): the phone asks page by page. On a slow link each page waits
    out its round trip (a village of 750 households is ~1,500 pages: tests/benchmarks/offline_download.py),
    so six at once, what Chromium opens to one server, not three."""
    await _more_households(world, 12)
    await signed_in(field, world.households["an"])
    field.proxy.not_found = re.compile(r"/offline/pages")
    field.proxy.latency = 0.3
    field.proxy.most_waiting = 0
    field.proxy.gets.clear()
    await field.take_village_offline(world.villages["v1"])
    assert field.proxy.most_waiting >= 6
    assert len([path for path in field.proxy.gets if path.startswith("/h/")]) == 2 * 14


async def test_a_household_not_downloaded_says_so_without_a_signal(field: Field, world: World) -> None:
    await signed_in(field, world.households["an"])
    await field.network_lost()
    await field.phone.goto(f"{field.url}/h/{world.households['v3']}")
    await field.phone.get_by_text("Hộ này chưa được tải về điện thoại.").wait_for()


async def test_a_visit_whose_answer_was_lost_is_recorded_once(field: Field, world: World) -> None:
    phone = field.phone
    token = world.households["dang"]
    await signed_in(field, token)
    await field.take_village_offline(world.villages["v1"])
    await field.network_lost()
    await field.record_visit_offline(token)

    await field.network_back()
    # The first send reaches the server, which records it; its answer never reaches the phone, nor
    # the answer to any send after it (Chromium's own resend on a kept-alive connection, the
    # queue's own retry) until the link heals below: however those race, the phone has heard nothing.
    field.proxy.lose_visit_answers = 10**6
    await phone.goto(f"{field.url}/queue")  # the page load sends the queue
    await asyncio.wait_for(field.proxy.answer_lost.wait(), timeout=30)
    assert await Visit.count() == 1
    await phone.wait_for_function("() => !document.getElementById('send-now').disabled")
    # The phone never heard: the visit still waits, and goes again with the same client_id.
    assert await field.counter() == "1"
    field.proxy.lose_visit_answers = 0
    await field.send_now_until_nothing_waits()
    assert field.proxy.visit_posts >= 2
    assert await Visit.count() == 1


async def test_a_session_ended_while_offline_sends_the_queue_after_sign_in(
    field: Field, world: World
) -> None:
    phone = field.phone
    token = world.households["an"]
    await signed_in(field, token)
    await field.take_village_offline(world.villages["v1"])
    await field.network_lost()
    await field.record_visit_offline(token)
    # The session ends while the phone is away (it outlived SESSION_IDLE_HOURS, say).
    await AuthSession.delete(force=True)

    await field.network_back()
    await phone.goto(f"{field.url}/h/{token}")
    ask = phone.get_by_role(
        "link", name="Phiên đăng nhập đã hết hạn: hãy đăng nhập lại để gửi các mục đang chờ"
    )
    await ask.click()
    await send_sign_in(phone, "volunteer1")
    await phone.wait_for_url(f"{field.url}/h/{token}")
    await field.wait_for_counter(0)
    assert await Visit.count() == 1


async def test_sign_out_leaves_nothing_on_the_phone(field: Field, world: World) -> None:
    phone = field.phone
    await signed_in(field, world.households["an"])
    await field.take_village_offline(world.villages["v1"])
    await phone.goto(f"{field.url}/h/{world.households['an']}")
    stores = "async () => [(await indexedDB.databases()).map(d => d.name), await caches.keys()]"
    databases, caches = await phone.evaluate(stores)
    assert databases == ["phocap"] and any(name.startswith("phocap-user-") for name in caches)

    await phone.get_by_role("button", name="Đăng xuất").click()
    # The village on the phone: signing out says it will need a signal to come again.
    await phone.wait_for_url(f"{field.url}/signout")
    await expect(phone.locator("#signout-stored")).to_have_text(
        "Các thôn đã tải về điện thoại này sẽ bị xóa: cần có mạng để tải lại."
    )
    await expect(phone.locator("#signout-waiting")).to_be_hidden()
    await phone.get_by_role("button", name="Đăng xuất khỏi điện thoại này").click()
    await phone.wait_for_url(f"{field.url}/signin")
    assert await phone.evaluate(stores) == [[], []]


async def test_a_visit_that_conflicts_waits_for_review_with_its_answers(field: Field, world: World) -> None:
    phone = field.phone
    token = world.households["an"]
    await signed_in(field, token)
    await field.take_village_offline(world.villages["v1"])
    await field.network_lost()
    await field.record_visit_offline(token, notes="Hẹn chiều quay lại gặp chị Bình")

    await field.network_back()
    # Meanwhile the village head records a visit at the same household, through the API.
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{field.server.port}") as api:
        session = await api.post("/api/session", json={"login": "head1", "password": PASSWORD})
        headers = {"Authorization": f"Bearer {session.json()['token']}"}
        household = (await api.get(f"/api/households/{token}", headers=headers)).json()
        visit = {
            "client_id": str(uuid.uuid4()),
            "outcome": "done",
            "household_version": household["version"],
            "household": {"informed": True, "consent": True},
        }
        assert (
            await api.post(f"/api/households/{token}/visits", json=visit, headers=headers)
        ).status_code == 201

    await phone.goto(f"{field.url}/villages")
    await phone.screenshot(path=str(ARTIFACTS / "offline-villages-after-replay.png"))
    await phone.get_by_role("link", name="Cần xem lại: 1.").click()
    await phone.get_by_role("link", name="Mở và xem lại").wait_for()
    await phone.screenshot(path=str(ARTIFACTS / "offline-queue-to-review.png"), full_page=True)
    await phone.get_by_role("link", name="Mở và xem lại").click()
    await phone.get_by_text("Người khác đã lưu hộ này trong lúc bạn đang điền phiếu.").wait_for()
    assert await phone.locator("#notes").input_value() == "Hẹn chiều quay lại gặp chị Bình"
    assert await phone.get_by_label("Hộ gia đình đồng ý cho ghi lại thông tin").is_checked()
    await phone.screenshot(path=str(ARTIFACTS / "offline-conflict-page.png"))

    # Checked, saved again: it leaves the queue.
    await phone.get_by_role("button", name="Lưu lượt thăm").click()
    await phone.get_by_text("Đã lưu lượt thăm.").wait_for()
    await field.wait_for_counter(0)
    assert await Visit.count() == 2


@pytest.mark.parametrize("field", [{"OFFLINE_DAYS": "0"}], indirect=True)
async def test_a_copy_older_than_offline_days_is_not_shown(field: Field, world: World) -> None:
    await signed_in(field, world.households["an"])
    await field.take_village_offline(world.villages["v1"])
    # The village's box says its pages have expired (a volunteer would otherwise walk out without them).
    await field.phone.reload()
    await expect(field.phone.locator(".offline-when.expired")).to_contain_text("đã hết hạn. Hãy tải lại.")
    await field.network_lost()
    await field.phone.goto(f"{field.url}/h/{world.households['an']}")
    await field.phone.get_by_text("Hộ này chưa được tải về điện thoại.").wait_for()


async def test_each_village_says_whether_it_is_on_the_phone(field: Field, world: World) -> None:
    await signed_in(field, world.households["an"])
    boxes = field.phone.locator(".offline-download")
    await expect(boxes.locator(".offline-when")).to_have_text(["Chưa tải về máy này."] * await boxes.count())
    await field.take_village_offline(world.villages["v1"])
    await field.phone.goto(f"{field.url}/villages")
    shown = {v: field.phone.locator(f'.offline-download[data-village="{world.villages[v]}"] .offline-when')
             for v in ("v1", "v2")}  # fmt: skip
    await expect(shown["v1"]).to_contain_text("Đã tải về lúc")
    await expect(shown["v1"]).not_to_have_class("offline-when expired")
    await expect(shown["v2"]).to_have_text("Chưa tải về máy này.")
    # "Cập nhật" only where there is a copy to update.
    update = {v: field.phone.locator(f'.offline-download[data-village="{world.villages[v]}"] .offline-update')
              for v in ("v1", "v2")}  # fmt: skip
    await expect(update["v1"]).to_be_visible()
    await expect(update["v2"]).to_be_hidden()


async def test_a_household_opened_offline_says_it_is_the_phones_copy(field: Field, world: World) -> None:
    await signed_in(field, world.households["an"])
    await field.take_village_offline(world.villages["v1"])
    await field.network_lost()
    await field.phone.goto(f"{field.url}/h/{world.households['an']}")
    note = field.phone.get_by_role("status").filter(
        has_text="Không có mạng: đây là bản lưu trên điện thoại lúc"
    )
    await note.wait_for()


async def test_another_volunteer_signing_in_on_the_phone_removes_the_first_ones_copies(
    field: Field, world: World
) -> None:
    phone = field.phone
    await signed_in(field, world.households["an"])
    await field.take_village_offline(world.villages["v1"])
    (first,) = [name for name in await phone.evaluate("caches.keys()") if name.startswith("phocap-user-")]
    # The session ends; the phone is handed to volunteer2, who signs in.
    await AuthSession.delete(force=True)
    await sign_in(phone, field.url, "volunteer2", next_url="/villages")
    await phone.wait_for_url(f"{field.url}/villages")
    await gone_from_phone(phone, first)


async def test_signing_out_without_a_signal_keeps_the_waiting_visit_and_shows_phocaps_own_pages(
    field: Field, world: World
) -> None:
    """Issue 23: a mis-tap on "Đăng xuất" with no signal. The phone says what waits and what goes, keeps
    the visit (one tap on delete deletes nothing), signs out on the phone with phocap's own pages, and
    ends the session on the server at the next signal; the visit goes once volunteer1 signs in again."""
    phone = field.phone
    token = world.households["an"]
    await signed_in(field, token)
    await field.take_village_offline(world.villages["v1"])
    (session,) = await AuthSession.select(AuthSession.token_hash)
    await field.network_lost()
    await field.record_visit_offline(token)
    await phone.get_by_role("button", name="Đăng xuất").click()
    await phone.wait_for_url(f"{field.url}/signout")
    await expect(phone.locator("#signout-waiting")).to_have_text(
        "Còn 1 mục (lượt thăm, điểm danh) chưa gửi. Chúng được giữ trên điện thoại này và sẽ được gửi khi bạn đăng nhập lại."
    )
    await expect(phone.locator("#signout-stored")).to_be_visible()
    delete = phone.get_by_role("button", name="Xóa chúng và đăng xuất")
    await delete.click()
    await expect(phone.locator("#signout-discard button")).to_have_text(
        "Chạm lần nữa để xóa 1 mục khỏi điện thoại này và đăng xuất"
    )
    await phone.get_by_role("button", name="Đăng xuất khỏi điện thoại này").click()
    await phone.get_by_role("heading", name="Đã đăng xuất khỏi điện thoại này").wait_for()
    await phone.screenshot(path=str(ARTIFACTS / "offline-signed-out.png"))

    # The pages after it are phocap's own; the stored ones no longer open; the visit waits.
    await phone.get_by_role("link", name="Đăng nhập").click()
    await phone.get_by_text("Trang này chưa được tải về điện thoại.").wait_for()
    await phone.goto(f"{field.url}/h/{token}")
    await phone.get_by_text("Hộ này chưa được tải về điện thoại.").wait_for()
    await phone.goto(f"{field.url}/queue")
    await expect(phone.locator("#queue-parked")).to_contain_text("1 mục của một tài khoản khác")
    assert await AuthSession.count() == 1 and await Visit.count() == 0

    # With a signal the sign-out goes before the first page: that page is no longer signed in.
    await field.network_back()
    await phone.goto(f"{field.url}/villages")
    await phone.wait_for_url(f"{field.url}/signin?next=/villages")
    assert session not in await AuthSession.select(AuthSession.token_hash)
    await send_sign_in(phone, "volunteer1")
    await phone.wait_for_url(f"{field.url}/villages")
    await field.wait_for_counter(0)
    visits = await Visit.select(Visit.volunteer)
    assert visits == [{"volunteer": world.users["volunteer1"]}]


async def test_a_waiting_visit_goes_at_sign_out_only_with_a_second_tap(field: Field, world: World) -> None:
    phone = field.phone
    token = world.households["an"]
    await signed_in(field, token)
    await field.take_village_offline(world.villages["v1"])
    await field.network_lost()
    await field.record_visit_offline(token)
    await phone.get_by_role("button", name="Đăng xuất").click()
    await phone.wait_for_url(f"{field.url}/signout")
    await phone.get_by_role("button", name="Xóa chúng và đăng xuất").click()
    await phone.get_by_role(
        "button", name="Chạm lần nữa để xóa 1 mục khỏi điện thoại này và đăng xuất"
    ).click()
    await phone.get_by_role("heading", name="Đã đăng xuất khỏi điện thoại này").wait_for()
    await phone.goto(f"{field.url}/queue")
    await expect(phone.locator("#queue-waiting")).to_have_text(
        "Không có gì đang chờ gửi trên điện thoại này."
    )
    await expect(phone.locator("#queue-parked")).to_be_hidden()

    await field.network_back()
    await sign_in(phone, field.url, "volunteer1", next_url="/villages")
    await phone.goto(f"{field.url}/queue")
    await expect(phone.locator("#queue-waiting")).to_have_text(
        "Không có gì đang chờ gửi trên điện thoại này."
    )
    assert await Visit.count() == 0


async def test_a_search_without_a_signal_is_answered_by_the_page(field: Field, world: World) -> None:
    """The village's page holds every household and searches them itself (issue 23): no request, so
    nothing to fail (tests/browser/test_village_offline.py takes it further)."""
    phone = field.phone
    await signed_in(field, world.households["an"])
    await phone.goto(f"{field.url}/villages/{world.villages['v1']}")
    await field.network_lost()
    await phone.get_by_role("searchbox").fill("dang thi")
    await phone.get_by_role("button", name="Tìm").click()
    await expect(phone.locator("ul.households > li:visible strong")).to_have_text(["Đặng Thị Ánh"])
    await expect(phone.get_by_role("alert")).to_have_count(0)


async def kept_on_phone(phone: Any, path: str) -> None:
    """Wait until the phone's store holds the page at `path` (a promise is no answer to
    `wait_for_function`: it is truthy at once, so the check polls here)."""
    for _ in range(150):
        if await phone.evaluate(KEPT_JS, path):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{path} was never kept on the phone")


async def gone_from_phone(phone: Any, cache: str) -> None:
    """Wait until the phone's store no longer has the cache named `cache` (polled here, as in
    `kept_on_phone`: `wait_for_function` takes the promise an async check returns for a yes)."""
    for _ in range(150):
        if cache not in await phone.evaluate("caches.keys()"):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{cache} is still on the phone")


KEPT_JS = """async (path) => {
    for (const name of await caches.keys()) {
        if (await (await caches.open(name)).match(path)) return true;
    }
    return false;
}"""


async def test_a_household_opened_online_is_kept_for_later(field: Field, world: World) -> None:
    phone = field.phone
    token = world.households["dang"]
    await signed_in(field, token)
    await phone.goto(f"{field.url}/h/{token}")
    await phone.get_by_role("heading", name="PQ-01-0002").wait_for()
    # The service worker keeps the page just after handing it over: the volunteer walking off at that
    # very instant is a moment later than this test, not the same one.
    await kept_on_phone(phone, f"/h/{token}")
    await field.network_lost()
    await phone.goto(f"{field.url}/h/{token}")
    await phone.get_by_role("status").filter(has_text="Không có mạng: đây là bản lưu").wait_for()
    assert await phone.get_by_role("heading", name="PQ-01-0002").is_visible()


async def test_a_waiting_visit_is_discarded_only_when_the_volunteer_confirms(
    field: Field, world: World
) -> None:
    phone = field.phone
    token = world.households["an"]
    await signed_in(field, token)
    await field.take_village_offline(world.villages["v1"])
    await field.network_lost()
    await field.record_visit_offline(token)
    await phone.get_by_role("link", name="Chờ gửi").click()
    waiting = phone.locator("#queue-waiting .queue-item")
    await waiting.get_by_text("Lượt thăm hộ PQ-01-0001").wait_for()

    asked: list[str] = []

    def answer(yes: bool) -> Any:
        async def handle(dialog: Any) -> None:
            asked.append(dialog.message)
            await (dialog.accept() if yes else dialog.dismiss())

        return handle

    phone.once("dialog", answer(False))
    await waiting.get_by_role("button", name="Bỏ").click()
    assert asked == ["Bỏ lượt thăm này? Các câu trả lời của lượt thăm sẽ mất."]
    assert await waiting.count() == 1 and await field.counter() == "1"

    phone.once("dialog", answer(True))
    await waiting.get_by_role("button", name="Bỏ").click()
    await phone.get_by_text("Không có gì đang chờ gửi trên điện thoại này.").first.wait_for()
    await field.wait_for_counter(0)


AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"


async def accessibility_problems(phone: Any) -> list[str]:
    """axe-core's violations on the page as shown (WCAG 2.x A and AA rules)."""
    if not await phone.evaluate("typeof axe !== 'undefined'"):
        await phone.evaluate(AXE.read_text(encoding="utf-8"))
    result = await phone.evaluate(
        "axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'], resultTypes: ['violations']})"
    )
    return [
        f"{v['id']}: {v['help']} at {', '.join(' '.join(n['target']) for n in v['nodes'])}"
        for v in result["violations"]
    ]


async def test_the_offline_pages_pass_axe(field: Field, world: World) -> None:
    phone = field.phone
    token = world.households["an"]
    found: dict[str, list[str]] = {}
    await signed_in(field, token)
    found["villages, with the download"] = await accessibility_problems(phone)
    await field.take_village_offline(world.villages["v1"])
    found["village, downloaded"] = await accessibility_problems(phone)
    await field.network_lost()
    await phone.goto(f"{field.url}/h/{token}")
    found["household, the phone's copy"] = await accessibility_problems(phone)
    await field.record_visit_offline(token)
    found["saved on the phone"] = await accessibility_problems(phone)
    await phone.goto(f"{field.url}/queue")
    await phone.locator("#queue-waiting .queue-item").first.wait_for()
    found["visits waiting"] = await accessibility_problems(phone)
    await phone.goto(f"{field.url}/h/{world.households['v3']}")
    found["household not downloaded"] = await accessibility_problems(phone)
    assert {page: problems for page, problems in found.items() if problems} == {}


async def test_two_visits_to_one_household_without_a_signal_are_both_recorded(
    field: Field, world: World
) -> None:
    phone = field.phone
    token = world.households["an"]
    await signed_in(field, token)
    await field.take_village_offline(world.villages["v1"])
    await field.network_lost()
    # Nobody home in the morning; the family is back in the afternoon. The same kept form, twice.
    await field.record_visit_offline(token, outcome="Không có ai ở nhà")
    await field.record_visit_offline(token)
    await field.wait_for_counter(2)
    assert await field.counter() == "2"

    await field.network_back()
    await phone.goto(f"{field.url}/villages")
    await field.wait_for_counter(0)
    visits = await Visit.select(Visit.outcome, Visit.client_id).order_by(Visit.id)
    assert [v["outcome"] for v in visits] == ["nobody_home", "done"]
    assert visits[0]["client_id"] != visits[1]["client_id"]


async def _search_and_add(phone: Any, name: str, can_use: str | None = None) -> None:
    """Find `name` in the class's search (the phone's roster when there is no signal) and add them."""
    await phone.get_by_role("searchbox").fill(name)
    await phone.get_by_role("searchbox").press("Enter")
    found = phone.locator("ul.found > li").first
    await found.wait_for()
    if can_use:
        await found.get_by_label(can_use).check()
    await found.get_by_role("button", name="Thêm").click()


async def test_class_attendance_recorded_without_a_signal_is_sent_once_and_a_refusal_waits_with_its_reason(
    field: Field, world: World
) -> None:
    """Issue 14 item 7: in a hall without signal the volunteer ticks attendees from the downloaded
    village and a walk-in; back online, the server has each exactly once, and the one it refuses (the
    person was put on the list meanwhile) stays on the phone with the reason in Vietnamese."""
    phone = field.phone
    # An hour ago, or at midnight when the month began less than an hour ago: a class of this month,
    # which the village's download keeps.
    month_began = local_now().replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    held = await ClassSession.insert(
        ClassSession(
            ward=world.wards["pq"],
            starts_at=max(now() - timedelta(hours=1), month_began),
            topics=["vneid", "ai"],
            audience="elderly",
        )
    )
    class_id = int(held[0]["id"])
    page = f"{field.url}/wards/01849/classes/{class_id}"
    await signed_in(field, world.households["an"])
    await field.take_village_offline(world.villages["v1"])

    await phone.context.set_offline(True)
    await field.network_lost()
    await phone.goto(page)
    await phone.get_by_text("Không có mạng: đây là bản lưu trên điện thoại").wait_for()
    await _search_and_add(phone, "tran thi binh", can_use="VNeID và định danh điện tử")
    # The note at the top (the list below marks the same person as pending too).
    await phone.locator("#attendance .notice").filter(has_text=SAVED_ON_PHONE).wait_for()
    assert "Trần Thị Bình (PQ-01-0001)" in await phone.locator("#attendance .notice").inner_text()
    await phone.screenshot(path=str(ARTIFACTS / "offline-class-saved.png"), full_page=True)
    await _search_and_add(phone, "nguyen van an")
    await phone.get_by_text(f"{SAVED_ON_PHONE}: Nguyễn Văn An (PQ-01-0001)").wait_for()
    # A search for nobody of the village says so, from the phone's copy too.
    await phone.get_by_role("searchbox").fill("khong co ai")
    await phone.get_by_role("searchbox").press("Enter")
    await phone.get_by_text("Không tìm thấy ai").wait_for()
    await phone.get_by_text("Thêm người chưa có trong danh sách hộ").click()
    walk_in = phone.locator("details.walk-in")
    await walk_in.get_by_label("60 tuổi trở lên").check()
    await walk_in.get_by_label("Nữ").check()
    await phone.screenshot(path=str(ARTIFACTS / "offline-class-walk-in.png"), full_page=True)
    await walk_in.get_by_role("button", name="Thêm").click()
    await phone.get_by_text(f"{SAVED_ON_PHONE}: Chưa có trong danh sách hộ").wait_for()
    await field.wait_for_counter(3)
    assert await Attendance.count() == 0

    await phone.goto(f"{field.url}/queue")
    waiting = phone.locator("#queue-waiting .queue-item[data-kind=attendance]")
    await expect(waiting).to_have_count(3)
    assert (await waiting.first.locator("strong").inner_text()).startswith("Điểm danh lớp ")
    assert (await waiting.first.locator("strong").inner_text()).endswith(" – Trần Thị Bình (PQ-01-0001)")
    await phone.screenshot(path=str(ARTIFACTS / "offline-attendance-queue.png"), full_page=True)

    # Meanwhile another volunteer put Nguyễn Văn An on the list.
    an = await Member.select(Member.id).where(Member.full_name == "Nguyễn Văn An").first()
    await Attendance.insert(
        Attendance(session=class_id, member=an["id"], client_id=uuid.uuid4(), at=now(), can_use=[])
    )
    await field.network_back()
    await phone.context.set_offline(False)  # the `online` event sends the queue
    await field.wait_for_counter(0)
    review = phone.locator("#queue-review .queue-item")
    await expect(review).to_have_count(1)
    text = await review.inner_text()
    assert "Nguyễn Văn An" in text and "Người này đã có trong danh sách lớp." in text
    assert await review.get_by_role("link", name="Mở lớp học").get_attribute("href") == (
        f"/wards/01849/classes/{class_id}"
    )
    await phone.screenshot(path=str(ARTIFACTS / "offline-attendance-refused.png"), full_page=True)
    rows = (
        await Attendance.select(Attendance.member, Attendance.age_group, Attendance.sex, Attendance.can_use)
        .where(Attendance.session == class_id)
        .order_by(Attendance.id)
    )
    binh = await Member.select(Member.id).where(Member.full_name == "Trần Thị Bình").first()
    assert [(r["member"], r["age_group"], r["sex"]) for r in rows] == [
        (an["id"], "", ""),
        (binh["id"], "", ""),
        (None, "60_plus", "female"),
    ]
    assert rows[1]["can_use"] in (["vneid"], '["vneid"]')

    # Sending again sends nothing twice; the refused one leaves only when the volunteer says so.
    # The button is off while the queue is being sent (offline.js `replay`): once it is back, the send
    # is over.
    send_now = phone.get_by_role("button", name="Gửi ngay")
    await send_now.click()
    await expect(send_now).to_be_enabled()
    assert await Attendance.count().where(Attendance.session == class_id) == 3
    phone.once("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
    await review.get_by_role("button", name="Bỏ").click()
    await expect(review).to_have_count(0)
    assert await Attendance.count().where(Attendance.session == class_id) == 3

    # The copies kept of the class were drawn again after the replay: without a signal the page lists
    # the three on the list, and its search says who is already there.
    await field.network_lost()
    await phone.goto(page)
    await phone.get_by_text("Không có mạng: đây là bản lưu trên điện thoại").wait_for()
    listed = await phone.locator("ol.attendees > li").all_inner_texts()
    assert len(listed) == 3 and "Trần Thị Bình" in listed[1] and "Chưa có trong danh sách hộ" in listed[2]
    await phone.get_by_role("searchbox").fill("tran thi binh")
    await phone.get_by_role("searchbox").press("Enter")
    await expect(phone.locator("ul.found > li").first).to_contain_text("đã có trong danh sách")


async def test_an_attendance_whose_answer_was_lost_is_recorded_once(field: Field, world: World) -> None:
    phone = field.phone
    held = await ClassSession.insert(
        ClassSession(ward=world.wards["pq"], starts_at=now() - timedelta(minutes=1), topics=["vneid"])
    )
    await signed_in(field, world.households["an"])
    await phone.goto(f"{field.url}/wards/01849/classes/{held[0]['id']}")
    await field.network_lost()
    walk_in = phone.locator("details.walk-in")
    await walk_in.locator("summary").click()
    await walk_in.get_by_label("Dưới 16 tuổi").check()
    await walk_in.get_by_role("button", name="Thêm").click()
    await phone.get_by_text(f"{SAVED_ON_PHONE}: Chưa có trong danh sách hộ").wait_for()

    await field.network_back()
    # The server records the first send; its answer (and that of Chromium's own resend) never arrives.
    field.proxy.lose_visit_answers = 2
    await phone.goto(f"{field.url}/queue")
    await asyncio.wait_for(field.proxy.answer_lost.wait(), timeout=30)
    assert await Attendance.count() == 1
    await field.send_now_until_nothing_waits()
    assert field.proxy.visit_posts >= 2
    assert await Attendance.count() == 1


async def test_a_page_opened_at_once_after_signing_in_is_kept_for_whoever_signed_in(
    field: Field, world: World
) -> None:
    """The worker learns the phone's user from the page the server sends (its data-user), not only
    from a page script's hello a moment later: the village opened at once is kept, for volunteer1."""
    phone = field.phone
    # volunteer2 used the phone before: its worker has them as the phone's user.
    await signed_in(field, world.households["v3"], login="volunteer2")
    await AuthSession.delete(force=True)
    await sign_in(phone, field.url, "volunteer1")
    village = f"{field.url}/villages/{world.villages['v1']}"
    await phone.goto(village)
    await phone.get_by_role("heading", name="Thôn Đồng Tâm").wait_for()

    await field.network_lost()
    await phone.reload()
    await phone.get_by_role("status").filter(has_text="Không có mạng: đây là bản lưu").wait_for()
    assert await phone.get_by_role("heading", name="Thôn Đồng Tâm").is_visible()


async def test_a_second_user_signing_in_never_sees_the_first_ones_pages_offline(
    field: Field, world: World
) -> None:
    phone = field.phone
    await signed_in(field, world.households["an"])
    village = f"/villages/{world.villages['v1']}"
    await phone.goto(f"{field.url}{village}")
    await kept_on_phone(phone, village)
    # volunteer1's session ends without signing out; volunteer2 signs in and the signal goes at once.
    await AuthSession.delete(force=True)
    await sign_in(phone, field.url, "volunteer2")
    await phone.context.set_offline(True)
    await phone.goto(f"{field.url}{village}")
    await phone.get_by_text("Trang này chưa được tải về điện thoại.").wait_for()
    assert not await phone.get_by_role("heading", name="Thôn Đồng Tâm").is_visible()
    assert not await phone.evaluate(KEPT_JS, village)


async def test_attendees_kept_on_the_phone_show_on_the_class_page_as_pending_until_sent(
    field: Field, world: World
) -> None:
    phone = field.phone
    month_began = local_now().replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    held = await ClassSession.insert(
        ClassSession(
            ward=world.wards["pq"], starts_at=max(now() - timedelta(hours=1), month_began), topics=["vneid"]
        )
    )
    page = f"{field.url}/wards/01849/classes/{held[0]['id']}"
    await signed_in(field, world.households["an"])
    await field.take_village_offline(world.villages["v1"])

    await phone.context.set_offline(True)
    await field.network_lost()
    await phone.goto(page)
    await _search_and_add(phone, "tran thi binh")
    await field.wait_for_counter(1)
    walk_in = phone.locator("details.walk-in")
    await walk_in.locator("summary").click()
    await walk_in.get_by_label("60 tuổi trở lên").check()
    await walk_in.get_by_role("button", name="Thêm").click()
    await field.wait_for_counter(2)

    # Opened again without a signal: the two are on the page, as waiting to be sent.
    await phone.goto(page)
    heading = phone.locator("#attendance h2")
    await expect(heading).to_have_text("0 người học · 2 chờ gửi")
    pending = phone.locator("ol.attendees > li.pending")
    await expect(pending).to_have_count(2)
    texts = await pending.all_inner_texts()
    assert "Trần Thị Bình (PQ-01-0001)" in texts[0] and "Chưa có trong danh sách hộ" in texts[1]
    assert all(SAVED_ON_PHONE in text for text in texts)
    await phone.screenshot(path=str(ARTIFACTS / "offline-class-pending.png"), full_page=True)

    # Back online, the queue is sent: the page's list is the server's, each once, none pending.
    await field.network_back()
    await phone.context.set_offline(False)
    await field.wait_for_counter(0)
    await expect(heading).to_have_text("2 người học")
    await expect(pending).to_have_count(0)
    listed = await phone.locator("ol.attendees > li").all_inner_texts()
    assert len(listed) == 2 and "Trần Thị Bình" in listed[0] and "Chưa có trong danh sách hộ" in listed[1]
    assert await Attendance.count().where(Attendance.session == held[0]["id"]) == 2


SIGN_IN_TO_SEND = "Phiên đăng nhập đã hết hạn: hãy đăng nhập lại để gửi các mục đang chờ"


async def test_another_user_signing_in_to_send_parks_the_first_ones_visit_and_removes_their_copies(
    field: Field, world: World
) -> None:
    """The shared phone (issue 25): volunteer1's session ends with a visit waiting; the village head
    takes the phone and signs in through the phone's own "sign in to send" link (/signin?next=/queue).
    volunteer1's pages go, the visit is never sent under the head's name nor open to their discard."""
    phone = field.phone
    token = world.households["an"]
    await signed_in(field, token)
    await field.take_village_offline(world.villages["v1"])
    (first,) = [name for name in await phone.evaluate("caches.keys()") if name.startswith("phocap-user-")]
    await field.network_lost()
    await field.record_visit_offline(token)
    await AuthSession.delete(force=True)
    await field.network_back()
    await phone.goto(f"{field.url}/queue")
    await phone.get_by_role("link", name=SIGN_IN_TO_SEND).click()
    assert phone.url == f"{field.url}/signin?next=%2Fqueue"

    await send_sign_in(phone, "head1")
    await phone.wait_for_url(f"{field.url}/queue")
    await gone_from_phone(phone, first)
    await expect(phone.locator("#queue-parked")).to_have_text(
        "1 mục của một tài khoản khác đang chờ trên điện thoại này: chúng sẽ được gửi khi tài khoản đó đăng nhập lại."
    )
    await expect(phone.locator("#queue .queue-item")).to_have_count(0)
    await phone.get_by_role("button", name="Gửi ngay").click()
    await phone.wait_for_function("() => !document.getElementById('send-now').disabled")
    assert await Visit.count() == 0

    # The head signs out: the visit stays on the phone (it is not theirs to delete) until volunteer1
    # signs in again, and is recorded as volunteer1's.
    await phone.get_by_role("button", name="Đăng xuất").click()
    await phone.wait_for_url(f"{field.url}/signout")
    await expect(phone.locator("#signout-discard")).to_be_hidden()
    await phone.get_by_role("button", name="Đăng xuất khỏi điện thoại này").click()
    await phone.wait_for_url(f"{field.url}/signin")
    await sign_in(phone, field.url, "volunteer1", next_url="/villages")
    await field.wait_for_counter(0)
    assert await Visit.select(Visit.volunteer) == [{"volunteer": world.users["volunteer1"]}]


async def test_stored_pages_are_not_shown_once_the_server_said_the_session_is_over(
    field: Field, world: World
) -> None:
    """A phone whose session ended (expired, the account closed by the ward office) keeps no way into
    its stored pages: the first page seen without a session withdraws the grant; signing in again
    brings it back."""
    phone = field.phone
    token = world.households["an"]
    await signed_in(field, token)
    await field.take_village_offline(world.villages["v1"])
    await AuthSession.delete(force=True)
    await phone.goto(f"{field.url}/h/{token}")  # the public page: no one signed in
    await field.network_lost()
    await phone.goto(f"{field.url}/h/{token}")
    await phone.get_by_text("Hộ này chưa được tải về điện thoại.").wait_for()

    await field.network_back()
    await sign_in(phone, field.url, "volunteer1", next_url="/villages")
    await field.network_lost()
    await phone.goto(f"{field.url}/h/{token}")
    await phone.get_by_role("status").filter(has_text="Không có mạng: đây là bản lưu").wait_for()
