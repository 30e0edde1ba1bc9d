"""The household page behind the door sticker, its QR code, and recording a visit."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect

from server.auth import client_address, page_guard, sign_in_url
from server.forms import VisitForm, blank_member
from server.views.render import page
from surveys.access import MANAGERS, can_write_village
from surveys.accounts import Actor
from surveys.households import household_by_token, household_detail, visible_household
from surveys.rows import Row
from surveys.settings import Settings
from surveys.stickers import qr_svg, reissue_token
from surveys.validation import InvalidInput
from surveys.visits import VisitConflict, parse_visit, record_visit

FormData = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]


async def _household_for(
    request: Request[Actor | None, Any, Any], token: FromPath[str], write: bool = False
) -> Row:
    """The household if the signed-in user may see it (and change it, with `write`), else 404."""
    actor = request.user
    row = await visible_household(token, actor) if actor else None
    if row is None or (write and not await can_write_village(actor, row.village)):  # type: ignore[arg-type]
        raise NotFoundException()
    return row


class HouseholdController(Controller):
    """`/h/{token}`: the URL the door sticker encodes."""

    path = "/h"

    @get("/{token:str}")
    async def show(
        self,
        request: Request[Actor | None, Any, Any],
        token: FromPath[str],
        saved: FromQuery[bool] = False,
        reissued: FromQuery[bool] = False,
    ) -> Any:
        """The household for a user with access; no personal data for anyone else."""
        if request.user is None:
            row = await household_by_token(token)
            return page(
                request,
                "household_public.html",
                ward_name=row.ward_name if row else None,
                signin_url=sign_in_url(request.url.path),
            )
        row = await _household_for(request, token)
        household = await household_detail(row)
        can_write = await can_write_village(request.user, row.village)
        can_manage = can_write and request.user.role in MANAGERS
        return page(
            request,
            "household.html",
            h=household,
            can_write=can_write,
            can_manage=can_manage,
            saved=saved,
            reissued=reissued,
        )

    @get("/{token:str}/qr.svg", media_type="image/svg+xml", guards=[page_guard])
    async def qr(
        self,
        request: Request[Actor | None, Any, Any],
        settings: NamedDependency[Settings],
        token: FromPath[str],
    ) -> Response[str]:
        """The sticker's QR code: only `BASE_URL/h/<token>`, no name, address or number."""
        row = await _household_for(request, token)
        svg = qr_svg(f"{settings.base_url.rstrip('/')}/h/{row.token}")
        return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "private, max-age=3600"})

    @post("/{token:str}/reissue", guards=[page_guard])
    async def reissue(self, request: Request[Actor | None, Any, Any], token: FromPath[str]) -> Redirect:
        """A new sticker for a lost or copied one: the old link shows the page without personal data."""
        row = await _household_for(request, token, write=True)
        if request.user is None or request.user.role not in MANAGERS:
            raise NotFoundException()
        new_token = await reissue_token(row.id, request.user.id, client_address(request))
        return Redirect(f"/h/{new_token}?reissued=true", status_code=303)

    @get("/{token:str}/visit", guards=[page_guard])
    async def visit_form(self, request: Request[Actor | None, Any, Any], token: FromPath[str]) -> Any:
        """The visit form, filled in with the household's current answers."""
        household = await household_detail(await _household_for(request, token, write=True))
        return page(request, "visit.html", h=household, form=VisitForm.for_household(household))

    @post("/{token:str}/visit", guards=[page_guard])
    async def visit_form_add_member(
        self, request: Request[Actor | None, Any, Any], token: FromPath[str], data: FormData
    ) -> Any:
        """Without JavaScript, "add a member" posts the form here: it comes back as typed, plus a row."""
        household = await household_detail(await _household_for(request, token, write=True))
        form = VisitForm.from_post(data)
        form.add_blank_member()
        return page(request, "visit.html", h=household, form=form)

    @get("/{token:str}/visit/member", guards=[page_guard])
    async def member_row(
        self, request: Request[Actor | None, Any, Any], token: FromPath[str], index: FromQuery[int] = 0
    ) -> Any:
        """An empty member row for the form (HTMX appends it)."""
        await _household_for(request, token, write=True)
        index = max(0, min(index, 59))
        return page(
            request,
            "_member_row.html",
            block="row",
            token=token,
            i=index,
            m=blank_member(),
            errors={},
            oob=True,
        )

    @post("/{token:str}/visits", guards=[page_guard])
    async def save_visit(
        self, request: Request[Actor | None, Any, Any], token: FromPath[str], data: FormData
    ) -> Any:
        """Record the visit; the household page (or its status, for HTMX) shows the result."""
        row = await _household_for(request, token, write=True)
        form = VisitForm.from_post(data)
        try:
            visit = parse_visit(form.payload())
            result = await record_visit(row, visit, request.user, client_address(request))  # type: ignore[arg-type]
        except InvalidInput as exc:
            form.set_errors(exc.errors)
            household = await household_detail(row)
            return page(request, "visit.html", status_code=422, h=household, form=form)
        except VisitConflict as exc:
            form.household_version = str(exc.current.version)
            return page(request, "visit.html", status_code=409, h=exc.current, form=form, conflict=True)
        if not getattr(request, "htmx", False):
            return Redirect(f"/h/{token}?saved=true", status_code=303)
        return page(
            request, "household.html", h=result.household, can_write=True, saved=True, push_url=f"/h/{token}"
        )
