"""The first load of a household page stays within its budget (issue 12: 25 KB compressed), measured
as tests/benchmarks/page_weight.py measures it: bytes, not time, so the check is deterministic."""

from __future__ import annotations

from typing import Any

from litestar.testing import AsyncTestClient

from surveys.demo import DEMO_PASSWORD
from tests.benchmarks.page_weight import BUDGET_BYTES, first_load, heaviest_household
from tests.conftest import sign_in


async def test_first_load_of_the_heaviest_household_page_stays_within_25_kb(
    client: AsyncTestClient[Any], demo: None
) -> None:
    token, members = await heaviest_household()
    await sign_in(client, "volunteer1", DEMO_PASSWORD)
    rows = await first_load(client, token, f"/h/<token> ({members} members)")
    names = [name for name, _ in rows]
    assert {"/static/htmx.min.js", "/static/app.css", "/static/offline.js"} <= set(names)
    table = "\n".join(f"{name}: {wire} bytes" for name, (wire, _, _) in rows)
    total = sum(wire for _, (wire, _, _) in rows)
    assert total <= BUDGET_BYTES, f"first load {total} bytes > {BUDGET_BYTES}:\n{table}"
