"""A statement compiled once gives what Piccolo's compiling gives every time, whatever its values."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from piccolo.querystring import QueryString

from surveys.core import statements
from surveys.core.statements import compiled, freeze, statement
from surveys.tables import Household
from tests.factories import World


@pytest.mark.parametrize("engine_type", ["postgres", "sqlite"])
@pytest.mark.parametrize(
    ("template", "args"),
    [
        ("SELECT id FROM household WHERE id IN ({}, {}) AND code = {}", (1, 2, "A-1")),
        ("SELECT '{{}}' AS braces, {} AS at", (datetime(2026, 11, 29, tzinfo=UTC),)),
        ("SELECT 1", ()),
        # More values than placeholders: Piccolo sends the first ones only.
        ("SELECT {} AS a", (uuid.uuid4(), 7)),
        # A query of queries (Piccolo's selects): compiled as Piccolo compiles it, never kept.
        ("SELECT {} FROM household WHERE {}", (QueryString("id"), QueryString("id = {}", 5))),
    ],
)
def test_a_statement_compiles_as_piccolo_compiles_it_the_first_time_and_after(
    template: str, args: tuple[object, ...], engine_type: str
) -> None:
    for _ in range(2):
        querystring = QueryString(template, *args)
        assert compiled(querystring, engine_type) == querystring.compile_string(engine_type=engine_type)
    # The same template with other values: the values are the new ones.
    other = tuple(a + 1 if isinstance(a, int) else a for a in args)
    querystring = QueryString(template, *other)
    assert compiled(querystring, engine_type) == querystring.compile_string(engine_type=engine_type)


def test_the_kept_statements_stay_few_when_sql_carries_values_in_its_text(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(statements, "_compiled", {})
    monkeypatch.setattr(statements, "LIMIT", 10)
    for day in range(1, 26):
        sql = f"SELECT id FROM visit WHERE at > '2026-11-{day:02d}' AND household = {{}}"  # noqa: S608
        assert compiled(QueryString(sql, day), "sqlite") == (sql.replace("{}", "?"), [day])
        assert len(statements._compiled) <= 10


async def test_a_frozen_statement_runs_with_its_own_values(world: World) -> None:
    # Piccolo's engine runs a frozen QueryString as it is: the values must be this call's.
    rows = [
        await Household.raw("SELECT code FROM household WHERE code = {}", code)
        for code in ("PQ-01-0001", "PQ-01-0002", "PQ-01-0001")
    ]
    assert [[r["code"] for r in found] for found in rows] == [["PQ-01-0001"], ["PQ-01-0002"], ["PQ-01-0001"]]
    querystring = freeze(QueryString("SELECT {} AS a", 3), "postgres")
    assert querystring.compile_string(engine_type="postgres") == ("SELECT $1 AS a", [3])


def test_a_statement_of_plain_values_is_the_querystring_piccolo_makes() -> None:
    values: list[Any] = [7, "Lò Thị Mây", 1.5, True, None, b"x", datetime(2026, 12, 6, tzinfo=UTC), date(2026, 12, 6),
                         timedelta(days=1), uuid.UUID(int=1), Decimal("2.5")]  # fmt: skip
    sql = "SELECT " + ", ".join("{}" for _ in values)
    ours, theirs = statement(sql, *values), QueryString(sql, *values)
    for engine in ("sqlite", "postgres"):
        assert ours.compile_string(engine_type=engine) == theirs.compile_string(engine_type=engine)
    assert ours.columns == [] and ours.args == values
    # A column or a query among the values takes Piccolo's way, which turns it into SQL.
    nested = statement("SELECT {} FROM household WHERE {}", Household.code, QueryString("id = {}", 3))
    assert nested.compile_string(engine_type="postgres") == (
        'SELECT "household"."code" FROM household WHERE id = $1',
        [3],
    )
