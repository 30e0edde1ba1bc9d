"""The phone's side of working without a signal: the service worker, the manifest, the pages the
worker keeps for when the network is gone, a village's pages to download (many to an answer), and a
fresh CSRF token for visits sent later from the phone's queue."""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.exceptions import ClientException
from litestar.params import FromPath, FromQuery, Parameter
from litestar.types import Scope
from litestar.utils.scope.state import ScopeState

from server.auth import access
from server.offline_parts import PAGES_MEDIA_TYPE, framed_pages, parts_in_hand
from server.problems import PROBLEM_JSON_OPT
from server.views.render import page
from server.views.villages import list_patch
from server.worker import manifest, service_worker
from surveys.core.i18n import N_, gettext
from surveys.core.settings import Settings
from surveys.people.accounts import Actor
from surveys.people.schemas import CsrfToken
from surveys.reporting.offline import (
    Cursor,
    id_ranges,
    offline_parts,
    parse_cursor,
    village_changes,
    village_changes_part,
    village_cursor,
    village_offline_part,
    village_offline_urls,
)
from surveys.reporting.schemas import OfflineChanges, OfflineUrls

_worker = cache(service_worker)


def _csrf(scope: Scope) -> str:
    return str(ScopeState.from_scope(scope).csrf_token or "")


def _cursor(since: str) -> Cursor:
    """The cursor a phone sent, or a 400 problem."""
    cursor = parse_cursor(since)
    if cursor is None:
        raise ClientException(detail="since is not a cursor this server gave; download the village again.")
    return cursor


class OfflineController(Controller):
    """`/sw.js`, `/manifest.webmanifest`, the offline pages, downloads and tokens for the queue."""

    include_in_schema = False  # the phone's plumbing, not the API

    @get("/sw.js", sync_to_thread=False, opt=access("public"))
    def worker(self, settings: NamedDependency[Settings]) -> Response[str]:
        """The service worker, with this release's precache list (scope `/`: served from the root)."""
        # no-cache: the browser asks each time whether the worker changed (a release), cheaply.
        return Response(
            _worker(settings), media_type="text/javascript", headers={"Cache-Control": "no-cache"}
        )

    @get("/manifest.webmanifest", sync_to_thread=False, opt=access("public"))
    def app_manifest(self) -> Response[dict[str, Any]]:
        """The web app manifest, in the user's language: the browser offers to install phocap."""
        body = manifest(
            gettext(N_("phocap: digital families and digital identity")),
            "phocap",
            gettext(N_("Bình dân học vụ số: survey of digital families and digital identity.")),
        )
        return Response(body, media_type="application/manifest+json", headers={"Cache-Control": "no-cache"})

    @get("/offline/saved", sync_to_thread=False, opt=access("public"))
    def saved(self, request: Request[Actor | None, Any, Any]) -> Any:
        """What the worker answers to a visit it kept on the phone (the household link filled in by it)."""
        return page(request, "offline.html", kind="saved")

    @get("/offline/missing", sync_to_thread=False, opt=access("public"))
    def missing(self, request: Request[Actor | None, Any, Any], kind: FromQuery[str] = "page") -> Any:
        """What the worker answers with no network and no stored copy of the page asked for, or to a
        sign-out with no network (`signedout`)."""
        return page(request, "offline.html", kind=kind if kind in ("household", "signedout") else "page")

    @get("/queue", sync_to_thread=False, opt=access("public"))
    def queue(self, request: Request[Actor | None, Any, Any]) -> Any:
        """The visits waiting on this phone (the page script lists them: they live only on the phone)."""
        return page(request, "queue.html")

    @get("/villages/{village_id:int}/offline.json", opt=access("village.read"))
    async def village_pages(
        self,
        request: Request[Actor, Any, Any],
        settings: NamedDependency[Settings],
        village_id: FromPath[int],
    ) -> OfflineUrls:
        """The pages to store for work in this village without a signal, the parts that bring them, and
        the cursor a later refresh starts from (taken before the pages are listed: nothing is missed)."""
        cursor = await village_cursor(village_id)
        urls = await village_offline_urls(request.user, village_id)
        count = len(offline_parts(urls, settings.offline_part_pages))
        parts = [f"/villages/{village_id}/offline/pages?part={k}" for k in range(1, count + 1)]
        return OfflineUrls(urls=urls, parts=parts, cursor=str(cursor))

    @get(
        "/villages/{village_id:int}/offline/changes",
        opt={**access("village.read"), PROBLEM_JSON_OPT: True},
    )
    async def village_changes(
        self,
        request: Request[Actor, Any, Any],
        settings: NamedDependency[Settings],
        village_id: FromPath[int],
        since: FromQuery[str],
    ) -> OfflineChanges:
        """What changed in this village since the phone's copy (`since`, the cursor its download or last
        refresh gave): the pages to fetch again, through parts as a download's, those to delete, and the
        patch of the village's list (its head, the rows changed or added, the households it holds)."""
        changes = await village_changes(request.user, village_id, _cursor(since))
        count = len(offline_parts(changes.pages, settings.offline_part_pages)) if changes.pages else 0
        parts = [f"/villages/{village_id}/offline/pages?since={since}&part={k}" for k in range(1, count + 1)]
        patch = await list_patch(request, village_id, changes)
        return OfflineChanges(
            cursor=str(changes.cursor), pages=changes.pages, parts=parts, gone=changes.gone, list=changes.list,
            head=patch.head, rows=patch.rows, ids=patch.ids, villages=id_ranges(changes.villages),
        )  # fmt: skip

    @get(
        "/villages/{village_id:int}/offline/pages",
        opt={**access("village.read"), PROBLEM_JSON_OPT: True},
    )
    async def village_part(
        self,
        request: Request[Actor, Any, Any],
        settings: NamedDependency[Settings],
        village_id: FromPath[int],
        part: Annotated[int, Parameter(ge=1)] = 1,
        since: FromQuery[str | None] = None,
    ) -> Response[bytes]:
        """Part `part` of the village's pages in one answer (server/offline_parts.py), each exactly
        what a GET of it by this user answers: a few requests for a village, not one per page. At most
        PARTS_PER_USER parts of one user are drawn at once: another is a 429 with Retry-After. With
        `since`, the parts of a refresh from that cursor (`offline/changes`)."""
        with parts_in_hand.one(request.user.id):
            if since is None:
                urls = await village_offline_part(request.user, village_id, part, settings.offline_part_pages)
            else:
                urls = await village_changes_part(
                    request.user, village_id, _cursor(since), part, settings.offline_part_pages
                )
            if urls is None:
                raise ClientException(detail="The village's download has no such part.")
            return Response(await framed_pages(request, urls), media_type=PAGES_MEDIA_TYPE)

    @get("/csrf", sync_to_thread=False, opt=access("public"))
    def csrf(self, request: Request[Actor | None, Any, Any]) -> CsrfToken:
        """A current CSRF token: the phone's queue sends a visit kept for days with a fresh one."""
        return CsrfToken(token=_csrf(request.scope))
