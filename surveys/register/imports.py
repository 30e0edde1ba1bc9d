"""Bulk import of a household list from the CSV or XLSX a village already keeps: one row per person,
grouped into households by a household number. Read, checked row by row (preview), then imported all
or nothing. A household that is already on the register (same accent-folded head name and address in
the village) is skipped, so importing the same file twice creates nothing new."""

from __future__ import annotations

import csv
import io
import secrets
import zipfile
from dataclasses import dataclass, field
from typing import Any

from openpyxl import load_workbook
from openpyxl.xml.functions import iterparse  # as openpyxl parses the sheet itself

from surveys.core.audit import audit
from surveys.core.changes import households_changed
from surveys.core.clock import now, this_year
from surveys.core.db import bulk_insert, write_transaction
from surveys.core.text import clean, fold, name_sort_key, search_key
from surveys.tables import Household, Member, Village

# The template's columns (Vietnamese, as the village's own lists have them).
COLUMNS = ("Thôn", "Hộ số", "Địa chỉ", "Họ và tên", "Năm sinh", "Giới tính", "Chủ hộ")
MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 100_000
MERGE_CELL = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}mergeCell"
_SEX = {"nam": "male", "nu": "female", "khac": "other", "": ""}


class ImportFileError(ValueError):
    """The file cannot be read at all: its code says why (`too_large`, `file_type`, `formulas`,
    `merged_cells`, `columns`, `encoding`, `empty`, `too_many_rows`)."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(code)
        self.code = code
        self.detail = detail


@dataclass
class PersonRow:
    """One person of the file, as read."""

    line: int
    name: str
    birth_year: int | None
    sex: str
    is_head: bool


@dataclass
class HouseholdRow:
    """One household of the file, with its people and problems."""

    key: str
    village_id: int | None
    village_name: str
    address: str
    people: list[PersonRow] = field(default_factory=list)
    problems: list[tuple[int, str]] = field(default_factory=list)  # (line, code)
    duplicate_of: str | None = None  # the code of the household already on the register

    @property
    def head(self) -> PersonRow | None:
        """The head of household (the row marked so, else the first person)."""
        return next((p for p in self.people if p.is_head), self.people[0] if self.people else None)


@dataclass
class Preview:
    """What an import would do."""

    households: list[HouseholdRow]

    @property
    def errors(self) -> list[tuple[int, str]]:
        """Every problem that blocks the import, by line."""
        return sorted(p for h in self.households for p in h.problems)

    @property
    def new(self) -> list[HouseholdRow]:
        """Households to add (not already on the register)."""
        return [h for h in self.households if h.duplicate_of is None]

    @property
    def duplicates(self) -> list[HouseholdRow]:
        """Households skipped: already on the register."""
        return [h for h in self.households if h.duplicate_of is not None]


def read_rows(filename: str, content: bytes) -> list[dict[str, str]]:
    """The rows of an uploaded CSV (UTF-8, with or without BOM) or XLSX, as text, NFC-normalised."""
    if len(content) > MAX_BYTES:
        raise ImportFileError("too_large")
    name = filename.lower()
    if name.endswith(".csv"):
        rows = _csv_rows(content)
    elif name.endswith(".xlsx"):
        rows = xlsx_rows(content)
    else:
        raise ImportFileError("file_type")
    header, *body = rows or [[]]
    header = [clean(h) for h in header]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise ImportFileError("columns", ", ".join(missing))
    if not body:
        raise ImportFileError("empty")
    if len(body) > MAX_ROWS:
        raise ImportFileError("too_many_rows")
    index = {c: header.index(c) for c in COLUMNS}
    return [
        {c: clean(r[i]) if i < len(r) else "" for c, i in index.items()}
        for r in body
        if any(cell.strip() for cell in r)
    ]


def _csv_rows(content: bytes) -> list[list[str]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFileError("encoding") from exc
    return list(csv.reader(io.StringIO(text)))


def xlsx_rows(content: bytes) -> list[list[str]]:
    """The first sheet's rows as text (whole numbers without `.0`), read-only; ImportFileError for a file
    that is not a workbook, or has formulas or merged cells. Also read by the official figures' upload."""
    # Read-only: openpyxl streams the sheet's XML row by row instead of building every cell with its
    # styles (a 5 MB file of tens of thousands of rows took hundreds of MB opened the normal way).
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ImportFileError("file_type") from exc
    try:
        sheet = book.worksheets[0]
        if merged := _merged_ranges(sheet):
            raise ImportFileError("merged_cells", ", ".join(merged[:5]))
        # Some programs write a wrong size into the file; read-only mode would believe it and cut rows.
        sheet.reset_dimensions()
        rows: list[list[str]] = []
        for row in sheet.iter_rows():
            if len(rows) > MAX_ROWS:  # the header and one row too many: enough to refuse the file
                break
            rows.append([_xlsx_value(cell) for cell in row])
        return rows
    finally:
        book.close()


