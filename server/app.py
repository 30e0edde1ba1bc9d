"""The one app factory: `create_app(settings)` wires database, pages, API, security and scheduler."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
from litestar import Litestar, Router
from litestar.config.compression import CompressionConfig
from litestar.di import Provide
from litestar.exceptions import HTTPException, ImproperlyConfiguredException
from litestar.handlers import HTTPRouteHandler
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.plugins.htmx import HTMXPlugin
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template.config import TemplateConfig

from server import templating
from server.access_log import AccessLogMiddleware
from server.api import ApiController, SessionController, healthz
from server.api_digital_team import DigitalTeamApiController
from server.api_learning import ClassApiController, HelpApiController
from server.api_province_official import ProvinceOfficialApiController
from server.api_reports import ProvinceReportApiController, ReportApiController
from server.api_submissions import (
    ProvinceSubmissionApiController,
    ReportScheduleApiController,
    SubmissionApiController,
)
from server.api_targets import ProvinceTargetsApiController
from server.auth import (
    IdentifyMiddleware,
    PasswordChangeRequired,
    SignInRequired,
    access,
    access_guard,
    is_litestar_options,
)
from server.compression import SizedBrotli
from server.csrf import CrossSiteMiddleware, SessionCsrfMiddleware
from server.db_scope import DatabaseScopeMiddleware
from server.htmx_request import PhocapRequest
from server.options import OptionsMiddleware
from server.problems import (
    busy_handler,
    http_exception_handler,
    internal_error_handler,
    out_of_area_handler,
    password_change_handler,
    reused_client_id_handler,
    sign_in_handler,
)
from server.read_your_writes import ReadYourWritesMiddleware
from server.security import (
    AllowedHostsMiddleware,
    ClientAddressMiddleware,
    NulCharacterMiddleware,
    SecurityHeadersMiddleware,
)
from server.static import assets, static_file
from server.views.auth import AuthController
from server.views.classes import ClassController, ClassTopicController
from server.views.country import CountryController
from server.views.digests import DigestController, ProfileController
from server.views.digital_team import DigitalTeamController
from server.views.households import HouseholdController
from server.views.imports import ImportController
from server.views.official import OfficialController
from server.views.offline import OfflineController
from server.views.privacy import PrivacyController
from server.views.province_official import ProvinceOfficialController
from server.views.provinces import ProvinceController
from server.views.register import RegisterController
from server.views.reports import ProvinceReportController, ReportController
from server.views.staff import PasswordController, StaffController, StaffOldPathController
from server.views.submissions import ProvinceSubmissionController, WardSubmissionController
from server.views.targets import ProvinceTargetsController
from server.views.thresholds import ThresholdsController
from server.views.villages import StickerController, VillageController
from server.views.wards import WardController
from surveys.core.db import bind, close_pool, engine_for_url, ensure_migrated, open_pool
from surveys.core.outages import quiet_driver_reconnects
from surveys.core.replicas import routes_reads
from surveys.core.settings import Settings, get_settings
from surveys.core.validation import ReusedClientId
from surveys.people.access import RULES, OutOfArea
from surveys.people.hashing import HashingBusy
from surveys.register.stickers import close_pool as close_qr_workers

log = logging.getLogger(__name__)
Background = Callable[[Settings], AbstractAsyncContextManager[Any]]
WEB_DIR = Path(__file__).resolve().parent.parent / "web"
# Forms and JSON bodies of phocap are small; anything larger is refused before it is read.
MAX_BODY_BYTES = 1024 * 1024


def configure_logging(level: str) -> None:
    """Plain logging to stderr, once per process (a no-op when logging is already set up); a database
    outage is said once per interval, the driver's reconnect tracebacks included."""
    logging.basicConfig(level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    quiet_driver_reconnects()


def check_access_rules(app: Litestar) -> None:
    """Refuse to start when a route names no access rule (a new route must say who may use it), or
    when the access check is not the hook it runs before its handler."""
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            if isinstance(handler, HTTPRouteHandler) and handler.resolve_before_request() is not access_guard:
                raise ImproperlyConfiguredException(
                    f"{route.path} ({handler.handler_name}) runs another hook than the access check"
                )
            if is_litestar_options(handler):
                continue
            if handler.opt.get("access") not in RULES:
                raise ImproperlyConfiguredException(
                    f"{route.path} ({handler.handler_name}) names no access rule"
                )


def create_app(settings: Settings | None = None, background: Background | None = None) -> Litestar:
    """The phocap ASGI app for `settings` (default: from the environment).

    `background` is run for the app's lifetime: the launcher passes the embedded scheduler there, so
    the web app itself does not depend on the scheduler (docs/architecture.md §2)."""
    settings = (settings or get_settings()).with_secret()
    configure_logging(settings.log_level)
    engine = engine_for_url(settings.resolved_database_url, settings.replica_urls)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        # The engine the app serves from now, not the one it was made with (see `serve_from`).
        database = app.state.engine
        await open_pool(database, settings.database_pool_size)
        try:
            await ensure_migrated()
            # Static files are compressed once per process (brotli at its best quality takes a moment):
            # at start-up, in a thread, not in the first visitor's request.
            await anyio.to_thread.run_sync(assets)
            async with AsyncExitStack() as stack:
                if background is not None:
                    await stack.enter_async_context(background(settings))
                yield
        finally:
            close_qr_workers()
            await close_pool(database)

    template_config: TemplateConfig[JinjaTemplateEngine] = TemplateConfig(
        directory=WEB_DIR / "templates",
        engine=JinjaTemplateEngine,
        engine_callback=lambda engine: templating.configure(engine.engine, settings),
    )
    exception_handlers: dict[Any, Any] = {
        HTTPException: http_exception_handler,
        SignInRequired: sign_in_handler,
        PasswordChangeRequired: password_change_handler,
        HashingBusy: busy_handler,
        OutOfArea: out_of_area_handler,
        ReusedClientId: reused_client_id_handler,
        Exception: internal_error_handler,
    }
    app = Litestar(
        route_handlers=[
            AuthController,
            HouseholdController,
            PrivacyController,
            VillageController,
            StickerController,
            RegisterController,
            ImportController,
            OfflineController,
            WardController,
            ProvinceController,
            CountryController,
            ThresholdsController,
            ReportController,
            ReportApiController,
            ProvinceReportController,
            WardSubmissionController,
            ProvinceSubmissionController,
            ProvinceReportApiController,
            SubmissionApiController,
            ProvinceSubmissionApiController,
            ReportScheduleApiController,
            OfficialController,
            ProvinceOfficialController,
            ProvinceOfficialApiController,
            ProvinceTargetsController,
            ProvinceTargetsApiController,
            DigestController,
            ProfileController,
            StaffController,
            StaffOldPathController,
            ClassController,
            ClassTopicController,
            DigitalTeamController,
            PasswordController,
            SessionController,
            ApiController,
            ClassApiController,
            HelpApiController,
            DigitalTeamApiController,
            healthz,
            static_file,
        ],
        dependencies={"settings": Provide(lambda: settings, use_cache=True, sync_to_thread=False)},
        lifespan=[lifespan],
        middleware=[
            # Outermost of these, so the session lookup's occasional write counts as one (replicas only).
            *([ReadYourWritesMiddleware(settings)] if routes_reads(engine) else []),
            OptionsMiddleware(),
            CrossSiteMiddleware(settings),
            IdentifyMiddleware(settings),
            NulCharacterMiddleware(MAX_BODY_BYTES),
            # After the body checks: it may parse the form for its `_csrf_token`.
            SessionCsrfMiddleware(settings),
        ],
        plugins=[HTMXPlugin()],
        request_class=PhocapRequest,
        template_config=template_config,
        # Brotli for the phones (Chromium accepts it over HTTPS), gzip for the rest. A visit form comes
        # ~15 % smaller than gzip's (a village of 750 households taken offline: ~1 MB less over 3G,
        # tests/benchmarks/offline_download.py) for a third of a millisecond more a page at quality 5;
        # a small answer at quality 3 (server/compression.py).
        compression_config=CompressionConfig(
            backend="sized-brotli",
            compression_facade=SizedBrotli,
            gzip_fallback=True,
            minimum_size=500,
            gzip_compress_level=6,
            exclude_opt_key="skip_compression",
        ),
        openapi_config=OpenAPIConfig(
            title="phocap API",
            version="1",
            path="/schema",
            openapi_router=Router(
                path="/schema", route_handlers=[], opt=access("public"), include_in_schema=False
            ),
            # JSON only: a UI page would load scripts from elsewhere, which the CSP (rightly) refuses.
            render_plugins=[JsonRenderPlugin(path=["/", "/openapi.json"])],
        ),
        exception_handlers=exception_handlers,
        request_max_body_size=MAX_BODY_BYTES,
        debug=False,
        # Logging is set up once, by configure_logging: Litestar's own set-up would replace the root
        # logger's handlers.
        logging_config=None,
        # Every route, the API's and the static files' too, passes the one access check, before its
        # arguments are read (`check_access_rules` refuses a route with a hook of its own instead).
        before_request=access_guard,
    )
    check_access_rules(app)
    wrap_every_answer(app, settings)
    serve_from(app, engine)
    return app


def serve_from(app: Litestar, engine: Any) -> None:
    """Serve `app` from `engine` (made by `engine_for_url`): bound to every table now, its pool opened
    and closed by the app's lifespan. The tests serve one app from each test's database in turn."""
    app.state.engine = engine
    bind(engine)


def wrap_every_answer(app: Litestar, settings: Settings) -> None:
    """Put the host check, the security headers, the access log and the client address around the whole
    app. Litestar runs its `middleware` only for a request that matched a route, so an unknown path
    (404) or method (405) would pass without them."""
    handler = app.asgi_handler
    for outer in (
        DatabaseScopeMiddleware(),
        AllowedHostsMiddleware(settings.host_list),
        SecurityHeadersMiddleware(settings),
        AccessLogMiddleware(),
        ClientAddressMiddleware(settings.proxy_networks),
    ):
        handler = outer(handler)
    app.asgi_handler = handler
