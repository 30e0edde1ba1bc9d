"""Forged requests (CSRF), refused twice over (ASVS V3.5):

- a page's unsafe request (a form post, an htmx call) carries a token bound to the browser's session:
  an HMAC of the session cookie (or, for a visitor not signed in, of a random pre-session cookie), so
  a token taken from one session is refused in any other;
- any unsafe request, to a page or to the API, that the browser says comes from another site
  (`Sec-Fetch-Site`) or whose `Origin` is not the app's (`BASE_URL`, or the host it was sent to, itself
  one of `ALLOWED_HOSTS`) is refused, whatever its token.

The API reads only its bearer token, never a cookie, so it needs no CSRF token; a client that sends no
`Origin` (a script, not a browser) passes the second check too.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any
from urllib.parse import urlsplit

from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.enums import RequestEncodingType, ScopeType
from litestar.exceptions import HTTPException
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from litestar.utils.scope.state import ScopeState

from server.auth import SESSION_COOKIE
from surveys.core.i18n import N_
from surveys.core.settings import Settings

# A random id for a browser not signed in: its tokens are bound to it until it signs in.
PRESESSION_COOKIE = "phocap_csrf"
HEADER = "x-csrftoken"
FIELD = "_csrf_token"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_NONCE_HEX = 32
_MAC_HEX = 64
# Paths that read no cookie (the API: bearer tokens) or change nothing.
_NO_TOKEN = ("/api/", "/healthz", "/static/")


class ForgeryRefused(HTTPException):
    """403: a request that may be forged. People get a page that says what to do (`message`), the API a
    problem body."""

    status_code = 403

    def __init__(self, detail: str, message: str) -> None:
        super().__init__(detail=detail)
        self.message = message


def _binding(session: str | None, presession: str) -> bytes:
    return f"session:{session}".encode() if session else f"pre:{presession}".encode()


def _mac(secret: str, binding: bytes, nonce: str) -> str:
    return hmac.new(secret.encode(), b"csrf\0" + nonce.encode() + b"\0" + binding, hashlib.sha256).hexdigest()


def make_token(secret: str, binding: bytes) -> str:
    """A token for `binding`: a fresh nonce and its HMAC, so no two pages carry the same text (BREACH:
    pages are compressed)."""
    nonce = secrets.token_hex(_NONCE_HEX // 2)
    return nonce + _mac(secret, binding, nonce)


def token_matches(secret: str, binding: bytes, token: str) -> bool:
    """Whether `token` was made for `binding` with this secret."""
    if len(token) != _NONCE_HEX + _MAC_HEX:
        return False
    return hmac.compare_digest(token[_NONCE_HEX:], _mac(secret, binding, token[:_NONCE_HEX]))


def bind_to_new_session(scope: Scope, secret: str, session: str) -> None:
    """The page answering a sign-in carries tokens for the session it opens, not the one before."""
    ScopeState.from_scope(scope).csrf_token = make_token(secret, _binding(session, ""))


class SessionCsrfMiddleware(ASGIMiddleware):
    """Checks the token of a page's unsafe request against the browser's session, hands each page a
    token for it (`csrf_input`, `csrf_token()`), and gives a browser without one its pre-session cookie."""

    scopes = (ScopeType.HTTP,)

    def __init__(self, settings: Settings) -> None:
        self.secret = settings.secret_key
        self.cookie_secure = settings.cookie_secure

    @staticmethod
    def should_bypass_for_scope(scope: Scope) -> bool:
        """The API, the health check and static files read no cookie."""
        return scope["path"].startswith(_NO_TOKEN)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        connection: ASGIConnection[Any, Any, Any, Any] = ASGIConnection(scope)
        session = connection.cookies.get(SESSION_COOKIE) or None
        presession = connection.cookies.get(PRESESSION_COOKIE, "")
        new_presession = "" if presession or session else secrets.token_urlsafe(32)
        binding = _binding(session, presession or new_presession)
        if scope.get("method") in UNSAFE and not token_matches(
            self.secret, binding, await _sent_token(scope, receive)
        ):
            raise ForgeryRefused(
                "CSRF token missing, or not made for this session.",
                N_(
                    "This form has expired or was not made by this site. Open the page again and send it again."
                ),
            )
        ScopeState.from_scope(scope).csrf_token = make_token(self.secret, binding)
        if not new_presession:
            await next_app(scope, receive, send)
            return
        cookie = Cookie(
            key=PRESESSION_COOKIE,
            value=new_presession,
            path="/",
            httponly=True,
            secure=self.cookie_secure,
            samesite="lax",
        )

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableScopeHeaders.from_message(message).add("set-cookie", cookie.to_header(header=""))
            await send(message)

        await next_app(scope, receive, send_with_cookie)


async def _sent_token(scope: Scope, receive: Receive) -> str:
    """The token in the `X-CSRFToken` header, else in the form's `_csrf_token` field."""
    request = scope["litestar_app"].request_class(scope=scope, receive=receive)
    if token := request.headers.get(HEADER):
        return str(token)
    if request.content_type[0] in (RequestEncodingType.URL_ENCODED, RequestEncodingType.MULTI_PART):
        return str((await request.form()).get(FIELD) or "")
    return ""


class CrossSiteMiddleware(ASGIMiddleware):
    """Refuses (403) an unsafe request the browser sends from another site, to a page or to the API,
    whatever its token or bearer token: `Sec-Fetch-Site` says `cross-site` or `same-site`, or `Origin`
    names an origin that is not the app's."""

    scopes = (ScopeType.HTTP,)

    def __init__(self, settings: Settings) -> None:
        self.base_origin = _origin(settings.base_url)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        if scope.get("method") in UNSAFE and self.cross_site(scope):
            raise ForgeryRefused(
                "A page of another site cannot send this request.",
                N_(
                    "This form comes from another site: phocap does not accept it. Open phocap itself and send it there."
                ),
            )
        await next_app(scope, receive, send)

    def cross_site(self, scope: Scope) -> bool:
        """Whether the browser says the request comes from another site or origin."""
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        if headers.get("sec-fetch-site", "").lower() in {"cross-site", "same-site"}:
            return True
        origin = headers.get("origin")
        if origin is None:
            return False
        sent = _origin(origin)
        if sent is None:  # "null" (a sandboxed frame, a file) or garbage: no origin of ours
            return True
        if sent == self.base_origin:
            return False
        # The host the request was sent to (checked against ALLOWED_HOSTS before this), on the port the
        # origin names: behind a TLS proxy the scheme the server sees is not the browser's.
        return (sent[1], sent[2]) != _host_and_port(headers.get("host", ""), sent[0])


def _origin(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an origin or URL, the port filled in from the scheme."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return parts.scheme, parts.hostname.lower(), port or (443 if parts.scheme == "https" else 80)


def _host_and_port(host: str, scheme: str) -> tuple[str, int] | None:
    """A `Host` header's host and port, the port that of `scheme` when it names none."""
    found = _origin(f"{scheme}://{host}")
    return (found[1], found[2]) if found else None