def _xlsx_value(cell: Any) -> str:
    if cell.data_type == "f":
        # A formula's value is not in the file: ask for values, not a guess.
        raise ImportFileError("formulas", cell.coordinate)
    value = cell.value
    if value is None:
        return ""
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def _merged_ranges(sheet: Any) -> list[str]:
    """The merged ranges of a sheet opened read-only, which openpyxl does not give: its `mergeCell`
    elements, read from the sheet's XML as a stream."""
    found = []
    with sheet._get_source() as source:  # openpyxl 3.1's read-only sheet: its XML, opened
        for _, element in iterparse(source):
            if element.tag == MERGE_CELL:
                found.append(element.get("ref", ""))
            element.clear()
    return found


async def preview(rows: list[dict[str, str]], village_ids: set[int]) -> Preview:
    """Group the rows into households and find every problem: missing name, bad birth year, unknown
    village (or one the importer does not keep), a household already on the register."""
    villages = await Village.select(Village.id, Village.name, Village.code).where(
        Village.id.is_in(list(village_ids) or [0])
    )
    by_name = {fold(v["name"]): v["id"] for v in villages} | {fold(v["code"]): v["id"] for v in villages}
    year = this_year()
    households: dict[str, HouseholdRow] = {}
    for line, row in enumerate(rows, start=2):
        village_id = by_name.get(fold(row["Thôn"]))
        key = f"{village_id or fold(row['Thôn'])}|{row['Hộ số'] or line}"
        household = households.setdefault(key, HouseholdRow(key, village_id, row["Thôn"], row["Địa chỉ"]))
        if village_id is None:
            household.problems.append((line, "unknown_village"))
        birth = _year(row["Năm sinh"])
        person = PersonRow(
            line,
            row["Họ và tên"],
            birth,
            _SEX.get(fold(row["Giới tính"]), "?"),
            row["Chủ hộ"].strip().lower() in {"x", "có", "co", "1", "chủ hộ"},
        )
        if not person.name:
            household.problems.append((line, "missing_name"))
        elif len(person.name) > 100:
            household.problems.append((line, "name_too_long"))
        if birth is None or not year - 120 <= birth <= year:
            household.problems.append((line, "bad_year"))
        if person.sex == "?":
            household.problems.append((line, "bad_sex"))
        if not household.address and row["Địa chỉ"]:
            household.address = row["Địa chỉ"]
        household.people.append(person)
    for household in households.values():
        if sum(p.is_head for p in household.people) > 1:
            household.problems.append((household.people[0].line, "two_heads"))
        if not household.address:
            household.problems.append((household.people[0].line, "missing_address"))
    await _find_duplicates([h for h in households.values() if h.village_id is not None])
    return Preview(list(households.values()))


def _year(raw: str) -> int | None:
    try:
        return int(raw)
    except ValueError:
        return None


def _identity(village_id: int, head: str, address: str) -> str:
    return f"{village_id}|{fold(head)}|{fold(address)}"


