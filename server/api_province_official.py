"""The official figures of a province's wards for a period, as JSON (issue 26 item 7): read by its
officers and national ones, set by its officers (surveys/reporting/province_official.py holds the rules)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, put
from litestar.exceptions import HTTPException
from litestar.params import FromPath

from server.api import _json, _parse, invalid_input
from server.auth import access, client_address, routed_province
from server.openapi import json_body, problems
from surveys.core.validation import InvalidInput
from surveys.people.accounts import Actor
from surveys.reporting.official import OfficialLocked
from surveys.reporting.periods import Period, named_period
from surveys.reporting.province_official import (
    parse_entry,
    province_official_out,
    province_ward_codes,
    save_province_official,
)
from surveys.reporting.schemas import ProvinceOfficialIn, ProvinceOfficialOut


def _period(name: str) -> Period:
    try:
        return named_period(name)
    except InvalidInput as exc:
        raise invalid_input(exc) from exc


class ProvinceOfficialApiController(Controller):
    """`/api/provinces/{code}/official-figures/{period}`: every ward's official figures as of the
    period's last day (`2026-Q3`, `2026-H2`, `2026`)."""

    path = "/api/provinces/{code:str}/official-figures/{period:str}"
    tags = ["reports"]  # noqa: RUF012

    @get("/", opt=access("province.read"), responses=problems(400, 401, 404, 422))
    async def read(
        self, request: Request[Actor, Any, Any], code: FromPath[str], period: FromPath[str]
    ) -> ProvinceOfficialOut:
        """Every ward of the province with its figures (null: not declared), their source, who entered
        them and when, and `locked` (its report on a period holding that day was accepted)."""
        return await province_official_out(routed_province(request), _period(period))

    @put(
        "/",
        operation_class=json_body(ProvinceOfficialIn),
        opt=access("province.manage"),
        responses=problems(400, 401, 404, 409, 413, 422),
    )
    async def save(
        self, request: Request[Actor, Any, Any], code: FromPath[str], period: FromPath[str]
    ) -> ProvinceOfficialOut:
        """`{"wards": [{"ward": "01849", "households": 1200, "digital_family": null, …, "source": …}]}`: each
        ward listed gets exactly these figures (null or left out: not declared), the others are kept. A
        bad value or a ward not of this province is a 422 naming it; a ward whose report on a period
        holding that day was accepted, 409; either way nothing is saved. Audited."""
        chosen = _period(period)
        province = routed_province(request)
        codes = await province_ward_codes(province)
        entry = _parse(await _json(request), lambda raw: parse_entry(raw, codes))
        try:
            await save_province_official(province, chosen, entry, request.user.id, client_address(request))
        except OfficialLocked as exc:
            raise HTTPException(
                status_code=409,
                detail="The province accepted the report of a ward listed on a period holding that day: its "
                "figures are locked until the report is reopened (`locked` in the GET). Nothing was saved.",
            ) from exc
        return await province_official_out(province, chosen)
