"""The phone's side of working without a signal: the service worker, the manifest, the pages the
worker keeps for when the network is gone, a village's pages to download, and a fresh CSRF token
for visits sent later from the phone's queue."""

from __future__ import annotations

from functools import cache
from typing import Any

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.types import Scope
from litestar.utils.scope.state import ScopeState

from server.auth import access
from server.views.render import page
from server.worker import manifest, service_worker
from surveys.core.i18n import N_, gettext
from surveys.core.settings import Settings
from surveys.people.accounts import Actor
from surveys.people.schemas import CsrfToken
from surveys.reporting.offline import village_offline_urls
from surveys.reporting.schemas import OfflineUrls

_worker = cache(service_worker)


def _csrf(scope: Scope) -> str:
    return str(ScopeState.from_scope(scope).csrf_token or "")


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
        return page(request, "offline.html", app_shell=True, kind="saved")

    @get("/offline/missing", sync_to_thread=False, opt=access("public"))
    def missing(self, request: Request[Actor | None, Any, Any], kind: FromQuery[str] = "page") -> Any:
        """What the worker answers with no network and no stored copy of the page asked for."""
        return page(
            request, "offline.html", app_shell=True, kind="household" if kind == "household" else "page"
        )

    @get("/queue", sync_to_thread=False, opt=access("public"))
    def queue(self, request: Request[Actor | None, Any, Any]) -> Any:
        """The visits waiting on this phone (the page script lists them: they live only on the phone)."""
        return page(request, "queue.html", app_shell=True)

    @get("/villages/{village_id:int}/offline.json", opt=access("village.read"))
    async def village_pages(
        self, request: Request[Actor, Any, Any], village_id: FromPath[int]
    ) -> OfflineUrls:
        """The pages to store for work in this village without a signal."""
        return OfflineUrls(urls=await village_offline_urls(request.user, village_id))

    @get("/csrf", sync_to_thread=False, opt=access("public"))
    def csrf(self, request: Request[Actor | None, Any, Any]) -> CsrfToken:
        """A current CSRF token: the phone's queue sends a visit kept for days with a fresh one."""
        return CsrfToken(token=_csrf(request.scope))
