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
    `containing`, when given), those left for a transaction's next statement (`write_later`) and those
    sent with its BEGIN (`run_without_rows`) too. The engine's own class is patched, not Piccolo's base
    class (phocap's engines answer `run_querystring` themselves) nor the instance (the test client and
    the live server serve from another thread)."""
    seen: list[str] = []
    engine = type(current_engine())
    originals = {
        name: getattr(engine, name)
        for name in ("run_querystring", "run_later", "run_without_rows")
        if hasattr(engine, name)
    }
    passing_on = [originals[n] for n in ("run_later", "run_without_rows") if n in originals]

    def counting(original: Any) -> Any:
        async def counted(self: Any, querystring: Any, *args: Any, **kwargs: Any) -> Any:
            text = querystring.compile_string(engine_type=self.engine_type)[0]
            # `run_later` and `run_without_rows` outside a transaction run the statement through
            # `run_querystring`: once.
            if containing in text and not (original in passing_on and
                                           self.current_transaction.get() is None):  # fmt: skip
                seen.append(text)
            return await original(self, querystring, *args, **kwargs)

        return counted

    for name, original in originals.items():
        setattr(engine, name, counting(original))
    try:
        yield seen
    finally:
        for name, original in originals.items():
            setattr(engine, name, original)
