"""The province's official figures as a workbook: downloaded with every ward and the figures recorded as of
the period's last day (the form to fill in Excel, or to pass to the statistics office), and uploaded back.
Each row with a ward code is that ward's entry (an empty figure: not declared); the rules are the form's
and the API's (province_official.py): any bad row and nothing is saved, every bad cell named by its row."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from surveys.core.exports import Table, to_xlsx
from surveys.core.text import clean
from surveys.register.imports import ImportFileError, xlsx_rows
from surveys.reporting.official import typed_count
from surveys.reporting.periods import Period
from surveys.reporting.province_official import WardOfficial, province_official
from surveys.reporting.schemas import MAX_WARDS, PROVINCE_OFFICIAL
from surveys.tables import Province

# The sheet's columns (Vietnamese, as the offices read them), and the entry's field each holds; the
# ward's name is for people and not read back.
COLUMNS = {
    "Mã xã": "ward",
    "Xã/phường": "",
    "Số hộ": "households",
    "Công dân từ 16 tuổi": "adults",
    "Gia đình số": "digital_family",
    "Công dân 16+ có VNeID": "vneid",
    "Công dân 16+ có tài khoản ngân hàng số": "bank",
    "Nguồn": "source",
}
MAX_BYTES = 1024 * 1024


async def province_workbook(province_id: int, period: Period) -> bytes:
    """Every ward of the province with its figures as recorded as of the period's last day."""
    province = await Province.select(Province.name).where(Province.id == province_id).first()
    return template((province or {}).get("name", ""), period, await province_official(province_id, period))


def template(province_name: str, period: Period, wards: list[WardOfficial]) -> bytes:
    """Every ward of the province with its figures as recorded, to fill in and upload."""
    rows = [[w.code, w.name, *[w.values[name] for name in PROVINCE_OFFICIAL], w.source] for w in wards]
    title = [f"Số liệu chính thức của các xã, phường — {province_name}",
             f"Kỳ {period.name}, tính đến ngày {period.last.strftime('%d/%m/%Y')}",
             "Để trống số liệu chưa công bố. Không sửa dòng tiêu đề các cột."]  # fmt: skip
    return to_xlsx(Table(title=title, headers=list(COLUMNS), rows=rows, sheet="Số liệu chính thức"))


@dataclass(frozen=True)
class WorkbookEntry:
    """The upload as the API's body, and the sheet's row number of each of its entries."""

    raw: dict[str, Any]
    rows: list[int]

    def row_of(self, field: str) -> tuple[int, str] | None:
        """The row and column of an entry's field (`wards.3.bank`), None for one not of an entry."""
        parts = field.split(".")
        if len(parts) != 3 or not parts[1].isdigit() or int(parts[1]) >= len(self.rows):
            return None
        column = next((c for c, f in COLUMNS.items() if f == parts[2]), parts[2])
        return self.rows[int(parts[1])], column


def read_workbook(content: bytes) -> WorkbookEntry:
    """The entries of an uploaded workbook (the header row found below any title lines); ImportFileError
    when the file cannot be read as such (too large, not a workbook, formulas, merged cells, no header,
    no row)."""
    if len(content) > MAX_BYTES:
        raise ImportFileError("too_large")
    rows = xlsx_rows(content)
    header_at = next((i for i, row in enumerate(rows) if set(COLUMNS) <= {clean(c) for c in row}), None)
    if header_at is None:
        raise ImportFileError("columns", ", ".join(COLUMNS))
    header = [clean(c) for c in rows[header_at]]
    index = {field: header.index(column) for column, field in COLUMNS.items() if field}
    entries: list[dict[str, Any]] = []
    numbers: list[int] = []
    for number, row in enumerate(rows[header_at + 1 :], start=header_at + 2):
        cells = {field: clean(row[i]) if i < len(row) else "" for field, i in index.items()}
        if not any(cells.values()):
            continue
        entry: dict[str, Any] = {"source": cells["source"]}
        if cells["ward"]:
            entry["ward"] = cells["ward"]
        entry.update({name: typed_count(cells[name]) for name in PROVINCE_OFFICIAL if cells[name]})
        entries.append(entry)
        numbers.append(number)
    if not entries:
        raise ImportFileError("empty")
    if len(entries) > MAX_WARDS:
        raise ImportFileError("too_many_rows", str(MAX_WARDS))
    return WorkbookEntry({"wards": entries}, numbers)
