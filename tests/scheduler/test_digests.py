"""Weekly digests against a real SMTP server: content, delivery, retries, never twice, never skipped."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from scheduler.jobs import weekly_digests
from scheduler.runner import build_scheduler
from surveys.core.clock import now, week_label, week_start
from surveys.core.settings import Settings
from surveys.reporting.digests import WARD, audience_of, due_digests, make_digest
from surveys.reporting.outbox import deliver_due
from surveys.tables import Digest, Household, Member, User, Ward
from tests.factories import World
from tests.mail_server import (
    Arrival,
    Inbox,
    self_signed_certificate,
    smtp_server,
    starttls_smtp_server,
)
from tests.ports import closed_port
from tests.surveys.test_reports import visit_an

WARD_EMAILS = "vanhoa@phongquang.example\nubnd@phongquang.example"


@pytest.fixture
async def ward_with_emails(world: World) -> World:
    # Due every Monday at 00:00, so this week's digest is always due in these tests.
    await Ward.update({Ward.digest_emails: WARD_EMAILS, Ward.digest_weekday: 1, Ward.digest_hour: 0}).where(
        Ward.id == world.wards["pq"]
    )
    await visit_an(world)
    return world


def mailing(settings: Settings, port: int) -> Settings:
    return dataclasses.replace(
        settings, smtp_url=f"smtp://127.0.0.1:{port}", mail_from="phocap <phocap@xa.example>"
    )


def this_week() -> str:
    """This ISO week in Vietnam, read when a test runs (not when the module is imported)."""
    return week_label(week_start(now()))


def week_in_words(monday: datetime) -> str:
    """How a villager reads a week: its number and its Monday-to-Sunday dates."""
    sunday = monday + timedelta(days=6)
    return f"Tuần {monday.isocalendar()[1]} ({monday:%d/%m}–{sunday:%d/%m/%Y})"


async def test_the_digest_arrives_with_both_parts_and_correct_headers(
    ward_with_emails: World, settings: Settings
) -> None:
    with smtp_server() as (inbox, port):
        settings = mailing(settings, port)
        await make_digest(ward_with_emails.wards["pq"], this_week(), WARD, settings)
        assert await deliver_due(settings) == {"sent": 1, "retry": 0, "failed": 0}
    [message] = inbox.messages
    assert message["Subject"] == f"Bình dân học vụ số: Xã Phong Quang, {week_in_words(week_start(now()))}"
    assert (
        "=?utf-8?" in message.as_string().split("Subject:", 1)[1].splitlines()[0].lower()
    )  # encoded on the wire
    assert message["Message-ID"].startswith("<") and message["Date"]
    assert message["To"] == "vanhoa@phongquang.example, ubnd@phongquang.example"
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    # 1 of 3 households visited, 3 of 4 citizens 16+ with VNeID (see tests/surveys/test_reports.py).
    assert "Hộ đã đến thăm: 33,3\u00a0% (1/3)" in text
    assert "Công dân từ 16 tuổi có VNeID: 75,0\u00a0% (3/4), chỉ tiêu 100\u00a0%" in text
    assert "2 / 3" not in text and "75,0\u00a0%" in html
    assert f"{settings.base_url}/villages/{ward_with_emails.villages['v1']}?status=uncovered" in html
    stored = await Digest.select(Digest.status, Digest.attempts, Digest.sent_at).first()
    assert stored is not None and stored["status"] == "sent" and stored["attempts"] == 1 and stored["sent_at"]


async def test_the_email_carries_no_personal_data(ward_with_emails: World, settings: Settings) -> None:
    with smtp_server() as (inbox, port):
        settings = mailing(settings, port)
        await make_digest(ward_with_emails.wards["pq"], this_week(), WARD, settings)
        await deliver_due(settings)
    raw = inbox.messages[0].as_string()
    body = "\n".join(
        part.get_content() for part in inbox.messages[0].walk() if part.get_content_maintype() == "text"
    )
    people = [m["full_name"] for m in await Member.select(Member.full_name)]
    places = [h["address"] for h in await Household.select(Household.address)]
    codes = [h["code"] for h in await Household.select(Household.code)]
    tokens = [h["token"] for h in await Household.select(Household.token)]
    for text in (raw, body):
        for value in [*people, *places, *codes, *tokens]:
            assert value not in text, value


async def test_with_the_mail_server_down_the_digest_waits_and_goes_out_when_it_is_back(
    ward_with_emails: World, settings: Settings
) -> None:
    with closed_port() as port:  # the mail server is down
        settings = mailing(settings, port)
        await make_digest(ward_with_emails.wards["pq"], this_week(), WARD, settings)
        assert await deliver_due(settings) == {"sent": 0, "retry": 1, "failed": 0}
        waiting = await Digest.select().first()
        assert waiting is not None and waiting["status"] == "pending" and waiting["attempts"] == 1
        assert "Connect" in waiting["last_error"] or "connect" in waiting["last_error"]
        assert await deliver_due(settings) == {"sent": 0, "retry": 0, "failed": 0}  # not before the backoff
        with smtp_server(port) as (inbox, _):  # and back, on the same port (held meanwhile)
            assert await deliver_due(settings, now() + timedelta(minutes=6)) == {
                "sent": 1,
                "retry": 0,
                "failed": 0,
            }
    assert len(inbox.messages) == 1


async def test_a_refused_recipient_is_retried_then_marked_failed(
    ward_with_emails: World, settings: Settings
) -> None:
    inbox = Inbox(refuse={"vanhoa@phongquang.example", "ubnd@phongquang.example"})
    with smtp_server(inbox=inbox) as (_, port):
        settings = mailing(settings, port)
        await make_digest(ward_with_emails.wards["pq"], this_week(), WARD, settings)
        assert (await deliver_due(settings))["retry"] == 1
        assert (await deliver_due(settings, now() + timedelta(hours=settings.digest_retry_hours + 1)))[
            "failed"
        ] == 1
    failed = await Digest.select(Digest.status, Digest.attempts, Digest.last_error).first()
    assert failed is not None and failed["status"] == "failed" and failed["attempts"] == 2
    assert "550" in failed["last_error"] or "Recipients" in failed["last_error"]
    assert inbox.messages == []


async def test_with_a_wrong_smtp_password_the_digest_waits_and_goes_out_once_it_is_corrected(
    ward_with_emails: World, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    certificate = self_signed_certificate(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate.cert))  # trusted as a deployment trusts it
    inbox = Inbox(account=("ubnd@phongquang.example", "mat-khau-moi-2026"))
    with starttls_smtp_server(certificate, inbox) as (_, port):
        settings = mailing(settings, port)
        office = f"smtp+starttls://ubnd%40phongquang.example:{{}}@localhost:{port}"
        await make_digest(ward_with_emails.wards["pq"], this_week(), WARD, settings)
        old_password = dataclasses.replace(settings, smtp_url=office.format("mat-khau-cu-2025"))
        assert await deliver_due(old_password) == {"sent": 0, "retry": 1, "failed": 0}
        waiting = await Digest.select(Digest.status, Digest.attempts, Digest.last_error).first()
        assert waiting is not None and waiting["status"] == "pending" and waiting["attempts"] == 1
        assert "535" in waiting["last_error"] and "mat-khau-cu-2025" not in waiting["last_error"]
        assert inbox.messages == []
        new_password = dataclasses.replace(settings, smtp_url=office.format("mat-khau-moi-2026"))
        assert (await deliver_due(new_password, now() + timedelta(minutes=6)))["sent"] == 1
    assert inbox.arrivals == [Arrival(over_tls=True, login="ubnd@phongquang.example")]
    assert inbox.messages[0]["To"] == "vanhoa@phongquang.example, ubnd@phongquang.example"


async def test_two_schedulers_on_one_database_deliver_one_message(
    ward_with_emails: World, settings: Settings
) -> None:
    with smtp_server() as (inbox, port):
        settings = mailing(settings, port)
        first, second = build_scheduler(settings), build_scheduler(settings)
        first.start()
        second.start()
        try:
            for _ in range(100):
                await asyncio.sleep(0.1)
                if inbox.messages and not await Digest.exists().where(
                    Digest.status.is_in(["pending", "sending"])
                ):
                    break
            await asyncio.sleep(0.5)
        finally:
            first.shutdown(wait=False)
            second.shutdown(wait=False)
        await asyncio.gather(weekly_digests(settings), weekly_digests(settings))
    assert len(inbox.messages) == 1
    assert await Digest.count().where(Digest.ward == ward_with_emails.wards["pq"]) == 1


async def test_a_missed_monday_is_caught_up_at_start_and_a_missed_week_is_recorded(
    ward_with_emails: World, settings: Settings
) -> None:
    ward = ward_with_emails.wards["pq"]
    await Ward.update({Ward.digest_hour: 7}).where(Ward.id == ward)
    monday = week_start(now())
    assert await due_digests(settings, monday + timedelta(hours=6)) == []  # before its time
    two_weeks_ago = week_label(monday - timedelta(weeks=2))
    await make_digest(ward, two_weeks_ago, WARD, settings)
    await due_digests(settings, monday + timedelta(days=1))  # the process comes back on Tuesday
    weeks = {
        r["week"]: r["status"]
        for r in await Digest.select(Digest.week, Digest.status).where(Digest.ward == ward)
    }
    assert len(weeks) == 3
    assert weeks[week_label(monday)] == "pending"
    assert weeks[week_label(monday - timedelta(weeks=1))] == "skipped"  # not silent: shown as missed
    assert await due_digests(settings, monday + timedelta(days=2)) == []  # and only once


async def test_without_addresses_the_digest_is_made_but_not_mailed(world: World, settings: Settings) -> None:
    await Ward.update({Ward.digest_weekday: 1, Ward.digest_hour: 0}).where(Ward.id == world.wards["pq"])
    await due_digests(settings)
    digest = (
        await Digest.select(Digest.status, Digest.text_body).where(Digest.ward == world.wards["pq"]).first()
    )
    assert (
        digest is not None and digest["status"] == "no_recipients" and "Xã Phong Quang" in digest["text_body"]
    )
    assert await deliver_due(settings) == {"sent": 0, "retry": 0, "failed": 0}


async def test_a_village_head_who_asks_gets_a_digest_of_their_villages(
    ward_with_emails: World, settings: Settings
) -> None:
    head = ward_with_emails.users["head1"]
    await User.update({User.email: "truongthon@phongquang.example", User.wants_digest: True}).where(
        User.id == head
    )
    with smtp_server() as (inbox, port):
        settings = mailing(settings, port)
        await due_digests(settings)
        await deliver_due(settings)
    assert sorted(m["To"] for m in inbox.messages) == [
        "truongthon@phongquang.example",
        "vanhoa@phongquang.example, ubnd@phongquang.example",
    ]
    mine = (
        await Digest.select(Digest.figures)
        .where(Digest.audience == audience_of(head))
        .output(load_json=True)
        .first()
    )
    assert mine is not None and [v["name"] for v in mine["figures"]["villages"]] == ["Thôn Đồng Tâm"]


async def test_the_next_weeks_digest_shows_the_change(ward_with_emails: World, settings: Settings) -> None:
    ward = ward_with_emails.wards["pq"]
    last_week = week_label(week_start(now()) - timedelta(weeks=1))
    await make_digest(ward, last_week, WARD, settings)
    await Digest.update({Digest.figures: '{"indicators": {"visited": {"percent": 0.0}}}'}).where(
        Digest.week == last_week
    )
    await make_digest(ward, this_week(), WARD, settings)
    text = (await Digest.select(Digest.text_body).where(Digest.week == this_week()).first() or {})[
        "text_body"
    ]
    # The decimal comma, and a space that does not break before the percent sign.
    assert "Hộ đã đến thăm: 33,3\u00a0% (1/3), +33,3 điểm so với tuần trước" in text


async def test_two_schedulers_catching_up_a_missed_week_at_once_record_it_once_without_error(
    ward_with_emails: World, settings: Settings
) -> None:
    # Two web processes with the embedded scheduler come back on a Tuesday after a missed week: before,
    # the second failed with a unique violation while recording the missed week.
    ward = ward_with_emails.wards["pq"]
    monday = week_start(now())
    await make_digest(ward, week_label(monday - timedelta(weeks=2)), WARD, settings)
    tuesday = monday + timedelta(days=1)
    first, second = await asyncio.gather(due_digests(settings, tuesday), due_digests(settings, tuesday))
    made = first + second
    # Each digest made once, by one of the two (a village head's own digest among them).
    assert (
        len(made)
        == len(set(made))
        == await Digest.count().where(Digest.week != week_label(monday - timedelta(weeks=2)))
    )
    weeks = [
        (r["week"], r["status"])
        for r in await Digest.select(Digest.week, Digest.status)
        .where(Digest.ward == ward)
        .order_by(Digest.week)
    ]
    assert weeks == [
        (week_label(monday - timedelta(weeks=2)), "pending"),
        (week_label(monday - timedelta(weeks=1)), "skipped"),
        (week_label(monday), "pending"),
    ]


async def test_a_digest_sent_again_after_a_crash_carries_the_same_message_id(
    ward_with_emails: World, settings: Settings
) -> None:
    with smtp_server() as (inbox, port):
        settings = mailing(settings, port)
        digest_id, _ = await make_digest(ward_with_emails.wards["pq"], this_week(), WARD, settings)
        assert (await deliver_due(settings))["sent"] == 1
        stored = await Digest.select(Digest.message_id).where(Digest.id == digest_id).first()
        assert stored is not None and stored["message_id"] == inbox.messages[0]["Message-ID"]
        # The sender died after the mail server accepted the message, before it marked it sent: the
        # digest is left claimed, and the claim runs out.
        await Digest.update(
            {Digest.status: "sending", Digest.sent_at: None, Digest.claimed_until: now()}
        ).where(Digest.id == digest_id)
        assert (await deliver_due(settings, now() + timedelta(minutes=11)))["sent"] == 1
    # At least once, with one Message-ID: the receiving side can tell the copy from a new message.
    assert [m["Message-ID"] for m in inbox.messages] == [stored["message_id"]] * 2
