"""The official list of provinces and wards (communes), imported from the shipped CSV.

The list changes over time (the 2025 reform, the 2026 Đồng Nai change), so it is data with a date,
imported or updated by `phocap import-units`, never constants in code.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from surveys.core.db import write_transaction
from surveys.core.text import clean
from surveys.tables import Province, Ward

DEFAULT_UNITS_FILE = Path(__file__).parents[1] / "data" / "vn_admin_units_2026-07-25.csv"
_COLUMNS = ("province_code", "province_name", "ward_code", "ward_name")


@dataclass(frozen=True)
class ImportCounts:
    """What an import did."""

    provinces_added: int
    provinces_renamed: int
    wards_added: int
    wards_changed: int


def read_units(path: Path) -> list[dict[str, str]]:
    """The rows of an administrative-units CSV, checked and cleaned."""
    with path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        if tuple(reader.fieldnames or ()) != _COLUMNS:
            raise ValueError(f"{path.name}: expected columns {', '.join(_COLUMNS)}")
        rows = [{k: clean(v) for k, v in row.items()} for row in reader]
    for n, row in enumerate(rows, start=2):
        if not (len(row["province_code"]) == 2 and len(row["ward_code"]) == 5):
            raise ValueError(f"{path.name} line {n}: codes must have 2 (province) and 5 (ward) digits")
    return rows


async def import_units(path: Path = DEFAULT_UNITS_FILE) -> ImportCounts:
    """Add new provinces and wards and update changed names; never deletes (wards keep their data)."""
    rows = read_units(path)
    async with write_transaction():
        provinces = {r["code"]: r for r in await Province.select(Province.id, Province.code, Province.name)}
        p_added = p_renamed = w_added = w_changed = 0
        for code, name in {r["province_code"]: r["province_name"] for r in rows}.items():
            if code not in provinces:
                inserted = await Province.insert(Province(code=code, name=name))
                provinces[code] = {"id": inserted[0]["id"], "code": code, "name": name}
                p_added += 1
            elif provinces[code]["name"] != name:
                await Province.update({Province.name: name}).where(Province.code == code)
                p_renamed += 1
        wards = {r["code"]: r for r in await Ward.select(Ward.code, Ward.name, Ward.province)}
        new_wards = []
        for r in rows:
            province_id = provinces[r["province_code"]]["id"]
            existing = wards.get(r["ward_code"])
            if existing is None:
                new_wards.append(Ward(code=r["ward_code"], name=r["ward_name"], province=province_id))
            elif (existing["name"], existing["province"]) != (r["ward_name"], province_id):
                await Ward.update({Ward.name: r["ward_name"], Ward.province: province_id}).where(
                    Ward.code == r["ward_code"]
                )
                w_changed += 1
        for start in range(0, len(new_wards), 500):
            await Ward.insert(*new_wards[start : start + 500])
        w_added = len(new_wards)
    return ImportCounts(p_added, p_renamed, w_added, w_changed)
