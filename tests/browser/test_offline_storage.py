"""Room on a cheap phone (issue 23 item 9): a downloaded village's household pages are kept a few dozen
to a bundle (one gzip stream each, web/sw.js "Bundles") and open with no signal; a page kept later
for the same URL is shown instead of its bundled copy; a household gone from the village leaves
nothing in any bundle; pages stored alone before (as text, or gzipped) still open; and the download
box says when the browser will not promise to keep the pages or the phone has too little room left.

The signal is taken away by the proxy in front of the server (tests/browser/test_offline.py)."""

from __future__ import annotations

import asyncio
import gzip
import json
from typing import Any

import pytest
from playwright.async_api import expect

from surveys.register.register import archive_household, update_household
from surveys.register.schemas import HouseholdUpdate
from surveys.tables import Household
from tests.browser.test_offline import Field, _more_households, field, kept_on_phone, signed_in
from tests.factories import World

pytestmark = pytest.mark.browser

__all__ = ["field"]  # the fixture, shared with test_offline.py

# Everything the phone stores for its user: each Cache Storage entry (its path, size on disk, first two
# bytes, encoding and its text, unpacked) and the worker's index of bundled pages (IndexedDB "pages").
LAYOUT_JS = """async () => {
    const entries = [];
    for (const name of await caches.keys()) {
        if (!name.startsWith("phocap-user-")) continue;
        const cache = await caches.open(name);
        for (const request of await cache.keys()) {
            const response = await cache.match(request);
            const bytes = new Uint8Array(await response.clone().arrayBuffer());
            const encoding = response.headers.get("x-phocap-encoding");
            const text = encoding === "gzip"
                ? await new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"))).text()
                : new TextDecoder().decode(bytes);
            const url = new URL(request.url);
            entries.push({ path: url.pathname + url.search, size: bytes.length, magic: [bytes[0], bytes[1]], encoding, text });
        }
    }
    const index = await new Promise((resolve, reject) => {
        const open = indexedDB.open("phocap");
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
            const handle = open.result;
            if (!handle.objectStoreNames.contains("pages")) { handle.close(); return resolve([]); }
            const all = handle.transaction("pages").objectStore("pages").getAll();
            all.onsuccess = () => { handle.close(); resolve(all.result); };
            all.onerror = () => { handle.close(); reject(all.error); };
        };
    });
    return { entries, index };
}"""

# The entry of `path` stored again alone, as the worker kept pages before bundles: as text (before
# pages were gzipped) or gzipped, the text given.
STORE_ALONE_JS = """async ([path, text, gzipped]) => {
    const name = (await caches.keys()).find((n) => n.startsWith("phocap-user-"));
    const headers = new Headers({ "Content-Type": "text/html; charset=utf-8", "x-phocap-stored": String(Date.now()) });
    let body = text;
    if (gzipped) {
        headers.set("x-phocap-encoding", "gzip");
        body = await new Response(new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"))).arrayBuffer();
    }
    await (await caches.open(name)).put(path, new Response(body, { headers }));
}"""


class Layout:
    """What the phone stores, read through LAYOUT_JS."""

    def __init__(self, found: dict[str, Any]) -> None:
        self.entries = {e["path"]: e for e in found["entries"]}
        self.index = {e["url"]: e for e in found["index"]}
        self.bundles = {p: e for p, e in self.entries.items() if p.startswith("/_bundle/")}

    def page(self, url: str) -> str:
        """A bundled page's text, drawn from its bundle (each distinct line once, each page the list of
        its lines' numbers) where the index says it lies."""
        at = self.index[url]
        bundle = json.loads(self.bundles[at["bundle"]]["text"])
        return "\n".join(bundle["lines"][n] for n in bundle["pages"][at["page"]])


async def layout(field: Field) -> Layout:
    return Layout(await field.phone.evaluate(LAYOUT_JS))


async def test_a_downloaded_village_keeps_its_households_in_a_few_bundles_and_opens_without_a_signal(
    field: Field, world: World
) -> None:
    tokens = await _more_households(world, 40)  # 42 households: 84 pages, 32 of one kind to a bundle
    await signed_in(field, world.households["an"])
    await field.take_village_offline(world.villages["v1"])

    stored = await layout(field)
    households = [*tokens, world.households["an"], world.households["dang"]]
    urls = [u for t in households for u in (f"/h/{t}", f"/h/{t}/visit")]
    # No household page is an entry of its own: each lies in a bundle of pages of its kind.
    assert not [u for u in urls if u in stored.entries]
    assert sorted(stored.index) == sorted(urls)
    assert len(stored.bundles) == 4, sorted(stored.bundles)  # 42 pages and 42 forms, 32 to a bundle
    for path, bundle in stored.bundles.items():
        assert bundle["encoding"] == "gzip" and bundle["magic"] == [0x1F, 0x8B], path
        assert len(json.loads(bundle["text"])["pages"]) in (32, 10), path
        kinds = {u.endswith("/visit") for u, at in stored.index.items() if at["bundle"] == path}
        assert len(kinds) == 1, path
    for url in urls:
        page = stored.page(url)
        assert page.lower().startswith("<!doctype html>") and page.rstrip().endswith("</html>"), url
        assert 'data-user="' in page and url.split("/")[2] in page, url
    # Together they take far less than each page gzipped alone (as the phone stored them before).
    alone = sum(len(gzip.compress(stored.page(u).encode(), 6)) for u in urls)
    together = sum(b["size"] for b in stored.bundles.values())
    assert together * 3 < alone, (together, alone)
    # The village's list is still kept alone, gzipped.
    listed = stored.entries[f"/villages/{world.villages['v1']}"]
    assert listed["encoding"] == "gzip" and listed["magic"] == [0x1F, 0x8B]

    # Pages stored alone before bundles still open, as text and gzipped, and are shown first.
    for token, gzipped in ((tokens[0], False), (tokens[1], True)):
        kept = "gzipped" if gzipped else "as text"
        text = stored.page(f"/h/{token}").replace("</main>", f"<p id='alone'>kept {kept}</p></main>")
        await field.phone.evaluate(STORE_ALONE_JS, [f"/h/{token}", text, gzipped])
    await field.network_lost()
    for token in (tokens[-1], world.households["an"]):
        await field.phone.goto(f"{field.url}/h/{token}/visit")
        await expect(field.phone.get_by_role("button", name="Lưu lượt thăm")).to_be_visible()
        await field.phone.goto(f"{field.url}/h/{token}")
        await field.phone.get_by_role("link", name="Ghi lượt thăm").wait_for()
        await expect(
            field.phone.get_by_role("status").filter(has_text="Không có mạng: đây là bản lưu")
        ).to_be_visible()
    for token, kept in ((tokens[0], "as text"), (tokens[1], "gzipped")):
        await field.phone.goto(f"{field.url}/h/{token}")
        await expect(field.phone.locator("#alone")).to_have_text(f"kept {kept}")
    await field.phone.goto(f"{field.url}/villages/{world.villages['v1']}")
    await expect(field.phone.locator("#shown")).to_have_text("42 hộ")


