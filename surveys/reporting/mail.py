"""Sending mail through the SMTP server of `SMTP_URL` (aiosmtplib): plain, STARTTLS or implicit TLS,
with authentication."""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import unquote, urlparse

import aiosmtplib

from surveys.core.settings import Settings

# Seconds to wait for the mail server at each step before counting the attempt as failed.
SMTP_TIMEOUT = 30
_DEFAULT_PORTS = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}


class MailNotConfigured(RuntimeError):
    """SMTP_URL is not set."""


@dataclass(frozen=True)
class SmtpServer:
    """Where and how to send."""

    host: str
    port: int
    username: str | None
    password: str | None
    implicit_tls: bool
    require_starttls: bool


def smtp_server(url: str) -> SmtpServer:
    """The server an `SMTP_URL` names."""
    parsed = urlparse(url)
    if parsed.scheme not in _DEFAULT_PORTS or not parsed.hostname:
        raise ValueError(
            "SMTP_URL must look like smtp://host:25, smtp+starttls://user:pass@host:587 or smtps://host:465"
        )
    return SmtpServer(
        host=parsed.hostname,
        port=parsed.port or _DEFAULT_PORTS[parsed.scheme],
        username=unquote(parsed.username) if parsed.username else None,
        password=unquote(parsed.password) if parsed.password else None,
        implicit_tls=parsed.scheme == "smtps",
        require_starttls=parsed.scheme == "smtp+starttls",
    )


async def send(settings: Settings, message: EmailMessage) -> None:
    """Deliver `message` to its recipients; raises on any failure (refused, down, timeout)."""
    if not settings.smtp_url:
        raise MailNotConfigured("SMTP_URL is not set")
    server = smtp_server(settings.smtp_url)
    await aiosmtplib.send(
        message,
        hostname=server.host,
        port=server.port,
        username=server.username,
        password=server.password,
        use_tls=server.implicit_tls,
        # None: STARTTLS when the server offers it; True: refuse to send without it.
        start_tls=True if server.require_starttls else (False if server.implicit_tls else None),
        timeout=SMTP_TIMEOUT,
    )
