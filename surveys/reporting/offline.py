"""What a volunteer's phone keeps for work without a signal (docs/architecture.md §7): the pages of a
village to download, split in parts (one answer of many pages each), and the key that names one user's
stored copies on a shared phone."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from surveys.core.clock import local_date, local_now, now
from surveys.learning.classes import classes_of_month
from surveys.people.access import allowed, visible_village_ids
from surveys.people.accounts import Actor
from surveys.reporting.lists import ListedRow, ListFilters, VillageList, village_list
from surveys.tables import Household, Village


def storage_key(user_id: int, secret: str) -> str:
    """A per-user name for the phone's caches and queue: stable for the user, meaningless to anyone
    else (an HMAC of the id, not the id, the login or the name: no personal data on the phone's disk
    names whose it is)."""
    digest = hmac.new(secret.encode(), f"offline-user:{user_id}".encode(), hashlib.sha256)
    return digest.hexdigest()[:20]


def offline_grant(user_id: int, secret: str, days: int, at: datetime) -> str:
    """What lets the phone show this user's stored pages without a signal, until `days` after `at`
    (OFFLINE_DAYS after the last page the server sent them): "KEY.EXPIRES.SIGNATURE", the user's
    storage key, the end in milliseconds since 1970 (as JavaScript counts) and an HMAC of both. Every
    signed-in page carries a fresh one; a page without a session carries none, and the phone then
    shows no stored page until the next sign-in (web/sw.js)."""
    key = storage_key(user_id, secret)
    expires = int((at + timedelta(days=days)).timestamp() * 1000)
    signed = hmac.new(secret.encode(), f"offline-grant:{key}.{expires}".encode(), hashlib.sha256)
    return f"{key}.{expires}.{signed.hexdigest()[:32]}"


async def village_offline_urls(actor: Actor, village_id: int) -> list[str]:
    """The pages to store for work in `village_id` without a signal (access already checked): the
    user's villages, the village's household list, then each household's page and, for those who record visits, its visit form; and
    the month's classes of the ward, each with this village's people to add as attendees (issue 14).
    Only URLs: the phone fetches the same server-rendered pages a volunteer opens online."""
    rows = (
        await Household.select(Household.token)
        .where((Household.village == village_id) & Household.archived.eq(False))
        .order_by(Household.code)
    )
    visits = await allowed(actor, "household.visit", village_id=village_id)
    # The user's villages (the header's link and the offline page's lead there: no dead end), and the
    # village's list, one page holding every household, searched and filtered on the phone.
    urls = ["/villages", f"/villages/{village_id}"]
    for row in rows:
        urls.append(f"/h/{row['token']}")
        if visits:
            urls.append(f"/h/{row['token']}/visit")
    return urls + await _class_urls(actor, village_id)


async def _class_urls(actor: Actor, village_id: int) -> list[str]:
    """The month's class list of the village's ward, each class's page, and, for those who record
    attendance, the class's page listing this village's people (searched on the phone without a signal)."""
    village = (
        await Village.select(Village.ward, Village.ward._.code.as_alias("code"))
        .where(Village.id == village_id)
        .first()
    )
    if village is None or not await allowed(actor, "class.read", ward_id=village["ward"]):
        return []
    today = local_now()
    base = f"/wards/{village['code']}/classes"
    attends = await allowed(actor, "class.attend", ward_id=village["ward"])
    urls = [base]
    for c in await classes_of_month(village["ward"], today.year, today.month):
        urls.append(f"{base}/{c['id']}")
        if attends:
            urls.append(f"{base}/{c['id']}/roster?village={village_id}")
    return urls


def offline_parts(urls: list[str], pages_per_part: int) -> list[list[str]]:
    """`urls` cut in parts of `pages_per_part` pages, in order: part K (from 1) is the K-th. Every page is
    in exactly one part, and a village has at least one part (its list)."""
    size = max(1, pages_per_part)
    return [urls[start : start + size] for start in range(0, len(urls), size)] or [[]]


async def village_offline_part(
    actor: Actor, village_id: int, part: int, pages_per_part: int
) -> list[str] | None:
    """The pages of part `part` (from 1) of the village's download for `actor` (access already
    checked): only pages `village_offline_urls` lists, never any other. None for a part there is not."""
    parts = offline_parts(await village_offline_urls(actor, village_id), pages_per_part)
    return parts[part - 1] if 1 <= part <= len(parts) else None


# A refresh asks for what changed since its cursor, less this overlap: a change written in a transaction
# that began before the cursor was taken but committed after it (its `updated_at` is its start) is
# fetched again rather than missed. Fetching a page twice costs a few hundred bytes; missing one, a
# volunteer at a door with an old page.
CURSOR_OVERLAP = timedelta(minutes=2)
_CURSOR = re.compile(r"^(\d{1,15})\.([0-9a-f]{16})$")


@dataclass(frozen=True)
class Cursor:
    """Where a village's copy on the phone stands (docs/architecture.md §7): the moment its pages were
    listed, less CURSOR_OVERLAP, and a fingerprint of the households its list held then (which ones,
    under which sticker), so a household gone from the list (moved out, archived, merged, a new sticker)
    redraws the list even when no household still in it changed. The phone keeps it as an opaque string."""

    at: datetime
    households: str

    @property
    def listed_on(self) -> date | None:
        """The day its pages were listed, in phocap's time zone."""
        return local_date(self.at + CURSOR_OVERLAP)

    def __str__(self) -> str:
        return f"{int(self.at.timestamp() * 1000)}.{self.households}"


