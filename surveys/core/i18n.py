"""Interface languages: Vietnamese by default, English second (Babel catalogs in `surveys/core/locale/`).

Message ids are English; `surveys/core/locale/vi/LC_MESSAGES/messages.po` holds the Vietnamese. Catalogs are
compiled in memory at start, so no generated `.mo` file is kept in the repository.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from functools import cache
from gettext import NullTranslations
from io import BytesIO
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LOCALES: tuple[str, ...] = ("vi", "en")
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
_current: ContextVar[str] = ContextVar("phocap_locale", default="vi")


@cache
def translations(locale: str) -> NullTranslations:
    """The compiled catalog of `locale` (English needs none: the message ids are English)."""
    po = LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po"
    if not po.exists():
        return NullTranslations()
    with po.open("rb") as f:
        catalog = read_po(f, locale=locale)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)


def current_locale() -> str:
    """The language of the request being answered."""
    return _current.get()


@contextmanager
def use_locale(locale: str) -> Iterator[None]:
    """Answer in `locale` within the block."""
    token = _current.set(locale if locale in LOCALES else LOCALES[0])
    try:
        yield
    finally:
        _current.reset(token)


def set_locale(locale: str) -> None:
    """Answer the rest of this request in `locale`."""
    _current.set(locale if locale in LOCALES else LOCALES[0])


def gettext(message: str) -> str:
    """`message` in the current language."""
    return translations(_current.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural form for `n`, in the current language."""
    return translations(_current.get()).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark `message` for extraction; it is translated where it is shown."""
    return message


def format_date(value: datetime | None, tz: str) -> str:
    """dd/MM/yyyy in phocap's time zone (docs/architecture.md §6)."""
    return value.astimezone(ZoneInfo(tz)).strftime("%d/%m/%Y") if value else ""


def format_datetime(value: datetime | None, tz: str) -> str:
    """dd/MM/yyyy HH:mm in phocap's time zone."""
    return value.astimezone(ZoneInfo(tz)).strftime("%d/%m/%Y %H:%M") if value else ""