async def _find_duplicates(households: list[HouseholdRow]) -> None:
    ids = {h.village_id for h in households}
    existing: dict[str, str] = {}
    for row in await Household.select(
        Household.village, Household.head_name, Household.address, Household.code
    ).where(Household.village.is_in(list(ids) or [0]) & Household.archived.eq(False)):
        existing[_identity(row["village"], row["head_name"], row["address"])] = row["code"]
    seen: dict[str, str] = {}
    for h in households:
        if h.head is None or h.village_id is None:
            continue
        identity = _identity(h.village_id, h.head.name, h.address)
        h.duplicate_of = existing.get(identity) or seen.get(identity)
        seen.setdefault(identity, h.key)


async def import_households(result: Preview, user_id: int, client_addr: str = "") -> int:
    """Add the new households of a preview without errors, all or nothing; returns how many."""
    if result.errors:
        raise ValueError("the preview has errors")
    new = result.new
    at = now()
    async with write_transaction():
        codes = await _next_numbers({h.village_id for h in new if h.village_id is not None})
        households = []
        for h in new:
            if h.village_id is None or h.head is None:
                raise ValueError("import_households takes a preview without errors")
            prefix, number = codes[h.village_id]
            codes[h.village_id] = (prefix, number + 1)
            code = f"{prefix}{number + 1:04d}"
            names = " ".join(p.name for p in h.people)
            households.append((secrets.token_urlsafe(16), code, h.village_id, h.address, h.head.name,
                               name_sort_key(h.head.name), search_key(code, h.address, names), at, at))  # fmt: skip
        await bulk_insert(Household, _HOUSEHOLD_COLUMNS, households)
        ids = await _ids_of([h[0] for h in households])
        members = [
            (household_id, p.name, name_sort_key(p.name), p.birth_year, p.sex, p is h.head, at, at)
            for h, household_id in zip(new, ids, strict=True)
            for p in h.people
        ]
        await bulk_insert(Member, _MEMBER_COLUMNS, members)
        await households_changed(ids)
        await audit("household.imported", "ward", None, user_id, {"households": len(ids), "members": len(members),
                    "skipped_duplicates": len(result.duplicates)}, client_addr)  # fmt: skip
    return len(ids)


async def _ids_of(tokens: list[str]) -> list[int]:
    """The ids of households by token, in the order given."""
    found: dict[str, int] = {}
    for start in range(0, len(tokens), 900):
        chunk = tokens[start : start + 900]
        for row in await Household.select(Household.id, Household.token).where(Household.token.is_in(chunk)):
            found[row["token"]] = int(row["id"])
    return [found[t] for t in tokens]


_HOUSEHOLD_COLUMNS = [
    "token",
    "code",
    "village",
    "address",
    "head_name",
    "sort_key",
    "search_key",
    "created_at",
    "updated_at",
]
_MEMBER_COLUMNS = [
    "household",
    "full_name",
    "sort_key",
    "birth_year",
    "sex",
    "is_head",
    "created_at",
    "updated_at",
]


async def _next_numbers(village_ids: set[int]) -> dict[int, tuple[str, int]]:
    """For each village: its code prefix and the highest household number used so far."""
    from surveys.register.register import next_code

    result = {}
    for village_id in sorted(village_ids):  # one order for every import: no two wait for each other
        code = await next_code(village_id)
        prefix, number = code.rsplit("-", 1)
        result[village_id] = (f"{prefix}-", int(number) - 1)
    return result


def template_csv() -> bytes:
    """The template to fill in: the columns and two example households."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    writer.writerow(["Thôn Đồng Tâm", "1", "Xóm Trên", "Nguyễn Văn An", "1970", "Nam", "x"])
    writer.writerow(["Thôn Đồng Tâm", "1", "Xóm Trên", "Trần Thị Bình", "1975", "Nữ", ""])
    writer.writerow(["Thôn Đồng Tâm", "2", "Xóm Dưới", "Đặng Thị Ánh", "1960", "Nữ", "x"])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
