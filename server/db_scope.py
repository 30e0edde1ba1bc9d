"""One database scope per request (on PostgreSQL: one connection for all its queries)."""

from __future__ import annotations

from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from surveys.core.db import request_scope


class DatabaseScopeMiddleware(ASGIMiddleware):
    """Runs the request inside `surveys.core.db.request_scope()`: the connection it takes is given back
    once the answer, error pages included, has been sent."""

    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        async with request_scope():
            await next_app(scope, receive, send)
