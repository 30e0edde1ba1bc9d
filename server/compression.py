"""Brotli for the app's answers, at a quality by size: quality 5 for pages, 3 for small answers.

Litestar's brotli compresses every answer with a streaming compressor at one quality, and makes one for
every answer to a client that accepts brotli, small or not. At quality 5 a visit's answer (1.8 KB, 0.6
KB compressed) cost 0.11–0.17 ms of the app's CPU in `python -m tests.benchmarks.visit_profile` (one
request at a time; ~20 µs in a loop, where the compressor's tables stay in the cache), at quality 3
0.04 ms, for a few dozen bytes more. Pages and the offline download's parts keep quality 5, where the
bytes saved over 3G are worth it (server/app.py).

A whole answer comes in one `write` and then `close` (Litestar's compression middleware): it is compressed
there in one call, at the quality of its size. An answer sent in parts is compressed as one stream at
the pages' quality; its first part goes out with its second (a part is never lost, only held that long).
"""

from __future__ import annotations

from io import BytesIO
from typing import ClassVar

import brotli
from litestar.config.compression import CompressionConfig
from litestar.enums import CompressionEncoding

# Answers below this many bytes are compressed at `SMALL_QUALITY`: the JSON API's answers and HTMX
# fragments; pages and parts are larger.
SMALL_BYTES = 4096
SMALL_QUALITY = 3
PAGE_QUALITY = 5


class SizedBrotli:
    """A Litestar compression facade (`CompressionConfig.compression_facade`): brotli at the quality of
    the answer's size (the module)."""

    __slots__ = ("_first", "_stream", "buffer", "compression_encoding")

    encoding: ClassVar[str] = CompressionEncoding.BROTLI

    def __init__(
        self, buffer: BytesIO, compression_encoding: CompressionEncoding | str, config: CompressionConfig
    ) -> None:
        self.buffer = buffer
        self.compression_encoding = compression_encoding
        self._first: bytes | None = None
        self._stream: brotli.Compressor | None = None

    def write(self, body: bytes) -> None:
        if self._stream is None and self._first is None:
            self._first = body  # a whole answer: compressed at `close`, in one call
            return
        if self._stream is None:
            self._stream = brotli.Compressor(quality=PAGE_QUALITY, mode=brotli.MODE_TEXT)
            self.buffer.write(self._stream.process(self._first or b""))
            self._first = None
        self.buffer.write(self._stream.process(body))
        self.buffer.write(self._stream.flush())

    def close(self) -> None:
        if self._stream is not None:
            self.buffer.write(self._stream.finish())
        elif self._first is not None:
            quality = SMALL_QUALITY if len(self._first) < SMALL_BYTES else PAGE_QUALITY
            self.buffer.write(brotli.compress(self._first, quality=quality, mode=brotli.MODE_TEXT))
            self._first = None
