"""Dynamic answers in brotli at the quality of their size (server/compression.py): small ones at quality 3,
pages at 5, an answer sent in parts as one stream; each decodes to exactly what was sent."""

from __future__ import annotations

import gzip
import json
from io import BytesIO
from typing import Any

import brotli
from litestar.config.compression import CompressionConfig
from litestar.testing import AsyncTestClient

from server.compression import PAGE_QUALITY, SMALL_BYTES, SMALL_QUALITY, SizedBrotli
from tests.conftest import api_token, sign_in
from tests.factories import World
from tests.server.helpers import raw_get

CONFIG = CompressionConfig(backend="sized-brotli", compression_facade=SizedBrotli)
TEXT = "Nguyễn Thị Ánh, thôn Phong Quang: gia đình số, VNeID mức 2. ".encode()


def compressed(*parts: bytes) -> tuple[bytes, list[bytes]]:
    """What the facade gives for `parts` written in turn and then closed, and what it had given after each
    write."""
    buffer = BytesIO()
    facade = SizedBrotli(buffer, "br", CONFIG)
    after = []
    for part in parts:
        facade.write(part)
        after.append(buffer.getvalue())
    facade.close()
    return buffer.getvalue(), after


def test_a_small_answer_is_compressed_at_the_small_quality_and_a_page_at_the_pages() -> None:
    small = TEXT * 10
    assert len(small) < SMALL_BYTES
    out, _ = compressed(small)
    assert out == brotli.compress(small, quality=SMALL_QUALITY, mode=brotli.MODE_TEXT)
    assert out != brotli.compress(small, quality=PAGE_QUALITY, mode=brotli.MODE_TEXT)
    assert brotli.decompress(out) == small
    page = TEXT * 200
    assert len(page) >= SMALL_BYTES
    out, _ = compressed(page)
    assert out == brotli.compress(page, quality=PAGE_QUALITY, mode=brotli.MODE_TEXT)
    assert brotli.decompress(out) == page


def test_an_answer_in_parts_is_one_stream_and_each_part_goes_out_with_the_next() -> None:
    parts = [TEXT * 30, TEXT * 5, b"", TEXT * 70]
    out, after = compressed(*parts)
    # The first part is held until the second comes (a whole answer is one write and then the close).
    assert after[0] == b"" and len(after[1]) > 0
    assert brotli.decompress(out) == b"".join(parts)


def test_an_answer_below_the_minimum_size_or_empty_gives_nothing_to_send() -> None:
    assert compressed()[0] == b""


async def test_the_api_and_a_page_come_in_brotli_or_gzip_and_decode_to_the_plain_answer(
    client: AsyncTestClient[Any], world: World
) -> None:
    headers = await api_token(client, "volunteer1")
    path = f"/api/households/{world.households['an']}"
    plain = (await client.get(path, headers={**headers, "Accept-Encoding": "identity"})).content
    assert 500 <= len(plain) < SMALL_BYTES  # compressed, at the small quality
    async with client.stream(
        "GET", path, headers={**headers, "Accept-Encoding": "gzip, deflate, br"}
    ) as answer:
        body = b"".join([c async for c in answer.aiter_raw()])
    assert answer.headers["content-encoding"] == "br" and answer.headers["vary"] == "Accept-Encoding"
    assert json.loads(brotli.decompress(body)) == json.loads(plain)
    await sign_in(client, "head1")
    village = f"/villages/{world.villages['v1']}"
    response, body = await raw_get(client, village, "gzip, deflate, br")
    assert response.headers["content-encoding"] == "br"
    page = brotli.decompress(body).decode()
    assert len(page) >= SMALL_BYTES and "</html>" in page
    response, body = await raw_get(client, village, "gzip")
    assert response.headers["content-encoding"] == "gzip" and "</html>" in gzip.decompress(body).decode()
