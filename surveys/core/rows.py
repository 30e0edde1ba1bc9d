"""Database rows read as attributes, so the criteria (which read attributes) take them as they come."""

from __future__ import annotations

from typing import Any


class Row(dict[str, Any]):
    """A row (a dict of columns) whose columns also read as attributes."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError as exc:
            raise AttributeError(name) from exc
