"""Spreadsheet exports write moments as the day they were in Vietnam."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

from openpyxl import load_workbook

from surveys.core.exports import Table, to_csv, to_xlsx


def test_a_moment_is_exported_as_its_day_in_vietnam_and_each_table_gets_a_sheet() -> None:
    early_morning = datetime(2026, 11, 22, 23, 30, tzinfo=UTC)  # 06:30 on the 23rd in Hà Nội
    first = Table(["Tiêu đề"], ["Ngày"], [[early_morning]], sheet="Một")
    second = Table(["Tiêu đề"], ["Số"], [[1], [2]], sheet="Hai")
    assert "23/11/2026" in to_csv(first).decode("utf-8-sig")
    book = load_workbook(io.BytesIO(to_xlsx(first, second)))
    assert book.sheetnames == ["Một", "Hai"]
    cell = book["Một"]["A4"]
    assert cell.value.date() == date(2026, 11, 23) and cell.number_format == "dd/mm/yyyy"
    assert [r[0] for r in book["Hai"].iter_rows(min_row=4, values_only=True)] == [1, 2]


# Text a hostile household or member could carry into an office's spreadsheet.
HOSTILE = ["=1+1", "A;=1+1", "A,=1+1", "A\t=1+1", "A; =HYPERLINK(\"x\")", "＝1+1", "＋1", "－1", "＠SUM(A1)",
           " @SUM(A1)", "x\n=1+1", "+84 912", "-", "Ngõ 5; -tổ 3"]  # fmt: skip
FORMULA_STARTS = ("=", "+", "-", "@", "＝", "＋", "－", "＠")


def test_no_csv_cell_starts_a_formula_whatever_separator_excel_splits_it_by() -> None:
    import csv

    table = Table(HOSTILE[:2], HOSTILE[2:5], [[v, 1] for v in HOSTILE])
    text = to_csv(table).decode("utf-8-sig")
    for delimiter in (",", ";", "\t"):
        for line in text.splitlines():  # a line break inside a cell read as a new row, too
            for row in csv.reader([line], delimiter=delimiter):
                for cell in row:
                    assert not cell.lstrip().startswith(FORMULA_STARTS), (delimiter, cell)
    # Nothing else is lost: the text is all there behind its quote marks.
    rows = list(csv.reader(io.StringIO(text)))
    assert [r[0].replace("'", "") for r in rows[-len(HOSTILE) :]] == HOSTILE
