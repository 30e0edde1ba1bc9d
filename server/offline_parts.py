"""A village's download many pages to an answer (docs/architecture.md §7): each page is what a GET of its
URL by the same user answers, because it is one, made inside the app (an ASGI sub-request carrying the
user's own headers and cookies through the whole app: access checks, templates, security headers).

The answer's format (`PAGES_MEDIA_TYPE`), for the service worker to split while it streams in: for each
page, one line of JSON `{"url", "status", "headers", "length"}` ending in a newline, then exactly
`length` bytes of the page's body. The whole answer is compressed by the app's brotli (gzip) like any
other: the pages are nearly all one template, so one stream compresses far better than each alone."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import msgspec
from litestar import Request
from litestar.exceptions import HTTPException
from litestar.types import Message, ReceiveMessage, Scope

PAGES_MEDIA_TYPE = "application/vnd.phocap.pages"
# What the phone keeps of a page's headers beside its body: what a GET of the page itself tells it.
PAGE_HEADERS = ("content-type", "cache-control", "content-language")
# Headers of the part's request not passed to its pages: the part is compressed as a whole (a page's
# own compression would defeat the point), a page is always the full page (not an htmx fragment), and
# the part's GET has no body and no conditions.
_NOT_PASSED = frozenset(
    {
        b"accept",
        b"accept-encoding",
        b"content-length",
        b"content-type",
        b"if-none-match",
        b"if-modified-since",
        b"hx-request",
        b"hx-boosted",
        b"hx-target",
        b"hx-trigger",
        b"hx-current-url",
    }
)
# Marks a sub-request's scope with the request it is made within (the access log says so).
WITHIN = "phocap.within"


# Parts one user may have drawn at once: a part makes up to OFFLINE_PART_PAGES pages, and the phone asks
# two at a time (web/sw.js: PARTS_AT_ONCE). A third waits RETRY_PART_AFTER seconds (429, Retry-After).
PARTS_PER_USER = 2
RETRY_PART_AFTER = 2


class PartsInHand:
    """How many parts each user's requests are drawing now, in this process (a web process of several
    counts its own: the limit is per process, as the sign-in limits are)."""

    def __init__(self, per_user: int = PARTS_PER_USER) -> None:
        self.per_user = per_user
        self._lock = threading.Lock()  # the test client runs the app in a thread of its own
        self._drawing: dict[int, int] = {}

    @contextmanager
    def one(self, user_id: int) -> Iterator[None]:
        """Hold one of the user's places while a part is drawn; a 429 problem when none is free."""
        with self._lock:
            if self._drawing.get(user_id, 0) >= self.per_user:
                raise HTTPException(
                    status_code=429,
                    detail="Your other parts of this download are still being made; ask again shortly.",
                    headers={"Retry-After": str(RETRY_PART_AFTER)},
                )
            self._drawing[user_id] = self._drawing.get(user_id, 0) + 1
        try:
            yield
        finally:
            with self._lock:
                left = self._drawing.pop(user_id) - 1
                if left:
                    self._drawing[user_id] = left


parts_in_hand = PartsInHand()


class PageHeader(msgspec.Struct):
    """The line before each page's body in a part."""

    url: str
    status: int
    headers: dict[str, str]
    length: int


async def framed_pages(request: Request[Any, Any, Any], urls: list[str]) -> bytes:
    """The pages at `urls` as `request`'s user GETs them, one after the other (one database connection
    per request: its pages take turns on it), framed as the module says."""
    frames: list[bytes] = []
    for url in urls:
        status, headers, body = await page_answer(request, url)
        header = PageHeader(url=url, status=status, headers=headers, length=len(body))
        frames += [msgspec.json.encode(header), b"\n", body]
    return b"".join(frames)


async def page_answer(request: Request[Any, Any, Any], url: str) -> tuple[int, dict[str, str], bytes]:
    """What the app answers a GET of `url` (a path and query) made with `request`'s headers: its status,
    the headers the phone keeps (`PAGE_HEADERS`) and its body."""
    started: dict[str, Any] = {}
    chunks: list[bytes] = []

    async def receive() -> ReceiveMessage:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            started.update(message)
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await request.app(_page_scope(request.scope, url), receive, send)
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in started.get("headers", [])}
    kept = {name: headers[name] for name in PAGE_HEADERS if name in headers}
    return int(started.get("status", 500)), kept, b"".join(chunks)


def _page_scope(outer: Scope, url: str) -> Scope:
    """A GET of `url` as the client of `outer` would send it."""
    path, _, query = url.partition("?")
    headers = [(k, v) for k, v in outer["headers"] if k not in _NOT_PASSED]
    return {  # type: ignore[return-value]
        "type": "http",
        "asgi": outer.get("asgi", {"version": "3.0"}),
        "http_version": outer.get("http_version", "1.1"),
        "method": "GET",
        "scheme": outer.get("scheme", "http"),
        "path": path,
        "raw_path": path.encode(),
        "root_path": outer.get("root_path", ""),
        "query_string": query.encode(),
        "headers": [*headers, (b"accept", b"text/html")],
        "client": outer.get("client"),
        "server": outer.get("server"),
        "state": {},
        "extensions": {WITHIN: {"path": outer["path"]}},
    }
