"""The digest archive, send now and resend, the digest settings, and a village head's profile."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from click.testing import CliRunner
from litestar.testing import AsyncTestClient

from surveys.core.clock import now, week_label, week_start
from surveys.core.settings import Settings
from surveys.reporting.digests import WARD, make_digest
from surveys.tables import AuditEntry, Digest, User, Ward
from tests.conftest import sign_in
from tests.factories import World
from tests.server.helpers import field_errors, soup


def this_week() -> str:
    """This ISO week in Vietnam, read when a test runs (not when the module is imported)."""
    return week_label(week_start(now()))


async def test_dashboard_says_when_no_one_receives_the_digest(
    client: AsyncTestClient[Any], world: World
) -> None:
    await sign_in(client, "ward")
    page = soup(await client.get("/wards/01849"))
    notice = page.find("a", href="/wards/01849/digest-settings")
    assert notice is not None
    assert "Chưa có ai nhận bản tin tuần" in page.text


async def test_digest_settings_are_checked_and_saved(client: AsyncTestClient[Any], world: World) -> None:
    csrf = await sign_in(client, "ward")
    bad = await client.post(
        "/wards/01849/digest-settings",
        data={
            "_csrf_token": csrf,
            "emails": "ubnd@phongquang.example\nkhong-phai-email",
            "weekday": "9",
            "hour": "25",
        },
    )
    assert bad.status_code == 422
    assert field_errors(soup(bad)) == [
        "Đây không phải địa chỉ email: khong-phai-email",
        "Hãy chọn một ngày trong tuần.",
        "Hãy nhập giờ từ 0 đến 23.",
    ]
    assert "khong-phai-email" in soup(bad).find("textarea").text  # type: ignore[union-attr]
    ok = await client.post(
        "/wards/01849/digest-settings",
        data={
            "_csrf_token": csrf,
            "emails": "ubnd@phongquang.example, vh@phongquang.example",
            "weekday": "5",
            "hour": "16",
        },
        follow_redirects=False,
    )
    assert ok.status_code == 303
    ward = (
        await Ward.select(Ward.digest_emails, Ward.digest_weekday, Ward.digest_hour)
        .where(Ward.code == "01849")
        .first()
    )
    assert ward == {
        "digest_emails": "ubnd@phongquang.example\nvh@phongquang.example",
        "digest_weekday": 5,
        "digest_hour": 16,
    }


async def test_archive_shows_each_digest_its_summary_and_the_email(
    client: AsyncTestClient[Any], world: World, settings: Settings
) -> None:
    digest_id, _ = await make_digest(world.wards["pq"], this_week(), WARD, settings)
    await sign_in(client, "ward")
    archive = soup(await client.get("/wards/01849/digests"))
    assert archive.find("a", href=f"/wards/01849/digests/{digest_id}") is not None
    assert "Không gửi: chưa có người nhận" in archive.text
    page = soup(await client.get(f"/wards/01849/digests/{digest_id}"))
    summary = page.find("textarea", id="summary")
    assert summary is not None and summary.text.startswith("[Xã Phong Quang]")
    assert page.find("button", attrs={"data-copy": "summary"}) is not None
    email = await client.get(f"/wards/01849/digests/{digest_id}/email.html")
    assert email.headers["content-security-policy"].startswith("default-src 'none'")
    assert "Xã Phong Quang" in email.text


async def test_send_now_then_resend_is_explicit_and_audited(
    client: AsyncTestClient[Any], world: World, settings: Settings
) -> None:
    from tests.mail_server import smtp_server

    await Ward.update({Ward.digest_emails: "ubnd@phongquang.example"}).where(Ward.code == "01849")
    with smtp_server() as (inbox, port):
        mailing = dataclasses.replace(settings, smtp_url=f"smtp://127.0.0.1:{port}")
        from server.app import create_app

        async with AsyncTestClient(
            app=create_app(mailing), base_url="https://testserver.local"
        ) as mail_client:
            csrf = await sign_in(mail_client, "ward")
            sent = await mail_client.post("/wards/01849/digests/send", data={"_csrf_token": csrf})
            assert sent.status_code == 200 and "Đã gửi" in sent.text
            again = await mail_client.post("/wards/01849/digests/send", data={"_csrf_token": csrf})
            assert again.status_code == 200
            assert len(inbox.messages) == 1  # "send now" twice in a week: still one digest
            digest = await Digest.select(Digest.id).where(Digest.ward == world.wards["pq"]).first()
            assert digest is not None
            await mail_client.post(f"/wards/01849/digests/{digest['id']}/resend", data={"_csrf_token": csrf})
        assert len(inbox.messages) == 2
    actions = [
        a["action"] for a in await AuditEntry.select(AuditEntry.action).where(AuditEntry.entity == "digest")
    ]
    assert actions == ["digest.send_now", "digest.resend"]


@pytest.mark.parametrize("login", ["volunteer1", "head1", "otherward"])
async def test_only_the_wards_officers_reach_its_digests(
    client: AsyncTestClient[Any], world: World, login: str, settings: Settings
) -> None:
    digest_id, _ = await make_digest(world.wards["pq"], this_week(), WARD, settings)
    csrf = await sign_in(client, login)
    for path in ("/wards/01849/digests", f"/wards/01849/digests/{digest_id}", f"/wards/01849/digests/{digest_id}/email.html",
                 "/wards/01849/digest-settings"):  # fmt: skip
        assert (await client.get(path)).status_code == 404, path
    assert (await client.post("/wards/01849/digests/send", data={"_csrf_token": csrf})).status_code == 404
    assert (
        await client.post(f"/wards/01849/digests/{digest_id}/resend", data={"_csrf_token": csrf})
    ).status_code == 404


async def test_village_head_asks_for_a_digest_in_the_profile(
    client: AsyncTestClient[Any], world: World
) -> None:
    csrf = await sign_in(client, "head1")
    missing = await client.post("/profile", data={"_csrf_token": csrf, "email": "", "wants_digest": "on"})
    assert missing.status_code == 422 and field_errors(soup(missing)) == [
        "Hãy nhập địa chỉ email nhận bản tin."
    ]
    bad = await client.post("/profile", data={"_csrf_token": csrf, "email": "abc", "wants_digest": "on"})
    assert field_errors(soup(bad)) == ["Đây không phải địa chỉ email."]
    ok = await client.post(
        "/profile", data={"_csrf_token": csrf, "email": "th@phongquang.example", "wants_digest": "on"}
    )
    assert ok.status_code == 200 and "Đã lưu." in ok.text
    assert await User.select(User.email, User.wants_digest).where(User.login == "head1").first() == {
        "email": "th@phongquang.example",
        "wants_digest": True,
    }


def test_cli_previews_and_refuses_bad_input(
    settings: Settings, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from server.cli import main
    from surveys.core.settings import get_settings

    monkeypatch.setenv("DATABASE_URL", settings.resolved_database_url)
    monkeypatch.setenv("PHOCAP_DATA_DIR", settings.data_dir)
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        preview = runner.invoke(main, ["digest", "preview", "--ward", "01849", "--week", "2026-W47"])
        assert preview.exit_code == 0, preview.output
        assert "Subject: Bình dân học vụ số: Xã Phong Quang, Tuần 47 (16/11–22/11/2026)" in preview.output
        assert runner.invoke(main, ["digest", "preview", "--ward", "99999"]).exit_code == 2
        assert "2026-W47" in runner.invoke(main, ["digest", "send", "--ward", "01849", "--week", "47"]).output
    finally:
        get_settings.cache_clear()
