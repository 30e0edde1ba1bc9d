"""The official province and ward list: imported, updated, never duplicated."""

from __future__ import annotations

from pathlib import Path

import pytest

from surveys.register.admin_units import DEFAULT_UNITS_FILE, import_units
from surveys.tables import Province, Ward


async def test_import_loads_34_provinces_and_3321_wards_once(database_url: str) -> None:
    counts = await import_units()
    assert (counts.provinces_added, counts.wards_added) == (34, 3321)
    again = await import_units()
    assert again == type(again)(0, 0, 0, 0)
    assert await Province.count() == 34 and await Ward.count() == 3321
    ward = await Ward.select(Ward.name, Ward.province._.name).where(Ward.code == "01849").first()
    assert ward == {"name": "Xã Phong Quang", "province.name": "Tỉnh Thái Nguyên"}


async def test_a_newer_list_renames_without_losing_wards(database_url: str, tmp_path: Path) -> None:
    await import_units()
    newer = tmp_path / "units.csv"
    text = DEFAULT_UNITS_FILE.read_text(encoding="utf-8").replace("Xã Phong Quang", "Phường Phong Quang")
    newer.write_text(text + "19,Tỉnh Thái Nguyên,99999,Xã Mới Lập\n", encoding="utf-8")
    counts = await import_units(newer)
    assert (counts.wards_added, counts.wards_changed) == (1, 1)
    assert await Ward.select(Ward.name).where(Ward.code == "01849").first() == {"name": "Phường Phong Quang"}


async def test_a_file_with_wrong_columns_is_refused(database_url: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("code,name\n01,Hà Nội\n", encoding="utf-8")
    with pytest.raises(ValueError, match="expected columns"):
        await import_units(bad)
    assert await Province.count() == 0
