"""The audit log: who changed what, when, and from where (docs/architecture.md §4).

Details name records by id and say what kind of change it was; they never copy a person's name or
answers (those stay in the records themselves, which erasure can reach).
"""

from __future__ import annotations

from typing import Any

import msgspec

from surveys.core.clock import now
from surveys.core.db import write_later
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
    """Append one entry to the audit log (inside the caller's transaction, when there is one, with its
    next statement: `write_later`)."""
    # Written once, not built by Piccolo on every write (issue 27: 0.85 ms of a visit's request).
    await write_later(
        _INSERT_SQL,
        now(),  # phocap's clock, as every other time it records (`surveys.core.clock`)
        user_id,
        action,
        entity,
        entity_id,
        msgspec.json.encode(details or {}).decode(),
        client_addr[:64],
    )


# Names from the table's definition only; the values are parameters.
_INSERT_SQL = (
    f'INSERT INTO {AuditEntry._meta.tablename} (at, "user", action, entity, entity_id, details, client_addr) '  # noqa: S608
    "VALUES ({}, {}, {}, {}, {}, {}, {})"
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
