"""A household's rights over its data (Law 91/2025/QH15 on Personal Data Protection, Decree 356/2025):
the consent notice it agrees to, a copy of everything phocap holds about it, and erasure — on its
request, or by the retention job once it has been archived for `RETENTION_DAYS`.

Erasure removes every member (names, birth years, answers), the head's name, address, notes and
priority flags, the answers kept with each visit and the details of its audit entries. What stays is
anonymous: the household's code, its village, and each visit's date, outcome and derived counts (so the
ward's past weekly numbers do not change).
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

import msgspec

from surveys.audit import audit
from surveys.clock import now
from surveys.db import write_transaction
from surveys.i18n import N_
from surveys.tables import AuditEntry, Household, Member, Visit

# Changing the notice's text means a new version: households are asked again at their next visit.
NOTICE_VERSION = "2026-11"
CONSENT_NOTICE = N_(
    "Consent notice (version 2026-11): the People's Committee of the commune records the names, birth "
    "years and sex of the household's members and their answers about VNeID, digital bank accounts, "
    "smartphones and digital skills, only to support the digital literacy movement and to count its "
    "progress. Volunteers and village heads of this village and the commune office see them; nobody "
    "else. The household may ask the commune office at any time to see, correct or delete its data, or "
    "withdraw this consent; data of a household that has moved away is deleted after a year."
)


def consent_current(consent_at: Any, consent_notice: str) -> bool:
    """Whether the household agreed to the notice now in force."""
    return consent_at is not None and consent_notice == NOTICE_VERSION


async def household_data(household_id: int) -> dict[str, Any]:
    """Everything phocap holds about one household, for its copy (JSON-ready)."""
    household = (
        await Household.select(
            *Household.all_columns(exclude=[Household.search_key, Household.sort_key, Household.token])
        )
        .where(Household.id == household_id)
        .first()
    )
    members = (
        await Member.select(*Member.all_columns(exclude=[Member.sort_key, Member.household]))
        .where(Member.household == household_id)
        .order_by(Member.id)
    )
    visits = (
        await Visit.select(
            Visit.at,
            Visit.outcome,
            Visit.volunteer._.display_name.as_alias("volunteer"),
            Visit.answers,
        )
        .where(Visit.household == household_id)
        .order_by(Visit.at)
    )
    history = (
        await AuditEntry.select(
            AuditEntry.at,
            AuditEntry.action,
            AuditEntry.user._.display_name.as_alias("by"),
            AuditEntry.details,
        )
        .where((AuditEntry.entity == "household") & (AuditEntry.entity_id == household_id))
        .order_by(AuditEntry.at)
    )
    for visit in visits:
        visit["answers"] = _json(visit["answers"])
    for entry in history:
        entry["details"] = _json(entry["details"])
    return msgspec.to_builtins(
        {"household": household, "members": members, "visits": visits, "history": history},
        builtin_types=(),
    )


def _json(value: Any) -> Any:
    return msgspec.json.decode(value) if isinstance(value, str | bytes) else value


async def export_household(household_id: int, user_id: int, client_addr: str = "") -> bytes:
    """The household's data as a JSON file (UTF-8, indented), the copy recorded in the audit log."""
    data = await household_data(household_id)
    await audit("household.data_exported", "household", household_id, user_id, {}, client_addr)
    return msgspec.json.format(msgspec.json.encode(data), indent=2)


async def erase_household(household_id: int, user_id: int | None, reason: str, client_addr: str = "") -> None:
    """Erase the household's personal data (see the module's docstring); it leaves every list. The
    sticker's token is replaced, so the old sticker opens nothing."""
    at = now()
    async with write_transaction():
        await Member.delete().where(Member.household == household_id)
        await Visit.update({Visit.answers: "{}"}).where(Visit.household == household_id)
        await AuditEntry.update({AuditEntry.details: "{}"}).where(
            (AuditEntry.entity == "household") & (AuditEntry.entity_id == household_id)
        )
        row = (
            await Household.select(Household.code, Household.archived_at)
            .where(Household.id == household_id)
            .first()
        )
        if row is None:
            return
        await Household.update(
            {
                Household.token: secrets.token_urlsafe(16),
                Household.head_name: "",
                Household.address: "",
                Household.notes: "",
                Household.search_key: row["code"].lower(),
                Household.sort_key: "9",
                Household.priority_elderly_alone: False,
                Household.priority_poor: False,
                Household.priority_other: False,
                Household.archived: True,
                Household.archived_at: row["archived_at"] or at,
                Household.erased_at: at,
                Household.version: Household.version + 1,
                Household.updated_at: at,
            }
        ).where(Household.id == household_id)
        await audit("household.erased", "household", household_id, user_id, {"reason": reason}, client_addr)


async def erase_expired(retention_days: int) -> int:
    """Erase households archived more than `retention_days` ago (0: keep them); returns how many."""
    if retention_days <= 0:
        return 0
    due = await Household.select(Household.id).where(
        Household.archived.eq(True)
        & Household.erased_at.is_null()
        & (Household.archived_at < now() - timedelta(days=retention_days))
    )
    for row in due:
        await erase_household(int(row["id"]), None, "retention")
    return len(due)
