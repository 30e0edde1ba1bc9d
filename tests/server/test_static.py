"""Static files: compressed once, served as the phone accepts them, cached for a year under a hashed URL,
and nothing outside web/static reachable."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

import brotli
import pytest
from litestar.testing import AsyncTestClient

from server.static import STATIC_DIR, accepted, static_url
from tests.server.helpers import raw_get

HTMX = (STATIC_DIR / "htmx.min.js").read_bytes()


async def test_a_phone_gets_brotli_and_an_older_browser_gzip(client: AsyncTestClient[Any]) -> None:
    url = static_url("htmx.min.js")
    response, body = await raw_get(client, url, "gzip, deflate, br, zstd")
    assert response.status_code == 200 and response.headers["content-encoding"] == "br"
    assert brotli.decompress(body) == HTMX
    response, body = await raw_get(client, url, "gzip")
    assert response.headers["content-encoding"] == "gzip" and gzip.decompress(body) == HTMX
    response, body = await raw_get(client, url, "identity")
    assert "content-encoding" not in response.headers and body == HTMX
    response, body = await raw_get(client, url, "br;q=0, gzip")
    assert response.headers["content-encoding"] == "gzip"


async def test_a_static_file_is_cached_for_a_year_under_its_hashed_url(client: AsyncTestClient[Any]) -> None:
    response = await client.get(static_url("app.css"))
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert response.headers["vary"] == "Accept-Encoding"
    assert response.headers["content-type"] == "text/css; charset=utf-8"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert static_url("app.css").startswith("/static/app.css?v=")


@pytest.mark.parametrize(
    "path", ["/static/nothing.js", "/static/../server/app.py", "/static/%2e%2e/pyproject.toml", "/static/"]
)
async def test_nothing_outside_web_static_is_served(client: AsyncTestClient[Any], path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 404
    assert b"create_app" not in response.content and b"[project]" not in response.content


def test_a_url_for_a_file_that_does_not_exist_is_a_mistake_found_at_once() -> None:
    with pytest.raises(KeyError):
        static_url("missing.css")


def test_accept_encoding_is_read_with_its_weights() -> None:
    assert accepted("gzip, deflate, br, zstd") == ["gzip", "deflate", "br", "zstd"]
    assert accepted("br;q=0, gzip;q=0.8") == ["gzip"]
    assert accepted("") == []
    assert Path(STATIC_DIR / "htmx.min.js").exists()
