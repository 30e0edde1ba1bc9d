"""Words and numbers as a villager reads them: a week by its number and dates, a percentage with the
language's decimal mark, "today" and "yesterday" rather than "0 days ago".

The ISO week label (`2026-W48`) stays the key in the database and the command line; these functions
turn it and other values into text for pages and emails, in the current language.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from functools import lru_cache

from babel import Locale
from babel.numbers import NumberPattern, parse_pattern

from surveys.core.i18n import current_locale, gettext, ngettext

_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


def _monday(label: str) -> date | None:
    match = _WEEK.match(label)
    return date.fromisocalendar(int(match.group(1)), int(match.group(2)), 1) if match else None


def week_name(label: str) -> str:
    """`2026-W48` as "Tuần 48 (23/11–29/11/2026)"; anything else is returned as it is."""
    monday = _monday(label)
    if monday is None:
        return label
    sunday = monday + timedelta(days=6)
    return gettext("Week %(number)d (%(start)s–%(end)s)") % {
        "number": monday.isocalendar()[1],
        "start": f"{monday:%d/%m}",
        "end": f"{sunday:%d/%m/%Y}",
    }


def week_short(label: str) -> str:
    """`2026-W48` as "Tuần 48", for a table's column header."""
    monday = _monday(label)
    return gettext("Week %(number)d") % {"number": monday.isocalendar()[1]} if monday else label


@lru_cache(maxsize=16)
def _locale(name: str) -> Locale:
    return Locale.parse(name)


@lru_cache(maxsize=16)
def _pattern(text: str) -> NumberPattern:
    return parse_pattern(text)


def _decimal(value: float, pattern: str, locale: str) -> str:
    """Babel's `format_decimal`, with the locale and the pattern parsed once: a province page formats
    ~2,000 numbers, and parsing both for each was most of its rendering."""
    return str(_pattern(pattern).apply(value, _locale(locale)))


def percent(value: float, digits: int = 1) -> str:
    """A percentage in the current language: `16,7 %` in Vietnamese (the decimal comma, a space that
    does not break before the sign), `16.7%` in English; `digits` after the decimal mark (0 for a target)."""
    locale = current_locale()
    number = _decimal(value, "#,##0." + "0" * digits if digits else "#,##0", locale)
    return f"{number}\u00a0%" if locale == "vi" else f"{number}%"


def points(value: float) -> str:
    """A change in percentage points, signed, with the language's decimal mark (`+33,3`)."""
    return _decimal(value, "+#,##0.0;-#,##0.0", current_locale())


def days_ago(days: int) -> str:
    """How long ago a day was: "today", "yesterday", "3 days ago"."""
    if days <= 0:
        return gettext("today")
    if days == 1:
        return gettext("yesterday")
    return ngettext("%(num)d day ago", "%(num)d days ago", days) % {"num": days}
