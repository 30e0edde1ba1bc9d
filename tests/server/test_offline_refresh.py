"""A village on the phone made fresh without downloading it all again (docs/architecture.md §7): the
download's cursor, `offline/changes?since=` and its parts, played as the worker plays them."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from litestar.testing import AsyncTestClient

from surveys.core.clock import local_now, now
from surveys.register.register import archive_household, update_household
from surveys.register.schemas import HouseholdUpdate
from surveys.register.stickers import reissue_token
from surveys.reporting.offline import id_ranges
from surveys.reporting.schemas import ThresholdsUpdate
from surveys.reporting.thresholds import save_thresholds
from surveys.tables import AuditEntry, Household, UserVillage, Ward
from tests.conftest import api_token, sign_in
from tests.factories import World, make_household, person
from tests.server.helpers import visit_body
from tests.server.test_offline import split_part, without_fresh_ids

Phone = dict[str, bytes]  # url -> the page the phone keeps
ROW_LINK = re.compile(rb'class="row-link" href="(/h/[^"]+)"')
# As web/sw.js patchList reads a village's list: its rows, each named by its household's id, its head
# between two markers, and the rows' place in the page.
LIST_ROW = re.compile(rb'<li data-id="(\d+)".*?</li>', re.S)
LIST_HEAD = re.compile(rb"<!--list-head-->.*?<!--/list-head-->", re.S)
LIST_ROWS = re.compile(rb'(<ul class="list households"[^>]*>)(.*?)(\s*</ul>)', re.S)
RANK = re.compile(rb' data-rank="([^"]*)"')
BY_NAME = re.compile(rb' data-by-name="([^"]*)"')


def ids_of(ranges: str) -> set[bytes]:
    """The ids of `ranges` ("3-40,52"), as web/sw.js idsOf reads them."""
    ids: set[bytes] = set()
    for span in filter(None, ranges.split(",")):
        first, _, last = span.partition("-")
        ids |= {str(n).encode() for n in range(int(first), int(last or first) + 1)}
    return ids


def patch_list(page: bytes, changes: dict[str, Any]) -> bytes | None:
    """What web/sw.js patchList makes of the stored list: the refresh's head, its rows replacing or
    joining those of the same household, the rows of households no longer listed gone, all in the order
    of their keys; None when a household listed now has no row (the list then comes whole)."""
    found = LIST_ROWS.search(page)
    assert found is not None and LIST_HEAD.search(page) is not None and changes["head"]
    rows = {m[1]: m[0] for m in LIST_ROW.finditer(found[2])}
    rows |= {m[1]: m[0] for m in LIST_ROW.finditer(changes["rows"].encode())}
    if changes["ids"] is not None:
        listed = ids_of(changes["ids"])
        rows = {id_: row for id_, row in rows.items() if id_ in listed}
        if len(rows) != len(listed):
            return None
    ordered = sorted(rows.values(), key=lambda row: b" ".join(k.search(row)[1] for k in (RANK, BY_NAME)))  # type: ignore[index]
    page = LIST_HEAD.sub(lambda _: changes["head"].encode(), page)
    return LIST_ROWS.sub(lambda m: m[1] + b"".join(b"\n" + row for row in ordered) + m[3], page)


async def household_id(token: str) -> int:
    row = await Household.select(Household.id).where(Household.token == token).first()
    assert row is not None
    return int(row["id"])


async def fetch_parts(client: AsyncTestClient[Any], parts: list[str], phone: Phone) -> list[str]:
    """Keep every page of `parts` on the phone; the URLs they brought."""
    brought = []
    for part in parts:
        response = await client.get(part)
        assert response.status_code == 200, part
        for header, body in split_part(response.content):
            assert header["status"] == 200, header["url"]
            phone[header["url"]] = body
            brought.append(header["url"])
    return brought


async def download(client: AsyncTestClient[Any], village: int) -> tuple[Phone, str]:
    """A phone's download of the village: its pages and the cursor it keeps."""
    listed = (await client.get(f"/villages/{village}/offline.json")).json()
    phone: Phone = {}
    assert await fetch_parts(client, listed["parts"], phone) == listed["urls"]
    return phone, listed["cursor"]