async def _corrected(world: World, token: str, address: str) -> None:
    row = await Household.select(Household.id, Household.version).where(Household.token == token).first()
    assert row is not None
    change = HouseholdUpdate(version=row["version"], village=world.villages["v1"], address=address)
    assert await update_household(row["id"], world.wards["pq"], change, world.users["head1"])


async def test_a_household_opened_online_after_the_download_is_shown_as_opened_not_as_downloaded(
    field: Field, world: World
) -> None:
    token = world.households["an"]
    await signed_in(field, token)
    await field.take_village_offline(world.villages["v1"])
    await _corrected(world, token, "Xóm Bờ Sông")
    await field.phone.goto(f"{field.url}/h/{token}")
    await expect(field.phone.get_by_text("Xóm Bờ Sông").first).to_be_visible()
    await kept_on_phone(field.phone, f"/h/{token}")
    # The bundle's copy of the page can no longer be served: its index entry goes (just after the
    # page is kept alone: polled, as kept_on_phone polls).
    for _ in range(150):
        stored = await layout(field)
        if f"/h/{token}" not in stored.index:
            break
        await asyncio.sleep(0.1)
    assert f"/h/{token}" not in stored.index and f"/h/{token}/visit" in stored.index

    await field.network_lost()
    await field.phone.goto(f"{field.url}/h/{token}")
    await field.phone.get_by_role("status").filter(has_text="Không có mạng: đây là bản lưu").wait_for()
    await expect(field.phone.get_by_text("Xóm Bờ Sông").first).to_be_visible()


async def test_a_household_gone_from_the_village_leaves_nothing_of_it_on_the_phone(
    field: Field, world: World
) -> None:
    tokens = await _more_households(world, 4)
    await signed_in(field, world.households["an"])
    await field.take_village_offline(world.villages["v1"])
    before = await layout(field)
    gone = tokens[2]
    name = "Lò Văn 02"  # its one member (_more_households)
    assert name in before.page(f"/h/{gone}")

    row = await Household.select(Household.id).where(Household.token == gone).first()
    assert row is not None
    await archive_household(row["id"], world.users["head1"])
    box = field.phone.locator(".offline-download")
    await box.get_by_role("button", name="Cập nhật").click()
    await box.get_by_text("cập nhật lúc").wait_for()

    after = await layout(field)
    assert not [u for u in after.index if gone in u]
    for path, entry in after.entries.items():
        assert gone not in path and name not in entry["text"], path  # bundles rewritten without it
    await field.network_lost()
    await field.phone.goto(f"{field.url}/h/{gone}")
    await field.phone.get_by_text("Hộ này chưa được tải về điện thoại.").wait_for()
    for token in (tokens[1], tokens[3]):
        await field.phone.goto(f"{field.url}/h/{token}/visit")
        await expect(field.phone.get_by_role("button", name="Lưu lượt thăm")).to_be_visible()


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
    """The box weighs the village against the room left before it downloads (a page counted 1.5 kB
    until the phone has kept some), and again once its first 60 pages (a bundle of household pages
    and one of visit forms) show what a page takes."""
    await _more_households(world, 100)  # 102 households: ~205 pages, their rest more than 20 kB
    await storage_answers(field.phone, persist=True, quota=20_000)
    await signed_in(field, world.households["an"])
    await field.phone.goto(f"{field.url}/villages/{world.villages['v1']}")
    box = field.phone.locator(".offline-download")
    await box.get_by_role("button", name="Tải về để làm việc không có mạng").click()
    await expect(box.locator(".offline-room")).to_contain_text("điện thoại chỉ còn khoảng 0,02 MB")
    await expect(box.locator(".offline-when")).to_have_text("Chưa tải về máy này.")
    assert await box.locator("progress").is_hidden()

    await box.get_by_role("button", name="Tải về để làm việc không có mạng").click()
    await box.get_by_text("Đã tải về lúc").wait_for()
    await expect(box.locator(".offline-room")).to_contain_text("Điện thoại sắp hết dung lượng: phần còn lại")
