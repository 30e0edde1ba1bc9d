"""A volunteer's phone for the offline benchmarks (offline_download.py, commune_offline.py): headless
Chromium (Debian's) through Playwright, with a DevTools protocol connection to the whole browser that
slows the link of every target (the service worker too: it makes a download's requests, and a throttle
set on the page alone would not slow them) and, where asked, its CPU, and counts each request's bytes;
and the steps a volunteer takes: sign in, take a village offline.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import websockets

from tests.benchmarks.faults import free_port
from tests.browser.conftest import CHROMIUM_FLAGS
from tests.factories import PASSWORD

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
THREE_G = LINKS[0]


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
    cpu_slowdown: float = 1  # Emulation.setCPUThrottlingRate on each target that allows it
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
        if self.cpu_slowdown > 1 and kind in ("page", "service_worker", "worker"):
            await self.send("Emulation.setCPUThrottlingRate", {"rate": self.cpu_slowdown}, session)
        await self.send("Runtime.runIfWaitingForDebugger", {}, session)

    def network(self) -> list[Request]:
        """The requests that went over the link (not those the service worker answered for a page)."""
        return [r for r in self.requests.values() if not r.served_by_worker and r.url.startswith("http")]


@asynccontextmanager
async def a_phone(link: Link, cpu_slowdown: float = 1) -> AsyncIterator[tuple[Any, Cdp]]:
    """A fresh 360 px phone (Vietnamese, touch) on `link`, its CPU slowed `cpu_slowdown` times: its page
    and the DevTools connection counting its requests."""
    from playwright.async_api import async_playwright

    port = free_port()
    cdp = Cdp(link, cpu_slowdown)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=CHROMIUM, args=[*CHROMIUM_FLAGS, f"--remote-debugging-port={port}"]
        )
        try:
            await cdp.connect(port)
            context = await browser.new_context(
                locale="vi-VN", viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True
            )
            yield await context.new_page(), cdp
        finally:
            await cdp.close()
            await browser.close()


async def sign_in(phone: Any, cdp: Cdp, base: str, login: str, village: int) -> None:
    """Sign in as `login` on the page of `village`; return once the worker looks after the pages and
    the app shell it precaches has all come (nothing under way on the link)."""
    await phone.goto(f"{base}/signin?next=/villages/{village}", timeout=0)
    await phone.get_by_label("Tên đăng nhập").fill(login)
    await phone.get_by_label("Mật khẩu").fill(PASSWORD)
    await phone.get_by_role("button", name="Đăng nhập").click()
    await phone.wait_for_url(f"{base}/villages/{village}", timeout=0)
    await phone.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=0)
    await phone.locator(".offline-download").get_by_role("button", name=DOWNLOAD_BUTTON).wait_for(timeout=0)
    await asyncio.sleep(1)
    await cdp.quiet.wait()


async def take_offline(phone: Any, base: str, village: int) -> tuple[int, float]:
    """Press "Download to work without a signal" on the village's page: its pages and the seconds
    from the tap to "Downloaded at"."""
    if not phone.url.endswith(f"/villages/{village}"):
        await phone.goto(f"{base}/villages/{village}", timeout=0)
    box = phone.locator(".offline-download")
    started = time.monotonic()
    await box.get_by_role("button", name=DOWNLOAD_BUTTON).click()
    await box.get_by_text(DOWNLOADED).wait_for(timeout=0)
    seconds = time.monotonic() - started
    return int(await box.locator("progress").get_attribute("max") or 0), seconds


# What the phone's storage holds for the site: the browser's own figure (`navigator.storage.estimate()`,
# Cache Storage, IndexedDB and the rest) and the bodies of the user's Cache Storage entries, summed.
# A cache of ~20,000 entries cannot be listed (Chromium: `cache.keys()` fails, "Operation too large"):
# its entries are then -1, and its bytes not counted.
STORAGE_JS = """async () => {
    let entries = 0;
    let bytes = 0;
    for (const name of await caches.keys()) {
        if (!name.startsWith("phocap-user-")) continue;
        const cache = await caches.open(name);
        let requests = null;
        try {
            requests = await cache.keys();
        } catch (error) {
            entries = -1;
            break;
        }
        for (const request of requests) {
            entries += 1;
            bytes += (await (await cache.match(request)).arrayBuffer()).byteLength;
        }
    }
    return { usage: (await navigator.storage.estimate()).usage, entries, bytes: entries < 0 ? -1 : bytes };
}"""


async def storage(phone: Any) -> dict[str, int]:
    """STORAGE_JS's figures: usage, entries, bytes."""
    return dict(await phone.evaluate(STORAGE_JS))
