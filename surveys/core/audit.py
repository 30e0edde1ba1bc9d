"""The audit log: who changed what, when, and from where (docs/architecture.md §4).

Details name records by id and say what kind of change it was; they never copy a person's name or
answers (those stay in the records themselves, which erasure can reach).
"""

from __future__ import annotations

from typing import Any

from surveys.tables import AuditEntry

# How many entries a record's history page shows.
HISTORY_LENGTH = 50


async def audit(
    action: str,
    entity: str,
    entity_id: int | None,
    user_id: int | None,
    details: dict[str, Any] | None = None,
    client_addr: str = "",
) -> None:
    """Append one entry to the audit log (inside the caller's transaction, when there is one)."""
    await AuditEntry.insert(
        AuditEntry(
            user=user_id,
            action=action,
            entity=entity,
            entity_id=entity_id,
            details=details or {},
            client_addr=client_addr[:64],
        )
    )


async def history(entity: str, entity_id: int, complete: bool = False) -> list[dict[str, Any]]:
    """The audit entries about one record (a household, an account), newest first, with who made them:
    the latest few for a page, or `complete`, every one with its details (a household's copy)."""
    columns = [AuditEntry.at, AuditEntry.action, AuditEntry.user._.display_name.as_alias("by")]
    query = (
        AuditEntry.select(*columns, *([AuditEntry.details] if complete else []))
        .where((AuditEntry.entity == entity) & (AuditEntry.entity_id == entity_id))
        .order_by(AuditEntry.at, ascending=False)
    )
    return list(await (query if complete else query.limit(HISTORY_LENGTH)))