async def refresh(
    client: AsyncTestClient[Any], village: int, phone: Phone, cursor: str
) -> tuple[dict[str, Any], str]:
    """What web/sw.js `refreshVillage` does: fetch the changed pages, patch the stored list by rows (or
    fetch it whole when the patch cannot make it), delete the pages gone, and the household pages the
    old list linked to and the new one does not. The answer gets `patched`: whether the patch did."""
    response = await client.get(f"/villages/{village}/offline/changes", params={"since": cursor})
    assert response.status_code == 200, response.text
    changes = response.json()
    listed = f"/villages/{village}"
    before = set(ROW_LINK.findall(phone[listed]))
    await fetch_parts(client, changes["parts"], phone)
    changes["patched"] = None
    if changes["list"]:
        patched = patch_list(phone[listed], changes)
        changes["patched"] = patched is not None
        phone[listed] = patched if patched is not None else (await client.get(listed)).content
    left = before - set(ROW_LINK.findall(phone[listed]))
    for url in [*changes["gone"], *(u.decode() + end for u in left for end in ("", "/visit"))]:
        phone.pop(url, None)
    return changes, changes["cursor"]


async def register_as_of_an_hour_ago() -> None:
    """The fixture's households were written an hour before the download (else each is within its overlap)."""
    await Household.update({Household.updated_at: now() - timedelta(hours=1)}, force=True)


async def test_a_refresh_after_ten_changes_leaves_the_phone_as_a_fresh_download_would(
    client: AsyncTestClient[Any], world: World
) -> None:
    village = world.villages["v1"]
    tokens = [
        await make_household(village, f"PQ-01-{n:04d}", [person(f"Lê Văn {n}", 1980)]) for n in range(3, 12)
    ]
    await register_as_of_an_hour_ago()
    await sign_in(client, "head1")
    phone, cursor = await download(client, village)
    # Ten changes: four corrections, an added household, one moved out, one archived, a new sticker,
    # two members moved in by corrections of two more households.
    head = world.users["head1"]
    ward = world.wards["pq"]
    for n, token in enumerate(tokens[:6]):
        hid = await household_id(token)
        row = await Household.select(Household.version).where(Household.id == hid).first()
        assert row is not None
        to = world.villages["v2"] if n == 4 else village
        update = HouseholdUpdate(version=row["version"], village=to, address=f"Xóm Mới {n}")
        assert await update_household(hid, ward, update, head)
    added = await make_household(village, "PQ-01-0099", [person("Trần Thị Hoa", 1991, sex="female")])
    await archive_household(await household_id(tokens[6]), head)
    old_sticker = tokens[7]
    new_sticker = await reissue_token(await household_id(old_sticker), head)
    await archive_household(await household_id(tokens[8]), head)

    changes, cursor = await refresh(client, village, phone, cursor)
    fresh, _ = await download(client, village)
    assert changes["list"] is True and changes["patched"] is True
    assert set(phone) == set(fresh)
    # Every page as a fresh download has it, the list patched by rows too: its head (the chips' counts),
    # each row (its keys, status, reasons, text) and their order, to the byte.
    for url, body in fresh.items():
        assert without_fresh_ids(phone[url]) == without_fresh_ids(body), url
    listed = f"/villages/{village}".encode()
    assert listed.decode() not in changes["pages"]  # not fetched: patched
    # The rows that came are those of the households changed or added, still in the village.
    assert sorted(ROW_LINK.findall(changes["rows"].encode())) == sorted(
        f"/h/{t}".encode() for t in [*tokens[:4], tokens[5], added, new_sticker]
    )
    assert "Trần Thị Hoa" in changes["rows"]
    # The households moved out and archived left the set the list holds: the phone is told which it holds.
    assert changes["ids"] is not None
    assert ids_of(changes["ids"]) == set(LIST_ROW.findall(fresh[listed.decode()]))
    # Only what changed came: not the households untouched since the download.
    fetched = set(changes["pages"])
    assert {f"/h/{added}", f"/h/{new_sticker}", f"/h/{tokens[0]}/visit"} <= fetched
    assert f"/h/{world.households['dang']}" not in fetched and f"/h/{tokens[5]}" in fetched
    assert (
        f"/h/{old_sticker}" not in phone and f"/h/{tokens[4]}" not in phone and f"/h/{tokens[6]}" not in phone
    )
    assert f"/h/{tokens[6]}" in changes["gone"]


