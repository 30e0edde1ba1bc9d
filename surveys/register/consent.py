"""The consent notice a household agrees to before its members' answers are recorded (Law 91/2025/QH15
on Personal Data Protection, Decree 356/2025): its text, its version, and whether a household's consent
is to the notice now in force."""

from __future__ import annotations

from typing import Any

from surveys.core.i18n import N_

# Changing the notice's text means a new version: households are asked again at their next visit.
NOTICE_VERSION = "2026-11"
CONSENT_NOTICE = N_(
    "Consent notice (version 2026-11): the People's Committee of the commune records the names, birth "
    "years and sex of the household's members and their answers about VNeID, digital bank accounts, "
    "smartphones and digital skills, only to support the digital literacy movement and to count its "
    "progress. Volunteers and village heads of this village and the commune office see them; nobody "
    "else. The household may ask the commune office at any time to see, correct or delete its data, or "
    "withdraw this consent; data of a household that has moved away is deleted after a year."
)


def consent_current(consent_at: Any, consent_notice: str) -> bool:
    """Whether the household agreed to the notice now in force."""
    return consent_at is not None and consent_notice == NOTICE_VERSION
