"""Wards and villages as the pages name them: look-ups by code or id, a ward's villages, its settings."""

from __future__ import annotations

from typing import Any

from surveys.core.db import short_statements
from surveys.tables import Province, Village, Ward


async def ward_id(code: str) -> int | None:
    """The id of the ward with the 5-digit `code`, or None."""
    if len(code) != 5:
        return None
    with short_statements():
        ward = await Ward.select(Ward.id).where(Ward.code == code).first()
    return int(ward["id"]) if ward else None


async def province_id(code: str) -> int | None:
    """The id of the province with the 2-digit `code`, or None."""
    if len(code) != 2:
        return None
    with short_statements():
        province = await Province.select(Province.id).where(Province.code == code).first()
    return int(province["id"]) if province else None


async def province_code(province_id: int) -> str | None:
    """The 2-digit code of the province with this id, or None."""
    province = await Province.select(Province.code).where(Province.id == province_id).first()
    return str(province["code"]) if province else None


async def ward_row(ward_id: int) -> dict[str, Any]:
    """The ward's row (its name, digest settings…), or an empty dict when it has gone."""
    return await Ward.select().where(Ward.id == ward_id).first() or {}


async def province_name_of_ward(code: str) -> str:
    """The name of the province of the ward with `code` ("" when unknown)."""
    ward = await Ward.select(Ward.province._.name.as_alias("province")).where(Ward.code == code).first()
    return str(ward["province"]) if ward else ""


async def ward_villages(ward_id: int) -> list[dict[str, Any]]:
    """The ward's villages (`id`, `name`), in the order of their codes."""
    return list(
        await Village.select(Village.id, Village.name).where(Village.ward == ward_id).order_by(Village.code)
    )


async def ward_village_ids(ward_id: int) -> list[int]:
    """The ids of the ward's villages."""
    return [v["id"] for v in await Village.select(Village.id).where(Village.ward == ward_id)]


async def village_ref(village_id: int) -> dict[str, Any] | None:
    """A village's `id`, `name` and `code`, or None."""
    return (
        await Village.select(Village.id, Village.name, Village.code).where(Village.id == village_id).first()
    )
