"""Read-your-writes with read replicas: each request is a `read_scope`, and a request that wrote leaves
the client a signed cookie with the primary's WAL position, so the client's next requests read a replica
only once it has replayed that far (surveys/core/replicas.py). Only in the app when replicas are set."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from surveys.core.db import current_engine
from surveys.core.replicas import position_from_signed, read_scope, signed_position, written_position
from surveys.core.settings import Settings

WRITTEN_COOKIE = "phocap_written"
# Seconds a client keeps checking that a replica has its last write: far beyond any healthy lag, and
# short enough that a client which wrote once does not ask the replica's position for the whole day.
WRITTEN_COOKIE_SECONDS = 600


class ReadYourWritesMiddleware(ASGIMiddleware):
    """Opens the request's `read_scope` from the client's cookie and renews the cookie after a write."""

    scopes = (ScopeType.HTTP,)

    def __init__(self, settings: Settings) -> None:
        self.secret = settings.secret_key
        self.secure = settings.cookie_secure

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        cookie = ASGIConnection[Any, Any, Any, Any](scope).cookies.get(WRITTEN_COOKIE, "")
        with read_scope(position_from_signed(cookie, self.secret) if cookie else 0) as reads:

            async def send_noting_writes(message: Message) -> None:
                if message["type"] == "http.response.start" and reads.wrote:
                    position = await written_position(current_engine())
                    if position is not None:
                        MutableScopeHeaders.from_message(message).add(*self._cookie_header(position))
                await send(message)

            await next_app(scope, receive, send_noting_writes)

    def _cookie_header(self, position: int) -> tuple[str, str]:
        name, value = Cookie(
            key=WRITTEN_COOKIE,
            value=signed_position(position, self.secret),
            max_age=WRITTEN_COOKIE_SECONDS,
            path="/",
            httponly=True,
            secure=self.secure,
            samesite="lax",
        ).to_encoded_header()
        return name.decode(), value.decode()
