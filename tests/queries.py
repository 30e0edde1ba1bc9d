"""The SQL queries phocap sends, seen while a block runs: for the tests that count queries per request
and for the benchmarks that print them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from surveys.core.db import current_engine


@contextmanager
def sent_queries(containing: str = "") -> Iterator[list[str]]:
    """The text of each query sent through the bound engine while the block runs (only those holding
    `containing`, when given). The engine's own class is patched, not Piccolo's base class (phocap's
    engines answer `run_querystring` themselves) nor the instance (the test client and the live server
    serve from another thread)."""
    seen: list[str] = []
    engine = type(current_engine())
    original = engine.run_querystring

    async def counted(self: Any, querystring: Any, *args: Any, **kwargs: Any) -> Any:
        text = querystring.compile_string(engine_type=self.engine_type)[0]
        if containing in text:
            seen.append(text)
        return await original(self, querystring, *args, **kwargs)

    engine.run_querystring = counted  # type: ignore[method-assign]
    try:
        yield seen
    finally:
        engine.run_querystring = original  # type: ignore[method-assign]
