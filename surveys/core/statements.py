"""Statements written once, compiled once: a query's SQL for the engine, made from its template each time.

Piccolo compiles a `QueryString` on every run (its template split into fragments, each placeholder
numbered for the engine), and a statement phocap writes as SQL (`Table.raw`, `surveys.core.db.write_later`)
is the same template every time with other values: a visit sends a dozen, and that compiling cost more
Python than a statement's own driver call (issue 27). Its compiled SQL is kept here by template, number of
values and engine; a query built of other queries (Piccolo's selects) is compiled as before.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from piccolo.querystring import QueryString

# Distinct templates kept at most: the statements phocap writes are a few hundred (one per size of an
# IN list); SQL written with a value in its text (a date) would otherwise grow the table without end.
LIMIT = 4096

_compiled: dict[tuple[str, int, str], tuple[str, int]] = {}

# Values that are never a column or a query (what Piccolo looks for in each value of a QueryString).
_PLAIN = frozenset({int, str, float, bool, type(None), bytes, datetime, date, time, timedelta, UUID, Decimal})


def compiled(querystring: QueryString, engine_type: str) -> tuple[str, list[Any]]:
    """The SQL of `querystring` for `engine_type` and its values, as `QueryString.compile_string` gives
    them."""
    args = querystring.args
    for arg in args:
        # A plain value's type first: QueryString is an abstract class, whose isinstance check runs
        # Python's ABC machinery (~0.4 µs; a visit has ~50 values).
        if type(arg) not in _PLAIN and isinstance(arg, QueryString):
            return querystring.compile_string(engine_type=engine_type)
    key = (querystring.template, len(args), engine_type)
    found = _compiled.get(key)
    if found is None:
        sql, values = querystring.compile_string(engine_type=engine_type)
        if len(_compiled) >= LIMIT:
            _compiled.clear()
        found = _compiled[key] = (sql, len(values))
        return sql, values
    sql, used = found
    return sql, list(args[:used])


def freeze(querystring: QueryString, engine_type: str) -> QueryString:
    """`querystring`, compiled (`compiled`) for Piccolo's engine to run as it is."""
    querystring._frozen_compiled_strings = compiled(querystring, engine_type)
    return querystring


def statement(sql: str, *args: Any) -> QueryString:
    """`QueryString(sql, *args)` for a statement written as SQL: Piccolo looks at each value for a column
    or a query inside it (two `isinstance` checks against its abstract classes, ~1 µs a value; a visit
    sends ~60 values), which a plain value never is. Any other value takes Piccolo's way."""
    for arg in args:
        if type(arg) not in _PLAIN:
            return QueryString(sql, *args)
    query = QueryString(sql)
    query.args = list(args)
    return query
