"""The household page behind the door sticker, its QR code, and recording a visit."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect

from server.auth import access, client_address, routed_household, sign_in_url
from server.forms import VisitForm, blank_member
from server.params import Flag, FormData
from server.replay import is_replay, replay_result
from server.views.render import page
from surveys.core.rows import Row
from surveys.core.settings import Settings
from surveys.core.validation import InvalidInput
from surveys.learning.pages import member_learning
from surveys.people.access import allowed
from surveys.people.accounts import Actor
from surveys.register.households import household_by_token
from surveys.register.stickers import qr_svg, reissue_token
from surveys.schemas import Household
from surveys.survey.household_view import household_view
from surveys.survey.status import household_detail
from surveys.survey.visits import VisitConflict, parse_visit, record_visit


async def household_page(
    request: Request[Any, Any, Any],
    actor: Actor,
    row: Row,
    status_code: int = 200,
    detail: Household | None = None,
    **context: Any,
) -> Any:
    """The household page (whole, or its main block for HTMX) as `household_view` builds it for
    `actor`: the one path for the sticker's link, a saved visit and a refused erasure."""
    view = await household_view(actor, row, detail)
    if view is None:
        raise NotFoundException()
    learning = await member_learning(view.h)
    return page(request, "household.html", status_code=status_code, **vars(view), **vars(learning), **context)


class HouseholdController(Controller):
    """`/h/{token}`: the URL the door sticker encodes."""

    include_in_schema = False  # a page, not the API: /schema documents the API only

    path = "/h"

    @get("/{token:str}", opt=access("public"))
    async def show(
        self,
        request: Request[Actor | None, Any, Any],
        token: FromPath[str],
        saved: Flag = "false",
        reissued: Flag = "false",
    ) -> Any:
        """The household for a user with access; no personal data for anyone else."""
        row = await household_by_token(token, archived=True)
        if request.user is None:
            return page(
                request,
                "household_public.html",
                ward_name=row.ward_name if row and not row.archived else None,
                signin_url=sign_in_url(request.url.path),
            )
        if row is None or not await allowed(request.user, "household.read", village_id=row.village):
            raise NotFoundException()
        return await household_page(
            request, request.user, row, saved=saved == "true", reissued=reissued == "true"
        )

    @get("/{token:str}/qr.svg", media_type="image/svg+xml", opt=access("household.read"))
    async def qr(
        self,
        request: Request[Actor, Any, Any],
        settings: NamedDependency[Settings],
        token: FromPath[str],
    ) -> Response[str]:
        """The sticker's QR code: only `BASE_URL/h/<token>`, no name, address or number."""
        row = routed_household(request)
        svg = qr_svg(f"{settings.base_url.rstrip('/')}/h/{row.token}", standalone=True)
        return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "private, max-age=3600"})

    @get("/{token:str}/reissue", opt=access("household.manage"))
    async def reissue_confirm(self, request: Request[Actor, Any, Any], token: FromPath[str]) -> Any:
        """Asks before a new sticker is made: the one on the door stops working at once."""
        return page(request, "reissue.html", h=routed_household(request))

    @post("/{token:str}/reissue", opt=access("household.manage"))
    async def reissue(self, request: Request[Actor, Any, Any], token: FromPath[str], data: FormData) -> Any:
        """A new sticker for a lost or copied one, once confirmed (a post without `confirm=yes`, as the
        household page's button sends, gets the question first): the old link then shows the page
        without personal data."""
        row = routed_household(request)
        if data.get("confirm") != "yes":
            return page(request, "reissue.html", h=row)
        new_token = await reissue_token(row.id, request.user.id, client_address(request))
        return Redirect(f"/h/{new_token}?reissued=true", status_code=303)

    @get("/{token:str}/visit", opt=access("household.visit"))
    async def visit_form(self, request: Request[Actor, Any, Any], token: FromPath[str]) -> Any:
        """The visit form, filled in with the household's current answers."""
        household = await household_detail(routed_household(request))
        return page(request, "visit.html", h=household, form=VisitForm.for_household(household))

    @post("/{token:str}/visit", opt=access("household.visit"))
    async def visit_form_add_member(
        self, request: Request[Actor, Any, Any], token: FromPath[str], data: FormData
    ) -> Any:
        """Without JavaScript, "add a member" posts the form here: it comes back as typed, plus a row.
        After signing in again (`resume`), the answers kept come back as typed."""
        household = await household_detail(routed_household(request))
        form = VisitForm.from_post(data, household)
        if not data.get("resume"):
            form.add_blank_member()
        return page(request, "visit.html", h=household, form=form)

    @get("/{token:str}/visit/member", opt=access("household.visit"))
    async def member_row(
        self, request: Request[Actor, Any, Any], token: FromPath[str], index: FromQuery[int] = 0
    ) -> Any:
        """An empty member row for the form (HTMX appends it)."""
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

    @post("/{token:str}/visits", opt=access("household.visit"))
    async def save_visit(
        self, request: Request[Actor, Any, Any], token: FromPath[str], data: FormData
    ) -> Any:
        """Record the visit; the household page (or its status, for HTMX) shows the result, and the phone's
        replay of a kept visit gets the explicit result naming its client_id (server/replay.py)."""
        row = routed_household(request)
        household = await household_detail(row)
        form = VisitForm.from_post(data, household)
        try:
            visit = parse_visit(form.payload())
            result = await record_visit(row, visit, request.user, client_address(request))
        except InvalidInput as exc:
            form.set_errors(exc.errors)
            return page(request, "visit.html", status_code=422, h=household, form=form)
        except VisitConflict as exc:
            form.household_version = str(exc.current.version)
            return page(request, "visit.html", status_code=409, h=exc.current, form=form, conflict=True)
        if is_replay(request):
            return replay_result(visit.client_id, result.created)
        if not getattr(request, "htmx", False):
            return Redirect(f"/h/{token}?saved=true", status_code=303)
        return await household_page(
            request, request.user, row, detail=result.household, saved=True, push_url=f"/h/{token}"
        )
