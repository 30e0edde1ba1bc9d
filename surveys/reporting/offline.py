"""What a volunteer's phone keeps for work without a signal (docs/architecture.md §7): the pages of a
village to download, split in parts (one answer of many pages each), and the key that names one user's
stored copies on a shared phone."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

from surveys.core.clock import local_now
from surveys.learning.classes import classes_of_month
from surveys.people.access import allowed
from surveys.people.accounts import Actor
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
