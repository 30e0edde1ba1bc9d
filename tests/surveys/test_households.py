"""Finding households: search that ignores accents and case, Vietnamese order, access by area."""

from __future__ import annotations

from surveys.people.access import allowed, can_see_village, can_write_village, visible_village_ids
from surveys.people.accounts import actor_by_id
from surveys.register.households import household_by_token
from surveys.reporting.lists import village_households
from tests.factories import World, make_household, person


async def test_search_ignores_accents_and_case(world: World) -> None:
    village = world.villages["v1"]
    assert [h.head_name for h in await village_households(village, "nguyen van")] == ["Nguyễn Văn An"]
    assert [h.head_name for h in await village_households(village, "dang")] == ["Đặng Thị Ánh"]
    assert [h.head_name for h in await village_households(village, "ĐẶNG")] == ["Đặng Thị Ánh"]
    assert [h.code for h in await village_households(village, "pq-01-0002")] == ["PQ-01-0002"]
    # Any member's name finds the household.
    assert [h.head_name for h in await village_households(village, "khoi")] == ["Nguyễn Văn An"]
    assert await village_households(village, "zzz") == []


async def test_the_last_member_of_a_large_household_is_found_by_name(world: World) -> None:
    """Every member's name is searchable, not only those that fitted in the first 400 characters."""
    village = world.villages["v2"]
    given = ["Thị Hồng Nhung", "Văn Quang Trường", "Thị Phương Thảo", "Hữu Nghĩa Đạt", "Thị Minh Nguyệt"]
    members = [person(f"Nguyễn {given[n % 5]} {n:02d}", 1950 + n) for n in range(29)]
    members.append(person("Phan Thanh Xuân", 2001))
    await make_household(
        village, "PQ-02-0900", members, address="Tổ 7, đường Hoàng Quốc Việt, gần cổng trường"
    )
    assert sum(len(m["full_name"]) + 1 for m in members) > 400
    found = await village_households(village, "phan thanh xuan")
    assert [h.code for h in found] == ["PQ-02-0900"]


async def test_search_treats_like_wildcards_as_text(world: World) -> None:
    assert await village_households(world.villages["v1"], "%") != []  # no filter left, not an error
    assert await village_households(world.villages["v1"], "_n_") == await village_households(
        world.villages["v1"], "n"
    )


async def test_village_list_is_in_vietnamese_name_order(world: World) -> None:
    village = world.villages["v2"]
    for n, name in enumerate(
        ["Trần Văn Đức", "Lê Thị Dung", "Phạm Văn An", "Hoàng Ánh", "Vũ Văn Ân", "Bùi Thị Ăn"]
    ):
        await make_household(village, f"PQ-02-{n:04d}", [person(name, 1980)])
    names = [h.head_name for h in await village_households(village)]
    # a < ă < â decides before the tone: "Ánh" (a) comes before "Ăn" (ă).
    assert names == ["Phạm Văn An", "Hoàng Ánh", "Bùi Thị Ăn", "Vũ Văn Ân", "Lê Thị Dung", "Trần Văn Đức"]


async def test_access_by_area(world: World) -> None:
    v1, v3, v4 = world.villages["v1"], world.villages["v3"], world.villages["v4"]
    volunteer2 = await actor_by_id(world.users["volunteer2"])
    ward = await actor_by_id(world.users["ward"])
    head1 = await actor_by_id(world.users["head1"])
    admin = await actor_by_id(world.users["admin"])
    assert volunteer2 and ward and head1 and admin
    assert not await can_see_village(volunteer2, v1)
    assert await can_see_village(volunteer2, v3)
    an = await household_by_token(world.households["an"])
    assert an is not None and not await allowed(volunteer2, "household.read", village_id=an.village)
    assert await visible_village_ids(head1) == {v1}
    assert await visible_village_ids(ward) == {world.villages[k] for k in ("v1", "v2", "v3")}
    assert not await can_see_village(ward, v4)
    assert await can_write_village(ward, v1)
    assert await visible_village_ids(admin) == set(world.villages.values())


async def test_a_deactivated_user_has_no_actor(world: World) -> None:
    from surveys.tables import User

    await User.update({User.active: False}).where(User.id == world.users["volunteer1"])
    assert await actor_by_id(world.users["volunteer1"]) is None


async def test_the_session_and_the_routes_household_are_one_read_that_gives_what_each_alone_gives(
    world: World,
) -> None:
    """A request for a household by its sticker token reads the session and the household in one
    statement (`actor_and_household`, a round trip less): the same user and the same row as
    `actor_for_token` and `household_by_token` each give, an archived household only when asked for,
    and no household without an active session."""
    from datetime import timedelta

    from surveys.people.accounts import actor_for_token, open_session
    from surveys.register.households import actor_and_household
    from surveys.register.register import archive_household
    from surveys.tables import User
    from tests.queries import sent_queries

    idle = timedelta(hours=8)
    session = await open_session(world.users["volunteer1"], "api", timedelta(days=1))
    token = world.households["an"]
    with sent_queries() as seen:
        actor, row = await actor_and_household(session, "api", idle, token)
    assert len(seen) == 1
    assert actor == await actor_for_token(session, "api", idle)
    assert row == await household_by_token(token) and row is not None and row.token == token
    # Any household: whether the user may see it is the access check's to say, after.
    other, elsewhere = await actor_and_household(session, "api", idle, world.households["dang"])
    assert other == actor and elsewhere == await household_by_token(world.households["dang"])
    assert await actor_and_household(session, "api", idle, "no-such-token") == (actor, None)
    assert await actor_and_household(session, "api", idle, "x" * 65) == (actor, None)
    # The wrong kind of session, or none: no user, and nothing read for it.
    assert await actor_and_household(session, "web", idle, token) == (None, None)
    assert await actor_and_household("", "api", idle, token) == (None, None)
    assert row is not None
    await archive_household(row.id, world.users["ward"])
    assert await actor_and_household(session, "api", idle, token) == (actor, None)
    _, archived = await actor_and_household(session, "api", idle, token, archived=True)
    assert archived is not None and archived == await household_by_token(token, archived=True)
    assert archived.archived
    await User.update({User.active: False}).where(User.id == world.users["volunteer1"])
    assert await actor_and_household(session, "api", idle, token, archived=True) == (None, None)
