"""The scheduled jobs: plain async functions of the domain, testable without the scheduler."""

from __future__ import annotations

import logging
from datetime import timedelta

from surveys.core.clock import now
from surveys.core.settings import Settings
from surveys.people.accounts import SignInLimits, purge_expired_sessions
from surveys.privacy import erase_expired
from surveys.register.uploads import purge_uploads
from surveys.reporting.digests import due_digests
from surveys.reporting.outbox import deliver_due
from surveys.reporting.province_reminders import due_province_reminders
from surveys.reporting.village_counts import rebuild

log = logging.getLogger(__name__)


async def purge_sessions(settings: Settings) -> int:
    """Delete sessions and API tokens past their lifetime or idle too long, failed sign-ins past the
    throttling window, and day-old uploads."""
    count = await purge_expired_sessions(
        timedelta(hours=settings.session_idle_hours), SignInLimits.of(settings).window
    )
    # Uploaded household lists hold names: none stays longer than a day after its preview.
    await purge_uploads(now() - timedelta(days=1))
    if count:
        log.info("purged %d expired sessions", count)
    return count


async def erase_expired_households(settings: Settings) -> int:
    """Erase the personal data of households archived longer than `RETENTION_DAYS` (Law 91/2025: kept
    no longer than its purpose needs). Each erasure is its own transaction and audit entry."""
    count = await erase_expired(settings.retention_days)
    if count:
        log.info("retention: erased the personal data of %d archived households", count)
    return count


async def weekly_digests(settings: Settings) -> dict[str, int]:
    """Make the digests that are due (this week's, once its day and hour have passed, and a record of
    any week missed), the provinces' reminders of the ward reports past due (Monday from 07:00), and send
    the outbox. Run often; it does each thing once, whoever runs it."""
    made = await due_digests(settings) + await due_province_reminders(settings)
    delivered = await deliver_due(settings)
    if made or any(delivered.values()):
        log.info("digests: %d made, delivery %s", len(made), delivered)
    return {"made": len(made), **delivered}


async def new_year_counts(settings: Settings) -> int:
    """On 1 January members reach the identity and adult ages without any write: count every village
    again (until then a reader counts a village whose row is of last year live): today's rows; the past
    days' rows stay as they were written."""
    villages = await rebuild(history=False)
    log.info("new year: counted %d villages again", villages)
    return villages
