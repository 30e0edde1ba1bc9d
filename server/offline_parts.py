"""A village's download many pages to an answer (docs/architecture.md §7): each page is what a GET of its
URL by the same user answers, because it is one, made inside the app (an ASGI sub-request carrying the
user's own headers and cookies through the whole app: access checks, templates, security headers).

The answer's format (`PAGES_MEDIA_TYPE`), for the service worker to split while it streams in: for each
page, one line of JSON `{"url", "status", "headers", "length"}` ending in a newline, then exactly
`length` bytes of the page's body. The whole answer is compressed by the app's brotli (gzip) like any
other: the pages are nearly all one template, so one stream compresses far better than each alone."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request
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
