"""A row read as attributes (surveys/core/rows.py): its columns first, the dict's methods after."""

from __future__ import annotations

import pytest

from surveys.core.rows import Row
from surveys.tables import ALL_TABLES


def test_a_row_reads_its_columns_as_attributes_and_keeps_the_dicts_methods() -> None:
    row = Row(id=7, village=3, notes=None)
    assert (row.id, row.village, row.notes) == (7, 3, None)
    assert row.get("village") == 3 and sorted(row.keys()) == ["id", "notes", "village"]
    assert dict(row) == {"id": 7, "village": 3, "notes": None} and isinstance(row, dict)
    row["notes"] = "đã chuyển đi"
    assert row.notes == "đã chuyển đi"
    with pytest.raises(AttributeError):
        _ = row.token
    assert not hasattr(row, "token") and getattr(row, "token", "none") == "none"


def test_no_table_has_a_column_named_like_a_dicts_attribute() -> None:
    # A Row's column would hide the dict's method of that name (`row.items` the column, not the method).
    taken = set(dir(dict))
    clashes = [
        f"{table._meta.tablename}.{column._meta.name}"
        for table in ALL_TABLES
        for column in table._meta.columns
        if column._meta.name in taken
    ]
    assert clashes == []


def test_the_columns_read_beside_a_row_come_out_by_their_names_or_none_when_that_read_found_nothing() -> None:
    """`beside_row` works out once per statement which columns were read beside it: rows of the same
    columns give their own values, a row of other columns its own."""
    from surveys.core.db import BESIDE, beside_row

    first = {"id": 1, f"{BESIDE}id": 10, f"{BESIDE}name": "Thôn Đông", "name": "An"}
    assert beside_row(first) == {"id": 10, "name": "Thôn Đông"}
    assert beside_row({**first, f"{BESIDE}id": 11}) == {"id": 11, "name": "Thôn Đông"}
    assert beside_row({**first, f"{BESIDE}id": None, f"{BESIDE}name": None}) is None
    assert beside_row({"id": 1, f"{BESIDE}code": "X"}) == {"code": "X"}
    assert beside_row({"id": 1}) is None
