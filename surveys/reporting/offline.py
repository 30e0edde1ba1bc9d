"""What a volunteer's phone keeps for work without a signal (docs/architecture.md §7): the pages of a
village to download, and the key that names one user's stored copies on a shared phone."""

from __future__ import annotations

import hashlib
import hmac

from surveys.people.access import allowed
from surveys.people.accounts import Actor
from surveys.reporting.coverage import PAGE_SIZE
from surveys.tables import Household


def storage_key(user_id: int, secret: str) -> str:
    """A per-user name for the phone's caches and queue: stable for the user, meaningless to anyone
    else (an HMAC of the id, not the id, the login or the name: no personal data on the phone's disk
    names whose it is)."""
    digest = hmac.new(secret.encode(), f"offline-user:{user_id}".encode(), hashlib.sha256)
    return digest.hexdigest()[:20]


async def village_offline_urls(actor: Actor, village_id: int) -> list[str]:
    """The pages to store for work in `village_id` without a signal (access already checked): the
    household list, then each household's page and, for those who record visits, its visit form.
    Only URLs: the phone fetches the same server-rendered pages a volunteer opens online."""
    rows = (
        await Household.select(Household.token)
        .where((Household.village == village_id) & Household.archived.eq(False))
        .order_by(Household.code)
    )
    visits = await allowed(actor, "household.visit", village_id=village_id)
    # The list as it opens (households to visit first), every page of it.
    pages = max(1, -(-len(rows) // PAGE_SIZE))
    urls = [f"/villages/{village_id}"] + [f"/villages/{village_id}?page={n}" for n in range(2, pages + 1)]
    for row in rows:
        urls.append(f"/h/{row['token']}")
        if visits:
            urls.append(f"/h/{row['token']}/visit")
    return urls
