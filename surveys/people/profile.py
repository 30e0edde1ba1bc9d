"""A user's own profile: the email their digest goes to, and whether a village head wants it."""

from __future__ import annotations

from typing import Any

from surveys.tables import User


async def profile(user_id: int) -> dict[str, Any]:
    """The user's `email` and `wants_digest`."""
    user = await User.select(User.email, User.wants_digest).where(User.id == user_id).first() or {}
    return {"email": user.get("email", ""), "wants_digest": bool(user.get("wants_digest"))}


async def save_profile(user_id: int, email: str, wants_digest: bool) -> None:
    """Keep the user's email and digest choice."""
    await User.update({User.email: email, User.wants_digest: wants_digest}).where(User.id == user_id)
