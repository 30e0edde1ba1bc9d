"""Household lists uploaded for import, kept between the preview and the confirmation (they hold names:
none stays longer than a day)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from surveys.tables import ImportUpload


async def keep_upload(token: str, user_id: int, filename: str, content: bytes) -> None:
    """Keep an uploaded file under `token` for its uploader to confirm."""
    await ImportUpload.insert(
        ImportUpload(token=token, user=user_id, filename=filename[:200], content=content)
    )


async def kept_upload(token: str, user_id: int) -> dict[str, Any] | None:
    """The upload `token` of this user (`filename`, `content`), or None."""
    return (
        await ImportUpload.select()
        .where((ImportUpload.token == token) & (ImportUpload.user == user_id))
        .first()
    )


async def drop_upload(token: str) -> None:
    """Forget an upload once imported."""
    await ImportUpload.delete().where(ImportUpload.token == token)


async def purge_uploads(before: datetime) -> None:
    """Forget every upload made before `before`."""
    await ImportUpload.delete().where(ImportUpload.created_at < before)