async def test_a_refresh_with_nothing_changed_fetches_nothing(
    client: AsyncTestClient[Any], world: World
) -> None:
    village = world.villages["v1"]
    await register_as_of_an_hour_ago()
    await sign_in(client, "volunteer1")
    _, cursor = await download(client, village)
    changes = (await client.get(f"/villages/{village}/offline/changes", params={"since": cursor})).json()
    assert changes["pages"] == changes["parts"] == changes["gone"] == [] and changes["list"] is False
    assert changes["head"] == changes["rows"] == "" and changes["ids"] is None
    assert changes["cursor"]


async def test_a_change_written_just_before_the_download_is_not_missed(
    client: AsyncTestClient[Any], world: World
) -> None:
    """A change whose transaction began before the cursor was taken (its updated_at a minute before)
    but was committed after the listing still comes with the next refresh: the cursor overlaps."""
    village = world.villages["v1"]
    await register_as_of_an_hour_ago()
    await sign_in(client, "volunteer1")
    _, cursor = await download(client, village)
    await Household.update({Household.updated_at: now() - timedelta(minutes=1)}).where(
        Household.token == world.households["an"]
    )
    changes = (await client.get(f"/villages/{village}/offline/changes", params={"since": cursor})).json()
    token = world.households["an"]
    assert changes["pages"] == ["/villages", f"/h/{token}", f"/h/{token}/visit"]
    assert ROW_LINK.findall(changes["rows"].encode()) == [f"/h/{token}".encode()] and changes["ids"] is None


async def test_a_moved_out_household_redraws_the_list_though_no_household_in_it_changed(
    client: AsyncTestClient[Any], world: World
) -> None:
    village = world.villages["v1"]
    await register_as_of_an_hour_ago()
    await sign_in(client, "volunteer1")
    phone, cursor = await download(client, village)
    # As if it left long ago in the past: only the village's set of households tells.
    await Household.update({Household.village: world.villages["v2"]}).where(
        Household.token == world.households["dang"]
    )
    changes, _ = await refresh(client, village, phone, cursor)
    assert changes["list"] is True and changes["pages"] == ["/villages"] and changes["rows"] == ""
    assert changes["patched"] is True and f"/h/{world.households['dang']}" not in phone
    fresh, _ = await download(client, village)
    assert without_fresh_ids(phone[f"/villages/{village}"]) == without_fresh_ids(
        fresh[f"/villages/{village}"]
    )


async def test_a_household_come_into_the_list_unchanged_brings_the_list_whole(
    client: AsyncTestClient[Any], world: World
) -> None:
    """A household listed now that the phone has no row of and that did not change since (moved in with
    its old `updated_at`): the patch cannot make the list, which then comes whole, as a download's."""
    village = world.villages["v1"]
    await register_as_of_an_hour_ago()
    await sign_in(client, "head1")
    phone, cursor = await download(client, village)
    await Household.update({Household.village: village}).where(Household.token == world.households["v3"])
    changes, _ = await refresh(client, village, phone, cursor)
    assert changes["list"] is True and changes["patched"] is False
    fresh, _ = await download(client, village)
    assert without_fresh_ids(phone[f"/villages/{village}"]) == without_fresh_ids(
        fresh[f"/villages/{village}"]
    )
    assert f"/h/{world.households['v3']}".encode() in ROW_LINK.findall(phone[f"/villages/{village}"])


