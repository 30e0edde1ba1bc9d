"""What the household page shows a user: the household and what else that user may do there.

One function builds it for every way the page is reached (the sticker's link, the answer to a saved
visit, a refused erasure), so a village head keeps the sticker and personal-data sections whichever
path rendered the page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from surveys import schemas
from surveys.core.rows import Row
from surveys.people.access import allowed
from surveys.people.accounts import Actor
from surveys.survey.status import household_detail


@dataclass(frozen=True)
class HouseholdView:
    """The household page's data: the household and the sections the user may use."""

    h: schemas.Household
    archived_at: datetime | None
    can_write: bool
    can_manage: bool
    can_handle_data: bool


async def household_view(
    actor: Actor, row: Row, detail: schemas.Household | None = None
) -> HouseholdView | None:
    """The page of household `row` for `actor` (read access already checked), or None when it is not
    to be shown: a household that moved away (archived) shows only its personal data, to the ward
    office. `detail` is the household as just read (after a visit), to save reading it again."""
    village = row.village
    handles_data = await allowed(actor, "household.personal_data", village_id=village)
    if row.archived and not handles_data:
        return None
    return HouseholdView(
        h=detail or await household_detail(row),
        archived_at=row.archived_at if row.archived else None,
        can_write=not row.archived and await allowed(actor, "household.visit", village_id=village),
        can_manage=not row.archived and await allowed(actor, "household.manage", village_id=village),
        can_handle_data=handles_data,
    )
