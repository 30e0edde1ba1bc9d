"""`OPTIONS` answers that list every method of their path.

Litestar makes a path's `OPTIONS` answer when the path's first handler registers, and a handler added
to the path later (the `DELETE` beside `POST /api/session`, the `POST` beside `GET /signin`) was missing
from its `Allow` header. This answers `OPTIONS` from the route as the app finally holds it."""

from __future__ import annotations

from litestar import Response
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.routes import HTTPRoute
from litestar.status_codes import HTTP_204_NO_CONTENT
from litestar.types import ASGIApp, Receive, Scope, Send

from server.auth import is_litestar_options


class OptionsMiddleware(ASGIMiddleware):
    """Answers Litestar's own `OPTIONS` handler's requests: 204 with `Allow` naming every method."""

    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        handler = scope.get("route_handler")
        if scope.get("method") != "OPTIONS" or handler is None or not is_litestar_options(handler):
            await next_app(scope, receive, send)
            return
        paths = handler.paths
        methods = {
            method
            for route in scope["litestar_app"].routes
            if isinstance(route, HTTPRoute) and route.path in paths
            for method in route.methods
        }
        response: Response[None] = Response(
            None, status_code=HTTP_204_NO_CONTENT, headers={"Allow": ", ".join(sorted(methods))}
        )
        await response.to_asgi_response(app=None, request=None)(scope, receive, send)  # type: ignore[arg-type]
