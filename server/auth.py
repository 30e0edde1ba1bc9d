"""Who is asking: the session cookie (pages) or a bearer token (API), and the answer's language.

Pages read only the cookie and the API only the `Authorization` header, so the API needs no CSRF
token and a page cannot be driven by a token leaked into a browser.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import quote

from litestar.connection import ASGIConnection
from litestar.enums import ScopeType
from litestar.exceptions import NotAuthorizedException
from litestar.handlers import BaseRouteHandler
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from surveys.accounts import Actor, actor_for_token
from surveys.i18n import LOCALES, set_locale
from surveys.settings import Settings

SESSION_COOKIE = "phocap_session"
LOCALE_COOKIE = "phocap_lang"


class SignInRequired(Exception):
    """A page needs a signed-in user; answered with a redirect to the sign-in page."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class PasswordChangeRequired(Exception):
    """The user must choose a new password before anything else."""


class IdentifyMiddleware(ASGIMiddleware):
    """Puts the signed-in `Actor` (or None) in `scope["user"]` and picks the answer's language."""

    scopes = (ScopeType.HTTP,)

    @staticmethod
    def should_bypass_for_scope(scope: Scope) -> bool:
        """Static files need no user and no database lookup."""
        return scope["path"].startswith("/static/")

    def __init__(self, settings: Settings) -> None:
        self.idle = timedelta(hours=settings.session_idle_hours)
        self.default_locale = settings.default_locale

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        connection: ASGIConnection[Any, Any, Any, Any] = ASGIConnection(scope)
        if scope["path"].startswith("/api/"):
            header = connection.headers.get("authorization", "")
            scheme, _, token = header.partition(" ")
            actor = (
                await actor_for_token(token.strip(), "api", self.idle) if scheme.lower() == "bearer" else None
            )
        else:
            actor = await actor_for_token(connection.cookies.get(SESSION_COOKIE, ""), "web", self.idle)
        scope["user"] = actor
        set_locale(self._locale(connection, actor))
        await next_app(scope, receive, send)

    def _locale(self, connection: ASGIConnection[Any, Any, Any, Any], actor: Actor | None) -> str:
        for choice in (actor.locale if actor else "", connection.cookies.get(LOCALE_COOKIE, "")):
            if choice in LOCALES:
                return choice
        accept = connection.headers.get("accept-language", "")
        if accept and not accept.lower().startswith("vi") and accept.lower().startswith("en"):
            return "en"
        return self.default_locale


def page_guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Pages for signed-in users: others are sent to sign in, and come back here after. A user whose
    password the ward office reset chooses a new one first."""
    user = connection.scope.get("user")
    if user is None:
        target = connection.url.path + (f"?{connection.url.query}" if connection.url.query else "")
        raise SignInRequired(target)
    if user.must_change_password and connection.url.path != "/password":
        raise PasswordChangeRequired()


def api_guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """API calls need a valid bearer token."""
    if connection.scope.get("user") is None:
        raise NotAuthorizedException("A valid bearer token is required (POST /api/session to get one).")


def client_address(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    """The client's address, as `server.security.ClientAddressMiddleware` decided it (behind a
    trusted proxy, from its `X-Forwarded-For`)."""
    return connection.client.host if connection.client else ""


def safe_next(path: str | None) -> str:
    """A local path to return to after sign-in; anything else (another site) becomes the home page."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/"
    return path


def sign_in_url(next_path: str) -> str:
    """The sign-in page, returning to `next_path` afterwards."""
    return f"/signin?next={quote(safe_next(next_path), safe='/')}"