def parse_cursor(text: str) -> Cursor | None:
    """The cursor a phone sent back, or None when it is not one this server made."""
    found = _CURSOR.match(text)
    if found is None:
        return None
    try:
        at = datetime.fromtimestamp(int(found[1]) / 1000, UTC)
    except (OverflowError, OSError, ValueError):
        return None
    return Cursor(at, found[2]) if at <= now() + timedelta(days=1) else None


async def village_cursor(village_id: int) -> Cursor:
    """The cursor of the village's pages as they stand now: taken before they are listed."""
    at = now() - CURSOR_OVERLAP
    rows = (
        await Household.select(Household.id, Household.token)
        .where((Household.village == village_id) & Household.archived.eq(False))
        .order_by(Household.id)
    )
    listed = "\n".join(f"{r['id']}:{r['token']}" for r in rows)
    return Cursor(at, hashlib.sha256(listed.encode()).hexdigest()[:16])


@dataclass(frozen=True)
class VillageChanges:
    """What a phone holding the village's pages as of a cursor fetches, patches and deletes to stand as a
    fresh download would: `pages` to fetch again (the households changed or added since, and the user's
    villages when the list changed), `gone` the household pages the server knows left since (archived or
    merged in this village; the phone also deletes the household pages its old list linked to and the
    new one does not, which covers those moved out and reissued stickers), and the new `cursor`. The
    village's list is not fetched again but patched by rows (docs/architecture.md §7): `listing` (None
    when nothing in it changed) is the list now, for its head, `rows` the rows of the households changed
    or added since (every row when the list was drawn on an earlier day: a row says how many days ago
    its household was visited), and `ids` the households the list holds now, given only when that set
    changed (a household moved out or archived: the phone drops the rows not among them)."""

    cursor: Cursor
    pages: list[str]
    gone: list[str]
    listing: VillageList | None = None
    rows: list[ListedRow] = field(default_factory=list)
    ids: list[int] | None = None
    # The villages the user may see now: the phone deletes what it keeps of any other (docs/architecture.md §7).
    villages: set[int] = field(default_factory=set)

    @property
    def list(self) -> bool:
        """Whether the village's list changed."""
        return self.listing is not None


