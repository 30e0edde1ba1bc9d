"""Spreadsheet files a ward office can send upward: CSV (UTF-8 with BOM, so Excel reads Vietnamese
right) and XLSX (openpyxl), from one table: title lines, headers, rows."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from surveys.core.clock import local_date
from surveys.core.text import xml_safe

Cell = str | int | float | date | None


@dataclass(frozen=True)
class Table:
    """What an export holds: a few title lines (report, ward and its code, date), headers, rows."""

    title: list[str]
    headers: list[str]
    rows: Sequence[Sequence[Cell]]
    sheet: str = "phocap"


def _text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = local_date(value)
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


# What starts a formula in Excel: = + - @, and their full-width forms, which Excel also reads as such.
_FORMULA_STARTS = "=+-@\uff1d\uff0b\uff0d\uff20"
# Where a cell may begin when the file is read: a value's start, and after any separator Excel may split a
# CSV by (Vietnamese Windows lists with ';', a paste into a sheet splits at tabs) or a line break, with
# any white space before the formula's first character.
_CELL_STARTS = re.compile(f"(^|[,;\t\r\n])(\\s*)([{re.escape(_FORMULA_STARTS)}])")


def to_csv(table: Table) -> bytes:
    """The table as CSV, UTF-8 with a byte-order mark, dates dd/MM/yyyy; no text of it can start a
    formula, however Excel splits the file (`csv_safe`)."""
    out = io.StringIO()
    writer = csv.writer(out)
    for line in table.title:
        writer.writerow([csv_safe(line)])
    writer.writerow([])
    writer.writerow([csv_safe(h) for h in table.headers])
    for row in table.rows:
        writer.writerow([csv_safe(_text(_safe(v))) if isinstance(v, str) else _text(_safe(v)) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def csv_safe(text: str) -> str:
    """Text for a CSV cell with a `'` before every place a formula could start: the text's start and
    after each `,` `;` tab or line break (where Excel set to another list separator than phocap's `,`
    would begin a new cell), full-width = + - @ too. `A;=1+1` becomes `A;'=1+1`: two cells of text."""
    return _CELL_STARTS.sub(lambda m: f"{m[1]}{m[2]}'{m[3]}", text)


def _safe(value: Cell) -> Any:
    if isinstance(value, str):
        value = xml_safe(value)  # text stored before inputs were cleaned: openpyxl refuses controls
    # Text that starts like a formula is stored as text, so a name cannot run in the office's Excel.
    if isinstance(value, str) and value.lstrip().startswith(tuple(_FORMULA_STARTS)):
        return "'" + value
    if isinstance(value, datetime):
        return local_date(value)  # the day in Vietnam, not in UTC
    return value


def to_xlsx(table: Table, *more: Table) -> bytes:
    """The table (and any more, a sheet each) as an Excel workbook: title lines in bold, then the
    headers and rows; dates as dates shown dd/MM/yyyy."""
    book = Workbook()
    first = book.active
    if first is None:
        raise RuntimeError("openpyxl made a workbook without a sheet")
    for index, each in enumerate((table, *more)):
        _write_sheet(first if index == 0 else book.create_sheet(), each)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _write_sheet(sheet: Any, table: Table) -> None:
    sheet.title = xml_safe(table.sheet)[:31]
    for line in table.title:
        sheet.append([_safe(line)])
        sheet.cell(row=sheet.max_row, column=1).font = Font(bold=True)
    sheet.append([])
    sheet.append([_safe(h) for h in table.headers])
    header_row = sheet.max_row
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
    for row in table.rows:
        sheet.append([_safe(v) for v in row])
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, date):
                cell.number_format = "dd/mm/yyyy"
    for index, header in enumerate(table.headers, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(10, min(40, len(header) + 4))
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1)
