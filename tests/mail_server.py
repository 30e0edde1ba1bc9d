"""A real SMTP server on localhost (aiosmtpd) that keeps what it receives, for the mail tests: plain, or
with a throwaway certificate for STARTTLS or implicit TLS, and a login."""

from __future__ import annotations

import asyncio
import ssl
import subprocess
from collections.abc import Awaitable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.ports import closed_port, listener


@dataclass(frozen=True)
class Arrival:
    """How a message reached the server: over TLS or not, and signed in as whom."""

    over_tls: bool
    login: str | None


@dataclass
class Inbox:
    """Messages the server accepted, addresses it refuses, the one account it accepts (if any) and every
    user name and password a client offered it."""

    messages: list[EmailMessage] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)
    account: tuple[str, str] | None = None
    arrivals: list[Arrival] = field(default_factory=list)
    offered_logins: list[tuple[str, str]] = field(default_factory=list)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.original_content, policy=policy.default))  # type: ignore[arg-type]
        login = session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else None
        over_tls = server.transport.get_extra_info("ssl_object") is not None  # STARTTLS or implicit TLS
        self.arrivals.append(Arrival(over_tls=over_tls, login=login))
        return "250 Message accepted"

    def authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        """aiosmtpd's authenticator: AUTH PLAIN or LOGIN with `account`, nothing else."""
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        offered = (auth_data.login.decode(), auth_data.password.decode())
        self.offered_logins.append(offered)
        return AuthResult(success=offered == self.account, handled=False, auth_data=auth_data)


class _Controller(Controller):
    """aiosmtpd's Controller on a socket bound beside the guard of a held port (tests/ports.py)."""

    def _create_server(self) -> Awaitable[asyncio.AbstractServer]:
        sock = listener(self.port)
        return self.loop.create_server(self._factory_invoker, sock=sock, ssl=self.ssl_context)


@contextmanager
def smtp_server(
    port: int | None = None, inbox: Inbox | None = None, **options: Any
) -> Iterator[tuple[Inbox, int]]:
    """Run an SMTP server on 127.0.0.1 for the length of the block; `options` go to aiosmtpd's
    Controller and SMTP (`tls_context`, `require_starttls`, `auth_required`, `ssl_context` …). A `port`
    given is one the test holds (`tests.ports.closed_port`): the server comes back on it."""
    if port is None:
        with closed_port() as held, smtp_server(held, inbox, **options) as running:
            yield running
        return
    inbox = inbox or Inbox()
    controller = _Controller(
        inbox, hostname="127.0.0.1", port=port, authenticator=inbox.authenticate, **options
    )
    controller.start()
    try:
        yield inbox, controller.port
    finally:
        controller.stop()


@dataclass(frozen=True)
class Certificate:
    """A self-signed certificate and its key (PEM files)."""

    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, self.key)
        return context


def self_signed_certificate(folder: Path, names: str = "DNS:localhost,IP:127.0.0.1") -> Certificate:
    """Make a throwaway certificate for `names` (localhost and 127.0.0.1 unless told) in `folder` with
    the openssl command, as an admin would."""
    cert, key = folder / "server.crt", folder / "server.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-days", "2", "-subj", "/CN=phocap test mail server", "-addext", f"subjectAltName={names}",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return Certificate(cert, key)


@contextmanager
def starttls_smtp_server(certificate: Certificate, inbox: Inbox) -> Iterator[tuple[Inbox, int]]:
    """A submission server as providers run them on port 587: STARTTLS first, then a login, and no
    login offered before the connection is encrypted."""
    with smtp_server(
        inbox=inbox,
        tls_context=certificate.server_context(),
        require_starttls=True,
        auth_required=True,
        auth_require_tls=True,
    ) as running:
        yield running


@contextmanager
def smtps_server(certificate: Certificate, inbox: Inbox) -> Iterator[tuple[Inbox, int]]:
    """A server with implicit TLS as on port 465: TLS from the first byte, and a login offered."""
    # aiosmtpd counts only STARTTLS as TLS for `auth_require_tls` and `auth_required`, though here every
    # byte is encrypted: it offers the login without requiring it, and `Inbox.arrivals` says who signed in.
    with smtp_server(
        inbox=inbox, ssl_context=certificate.server_context(), auth_require_tls=False
    ) as running:
        yield running
