"""A household's requests about its data, handled by the ward office: a copy of it, or its erasure."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, post
from litestar.params import FromPath
from litestar.response import Redirect

from server.auth import access, client_address, routed_household
from server.params import FormData
from server.views.households import household_page
from server.views.render import download
from surveys.core.i18n import N_, gettext
from surveys.people.accounts import Actor
from surveys.privacy import erase_household, export_household


class PrivacyController(Controller):
    """`/h/{token}/export` and `/h/{token}/erase`, for the ward's officers."""

    include_in_schema = False  # a page, not the API: /schema documents the API only

    path = "/h/{token:str}"
    opt = access("household.personal_data")

    @post("/export", status_code=200)
    async def export(
        self, request: Request[Actor, Any, Any], token: FromPath[str], data: FormData
    ) -> Response[bytes]:
        """Everything phocap holds about the household, as a file to give it (the request is audited):
        Excel in Vietnamese to read and print, or JSON for another system."""
        row = routed_household(request)
        fmt = "json" if data.get("format") == "json" else "xlsx"
        content = await export_household(row.id, fmt, request.user.id, client_address(request))
        # Named by the household's code and the date: no name in it.
        return download(content, f"phocap-{row.code}", fmt)

    @post("/erase")
    async def erase(self, request: Request[Actor, Any, Any], token: FromPath[str], data: FormData) -> Any:
        """Erase the household's personal data, once its code has been typed again to confirm."""
        row = routed_household(request)
        typed = str(data.get("confirm", "")).strip()
        if typed.upper() != row.code.upper():
            return await household_page(
                request,
                request.user,
                row,
                status_code=422,
                erase_error=gettext(N_("Type the household's code exactly as shown to confirm.")),
                erase_typed=typed,
            )
        await erase_household(row.id, request.user.id, "request", client_address(request))
        return Redirect(f"/villages/{row.village}?erased=true", status_code=303)
