"""The files under `web/static`, read and compressed once per process and served from memory.

A phone on 3G pays for every byte of its first load, and most of it is these files (htmx alone is
three quarters). Compressing them per request would cost the server each time and, at the quality a
request can afford, save little; here each file is compressed once at the best quality, brotli for
browsers that accept it (Chromium over HTTPS does) and gzip for the rest. Every URL carries the
file's content hash (`static_url`), so a file is cached for a year and a release changes its URL.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import brotli
from litestar import Request, Response, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath

from server.auth import access

STATIC_DIR = Path(__file__).resolve().parent.parent / "web" / "static"
YEAR = 365 * 24 * 3600
# Formats that are compressed already: compressing them again only costs.
PACKED = (".png", ".jpg", ".jpeg", ".webp", ".woff2", ".gz", ".br")
mimetypes.add_type("text/javascript", ".js")
mimetypes.add_type("application/manifest+json", ".webmanifest")


@dataclass(frozen=True)
class Asset:
    """One static file: its bytes as they are and as each encoding sends them, its type and hash."""

    body: bytes
    encoded: dict[str, bytes]
    media_type: str
    digest: str


def _asset(path: Path) -> Asset:
    body = path.read_bytes()
    encoded: dict[str, bytes] = {}
    if not path.name.endswith(PACKED) and len(body) > 256:
        encoded = {"br": brotli.compress(body, quality=11), "gzip": gzip.compress(body, 9, mtime=0)}
    media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return Asset(body, encoded, media_type, hashlib.sha256(body).hexdigest()[:10])


@cache
def assets(directory: Path = STATIC_DIR) -> dict[str, Asset]:
    """Every file under `directory` by its name relative to it, read once per process."""
    return {
        p.relative_to(directory).as_posix(): _asset(p) for p in sorted(directory.rglob("*")) if p.is_file()
    }


def static_url(name: str) -> str:
    """`/static/<name>?v=<content hash>`: cacheable for a year, and a new URL whenever it changes."""
    asset = assets().get(name)
    if asset is None:
        raise KeyError(f"no static file {name!r} under web/static")
    return f"/static/{name}?v={asset.digest}"


def accepted(header: str) -> list[str]:
    """The encodings an Accept-Encoding header accepts (a `q=0` refuses one)."""
    found = []
    for part in header.lower().split(","):
        name, _, params = part.strip().partition(";")
        if name and params.replace(" ", "") not in {"q=0", "q=0.0", "q=0.00", "q=0.000"}:
            found.append(name)
    return found


def choose_encoding(asset: Asset, header: str) -> str | None:
    """The smallest encoding of `asset` the client accepts (brotli before gzip), or None for none."""
    names = accepted(header)
    return next((e for e in ("br", "gzip") if e in asset.encoded and (e in names or "*" in names)), None)


# `skip_compression`: these answers are compressed already (CompressionConfig.exclude_opt_key).
@get(
    "/static/{file_path:path}",
    sync_to_thread=False,
    include_in_schema=False,
    opt={**access("public"), "skip_compression": True},
)
def static_file(request: Request[Any, Any, Any], file_path: FromPath[str]) -> Response[bytes]:
    """A static file, compressed as the client accepts; cached for a year (its URL names its hash)."""
    asset = assets().get(file_path.lstrip("/"))
    if asset is None:
        raise NotFoundException()
    encoding = choose_encoding(asset, request.headers.get("accept-encoding", ""))
    headers = {"Cache-Control": f"public, max-age={YEAR}, immutable", "Vary": "Accept-Encoding"}
    if encoding:
        headers["Content-Encoding"] = encoding
    body = asset.encoded[encoding] if encoding else asset.body
    return Response(body, media_type=asset.media_type, headers=headers)
