"""A ward's digests as the office reads them (the archive, one digest, the last one) and its digest
settings."""

from __future__ import annotations

from typing import Any

from surveys.core.audit import audit
from surveys.tables import Digest, Ward


async def ward_digests(ward_id: int) -> list[dict[str, Any]]:
    """Every digest of the ward, newest week first, with its delivery."""
    return list(
        await Digest.select(
            Digest.id, Digest.week, Digest.audience, Digest.status, Digest.attempts, Digest.sent_at,
            Digest.last_error, Digest.next_attempt_at, Digest.recipients,
        ).where(Digest.ward == ward_id).order_by(Digest.week, ascending=False).order_by(Digest.audience)
    )  # fmt: skip


async def ward_digest(ward_id: int, digest_id: int) -> dict[str, Any] | None:
    """One digest of the ward, or None (also when it belongs to another ward)."""
    return await Digest.select().where((Digest.id == digest_id) & (Digest.ward == ward_id)).first()


async def last_ward_digest(ward_id: int) -> dict[str, Any] | None:
    """The ward office's latest digest that was made to be sent (`id`, `week`, `status`)."""
    return (
        await Digest.select(Digest.id, Digest.week, Digest.status)
        .where((Digest.ward == ward_id) & (Digest.audience == "ward") & (Digest.status != "skipped"))
        .order_by(Digest.week, ascending=False)
        .first()
    )


async def digest_delivery(digest_id: int) -> dict[str, Any] | None:
    """A digest's `status` and `last_error`."""
    return await Digest.select(Digest.status, Digest.last_error).where(Digest.id == digest_id).first()


async def save_digest_settings(
    ward_id: int, emails: list[str], weekday: int, hour: int, user_id: int, client_addr: str = ""
) -> None:
    """Who receives the ward's digest and when; the change goes to the audit log (a count, no address)."""
    await Ward.update(
        {Ward.digest_emails: "\n".join(emails), Ward.digest_weekday: weekday, Ward.digest_hour: hour}
    ).where(Ward.id == ward_id)
    details = {"recipients": len(emails), "weekday": weekday, "hour": hour}
    await audit("ward.digest_settings", "ward", ward_id, user_id, details, client_addr)
