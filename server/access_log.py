"""One log line per request, without the query string: searches carry people's names, and names
stay out of logs (docs/architecture.md §6). Replaces uvicorn's access log. A page made inside another
request (a village's download in parts, server/offline_parts.py) is logged too, saying within which:
it is a page the user was sent, not a request of its own."""

from __future__ import annotations

import logging
import time

from litestar.enums import ScopeType
from litestar.exceptions import HTTPException
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from server.offline_parts import WITHIN

log = logging.getLogger("phocap.access")


class AccessLogMiddleware(ASGIMiddleware):
    """Logs method, path, status and duration of each request."""

    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        started = time.perf_counter()
        status = 500

        async def record_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        within = (scope.get("extensions") or {}).get(WITHIN, {}).get("path", "")
        try:
            await next_app(scope, receive, record_status)
        except HTTPException as exc:
            # Refused before a handler ran (a CSRF failure, a body too large): answered further out.
            status = exc.status_code
            raise
        finally:
            elapsed = (time.perf_counter() - started) * 1000
            where = f" (within {within})" if within else ""
            log.info("%s %s %d %.0fms%s", scope.get("method", ""), scope["path"], status, elapsed, where)
