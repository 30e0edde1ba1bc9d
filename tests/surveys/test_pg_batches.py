"""The writes a PostgreSQL transaction leaves for its next round trip go as few statements
(`surveys.core.pg_request`): each batch's SQL is made once from its writes' own compiled SQL, and is the
statement Piccolo compiles of the same writes as one query of queries."""

from __future__ import annotations

from typing import Any

from piccolo.querystring import QueryString

from surveys.core.pg_request import _batch_sql, _batches


def _as_piccolo_compiles_it(group: list[QueryString]) -> tuple[str, list[Any]]:
    query = (
        group[0]
        if len(group) == 1
        else QueryString(
            "WITH " + ", ".join(f"w{i} AS ({{}})" for i in range(len(group))) + " SELECT 1", *group
        )
    )
    sql, values = query.compile_string(engine_type="postgres")
    return sql, list(values)


_DAY = "2026-12-06"
_VISIT = QueryString("INSERT INTO visit (household, client_id, answers) VALUES ({}, {}, {})", 7, "c-1", "{}")
_AUDIT = QueryString("INSERT INTO audit_entry (entity_id, details) VALUES ({}, {})", 7, '{"$1": "x"}')
_COUNT = QueryString(
    "UPDATE village_count SET covered = covered + {} WHERE village = {} AND day = {}", 1, 3, _DAY
)
_ACTIVITY = QueryString(
    "INSERT INTO village_activity (village, day, visits) VALUES ({}, {}, {}) ON CONFLICT "
    "(village, day) DO UPDATE SET visits = village_activity.visits + excluded.visits",
    3,
    _DAY,
    1,
)
_VOLUNTEER = QueryString("INSERT INTO village_volunteer (village, day, volunteer, visits) VALUES ({}, {}, {}, {}) "
                         "ON CONFLICT (village, day, volunteer) DO UPDATE SET visits = village_volunteer.visits "
                         "+ excluded.visits", 3, _DAY, 9, 1)  # fmt: skip


def test_a_batch_of_writes_that_wait_for_no_other_is_the_statement_piccolo_makes_of_them() -> None:
    # Plain inserts and one write that waits for other writers' rows (the count's update).
    group = [_VISIT, _AUDIT, _COUNT]
    assert _batches(group) == [group]
    assert _batch_sql(group, "postgres") == _as_piccolo_compiles_it(group)
    # Made again from the kept SQL, with other values: the same statement, these values.
    again = [QueryString(q.template, *[f"{a}!" if isinstance(a, str) else a for a in q.args]) for q in group]
    assert _batch_sql(again, "postgres") == _as_piccolo_compiles_it(again)


def test_writes_that_wait_for_other_writers_rows_are_chained_in_the_order_of_the_code() -> None:
    writes = [_VISIT, _AUDIT, _COUNT, _ACTIVITY, _VOLUNTEER]
    assert _batches(writes) == [writes]
    sql, values = _batch_sql(writes, "postgres")
    # Each upsert takes its row from an aggregate of the write before it: that one runs to its end first.
    assert (
        "UPDATE village_count SET covered = covered + $6 WHERE village = $7 AND day = $8 RETURNING 1)" in sql
    )
    assert (
        "w3 AS (INSERT INTO village_activity (village, day, visits) SELECT $9, $10, $11 "
        "FROM (SELECT count(*) FROM w2) AS after_w2 ON CONFLICT"
    ) in sql
    assert "visits + excluded.visits RETURNING 1), w4 AS (" in sql
    assert "SELECT $12, $13, $14, $15 FROM (SELECT count(*) FROM w3) AS after_w3 ON CONFLICT" in sql
    assert sql.endswith("+ excluded.visits) SELECT 1")
    assert values == [a for q in writes for a in q.args]
    # The same SQL, kept, for other values.
    again = [QueryString(q.template, *q.args) for q in writes]
    assert _batch_sql(again, "postgres")[0] is sql


def test_a_write_that_waits_and_cannot_be_chained_begins_the_next_batch() -> None:
    many_rows = QueryString("INSERT INTO village_activity (village, day) VALUES ({}, {}), ({}, {}) ON CONFLICT "
                            "(village, day) DO NOTHING", 3, _DAY, 4, _DAY)  # fmt: skip
    returning = QueryString(
        "UPDATE village_count SET covered = covered + {} WHERE village = {} RETURNING id", 1, 3
    )
    assert _batches([_VISIT, _COUNT, many_rows]) == [[_VISIT, _COUNT], [many_rows]]
    assert _batches([_VISIT, returning, _ACTIVITY]) == [[_VISIT, returning], [_ACTIVITY]]
    # A second write of a table already in the batch begins the next, as before.
    assert _batches([_VISIT, _AUDIT, _VISIT]) == [[_VISIT, _AUDIT], [_VISIT]]
