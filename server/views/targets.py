"""`/provinces/{code}/targets`: the province's default targets for this year, which its wards without
their own inherit, set by its officers (issue 26 item 7)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect

from server.auth import access, client_address, routed_province
from server.params import FormData
from server.views.render import page
from surveys.core.clock import this_year
from surveys.core.messages import error_message
from surveys.core.validation import InvalidInput
from surveys.people.accounts import Actor
from surveys.reporting.targets import (
    TARGET_FIELDS,
    parse_targets,
    province_targets_for,
    save_province_targets,
    targets_typed,
)


class ProvinceTargetsController(Controller):
    """The province's default targets: a form for its officers (and admins)."""

    include_in_schema = False  # a page, not the API

    path = "/provinces/{code:str}/targets"
    opt = access("province.manage")

    async def _form(
        self, request: Request[Actor, Any, Any], typed: dict[str, str] | None = None, **context: Any
    ) -> Any:
        """The form: this year's targets, or `typed` with its errors."""
        targets = await province_targets_for(routed_province(request), this_year())
        values = typed or {name: str(getattr(targets, name)) for name in TARGET_FIELDS}
        code = request.path_params["code"]
        return page(request, "province_targets.html", code=code, year=targets.year, values=values,
                    source=targets.source, **{"errors": {}, **context})  # fmt: skip

    @get("/")
    async def form(self, request: Request[Actor, Any, Any], code: FromPath[str]) -> Any:
        """This year's default targets, editable."""
        return await self._form(request)

    @post("/")
    async def save(
        self,
        request: Request[Actor, Any, Any],
        code: FromPath[str],
        data: FormData,
    ) -> Any:
        """Save them; a bad value comes back with its message and everything as typed (422)."""
        typed = targets_typed(data)
        try:
            update = parse_targets(typed)
        except InvalidInput as exc:
            errors = {e.field: error_message("percent", e.code) for e in exc.errors}
            return await self._form(request, typed, status_code=422, errors=errors)
        await save_province_targets(
            routed_province(request), this_year(), update, request.user.id, client_address(request)
        )
        return Redirect(f"/provinces/{code}", status_code=303)
