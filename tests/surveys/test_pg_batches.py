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


def test_a_batch_is_the_statement_piccolo_makes_of_its_writes() -> None:
    day = "2026-12-06"
    writes = [
        QueryString("INSERT INTO visit (household, client_id, answers) VALUES ({}, {}, {})", 7, "c-1", "{}"),
        QueryString("INSERT INTO audit_entry (entity_id, details) VALUES ({}, {})", 7, '{"$1": "x"}'),
        QueryString("UPDATE village_count SET covered = covered + {} WHERE village = {} AND day = {}", 1, 3, day),
        QueryString("INSERT INTO village_activity (village, day, visits) VALUES ({}, {}, {}) ON CONFLICT "
                    "(village, day) DO UPDATE SET visits = village_activity.visits + excluded.visits", 3, day, 1),
        QueryString("INSERT INTO village_volunteer (village, day, volunteer, visits) VALUES ({}, {}, {}, {})",
                    3, day, 9, 1),
    ]  # fmt: skip
    groups = _batches(writes)
    # The visit, its audit entry and the count's update together; each upsert that waits for other
    # writers' rows in a statement of its own (the volunteer's row is its own, a plain insert here).
    assert [len(g) for g in groups] == [3, 2]
    for group in groups:
        assert _batch_sql(group, "postgres") == _as_piccolo_compiles_it(group)
        # Made again from the kept SQL, with other values: the same statement, these values.
        again = [
            QueryString(q.template, *[f"{a}!" if isinstance(a, str) else a for a in q.args]) for q in group
        ]
        assert _batch_sql(again, "postgres") == _as_piccolo_compiles_it(again)
