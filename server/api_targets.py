"""A province's default targets through the JSON API (issue 26 item 7): read by its officers, set by
them; a ward without its own targets for the year inherits them."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath

from server.api import _json, _parse
from server.auth import access, client_address, routed_province
from server.openapi import json_body, problems
from surveys.core.clock import this_year
from surveys.people.accounts import Actor
from surveys.reporting.schemas import TargetsOut, TargetsUpdate
from surveys.reporting.targets import parse_targets, province_targets_for, save_province_targets, targets_out


class ProvinceTargetsApiController(Controller):
    """`/api/provinces/{code}/targets`: this year's default targets of the province."""

    path = "/api/provinces/{code:str}/targets"
    tags = ["reports"]  # noqa: RUF012

    @get("/", opt=access("province.read"), responses=problems(400, 401, 404))
    async def read(self, request: Request[Actor, Any, Any], code: FromPath[str]) -> TargetsOut:
        """This year's default targets; `source` is `plans` while the province has set none."""
        return targets_out(await province_targets_for(routed_province(request), this_year()))

    @post(
        "/",
        status_code=200,
        operation_class=json_body(TargetsUpdate),
        opt=access("province.manage"),
        responses=problems(400, 401, 404, 413, 422),
    )
    async def save(self, request: Request[Actor, Any, Any], code: FromPath[str]) -> TargetsOut:
        """Set this year's default targets (every one, 0 to 100); a 422 names each bad one, nothing saved."""
        update = _parse(await _json(request), _parse_raw)
        saved = await save_province_targets(
            routed_province(request), this_year(), update, request.user.id, client_address(request)
        )
        return targets_out(saved)


def _parse_raw(raw: Any) -> TargetsUpdate:
    """The JSON body: an object of the targets (numbers, or numbers as text, as the form sends them)."""
    if not isinstance(raw, dict):
        return parse_targets({})
    return parse_targets({k: v for k, v in raw.items() if v is not None and v != ""})