async def test_a_bad_cursor_is_a_problem_json(client: AsyncTestClient[Any], world: World) -> None:
    await sign_in(client, "volunteer1")
    base = f"/villages/{world.villages['v1']}/offline"
    for bad in ("", "abc", "123", "1.zz", "99999999999999.0123456789abcdef", "1.0123456789abcdef0"):
        for url in (f"{base}/changes", f"{base}/pages"):
            response = await client.get(url, params={"since": bad})
            assert response.status_code == 400, (url, bad)
            assert response.headers["content-type"] == "application/problem+json"
    missing = await client.get(f"{base}/changes")
    assert missing.status_code == 422 and missing.headers["content-type"] == "application/problem+json"


async def test_volunteer_cannot_refresh_a_village_of_someone_else(
    client: AsyncTestClient[Any], world: World
) -> None:
    await sign_in(client, "volunteer1")
    _, cursor = await download(client, world.villages["v1"])
    for url in ("changes", "pages"):
        response = await client.get(
            f"/villages/{world.villages['v3']}/offline/{url}", params={"since": cursor, "part": 1}
        )
        assert response.status_code == 404


async def test_a_refresh_names_the_villages_the_user_may_still_see(
    client: AsyncTestClient[Any], world: World
) -> None:
    """The phone deletes what it keeps of a village no longer the user's (web/sw.js forgetVillagesLost)."""
    v1, v2 = world.villages["v1"], world.villages["v2"]
    await register_as_of_an_hour_ago()
    await sign_in(client, "volunteer1")
    _, cursor = await download(client, v1)
    changes = (await client.get(f"/villages/{v1}/offline/changes", params={"since": cursor})).json()
    assert ids_of(changes["villages"]) == {str(v).encode() for v in (v1, v2)}
    await UserVillage.delete().where(
        (UserVillage.user == world.users["volunteer1"]) & (UserVillage.village == v2)
    )
    changes = (await client.get(f"/villages/{v1}/offline/changes", params={"since": cursor})).json()
    assert ids_of(changes["villages"]) == {str(v1).encode()}


def test_ids_travel_as_ranges() -> None:
    assert id_ranges([7, 3, 4, 5, 9, 10, 3]) == "3-5,7,9-10" and id_ranges([]) == ""
    assert ids_of(id_ranges([1, 2, 3, 40, 52, 53])) == {str(n).encode() for n in (1, 2, 3, 40, 52, 53)}


async def visited(client: AsyncTestClient[Any], token: str, outcome: str = "nobody_home") -> None:
    """A visit of the household by volunteer1, through the API: "done", every member with VNeID level 2."""
    headers = await api_token(client, "volunteer1")
    detail = (await client.get(f"/api/households/{token}", headers=headers)).json()
    body = visit_body(detail, outcome)
    answer = await client.post(f"/api/households/{token}/visits", json=body, headers=headers)
    assert answer.status_code == 201, answer.text


async def test_a_refresh_on_a_later_day_draws_every_row_again(
    client: AsyncTestClient[Any], world: World, clock_at: Callable[[datetime], None]
) -> None:
    """A row says how many days ago its household was visited: a list drawn yesterday is drawn again
    row by row, though no household changed (their pages say no age and are not fetched)."""
    village = world.villages["v1"]
    await visited(client, world.households["an"])
    await register_as_of_an_hour_ago()
    await sign_in(client, "volunteer1")
    phone, cursor = await download(client, village)
    clock_at(now() + timedelta(days=1))
    listed = f"/villages/{village}"
    fresh, _ = await download(client, village)
    assert without_fresh_ids(phone[listed]) != without_fresh_ids(fresh[listed])  # "today" is "yesterday" now
    changes, _ = await refresh(client, village, phone, cursor)
    assert changes["list"] is True and changes["patched"] is True and changes["pages"] == ["/villages"]
    assert len(ROW_LINK.findall(changes["rows"].encode())) == len(ROW_LINK.findall(fresh[listed]))
    assert without_fresh_ids(phone[listed]) == without_fresh_ids(fresh[listed])
    # Refreshed the same day again: nothing to draw.
    again = (await client.get(f"{listed}/offline/changes", params={"since": changes["cursor"]})).json()
    assert again["list"] is False and again["pages"] == []


