"""The Jinja environment: gettext (Babel catalogs), date filters, and the labels of codes."""

from __future__ import annotations

import uuid
from typing import Any

from jinja2 import Environment

from server.forms import field_id
from server.static import static_url
from surveys import privacy
from surveys.core import messages, wording
from surveys.core.clock import now
from surveys.core.i18n import current_locale, format_date, format_datetime, gettext, ngettext
from surveys.core.settings import Settings
from surveys.learning import words as learning_words
from surveys.reporting.offline import offline_grant, storage_key
from surveys.survey.status import visit_fact


def configure(env: Environment, settings: Settings) -> None:
    """Install translations and helpers into the template environment."""
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(gettext, ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.autoescape = True
    env.trim_blocks = True
    env.lstrip_blocks = True
    env.filters["date"] = lambda value: format_date(value, settings.timezone)
    env.filters["datetime"] = lambda value: format_datetime(value, settings.timezone)
    env.filters["percent"] = wording.percent
    env.filters["points"] = wording.points
    env.filters["week"] = wording.week_name
    env.filters["week_short"] = wording.week_short
    env.filters["days_ago"] = wording.days_ago
    globals_: dict[str, Any] = {
        "locale": current_locale,
        "label": messages.label,
        "REASONS": messages.REASONS,
        "OUTCOMES": messages.OUTCOMES,
        "VNEID": messages.VNEID,
        "YES_NO_UNKNOWN": messages.YES_NO_UNKNOWN,
        "VILLAGE_WORDS": messages.VILLAGE_WORDS,
        "VILLAGE_WORDS_PLURAL": messages.VILLAGE_WORDS_PLURAL,
        "SEX": messages.SEX,
        "SOURCE": messages.SOURCE,
        "TARGET_SOURCES": messages.TARGET_SOURCES,
        "SKILLS": messages.SKILLS,
        "ROLES": messages.ROLES,
        "DIGEST_STATUS": messages.DIGEST_STATUS,
        "AUDIT_ACTIONS": messages.AUDIT_ACTIONS,
        "CONSENT_NOTICE": privacy.CONSENT_NOTICE,
        "AUDIENCES": learning_words.AUDIENCES,
        "AGE_GROUPS": learning_words.AGE_GROUPS,
        "HELP_KINDS": learning_words.HELP_KINDS,
        "TEAM_ROLES": learning_words.TEAM_ROLES,
        "MIN_LEARNERS": learning_words.MIN_LEARNERS,
        # A submission id for each form drawn (a class, an attendee): a retried post is recorded once.
        "new_client_id": lambda: str(uuid.uuid4()),
        "visit_fact": visit_fact,
        "base_url": settings.base_url.rstrip("/"),
        "offline_days": settings.offline_days,
        "offline_retry_seconds": settings.offline_retry_seconds,
        "static": static_url,
        "getattr_": getattr,
        "field_id": field_id,
        # Names the signed-in user's stored copies on the phone (base.html: data-user).
        "offline_key": lambda user: storage_key(user.id, settings.secret_key) if user else "",
        # Lets the phone show the user's stored pages offline for OFFLINE_DAYS from this page on.
        "offline_grant": lambda user: offline_grant(
            user.id, settings.secret_key, settings.offline_days, now()
        ),
    }
    env.globals.update(globals_)
