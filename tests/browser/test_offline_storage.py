"""Room on a cheap phone (issue 23 item 9): a downloaded village's pages are stored gzipped and still
open with no signal, copies stored as text before still open, and the download box says when the
browser will not promise to keep the pages or the phone has too little room left.

The network is taken away by stopping the server process (tests/browser/test_offline.py)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.async_api import expect

from tests.browser.test_offline import Field, _more_households, field, signed_in
from tests.factories import World

pytestmark = pytest.mark.browser

__all__ = ["field"]  # the fixture, shared with test_offline.py

# The stored entry of `path` in the user's cache: its header, first bytes, size, and its text.
STORED_JS = """async (path) => {
    for (const name of await caches.keys()) {
        if (!name.startsWith("phocap-user-")) continue;
        const entry = await (await caches.open(name)).match(path);
        if (!entry) continue;
        const bytes = new Uint8Array(await entry.clone().arrayBuffer());
        const text = await new Response(entry.body.pipeThrough(new DecompressionStream("gzip"))).text();
        return {
            encoding: entry.headers.get("x-phocap-encoding"),
            magic: [bytes[0], bytes[1]],
            stored: bytes.length,
            text: new TextEncoder().encode(text).length,
            user: text.includes("data-user="),
        };
    }
    return null;
}"""

# The entry of `path` stored again as text, as the worker kept pages before it gzipped them.
AS_TEXT_JS = """async (path) => {
    for (const name of await caches.keys()) {
        if (!name.startsWith("phocap-user-")) continue;
        const cache = await caches.open(name);
        const entry = await cache.match(path);
        if (!entry) continue;
        const text = await new Response(entry.body.pipeThrough(new DecompressionStream("gzip"))).text();
        const headers = new Headers(entry.headers);
        headers.delete("x-phocap-encoding");
        await cache.put(path, new Response(text.replace("</main>", "<p id='as-text'>kept as text</p></main>"), { headers }));
        return true;
    }
    return false;
}"""


async def test_a_downloaded_village_is_stored_gzipped_and_opens_without_a_signal(
    field: Field, world: World
) -> None:
    tokens = await _more_households(world, 3)
    await signed_in(field, world.households["an"])
    await field.take_village_offline(world.villages["v1"])

    for path in (
        f"/h/{tokens[-1]}",
        f"/h/{world.households['an']}/visit",
        f"/villages/{world.villages['v1']}",
    ):
        entry = await field.phone.evaluate(STORED_JS, path)
        assert entry is not None, path
        assert entry["encoding"] == "gzip", (path, entry)
        assert entry["magic"] == [0x1F, 0x8B], (path, entry)
        assert entry["user"], path  # the page the user saw, whole
        assert entry["stored"] * 2 < entry["text"], (path, entry)

    # A copy kept as text (before pages were gzipped) still opens, beside the gzipped ones.
    assert await field.phone.evaluate(AS_TEXT_JS, f"/h/{tokens[0]}")
    await field.network_lost()
    await field.phone.goto(f"{field.url}/h/{tokens[-1]}")
    await field.phone.get_by_role("link", name="Ghi lượt thăm").wait_for()
    await expect(
        field.phone.get_by_role("status").filter(has_text="Không có mạng: đây là bản lưu")
    ).to_be_visible()
    await field.phone.goto(f"{field.url}/h/{tokens[0]}")
    await expect(field.phone.locator("#as-text")).to_have_text("kept as text")
    await field.phone.goto(f"{field.url}/villages/{world.villages['v1']}")
    await expect(field.phone.locator("#shown")).to_have_text("5 hộ")


def storage_answers(phone: Any, persist: bool, quota: int | None = None) -> Any:
    """The phone's browser answers persist() with `persist` (and estimate() with `quota` bytes, none
    used, when given), as a phone that keeps or refuses to keep the site's pages does."""
    estimate = f"navigator.storage.estimate = async () => ({{ usage: 0, quota: {quota} }});" if quota else ""
    return phone.add_init_script(
        f"""navigator.storage.persisted = async () => false;
        navigator.storage.persist = async () => {str(persist).lower()};
        {estimate}"""
    )


REFUSED = "Điện thoại có thể xoá các trang đã tải về khi thiếu dung lượng"


@pytest.mark.parametrize("kept", [False, True])
async def test_the_download_box_says_when_the_phone_will_not_promise_to_keep_the_pages(
    field: Field, world: World, kept: bool
) -> None:
    await storage_answers(field.phone, persist=kept)
    await signed_in(field, world.households["an"])
    await field.take_village_offline(world.villages["v1"])
    room = field.phone.locator(".offline-download .offline-room")
    if kept:
        await expect(room).to_be_hidden()
    else:
        await expect(room).to_contain_text(REFUSED)
        await expect(room).to_have_attribute("role", "status")


async def test_a_village_that_would_not_fit_is_downloaded_only_on_a_second_tap(
    field: Field, world: World
) -> None:
    """The box weighs the village against the room left before it downloads (a page counted 5 kB
    until the phone has kept one), and again once its first 100 pages show what a page takes."""
    await _more_households(world, 60)  # 62 households: ~125 pages, their rest more than 30 kB
    await storage_answers(field.phone, persist=True, quota=30_000)
    await signed_in(field, world.households["an"])
    await field.phone.goto(f"{field.url}/villages/{world.villages['v1']}")
    box = field.phone.locator(".offline-download")
    await box.get_by_role("button", name="Tải về để làm việc không có mạng").click()
    await expect(box.locator(".offline-room")).to_contain_text("điện thoại chỉ còn khoảng 0,03 MB")
    await expect(box.locator(".offline-when")).to_have_text("Chưa tải về máy này.")
    assert await box.locator("progress").is_hidden()

    await box.get_by_role("button", name="Tải về để làm việc không có mạng").click()
    await box.get_by_text("Đã tải về lúc").wait_for()
    await expect(box.locator(".offline-room")).to_contain_text("Điện thoại sắp hết dung lượng: phần còn lại")
