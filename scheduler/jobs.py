"""The scheduled jobs: plain async functions of the domain, testable without the scheduler."""

from __future__ import annotations

import logging
from datetime import timedelta

from surveys.accounts import purge_expired_sessions
from surveys.settings import Settings

log = logging.getLogger(__name__)


async def purge_sessions(settings: Settings) -> int:
    """Delete sessions and API tokens past their lifetime or idle too long."""
    count = await purge_expired_sessions(timedelta(hours=settings.session_idle_hours))
    if count:
        log.info("purged %d expired sessions", count)
    return count
