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
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

_INTEGERS = frozenset({"int2", "int4", "int8", "numeric"})
_FLOATS = frozenset({"float4", "float8", "numeric"})
_TEXTS = frozenset({"text", "varchar", "bpchar", "name", "json", "jsonb", "uuid"})

# A parameter: the name of its type, and that name as a cast writes it (`"pg_catalog"."int4"`).
Param = tuple[str, str]


def param(schema: str, name: str) -> Param:
    """A parameter of the type PostgreSQL names (`schema`, `name`)."""
    return name, f'"{schema.replace(chr(34), chr(34) * 2)}"."{name.replace(chr(34), chr(34) * 2)}"'


def quoted(text: str) -> str | None:
    """`text` as a string literal (None: it holds a NUL, which no text in PostgreSQL can)."""
    if "\x00" in text:
        return None
    return "'" + text.replace("'", "''") + "'"


def _cast(text: str | None, cast: str) -> str | None:
    return None if text is None else f"{text}::{cast}"


def _bool(value: bool, kind: str, cast: str) -> str | None:
    return ("TRUE" if value else "FALSE") if kind == "bool" else None


def _int(value: int, kind: str, cast: str) -> str | None:
    return f"'{value}'::{cast}" if kind in _INTEGERS else None


def _float(value: float, kind: str, cast: str) -> str | None:
    return f"'{value!r}'::{cast}" if kind in _FLOATS and math.isfinite(value) else None


def _decimal(value: Decimal, kind: str, cast: str) -> str | None:
    return f"'{value}'::{cast}" if kind == "numeric" and value.is_finite() else None


def _str(value: str, kind: str, cast: str) -> str | None:
    return _cast(quoted(value), cast) if kind in _TEXTS else None


def _uuid(value: UUID, kind: str, cast: str) -> str | None:
    return f"'{value}'::{cast}" if kind == "uuid" else None


def _datetime(value: datetime, kind: str, cast: str) -> str | None:
    # As asyncpg sends them: an aware moment for `timestamptz`, a naive one for `timestamp`.
    aware = value.tzinfo is not None and value.utcoffset() is not None
    return f"'{value.isoformat()}'::{cast}" if kind == ("timestamptz" if aware else "timestamp") else None


def _date(value: date, kind: str, cast: str) -> str | None:
    return f"'{value.isoformat()}'::{cast}" if kind == "date" else None


# By the value's own class (a subclass is not written in: it may print otherwise).
_WRITERS: dict[type, Callable[[Any, str, str], str | None]] = {
    bool: _bool,
    int: _int,
    float: _float,
    Decimal: _decimal,
    str: _str,
    UUID: _uuid,
    datetime: _datetime,
    date: _date,
}


def literal(value: Any, parameter: Param) -> str | None:
    """`value` as a literal of the parameter's type, or None when it is not one written here."""
    kind, cast = parameter
    if value is None:
        return f"NULL::{cast}"
    writer = _WRITERS.get(type(value))
    return None if writer is None else writer(value, kind, cast)


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
