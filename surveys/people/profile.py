"""A user's own profile: the email their mail goes to, and whether they want it: a village head the weekly
digest of their villages, a province officer the weekly reminder of the ward reports past due."""

from __future__ import annotations

from typing import Any

from surveys.tables import User

# Who may ask for a mail of their own (the ward office's digest goes to the addresses the ward sets).
DIGEST_ROLES = frozenset({"village_head", "province_officer"})


async def profile(user_id: int) -> dict[str, Any]:
    """The user's `email` and `wants_digest`."""
    user = await User.select(User.email, User.wants_digest).where(User.id == user_id).first() or {}
    return {"email": user.get("email", ""), "wants_digest": bool(user.get("wants_digest"))}


async def save_profile(user_id: int, role: str, email: str, wants_digest: bool) -> bool:
    """Keep the user's email and mail choice (only a role of DIGEST_ROLES may want one); returns the
    choice kept."""
    wants = wants_digest and role in DIGEST_ROLES
    await User.update({User.email: email, User.wants_digest: wants}).where(User.id == user_id)
    return wants