async def village_changes(actor: Actor, village_id: int, since: Cursor) -> VillageChanges:
    """The village's changes since `since` for `actor` (access already checked), of the same pages
    `village_offline_urls` lists (the month's classes are not refreshed: they come with a download)."""
    cursor, pages, gone, changed = await _changed(actor, village_id, since)
    moved = cursor.households != since.households
    aged = _aged(since)
    villages = await visible_village_ids(actor)
    if not _list_changed(changed, cursor, since):
        return VillageChanges(cursor, pages, gone, villages=villages)
    listing = await village_list(village_id, ListFilters())
    return VillageChanges(
        cursor,
        ["/villages", *pages],
        gone,
        listing,
        [listed for listed in listing.rows if aged or listed.row.household_id in changed],
        [listed.row.household_id for listed in listing.rows] if moved else None,
        villages,
    )


def _list_changed(changed: set[int], cursor: Cursor, since: Cursor) -> bool:
    """Whether the village's list must be drawn again (patched by rows): a household of it changed, the
    set of households it holds did (`Cursor.households`), or it was drawn on an earlier day (`_aged`)."""
    return bool(changed) or cursor.households != since.households or _aged(since)


def _aged(since: Cursor) -> bool:
    """Whether the phone's list was drawn on an earlier day than today (in phocap's time zone): its rows'
    "(3 days ago)" have moved on since, so every row is drawn again."""
    drawn = since.listed_on
    return drawn is not None and drawn < local_now().date()


async def _drawn_again(village_id: int, since: Cursor) -> bool:
    """Whether every household of the village may have changed since `since` without a write of its own:
    its ward's coverage thresholds were saved since, or a new year began (members reached the ages the
    rules count from). Its pages and rows are then all drawn again."""
    drawn = since.listed_on
    if drawn is not None and drawn.year < local_now().year:
        return True
    row = (
        await Village.select(Village.ward._.rules_changed_at.as_alias("rules_changed_at"))
        .where(Village.id == village_id)
        .first()
    )
    return bool(row and row["rules_changed_at"] and row["rules_changed_at"] >= since.at)


async def _changed(
    actor: Actor, village_id: int, since: Cursor
) -> tuple[Cursor, list[str], list[str], set[int]]:
    """The cursor now, the pages of the households changed or added since `since` (every household's,
    when all may have changed: `_drawn_again`), those of the households archived since, and the ids of
    all of them."""
    cursor = await village_cursor(village_id)
    recent = Household.updated_at >= since.at
    every = await _drawn_again(village_id, since)
    rows = (
        await Household.select(Household.id, Household.token, Household.archived)
        .where(
            (Household.village == village_id) & ((Household.archived.eq(False) | recent) if every else recent)
        )
        .order_by(Household.code)
    )
    visits = await allowed(actor, "household.visit", village_id=village_id)
    pages: list[str] = []
    gone: list[str] = []
    for row in rows:
        urls = [f"/h/{row['token']}", *([f"/h/{row['token']}/visit"] if visits else [])]
        (gone if row["archived"] else pages).extend(urls)
    return cursor, pages, gone, {int(row["id"]) for row in rows}


def id_ranges(ids: Iterable[int]) -> str:
    """`ids` as ranges, `3-40,52`: a village's 750 households are a few bytes, not 4 KB of numbers."""
    spans: list[list[int]] = []
    for n in sorted(set(ids)):
        if spans and n == spans[-1][1] + 1:
            spans[-1][1] = n
        else:
            spans.append([n, n])
    return ",".join(str(a) if a == b else f"{a}-{b}" for a, b in spans)


async def village_changes_part(
    actor: Actor, village_id: int, since: Cursor, part: int, pages_per_part: int
) -> list[str] | None:
    """Part `part` (from 1) of the pages a refresh since `since` fetches, as village_offline_part
    (the list is not among them: `village_changes` gives its rows)."""
    cursor, pages, _, changed = await _changed(actor, village_id, since)
    if _list_changed(changed, cursor, since):
        pages = ["/villages", *pages]
    parts = offline_parts(pages, pages_per_part)
    return parts[part - 1] if 1 <= part <= len(parts) else None