async def test_a_refresh_after_the_wards_thresholds_changed_draws_every_household_again(
    client: AsyncTestClient[Any], world: World
) -> None:
    """New coverage thresholds change households' statuses without a write of theirs: the refresh brings
    every household's page and row again, and the phone stands as a fresh download would."""
    village = world.villages["v1"]
    await visited(client, world.households["an"], "done")
    await register_as_of_an_hour_ago()
    await sign_in(client, "head1")
    phone, cursor = await download(client, village)
    stricter = ThresholdsUpdate(identity_age=14, adult_age=18, identity_min_level=2, identity_requires_bank=True,
                                family_criteria=["learned", "understands", "uses_services", "guides_others"])  # fmt: skip
    await save_thresholds(world.wards["pq"], stricter, world.users["ward"])
    fresh, _ = await download(client, village)
    assert any(without_fresh_ids(phone[u]) != without_fresh_ids(b) for u, b in fresh.items() if u in phone)
    changes, _ = await refresh(client, village, phone, cursor)
    assert set(phone) == set(fresh)
    for url, body in fresh.items():
        assert without_fresh_ids(phone[url]) == without_fresh_ids(body), url
    households = await Household.count().where((Household.village == village) & Household.archived.eq(False))
    assert (
        len([p for p in changes["pages"] if p.startswith("/h/") and not p.endswith("/visit")]) == households
    )
    # The next refresh (the thresholds' change now past the cursor's overlap): nothing to draw.
    await Ward.update({Ward.rules_changed_at: now() - timedelta(hours=1)}).where(Ward.id == world.wards["pq"])
    again = (
        await client.get(f"/villages/{village}/offline/changes", params={"since": changes["cursor"]})
    ).json()
    assert again["pages"] == [] and again["list"] is False


async def test_a_refresh_in_a_new_year_draws_every_household_again(
    client: AsyncTestClient[Any], world: World, clock_at: Callable[[datetime], None]
) -> None:
    """On 1 January members reach the ages the rules count from, without any write: a copy drawn last
    year is drawn again whole."""
    village = world.villages["v1"]
    await register_as_of_an_hour_ago()
    await sign_in(client, "volunteer1")
    phone, cursor = await download(client, village)
    clock_at(datetime(local_now().year + 1, 1, 2, 3, 0, tzinfo=UTC))
    await sign_in(client, "volunteer1")  # the session of last year has ended
    changes, _ = await refresh(client, village, phone, cursor)
    households = await Household.count().where((Household.village == village) & Household.archived.eq(False))
    assert (
        len([p for p in changes["pages"] if p.startswith("/h/") and not p.endswith("/visit")]) == households
    )
    fresh, _ = await download(client, village)
    # Every household's pages and the list as a fresh download has them (the month's classes are not
    # refreshed: a download brings them).
    for url, body in fresh.items():
        if url.startswith("/h/") or url == f"/villages/{village}":
            assert without_fresh_ids(phone[url]) == without_fresh_ids(body), url


async def test_the_migration_dates_the_thresholds_saved_before_it(world: World) -> None:
    """`ward.rules_changed_at` is filled from the audit log for wards that saved their thresholds before
    it existed; backwards drops it."""
    from piccolo.apps.migrations.commands.backwards import run_backwards

    from surveys.core.audit import audit
    from surveys.core.db import current_engine, migrate, pending_migrations

    await audit("ward.thresholds_saved", "ward", world.wards["pq"], world.users["ward"], {})
    try:
        await run_backwards(app_name="phocap", migration_id="2026-12-06T22:50:00:000000", auto_agree=True)
        assert "2026-12-06T22:50:00:000000" in await pending_migrations()
        columns = await current_engine().run_ddl("SELECT * FROM ward")
        assert columns and "rules_changed_at" not in columns[0]
    finally:
        await migrate()
    assert await pending_migrations() == []
    logged = (
        await AuditEntry.select(AuditEntry.at).where(AuditEntry.action == "ward.thresholds_saved").first()
    )
    assert logged is not None
    dated = {r["id"]: r["rules_changed_at"] for r in await Ward.select(Ward.id, Ward.rules_changed_at)}
    assert (dated[world.wards["pq"]], dated[world.wards["other"]]) == (logged["at"], None)
