"""A big village taken offline over 3G: what the volunteer's phone downloads, and how long it takes.

Run on demand (README, "Benchmarks"):

    python -m tests.benchmarks.offline_download [HOUSEHOLDS] [--each]    # default 750 households

Fills a throwaway SQLite database with the fixture commune (tests/factories.py `make_world`) and
HOUSEHOLDS more households of 3 or 4 members (3.5 on average) in volunteer1's village v1 and a class
this month in the ward (the phone keeps it, with the village's people to add as attendees), serves phocap
with uvicorn in a process of its own (tests/benchmarks/faults.py `serve`), and, for each link profile
below, opens a fresh headless Chromium (Debian's, through Playwright), signs in as volunteer1 and
presses "Download to work without a signal" on the village's page, as tests/browser/test_offline.py
does. The link is slowed through the DevTools protocol (`Network.emulateNetworkConditions`) on every
target, the service worker too: the worker makes the download's requests, and a throttle set on the
page alone would not slow them. The same connection counts each request's bytes on the wire (headers
and compressed body, `Network.loadingFinished`) and decoded (`Network.dataReceived`), leaving out the
page's requests the worker answered (its own request to the server is the one counted).

Prints, per profile: the requests of signing in and installing the worker (the app shell, precached
once per release) and of the download (the list of pages, then the parts that bring the pages a few
hundred to an answer; from a server without parts, the village list, the household pages, the visit
forms and the classes one by one), by kind, with `--each` every request; the seconds from the tap to "Downloaded
at"; then one JSON line last.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import websockets

from surveys.core.clock import now
from surveys.core.db import bind, close_pool, current_engine, engine_for_url, migrate
from surveys.tables import ClassSession
from tests.benchmarks.faults import free_port, serve, stop
from tests.browser.conftest import CHROMIUM_FLAGS
from tests.factories import PASSWORD, World, make_household, make_world, person

CHROMIUM = "/usr/bin/chromium"
DOWNLOAD_BUTTON = "Tải về để làm việc không có mạng"
DOWNLOADED = "Đã tải về lúc"


@dataclass(frozen=True)
class Link:
    """A network link as DevTools emulates it: kbit/s down and up, and latency added to each request."""

    name: str
    down_kbit: int
    up_kbit: int
    latency_ms: int

    def conditions(self) -> dict[str, Any]:
        return {
            "offline": False,
            "latency": self.latency_ms,
            "downloadThroughput": self.down_kbit * 1000 / 8,  # bytes per second
            "uploadThroughput": self.up_kbit * 1000 / 8,
        }


LINKS = [Link("3G", 750, 250, 100), Link("Slow 3G", 400, 400, 400)]

FAMILY = [
    "Nguyễn",
    "Trần",
    "Lê",
    "Phạm",
    "Hoàng",
    "Vũ",
    "Đặng",
    "Bùi",
    "Đỗ",
    "Hồ",
    "Ngô",
    "Dương",
    "Lý",
    "Ma",
]
MIDDLE_MALE = ["Văn", "Đức", "Minh", "Quang", "Hữu"]
MIDDLE_FEMALE = ["Thị", "Thu", "Ngọc", "Thanh", "Kim"]
GIVEN_MALE = ["An", "Bình", "Cường", "Dũng", "Hùng", "Khánh", "Long", "Nam", "Phúc", "Sơn", "Thắng", "Việt"]
GIVEN_FEMALE = ["Anh", "Hoa", "Hương", "Lan", "Linh", "Mai", "Nga", "Nhung", "Oanh", "Phương", "Thảo", "Yến"]
HAMLETS = ["Xóm Trên", "Xóm Dưới", "Xóm Giữa", "Xóm Đồi", "Xóm Suối", "Xóm Mới"]


def family(i: int) -> list[dict[str, Any]]:
    """Household i's members: 3 or 4 in turn (3.5 on average), a couple, a child and, every other
    household, a grandparent; names and years varied so the pages are not unusually compressible."""
    surname = FAMILY[i % len(FAMILY)]
    spouse = FAMILY[(i * 7 + 3) % len(FAMILY)]
    male = f"{surname} {MIDDLE_MALE[i % 5]} {GIVEN_MALE[i % 12]}"
    female = f"{spouse} {MIDDLE_FEMALE[(i // 5) % 5]} {GIVEN_FEMALE[(i * 5) % 12]}"
    child = f"{surname} {MIDDLE_MALE[(i + 2) % 5]} {GIVEN_MALE[(i * 7 + 1) % 12]}"
    people = [
        person(male, 1960 + i % 30, sex="male"),
        person(female, 1962 + (i * 3) % 30, sex="female"),
        person(child, 1995 + (i * 11) % 25, sex="male" if i % 3 else "female"),
    ]
    if i % 2:
        people.append(
            person(f"{surname} {MIDDLE_FEMALE[i % 5]} {GIVEN_FEMALE[i % 12]}", 1935 + i % 20, sex="female")
        )
    return people


async def fill(url: str, households: int) -> World:
    """The fixture commune, a class this month, and `households` more households in village v1
    (volunteer1's)."""
    bind(engine_for_url(url))
    await migrate()
    world = await make_world()
    # A class of this month in the ward: the phone keeps it with the village's people to add (its roster).
    await ClassSession.insert(
        ClassSession(ward=world.wards["pq"], starts_at=now(), topics=["vneid"], audience="everyone")
    )
    for i in range(households):
        await make_household(
            world.villages["v1"],
            f"PQ-01-{i + 3:04d}",
            family(i),
            address=f"{HAMLETS[i % 6]}, số {i % 97 + 1}",
        )
    await close_pool(current_engine())
    return world


@dataclass
class Request:
    """One request as the browser's network saw it."""

    url: str
    target: str
    started: float
    status: int = 0
    encoding: str = ""
    wire: int = 0  # headers and body as received (compressed)
    headers: int = 0  # of which the response's headers (HTTP/1.1 here: HTTP/2 would compress them)
    raw: int = 0  # the body decoded
    length: int = 0  # the body's Content-Length (compressed), when the server said it
    done: bool = False
    served_by_worker: bool = False
    failed: str = ""


@dataclass
class Cdp:
    """A DevTools protocol connection to the whole browser: throttles every target (pages and the
    service worker) as it starts, and records their requests."""

    link: Link
    socket: Any = None
    requests: dict[tuple[str, str], Request] = field(default_factory=dict)
    _next: int = 0
    _waiting: dict[int, asyncio.Future[Any]] = field(default_factory=dict)
    _reader: asyncio.Task[None] | None = None
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    quiet: asyncio.Event = field(default_factory=asyncio.Event)  # no request under way

    async def connect(self, port: int) -> None:
        async with httpx.AsyncClient() as client:
            version = (await client.get(f"http://127.0.0.1:{port}/json/version", timeout=10)).json()
        self.socket = await websockets.connect(version["webSocketDebuggerUrl"], max_size=None)
        self._reader = asyncio.create_task(self._read())
        await self.send(
            "Target.setAutoAttach", {"autoAttach": True, "waitForDebuggerOnStart": True, "flatten": True}
        )

    async def close(self) -> None:
        if self._reader:
            self._reader.cancel()
        if self.socket:
            await self.socket.close()

    async def send(
        self, method: str, params: dict[str, Any] | None = None, session: str | None = None
    ) -> Any:
        self._next += 1
        message: dict[str, Any] = {"id": self._next, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        answer: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._waiting[self._next] = answer
        await self.socket.send(json.dumps(message))
        return await answer

    async def _read(self) -> None:
        async for text in self.socket:
            message = json.loads(text)
            if "id" in message:
                answer = self._waiting.pop(message["id"], None)
                if answer and not answer.done():
                    answer.set_result(message.get("result", message.get("error")))
            else:
                self._event(message["method"], message.get("params", {}), message.get("sessionId", ""))

    def _event(self, method: str, params: dict[str, Any], session: str) -> None:
        if method == "Target.attachedToTarget":
            task = asyncio.create_task(self._throttle(params))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            return
        key = (session, params.get("requestId", ""))
        if method == "Network.requestWillBeSent":
            self.requests[key] = Request(params["request"]["url"], session, time.monotonic())
            self.quiet.clear()
        elif key in self.requests:
            request = self.requests[key]
            if method == "Network.responseReceived":
                response = params["response"]
                request.status = response["status"]
                request.served_by_worker = bool(response.get("fromServiceWorker"))
                headers = {k.lower(): v for k, v in response.get("headers", {}).items()}
                request.encoding = headers.get("content-encoding", "")
                request.length = int(headers.get("content-length", 0))
            elif method == "Network.responseReceivedExtraInfo" and params.get("headersText"):
                request.headers = len(params["headersText"].encode())
            elif method == "Network.dataReceived":
                request.raw += params["dataLength"]
            elif method == "Network.loadingFinished":
                request.wire = int(params["encodedDataLength"])
                request.done = True
            elif method == "Network.loadingFailed":
                request.failed = params.get("errorText", "failed")
                # A part the worker read to its end (every page kept) may still be reported aborted
                # on a throttled link: its bytes are then its headers and its Content-Length.
                request.wire = request.headers + request.length
                request.done = True
            if request.done and all(r.done for r in self.requests.values()):
                self.quiet.set()

    async def _throttle(self, params: dict[str, Any]) -> None:
        session = params["sessionId"]
        kind = params["targetInfo"]["type"]
        if kind in ("page", "service_worker", "worker", "shared_worker", "iframe"):
            await self.send("Network.enable", {}, session)
            await self.send("Network.emulateNetworkConditions", self.link.conditions(), session)
        await self.send("Runtime.runIfWaitingForDebugger", {}, session)

    def network(self) -> list[Request]:
        """The requests that went over the link (not those the service worker answered for a page)."""
        return [r for r in self.requests.values() if not r.served_by_worker and r.url.startswith("http")]


def kind_of(url: str) -> str:
    """Which part of the download a request is."""
    parts = urlsplit(url)
    path = parts.path
    if path.endswith("/offline.json"):
        return "list of pages (offline.json)"
    if path.endswith("/offline/pages"):
        return "parts (many pages each)"
    if re.fullmatch(r"/h/[^/]+/visit", path):
        return "visit forms"
    if re.fullmatch(r"/h/[^/]+", path):
        return "household pages"
    if re.fullmatch(r"/villages/\d+", path):
        return "village list pages"
    if path.endswith("/roster"):
        return "class roster (village's people)"
    if "/classes" in path:
        return "classes"
    if path.startswith("/static/") or path == "/sw.js" or path.endswith(".webmanifest"):
        return "app shell (static, worker)"
    if path.startswith("/offline/") or path == "/queue":
        return "app shell (offline pages)"
    return "other pages"


def table(title: str, requests: list[Request], each: bool) -> dict[str, int]:
    groups: dict[str, list[Request]] = defaultdict(list)
    for r in requests:
        groups[kind_of(r.url)].append(r)
    print(f"\n{title}")
    print(
        f"{'':<30} {'requests':>8} {'wire bytes':>12} {'of headers':>11} {'raw bytes':>12} {'wire/request':>12}  encoding"
    )
    for name, rows in sorted(groups.items(), key=lambda g: -sum(r.wire for r in g[1])):
        wire, raw = sum(r.wire for r in rows), sum(r.raw for r in rows)
        encodings = ",".join(sorted({r.encoding or "none" for r in rows}))
        heads = sum(r.headers for r in rows)
        print(
            f"{name:<30} {len(rows):>8} {wire:>12,} {heads:>11,} {raw:>12,} {wire // len(rows):>12,}  {encodings}"
        )
        if each:
            for r in rows:
                path = urlsplit(r.url)._replace(scheme="", netloc="").geturl()
                print(f"    {r.status:>3} {r.wire:>9,} {r.raw:>10,} {r.encoding or '-':<5} {path}")
    total = {
        "requests": len(requests),
        "wire": sum(r.wire for r in requests),
        "raw": sum(r.raw for r in requests),
    }
    heads = sum(r.headers for r in requests)
    print(f"{'total':<30} {total['requests']:>8} {total['wire']:>12,} {heads:>11,} {total['raw']:>12,}")
    failed = [r for r in requests if r.failed or r.status >= 400]
    if failed:
        print(f"  {len(failed)} failed, e.g. {failed[0].status} {failed[0].failed} {failed[0].url}")
    return total


async def take_offline(base: str, village: int, link: Link, each: bool) -> dict[str, Any]:
    """A fresh phone on `link`: sign in, wait for the worker, take the village offline. Its numbers."""
    from playwright.async_api import async_playwright

    port = free_port()
    cdp = Cdp(link)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=CHROMIUM, args=[*CHROMIUM_FLAGS, f"--remote-debugging-port={port}"]
        )
        try:
            await cdp.connect(port)
            context = await browser.new_context(
                locale="vi-VN", viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True
            )
            phone = await context.new_page()
            started = time.monotonic()
            await phone.goto(f"{base}/signin?next=/villages/{village}", timeout=0)
            await phone.get_by_label("Tên đăng nhập").fill("volunteer1")
            await phone.get_by_label("Mật khẩu").fill(PASSWORD)
            await phone.get_by_role("button", name="Đăng nhập").click()
            await phone.wait_for_url(f"{base}/villages/{village}", timeout=0)
            await phone.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=0)
            box = phone.locator(".offline-download")
            await box.get_by_role("button", name=DOWNLOAD_BUTTON).wait_for(timeout=0)
            # The app shell is precached by the worker's install: wait until it has all come.
            await asyncio.sleep(1)
            await cdp.quiet.wait()
            ready = time.monotonic()
            before = set(cdp.requests)
            await box.get_by_role("button", name=DOWNLOAD_BUTTON).click()
            await box.get_by_text(DOWNLOADED).wait_for(timeout=0)
            finished = time.monotonic()
            await asyncio.sleep(0.5)  # the last loadingFinished events
            pages = int(await box.locator("progress").get_attribute("max") or 0)
        finally:
            await cdp.close()
            await browser.close()
    network = {id(r) for r in cdp.network()}
    setup = [r for key, r in cdp.requests.items() if key in before and id(r) in network]
    download = [r for key, r in cdp.requests.items() if key not in before and id(r) in network]
    print(
        f"\n=== {link.name}: {link.down_kbit} kbit/s down, {link.up_kbit} kbit/s up, {link.latency_ms} ms latency"
    )
    shell = table(f"sign in and the app shell ({ready - started:.1f} s)", setup, each)
    got = table(
        f"the village's download: {pages} pages, {finished - ready:.1f} s from the tap to ready",
        download,
        each,
    )
    return {
        "link": link.name,
        "setup_seconds": round(ready - started, 1),
        "setup_wire_bytes": shell["wire"],
        "download_seconds": round(finished - ready, 1),
        "download_pages": pages,
        "download_requests": got["requests"],
        "download_wire_bytes": got["wire"],
        "download_raw_bytes": got["raw"],
        "offline_json_wire_bytes": sum(
            r.wire for r in download if kind_of(r.url).startswith("list of pages")
        ),
    }


async def main(households: int, each: bool) -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'phocap.sqlite3'}"
        world = await fill(url, households)
        village = world.villages["v1"]
        server, base = serve(folder, url)
        try:
            print(
                f"village v1: {households + 2} households (the fixture's 2 and {households} of 3 or 4 members)"
            )
            results = [await take_offline(base, village, link, each) for link in LINKS]
        finally:
            stop(server)
    print(json.dumps({"households": households + 2, "links": results}))


if __name__ == "__main__":
    arguments = [a for a in sys.argv[1:] if not a.startswith("--")]
    asyncio.run(main(int(arguments[0]) if arguments else 750, "--each" in sys.argv))
