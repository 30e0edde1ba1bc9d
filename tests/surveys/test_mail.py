"""SMTP_URL: plain, STARTTLS and implicit TLS, with authentication."""

from __future__ import annotations

import dataclasses
import ssl
from email.message import EmailMessage
from pathlib import Path

import aiosmtplib
import pytest

from surveys.core.settings import Settings
from surveys.reporting.mail import SmtpServer, send, smtp_server
from surveys.reporting.outbox import backoff
from tests.mail_server import (
    Arrival,
    Certificate,
    Inbox,
    self_signed_certificate,
    smtps_server,
    starttls_smtp_server,
)
from tests.mail_server import smtp_server as plain_smtp_server

# The ward office's mail account; the password percent-encoded in SMTP_URL, as the README says.
ACCOUNT = ("ubnd@phongquang.example", "mật-khẩu 2026")
ACCOUNT_IN_URL = "ubnd%40phongquang.example:m%E1%BA%ADt-kh%E1%BA%A9u%202026"


@pytest.mark.parametrize(
    ("url", "server"),
    [
        ("smtp://127.0.0.1:2525", SmtpServer("127.0.0.1", 2525, None, None, False, False)),
        (
            "smtp+starttls://ubnd%40xa.vn:m%E1%BA%ADt-kh%E1%BA%A9u@mail.xa.vn",
            SmtpServer("mail.xa.vn", 587, "ubnd@xa.vn", "mật-khẩu", False, True),
        ),
        ("smtps://user:pass@mail.xa.vn", SmtpServer("mail.xa.vn", 465, "user", "pass", True, False)),
    ],
)
def test_smtp_urls(url: str, server: SmtpServer) -> None:
    assert smtp_server(url) == server


@pytest.mark.parametrize("url", ["http://mail.xa.vn", "smtp://", "mail.xa.vn:25"])
def test_a_wrong_smtp_url_is_refused(url: str) -> None:
    with pytest.raises(ValueError, match="SMTP_URL"):
        smtp_server(url)


def test_retries_back_off_and_cover_more_than_a_day() -> None:
    waits = [backoff(n).total_seconds() / 60 for n in range(1, 12)]
    assert waits[:5] == [5, 10, 20, 40, 80] and max(waits) == 360
    assert sum(waits) / 60 > 24


@pytest.fixture
def trusted_certificate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Certificate:
    """The mail server's self-signed certificate, trusted as a deployment trusts a private one: the
    standard OpenSSL variable `SSL_CERT_FILE` names it (aiosmtplib's default context reads it)."""
    certificate = self_signed_certificate(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate.cert))
    return certificate


def mail_through(settings: Settings, smtp_url: str) -> Settings:
    return dataclasses.replace(settings, smtp_url=smtp_url)


def a_digest() -> EmailMessage:
    message = EmailMessage()
    message["From"] = "phocap <phocap@xa.example>"
    message["To"] = "vanhoa@phongquang.example"
    message["Subject"] = "Bình dân học vụ số: Xã Phong Quang"
    message.set_content("Hộ đã đến thăm: 33,3 % (1/3)")
    return message


async def test_over_starttls_the_message_goes_out_encrypted_after_the_office_signs_in(
    settings: Settings, trusted_certificate: Certificate
) -> None:
    with starttls_smtp_server(trusted_certificate, Inbox(account=ACCOUNT)) as (inbox, port):
        await send(mail_through(settings, f"smtp+starttls://{ACCOUNT_IN_URL}@localhost:{port}"), a_digest())
    assert inbox.arrivals == [Arrival(over_tls=True, login=ACCOUNT[0])]
    assert inbox.messages[0]["Subject"] == "Bình dân học vụ số: Xã Phong Quang"


async def test_a_wrong_password_is_refused_and_nothing_is_delivered(
    settings: Settings, trusted_certificate: Certificate
) -> None:
    with starttls_smtp_server(trusted_certificate, Inbox(account=ACCOUNT)) as (inbox, port):
        url = f"smtp+starttls://ubnd%40phongquang.example:mat-khau-cu@localhost:{port}"
        with pytest.raises(aiosmtplib.SMTPAuthenticationError):
            await send(mail_through(settings, url), a_digest())
    # aiosmtplib tries each mechanism the server offers (PLAIN, then LOGIN): the same login each time.
    assert set(inbox.offered_logins) == {("ubnd@phongquang.example", "mat-khau-cu")}
    assert inbox.messages == []


async def test_starttls_asked_of_a_server_that_does_not_offer_it_sends_nothing_in_clear(
    settings: Settings,
) -> None:
    """As when someone between phocap and the server strips STARTTLS from its answer: the server
    offers a login in clear, and phocap must neither sign in nor send."""
    with (
        plain_smtp_server(inbox=Inbox(account=ACCOUNT), auth_require_tls=False) as (inbox, port),
        pytest.raises(aiosmtplib.SMTPException, match="STARTTLS"),
    ):
        await send(mail_through(settings, f"smtp+starttls://{ACCOUNT_IN_URL}@localhost:{port}"), a_digest())
    assert inbox.offered_logins == []
    assert inbox.messages == []


async def test_over_smtps_the_message_goes_out_encrypted_after_the_office_signs_in(
    settings: Settings, trusted_certificate: Certificate
) -> None:
    with smtps_server(trusted_certificate, Inbox(account=ACCOUNT)) as (inbox, port):
        await send(mail_through(settings, f"smtps://{ACCOUNT_IN_URL}@localhost:{port}"), a_digest())
    assert inbox.arrivals == [Arrival(over_tls=True, login=ACCOUNT[0])]
    assert inbox.messages[0]["To"] == "vanhoa@phongquang.example"


@pytest.mark.parametrize("scheme", ["smtp+starttls", "smtps"])
async def test_a_mail_server_whose_certificate_is_not_trusted_gets_neither_password_nor_message(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scheme: str
) -> None:
    """The same servers, their certificate not trusted: phocap checks certificates, so the tests above
    pass because it trusts this one, not because it trusts any."""
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    certificate = self_signed_certificate(tmp_path)
    server = starttls_smtp_server if scheme == "smtp+starttls" else smtps_server
    with (
        server(certificate, Inbox(account=ACCOUNT)) as (inbox, port),
        pytest.raises((ssl.SSLError, aiosmtplib.SMTPConnectError)) as refused,
    ):
        await send(mail_through(settings, f"{scheme}://{ACCOUNT_IN_URL}@localhost:{port}"), a_digest())
    # STARTTLS raises the ssl error itself; aiosmtplib wraps the one of implicit TLS in SMTPConnectError.
    assert isinstance(refused.value.__cause__ or refused.value, ssl.SSLCertVerificationError)
    assert inbox.offered_logins == []
    assert inbox.messages == []


async def test_a_trusted_certificate_made_out_to_another_server_is_refused(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """phocap checks that the certificate names the host of SMTP_URL, not only who signed it."""
    certificate = self_signed_certificate(tmp_path, names="DNS:mail.other.example")
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate.cert))
    with (
        starttls_smtp_server(certificate, Inbox(account=ACCOUNT)) as (inbox, port),
        pytest.raises(ssl.SSLCertVerificationError, match="Hostname mismatch"),
    ):
        await send(mail_through(settings, f"smtp+starttls://{ACCOUNT_IN_URL}@localhost:{port}"), a_digest())
    assert inbox.offered_logins == []
    assert inbox.messages == []
