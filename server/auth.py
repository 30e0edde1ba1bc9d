"""Who is asking: the session cookie (pages) or a bearer token (API), and the answer's language.

Pages read only the cookie and the API only the `Authorization` header, so the API needs no CSRF
token and a page cannot be driven by a token leaked into a browser.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast
from urllib.parse import quote

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.enums import ScopeType
from litestar.exceptions import (
    HTTPException,
    ImproperlyConfiguredException,
    NotAuthorizedException,
    NotFoundException,
)
from litestar.handlers import BaseRouteHandler
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from server.security import request_header
from surveys.core.i18n import LOCALES, set_locale
from surveys.core.rows import Row
from surveys.core.settings import Settings
from surveys.people.access import RULES, Rule, allowed
from surveys.people.accounts import Actor, actor_for_token
from surveys.register.households import actor_and_household, household_by_token
from surveys.register.places import province_id, ward_id
from surveys.reporting.offline import storage_key

SESSION_COOKIE = "phocap_session"
LOCALE_COOKIE = "phocap_lang"
# The phone's key of the user a post was made for (web/sw.js: a replay of its queue, a sign-out kept
# while offline): what the phone saved for one user is never recorded under another's session.
FOR_USER_HEADER = "x-phocap-user"


class SignInRequired(Exception):
    """A page needs a signed-in user; answered with a redirect to the sign-in page, or, for a form
    posted after the session ended, with the sign-in page carrying the form's fields (`carried`)."""

    def __init__(self, next_path: str, carried: list[tuple[str, str]] | None = None) -> None:
        super().__init__(next_path)
        self.next_path = next_path
        self.carried = carried


class OtherUserRefused(HTTPException):
    """403, a problem body: a post the phone kept for one user, sent while another is signed in."""

    status_code = 403


class PasswordChangeRequired(Exception):
    """The user must choose a new password before anything else."""


_FOR_USER = FOR_USER_HEADER.encode("latin-1")


class IdentifyMiddleware(ASGIMiddleware):
    """Puts the signed-in `Actor` (or None) in `scope["user"]` and picks the answer's language."""

    scopes = (ScopeType.HTTP,)

    @staticmethod
    def should_bypass_for_scope(scope: Scope) -> bool:
        """Static files and the health check need no user and no database lookup (the health check
        answers its own body when the database is down)."""
        return scope["path"].startswith("/static/") or scope["path"] == "/healthz"

    def __init__(self, settings: Settings) -> None:
        self.idle = timedelta(hours=settings.session_idle_hours)
        self.default_locale = settings.default_locale
        self.secret = settings.secret_key

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        # The two headers it reads are read from the scope: every request passes here, and Litestar's
        # connection would copy them all first.
        if scope["path"].startswith("/api/"):
            scheme, _, token = (request_header(scope, b"authorization") or "").partition(" ")
            token, kind = (token.strip() if scheme.lower() == "bearer" else ""), "api"
        else:
            token, kind = ASGIConnection[Any, Any, Any, Any](scope).cookies.get(SESSION_COOKIE, ""), "web"
        household = _routed_household_token(scope)
        if household is None:
            actor = await actor_for_token(token, kind, self.idle)
        else:
            # The access check reads the route's household: read with the session, a round trip less.
            actor, read = await actor_and_household(token, kind, self.idle, *household)
            cast(dict[str, Any], scope)[_HOUSEHOLD_READ] = read
        scope["user"] = actor
        set_locale(self._locale(scope, actor))
        meant_for = request_header(scope, _FOR_USER)
        # Not signed in at all takes the usual way (sign in, then it goes); another user never.
        if meant_for is not None and actor is not None and meant_for != storage_key(actor.id, self.secret):
            raise OtherUserRefused(
                detail="This was kept on the phone for another account than the one signed in: "
                "nothing was recorded. It is sent when that account signs in again."
            )
        await next_app(scope, receive, send)

    def _locale(self, scope: Scope, actor: Actor | None) -> str:
        """The user's choice (kept on the account), else a signed-out visitor's (the cookie), else
        `PHOCAP_LOCALE`. The browser's Accept-Language is not asked: many volunteers' phones are set to
        English, and they should still get the Vietnamese interface until they choose otherwise."""
        if actor is not None and actor.locale in LOCALES:
            return actor.locale
        # The cookies are parsed only when the account has no choice and the request sent some (an app's
        # requests with a bearer token send none).
        if request_header(scope, b"cookie") is None:
            return self.default_locale
        choice = ASGIConnection[Any, Any, Any, Any](scope).cookies.get(LOCALE_COOKIE, "")
        return choice if choice in LOCALES else self.default_locale


# Where `IdentifyMiddleware` leaves the route's household, read with the session, for `access_guard`.
_HOUSEHOLD_READ = "phocap.household"


def _routed_household_token(scope: Scope) -> tuple[str, bool] | None:
    """The sticker token of the household the route's access rule reads (`_record`), and whether an
    archived one counts; None when it reads none."""
    handler = scope.get("route_handler")
    rule = RULES.get(str(handler.opt.get("access"))) if handler is not None else None
    token = scope.get("path_params", {}).get("token")
    if rule is None or rule.roles is None or rule.record != "village" or not isinstance(token, str):
        return None
    return token, rule.archived


