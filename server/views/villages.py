"""Finding a household without the QR: the user's villages and each village's household list."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery

from server.auth import page_guard
from server.views.render import page
from surveys.access import can_see_village
from surveys.accounts import Actor
from surveys.households import village_households, visible_villages


class VillageController(Controller):
    """The villages a user covers, and their households."""

    path = "/villages"
    guards = [page_guard]  # noqa: RUF012 - Litestar reads this class attribute

    @get("/")
    async def index(self, request: Request[Actor, Any, Any]) -> Any:
        """The user's villages with their household counts."""
        return page(request, "villages.html", villages=await visible_villages(request.user))

    @get("/{village_id:int}")
    async def households(
        self, request: Request[Actor, Any, Any], village_id: FromPath[int], q: FromQuery[str] = ""
    ) -> Any:
        """A village's households, searchable; HTMX swaps only the results while typing."""
        if not await can_see_village(request.user, village_id):
            raise NotFoundException()
        villages = {v.id: v for v in await visible_villages(request.user)}
        q = q[:100]
        return page(
            request,
            "village.html",
            block="results",
            village=villages[village_id],
            q=q,
            households=await village_households(village_id, q),
        )
