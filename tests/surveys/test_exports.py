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
