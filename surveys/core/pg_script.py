"""Statements sent in one script with the statements around them (PostgreSQL's simple query protocol), as
`EXECUTE name(values)` of statements prepared on the connection, their values written as typed literals.

asyncpg sends a statement with values as its own round trip (bind, execute, sync), and BEGIN and COMMIT
are round trips of their own: a visit's writes, which nobody reads, cost the server a round trip to send
and another to COMMIT, each more CPU (a send, a wait, a wake-up) than the statement's work
(docs/scaling.md §3). In one script, `EXECUTE …; COMMIT` is one round trip. A script returns no rows, so
only statements whose rows nobody reads go this way.

The statement itself is prepared once on the connection (`prepared`), by the driver, with its
parameters; only the values go into the script. Each is written as PostgreSQL's `quote_literal` writes
it (between single quotes, each quote doubled; nothing else is special while
`standard_conforming_strings` is on, which the caller checks on the connection) and cast to the type
PostgreSQL gave its parameter: it means what it meant as a parameter. A value of another kind than those
below is not written: the caller sends the statement with its values as parameters, as before."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any
from uuid import UUID

_INTEGERS = frozenset({"int2", "int4", "int8", "numeric"})
_FLOATS = frozenset({"float4", "float8", "numeric"})
_TEXTS = frozenset({"text", "varchar", "bpchar", "name", "json", "jsonb", "uuid"})

# Writes a value as a literal (None: this one cannot be written).
Write = Callable[[Any], str | None]


@dataclass(frozen=True)
class Param:
    """A parameter: the name of its type, that name as a cast writes it (`"pg_catalog"."int4"`), and how
    a value of each class it takes is written (`literal`), worked out once for the type: a script writes
    a visit's ~40 values."""

    kind: str
    cast: str
    writes: dict[type, Write] = field(compare=False, repr=False)


@lru_cache(maxsize=256)
def param(schema: str, name: str) -> Param:
    """A parameter of the type PostgreSQL names (`schema`, `name`)."""
    cast = f'"{schema.replace(chr(34), chr(34) * 2)}"."{name.replace(chr(34), chr(34) * 2)}"'
    return Param(name, cast, _writes(name, cast))


def quoted(text: str) -> str | None:
    """`text` as a string literal (None: it holds a NUL, which no text in PostgreSQL can)."""
    if "\x00" in text:
        return None
    return "'" + text.replace("'", "''") + "'"


def _writes(kind: str, cast: str) -> dict[type, Write]:
    """How a value is written as a literal of the type `kind`, by the value's own class (a subclass is not
    written in: it may print otherwise); a class missing is not written."""
    null = f"NULL::{cast}"
    writes: dict[type, Write] = {type(None): lambda _: null}
    if kind == "bool":
        writes[bool] = lambda value: "TRUE" if value else "FALSE"
    if kind in _INTEGERS:
        writes[int] = lambda value: f"'{value}'::{cast}"
    if kind in _FLOATS:
        writes[float] = lambda value: f"'{value!r}'::{cast}" if math.isfinite(value) else None
    if kind == "numeric":
        writes[Decimal] = lambda value: f"'{value}'::{cast}" if value.is_finite() else None
    if kind in _TEXTS:

        def text(value: str) -> str | None:
            written = quoted(value)
            return None if written is None else f"{written}::{cast}"

        writes[str] = text
    if kind == "uuid":
        writes[UUID] = lambda value: f"'{value}'::{cast}"
    if kind in ("timestamptz", "timestamp"):
        # As asyncpg sends them: an aware moment for `timestamptz`, a naive one for `timestamp`.
        aware = kind == "timestamptz"
        writes[datetime] = lambda value: (
            f"'{value.isoformat()}'::{cast}"
            if (value.tzinfo is not None and value.utcoffset() is not None) == aware
            else None
        )
    if kind == "date":
        writes[date] = lambda value: f"'{value.isoformat()}'::{cast}"
    return writes


def literal(value: Any, parameter: Param) -> str | None:
    """`value` as a literal of the parameter's type, or None when it is not one written here."""
    write = parameter.writes.get(type(value))
    return None if write is None else write(value)


def executed(name: str, values: Sequence[Any], parameters: Sequence[Param]) -> str | None:
    """`EXECUTE name(…)` of the statement prepared as `name` with these values (None: one cannot be
    written, or they are not as many as its parameters)."""
    if len(values) != len(parameters):
        return None
    written = []
    for value, parameter in zip(values, parameters, strict=True):
        text = literal(value, parameter)
        if text is None:
            return None
        written.append(text)
    return f"EXECUTE {name}({', '.join(written)})" if written else f"EXECUTE {name}"
