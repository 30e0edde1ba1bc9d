"""A village's download in parts costs the server up to a few hundred pages a part: one user draws at
most two parts at once, as the phone asks them, and a third is told to come back (issue 25 item 8)."""

from __future__ import annotations

from typing import Any

from litestar.testing import AsyncTestClient

from server.offline_parts import PAGES_MEDIA_TYPE, PARTS_PER_USER, parts_in_hand
from tests.conftest import sign_in
from tests.factories import World


async def test_a_third_part_at_once_is_a_429_with_retry_after_and_later_comes_whole(
    client: AsyncTestClient[Any], world: World
) -> None:
    await sign_in(client, "volunteer1")
    part = f"/villages/{world.villages['v1']}/offline/pages?part=1"
    user = world.users["volunteer1"]
    assert PARTS_PER_USER == 2
    with parts_in_hand.one(user), parts_in_hand.one(user):  # two parts being drawn for this user
        response = await client.get(part)
        assert response.status_code == 429
        assert response.headers["retry-after"] == "2"
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["status"] == 429
    with parts_in_hand.one(user):  # one in hand: a second is drawn
        response = await client.get(part)
        assert response.status_code == 200 and response.headers["content-type"].startswith(PAGES_MEDIA_TYPE)
    assert (await client.get(part)).status_code == 200  # every place was given back


async def test_one_users_parts_in_hand_do_not_hold_back_another_user(
    client: AsyncTestClient[Any], world: World
) -> None:
    await sign_in(client, "head1")
    other = world.users["volunteer1"]
    with parts_in_hand.one(other), parts_in_hand.one(other):
        response = await client.get(f"/villages/{world.villages['v1']}/offline/pages?part=1")
        assert response.status_code == 200
