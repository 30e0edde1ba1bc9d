"""A request's objects are freed when it ends, by their reference counts: none is left in a reference
cycle for Python's cycle collector, which would then go over them (and whatever else is alive) later,
in some other request's time (server/htmx_request.py)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from litestar import Request
from litestar.plugins.htmx import HTMXDetails
from litestar.testing import AsyncTestClient

from tests.conftest import api_token, csrf_token, sign_in
from tests.factories import World
from tests.server.helpers import visit_body


@contextmanager
def cyclic_garbage() -> Iterator[list[Any]]:
    """The objects left in unreachable reference cycles by the block (the collector off meanwhile)."""
    gc.collect()
    was_on = gc.isenabled()
    gc.disable()
    found: list[Any] = []
    try:
        yield found
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        found.extend(gc.garbage)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        if was_on:
            gc.enable()


def of_requests(objects: list[Any]) -> list[str]:
    """What among `objects` belongs to a request served: the request, its HTMX details, its scope."""
    return [
        type(o).__name__
        for o in objects
        if isinstance(o, Request | HTMXDetails) or (isinstance(o, dict) and "litestar_app" in o)
    ]


async def test_a_visit_request_leaves_no_reference_cycle(client: AsyncTestClient[Any], world: World) -> None:
    headers = await api_token(client, "volunteer1")
    token = world.households["an"]
    detail = (await client.get(f"/api/households/{token}", headers=headers)).json()
    with cyclic_garbage() as garbage:
        answer = await client.post(f"/api/households/{token}/visits", json=visit_body(detail, "nobody_home"),
                                   headers=headers)  # fmt: skip
        assert answer.status_code == 201, answer.text
    assert of_requests(garbage) == []


async def test_a_page_and_an_htmx_fragment_leave_no_reference_cycle(
    client: AsyncTestClient[Any], world: World
) -> None:
    await sign_in(client, "head1")
    village = world.villages["v1"]
    await csrf_token(client, f"/villages/{village}")
    with cyclic_garbage() as garbage:
        page = await client.get(f"/villages/{village}")
        fragment = await client.get(f"/villages/{village}?q=an", headers={"HX-Request": "true"})
    assert page.status_code == 200 and fragment.status_code == 200
    # The fragment is the list alone, as HTMX asks: the request still knows it is HTMX's.
    assert "<html" in page.text and "<html" not in fragment.text
    assert of_requests(garbage) == []
