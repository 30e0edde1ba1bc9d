"""Database rows read as attributes, so the criteria (which read attributes) take them as they come."""

from __future__ import annotations

from typing import Any, TypeVar

_T = TypeVar("_T")


class Row(dict[str, Any]):
    """A row (a dict of columns) whose columns also read as attributes."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError as exc:
            raise AttributeError(name) from exc


class RecordGone(LookupError):
    """A record found a moment ago is no longer there (erased or deleted meanwhile by someone else)."""


def still_there(row: _T | None, what: str) -> _T:
    """`row`, or RecordGone naming `what` when a record read inside the same work has gone."""
    if row is None:
        raise RecordGone(what)
    return row
