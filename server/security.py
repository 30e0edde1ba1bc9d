"""Security headers on every answer (docs/architecture.md §6: safe to expose behind TLS)."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address

from litestar import Response
from litestar.enums import ScopeType
from litestar.exceptions import ClientException, HTTPException
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, ReceiveMessage, Scope, Send

from surveys.core.settings import Settings

# No inline script and no eval: htmx is configured (meta htmx-config) to need neither.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
)


def request_header(scope: Scope, name: bytes) -> str | None:
    """The first value of a request header, or None; `name` in lower case, as ASGI gives the names."""
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


class SecurityHeadersMiddleware(ASGIMiddleware):
    """Adds CSP, HSTS (when cookies are HTTPS-only), the usual hardening headers, and `no-store` on
    every answer that does not set its own caching."""

    scopes = (ScopeType.HTTP,)

    def __init__(self, settings: Settings) -> None:
        headers = {
            "Content-Security-Policy": CONTENT_SECURITY_POLICY,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "same-origin",
            "X-Frame-Options": "DENY",
            "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
            "Cross-Origin-Opener-Policy": "same-origin",
            # Pages hold personal data: no copy in a shared cache or on a shared phone. Answers that may
            # be kept (static assets, the QR code) say so themselves.
            "Cache-Control": "no-store",
        }
        if settings.cookie_secure:
            headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        # As ASGI sends them: names in lower case, encoded once.
        self.encoded = [(n.lower().encode("latin-1"), v.encode("latin-1")) for n, v in headers.items()]

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                # Each one the answer does not set itself.
                headers = list(message.get("headers") or [])
                present = {bytes(name).lower() for name, _ in headers}
                headers.extend(pair for pair in self.encoded if pair[0] not in present)
                message["headers"] = headers
            await send(message)

        await next_app(scope, receive, send_with_headers)


class AllowedHostsMiddleware(ASGIMiddleware):
    """Answers only to the configured host names, whatever the port (Litestar's own check compares
    the port too, which breaks `localhost:8000`). `*.example.org` allows subdomains, `*` any host."""

    scopes = (ScopeType.HTTP,)

    def __init__(self, hosts: list[str]) -> None:
        self.any = "*" in hosts
        self.exact = {h.lower() for h in hosts if not h.startswith("*")}
        self.suffixes = tuple(h[1:].lower() for h in hosts if h.startswith("*."))

    def allowed(self, host_header: str) -> bool:
        """Whether a `Host` header names an allowed host."""
        host = host_header.strip().lower()
        host = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        host = host.strip("[]")
        return self.any or host in self.exact or (bool(self.suffixes) and host.endswith(self.suffixes))

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        host = request_header(scope, b"host") or ""
        if not self.allowed(host):
            response = Response(
                {"title": "Invalid host header", "status": 400},
                status_code=400,
                media_type="application/problem+json",
            )
            await response.to_asgi_response(app=None, request=None)(scope, receive, send)  # type: ignore[arg-type]
            return
        await next_app(scope, receive, send)


class ClientAddressMiddleware(ASGIMiddleware):
    """The client's address, the one place it is decided. A request straight from the internet is its
    peer; a request from a proxy listed in `TRUSTED_PROXIES` is the right-most address of its
    `X-Forwarded-For` that is not itself a trusted proxy (anything left of it could be forged by the
    client). With no trusted proxies the header is ignored, so a client cannot pick its own address to
    dodge the sign-in limits."""

    scopes = (ScopeType.HTTP,)

    def __init__(self, networks: list[IPv4Network | IPv6Network]) -> None:
        self.networks = networks

    def trusted(self, address: IPv4Address | IPv6Address) -> bool:
        """Whether the address is one of the trusted proxies."""
        return any(address in network for network in self.networks)

    def client(self, peer: str, forwarded: list[str]) -> str:
        """The client's address given the peer and the `X-Forwarded-For` entries, left to right."""
        try:
            if not self.networks or not self.trusted(ip_address(peer)):
                return peer
            for entry in reversed(forwarded):
                address = ip_address(entry)
                if not self.trusted(address):
                    return str(address)
        except ValueError:  # not an address: believe nothing further left
            return peer
        return forwarded[0] if forwarded else peer

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        peer = scope.get("client")
        if self.networks and peer:
            forwarded = [
                entry.strip()
                for name, value in scope["headers"]
                if name == b"x-forwarded-for"
                for entry in value.decode("latin-1").split(",")
                if entry.strip()
            ]
            scope["client"] = (self.client(peer[0], forwarded), peer[1])
        await next_app(scope, receive, send)


# How NUL is written in a query string, a form body and a JSON body.
_NUL_FORMS = (b"\x00", b"%00", b"\\u0000")
_FORM = "application/x-www-form-urlencoded"
_TEXT_BODIES = ("application/x-www-form-urlencoded", "application/json", "text/")


# Fields one form may post: the visit form's 60 member rows of 15 fields each, and room to spare.
MAX_FORM_FIELDS = 2000


class NulCharacterMiddleware(ASGIMiddleware):
    """Refuses (400) a query string, form or JSON body holding a NUL character: no phocap field accepts
    one, and PostgreSQL cannot store it, so it would fail deep inside instead of at the door. One check
    here rather than in every field. File uploads (multipart: an XLSX is binary) are not looked at.
    Also refuses (413) a form of more than `MAX_FORM_FIELDS` fields before it is parsed."""

    scopes = (ScopeType.HTTP,)

    def __init__(self, max_body: int) -> None:
        self.max_body = max_body

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        if _has_nul(scope.get("query_string", b"")):
            raise ClientException("The request contains a NUL character, which no field accepts.")
        content_type = request_header(scope, b"content-type") or ""
        if not content_type.lower().startswith(_TEXT_BODIES):
            await next_app(scope, receive, send)
            return
        # Read the body (the app reads it whole anyway), look, then hand it on as it came. Past the size
        # limit, stop looking: the app refuses the body as too large.
        messages: list[ReceiveMessage] = []
        size = 0
        more = True
        while more and size <= self.max_body:
            message = await receive()
            messages.append(message)
            body = message.get("body", b"") if message["type"] == "http.request" else b""
            size += len(body)
            more = message["type"] == "http.request" and bool(message.get("more_body", False))
        received = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.request")
        if size <= self.max_body and _has_nul(received):
            raise ClientException("The request contains a NUL character, which no field accepts.")
        if content_type.lower().startswith(_FORM) and received.count(b"&") >= MAX_FORM_FIELDS:
            raise HTTPException(status_code=413, detail=f"A form has at most {MAX_FORM_FIELDS} fields.")

        async def replay() -> ReceiveMessage:
            return messages.pop(0) if messages else await receive()

        await next_app(scope, replay, send)


def _has_nul(raw: bytes) -> bool:
    lowered = raw.lower()
    return any(form in lowered for form in _NUL_FORMS)
