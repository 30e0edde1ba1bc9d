"""The audit log dates its entries by phocap's clock (`surveys.core.clock.now`), as every other time phocap
records: a visit and its audit entry, or a member's leaving and the migration that reads it back from the
log, agree on when it happened, whatever the machine's clock says."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from surveys.core.audit import audit
from surveys.core.clock import now
from surveys.core.db import write_transaction
from surveys.tables import AuditEntry
from tests.factories import World


async def test_an_audit_entry_is_dated_by_phocaps_clock(
    world: World, clock_at: Callable[[datetime], None]
) -> None:
    # Sunday 23:30 in Vietnam, a year back: far from the machine's own time.
    clock_at(datetime(2025, 11, 30, 16, 30, tzinfo=UTC))
    before = now()
    await audit("test.alone", "ward", world.wards["pq"], world.users["ward"], {})
    async with write_transaction():
        await audit("test.in_transaction", "ward", world.wards["pq"], world.users["ward"], {})
    after = now()
    for row in await AuditEntry.select(AuditEntry.action, AuditEntry.at).where(
        AuditEntry.action.like("test.%")
    ):
        assert before - timedelta(seconds=1) <= row["at"] <= after + timedelta(seconds=1), row