def access(action: str) -> dict[str, str]:
    """A route's `opt` naming its action in `surveys.people.access.RULES`."""
    if action not in RULES:
        raise KeyError(f"no access rule {action!r} in surveys.people.access.RULES")
    return {"access": action}


async def access_guard(connection: ASGIConnection[Any, Any, Any, Any]) -> None:
    """Every route passes here (the app's before-request hook, `server.app.check_access_rules`: a
    Litestar guard would cost a copy of the route's handler on every request): the route's action, the
    signed-in user, and the
    record its path names (a household by its token, a village, a ward or a province by its code) go to
    `surveys.people.access.allowed`. Out of reach and unknown look alike (404). A page for signed-in users sends
    others to sign in (and back after); a user whose password the ward office reset chooses a new one
    first. The household or ward found is left in `connection.state` for the handler."""
    handler = connection.route_handler
    if is_litestar_options(handler):
        return
    action = handler.opt.get("access")
    if action not in RULES:
        raise ImproperlyConfiguredException(f"{handler.handler_name} names no access rule")
    rule = RULES[action]
    if rule.roles is None:
        return
    user: Actor | None = connection.scope.get("user")
    api = connection.scope["path"].startswith("/api/")
    if user is None:
        if api:
            raise NotAuthorizedException("A valid bearer token is required (POST /api/session to get one).")
        # The path only: a query string (an old bookmark of a search) can hold a person's name.
        raise SignInRequired(connection.url.path, await _posted_fields(connection))
    if user.must_change_password and not api and connection.url.path != "/password":
        raise PasswordChangeRequired()
    if not await allowed(user, action, **await _record(connection, rule)):
        raise NotFoundException()


async def _posted_fields(connection: ASGIConnection[Any, Any, Any, Any]) -> list[tuple[str, str]] | None:
    """The fields of a plain form posted without a session (None for anything else): the answers
    typed before the session ended go back to the browser with the sign-in page, and nowhere else."""
    content_type = connection.headers.get("content-type", "")
    if connection.scope.get("method") != "POST" or not content_type.startswith(
        "application/x-www-form-urlencoded"
    ):
        return None
    form = await Request(connection.scope, connection.receive).form()
    # The CSRF token is the page's; the sign-in page hands out a current one.
    return [(k, str(v)) for k, v in form.multi_items() if k != "_csrf_token"]


_NOT_READ = object()

# Ids are 32-bit in both databases: a larger number in a path names nothing (and must not reach the
# driver, which would fail on it).
MAX_ID = 2**31 - 1


async def _record(connection: ASGIConnection[Any, Any, Any, Any], rule: Rule) -> dict[str, int]:
    params = connection.path_params
    if any(isinstance(v, int) and not 0 < v <= MAX_ID for v in params.values()):
        raise NotFoundException()
    kind = rule.record
    if kind is None:
        return {}
    if kind == "village" and "token" in params:
        read = cast(dict[str, Any], connection.scope).pop(_HOUSEHOLD_READ, _NOT_READ)
        row = (
            read
            if read is not _NOT_READ
            else await household_by_token(params["token"], archived=rule.archived)
        )
        if row is None:
            raise NotFoundException()
        connection.state.household = row
        return {"village_id": int(row.village)}
    if kind == "village" and "village_id" in params:
        return {"village_id": int(params["village_id"])}
    if kind == "province" and "code" in params:
        found = await province_id(str(params["code"]))
        if found is None:
            raise NotFoundException()
        connection.state.province_id = found
        return {"province_id": found}
    if kind == "ward" and "code" in params:
        found = await ward_id(str(params["code"]))
        if found is None:
            raise NotFoundException()
        connection.state.ward_id = found
        return {"ward_id": found}
    raise ImproperlyConfiguredException(f"the path {connection.url.path} names no {kind}")


def is_litestar_options(handler: BaseRouteHandler) -> bool:
    """Whether this is Litestar's own answer to OPTIONS (the allowed methods, no data)."""
    methods: set[str] = getattr(handler, "http_methods", set())
    # The methods first: the handler's name is worked out anew each time it is asked.
    return set(methods) == {"OPTIONS"} and handler.handler_name == "options_handler"


def routed_household(request: Request[Any, Any, Any]) -> Row:
    """The household the route's token names, found (and access checked) by `access_guard`."""
    household: Row = request.state.household
    return household


def routed_ward(request: Request[Any, Any, Any]) -> int:
    """The id of the ward the route's code names, found (and access checked) by `access_guard`."""
    return int(request.state.ward_id)


def routed_province(request: Request[Any, Any, Any]) -> int:
    """The id of the province the route's code names, found (and access checked) by `access_guard`."""
    return int(request.state.province_id)


def client_address(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    """The client's address, as `server.security.ClientAddressMiddleware` decided it (behind a
    trusted proxy, from its `X-Forwarded-For`)."""
    return connection.client.host if connection.client else ""


def safe_next(path: str | None) -> str:
    """A local path to return to after sign-in, without its query string (searches carry names, which
    stay out of URLs); anything else (another site) becomes the home page."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/"
    return path.split("?", 1)[0].split("#", 1)[0] or "/"


def sign_in_url(next_path: str) -> str:
    """The sign-in page, returning to `next_path` afterwards."""
    return f"/signin?next={quote(safe_next(next_path), safe='/')}"
