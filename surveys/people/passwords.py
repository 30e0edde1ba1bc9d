"""What makes a password acceptable (ASVS 5.0 V6.2): long enough, not one of the most common, not the
login. One rule for every place a password is chosen: the staff account form, a reset, one's own change, the CLI."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

MIN_LENGTH = 8
MAX_LENGTH = 200

_COMMON = Path(__file__).parents[1] / "data" / "common_passwords.txt"


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The shipped list of common passwords, in lower case."""
    lines = _COMMON.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def password_problem(password: str, login: str = "") -> str | None:
    """Why this password cannot be used (an error code of `surveys.core.messages.FIELD_ERRORS`), or None."""
    if len(password) < MIN_LENGTH:
        return "too_short"
    if len(password) > MAX_LENGTH:
        return "too_long"
    folded = password.strip().lower()
    if folded in common_passwords():
        return "too_common"
    if login and len(login) >= 3 and login.lower() in folded:
        return "like_login"
    return None
