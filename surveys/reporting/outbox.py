"""The outbox: stored digests go out from here, each claimed by one sender at a time, retried with
backoff when the mail server is down or refuses, and marked failed when the retry window has passed."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

from surveys.core.audit import audit
from surveys.core.clock import now
from surveys.core.settings import Settings
from surveys.reporting.mail import send
from surveys.tables import Digest

log = logging.getLogger(__name__)

# A sender that claimed a digest and died gives it back after this long.
CLAIM = timedelta(minutes=10)
FIRST_RETRY = timedelta(minutes=5)
LONGEST_WAIT = timedelta(hours=6)


def backoff(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failure: 5 min, 10, 20, … up to 6 hours."""
    wait: timedelta = FIRST_RETRY * 2 ** max(0, attempts - 1)
    return min(wait, LONGEST_WAIT)


def message_of(digest: dict[str, Any], settings: Settings) -> EmailMessage:
    """The email of a stored digest: HTML with a plain-text alternative."""
    message = EmailMessage()
    message["Subject"] = digest["subject"]
    message["From"] = settings.mail_from
    message["To"] = ", ".join(digest["recipients"].split())
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = digest["message_id"] or make_msgid(
        idstring=f"digest-{digest['id']}", domain="phocap"
    )
    message.set_content(digest["text_body"])
    message.add_alternative(digest["html_body"], subtype="html")
    return message


async def _claim(digest_id: int, at: datetime) -> dict[str, Any] | None:
    """Take the digest for sending, unless another sender holds it (one UPDATE decides)."""
    claimable = (
        (Digest.id == digest_id)
        & (Digest.next_attempt_at <= at)
        & ((Digest.status == "pending") | ((Digest.status == "sending") & (Digest.claimed_until < at)))
    )
    claimed = (
        await Digest.update({Digest.status: "sending", Digest.claimed_until: at + CLAIM})
        .where(claimable)
        .returning(Digest.id)
    )
    if not claimed:
        return None
    # The Message-ID is stored before the first attempt and kept: a sender that dies after the mail
    # server accepted the message, before marking it sent, leaves it claimable again; the copy sent
    # then carries the same Message-ID, so the receiving side can drop the duplicate.
    await Digest.update(
        {Digest.message_id: make_msgid(idstring=f"digest-{digest_id}", domain="phocap")}
    ).where((Digest.id == digest_id) & (Digest.message_id == ""))
    return await Digest.select().where(Digest.id == digest_id).first()


async def deliver_due(settings: Settings, at: datetime | None = None) -> dict[str, int]:
    """Send every digest that is due; returns how many were sent, retried later, or given up."""
    at = at or now()
    due = (
        await Digest.select(Digest.id)
        .where(
            (Digest.next_attempt_at <= at)
            & ((Digest.status == "pending") | ((Digest.status == "sending") & (Digest.claimed_until < at)))
        )
        .order_by(Digest.id)
    )
    outcome = {"sent": 0, "retry": 0, "failed": 0}
    for row in due:
        digest = await _claim(row["id"], at)
        if digest is not None:
            outcome[await _send(digest, settings, at)] += 1
    return outcome


async def _send(digest: dict[str, Any], settings: Settings, at: datetime) -> str:
    attempts = int(digest["attempts"]) + 1
    try:
        await send(settings, message_of(digest, settings))
    except Exception as exc:  # down, refused, timed out, not configured: all are retried
        error = f"{type(exc).__name__}: {exc}"[:500]
        gave_up = at - digest["queued_at"] >= timedelta(hours=settings.digest_retry_hours)
        await Digest.update(
            {
                Digest.status: "failed" if gave_up else "pending",
                Digest.attempts: attempts,
                Digest.last_error: error,
                Digest.next_attempt_at: at + backoff(attempts),
                Digest.claimed_until: None,
            }
        ).where(Digest.id == digest["id"])
        log.warning("digest %s not delivered (attempt %d): %s", digest["id"], attempts, error)
        return "failed" if gave_up else "retry"
    await Digest.update(
        {
            Digest.status: "sent",
            Digest.attempts: attempts,
            Digest.sent_at: at,
            Digest.last_error: "",
            Digest.claimed_until: None,
        }
    ).where(Digest.id == digest["id"])
    log.info("digest %s sent", digest["id"])
    return "sent"


async def resend(digest_id: int, user_id: int | None, client_addr: str = "") -> bool:
    """Queue a digest to be sent again as it was (an explicit act, recorded in the audit log)."""
    updated = (
        await Digest.update(
            {
                Digest.status: "pending",
                Digest.next_attempt_at: now(),
                Digest.claimed_until: None,
                Digest.queued_at: now(),
                # Sent again on purpose: a new message, which the receiving side must not drop.
                Digest.message_id: "",
            }
        )
        .where((Digest.id == digest_id) & Digest.status.is_in(["sent", "failed"]))
        .returning(Digest.id)
    )
    if updated:
        await audit("digest.resend", "digest", digest_id, user_id, {}, client_addr)
    return bool(updated)
