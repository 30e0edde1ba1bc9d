"""SMTP_URL: plain, STARTTLS and implicit TLS, with authentication."""

from __future__ import annotations

import pytest

from surveys.reporting.mail import SmtpServer, smtp_server
from surveys.reporting.outbox import backoff


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
