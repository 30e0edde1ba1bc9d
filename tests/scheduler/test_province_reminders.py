"""The province's weekly reminder of the ward reports past due, against a real SMTP server: it goes on
Monday from 07:00, or the day and hour the province set, to the province's officers who asked for it, names each report past due and the wards
that have not submitted it, is made once a week whoever runs the job, and not at all when nothing is
past due."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import msgspec
from bs4 import BeautifulSoup
from litestar.testing import AsyncTestClient

from scheduler.jobs import weekly_digests
from surveys.core.settings import Settings
from surveys.reporting.province_reminders import PROVINCE, due_province_reminders
from surveys.reporting.submissions import submit_report
from surveys.tables import Digest, Province, User, Ward
from tests.conftest import sign_in
from tests.factories import World, make_user, make_ward
from tests.mail_server import smtp_server
from tests.server.helpers import VIETNAM, soup

# Monday 5 October 2026, 09:00 in Vietnam: the year 2025's report (due 15/01/2026) and Q2 2026's (due
# 10/07/2026) are past due for both wards of Thái Nguyên; Q3's is not yet due.
MONDAY = datetime(2026, 10, 5, 9, 0, tzinfo=VIETNAM)


async def officers(world: World) -> dict[str, int]:
    """Thái Nguyên's officers: one who asked for the reminder, one who did not, one who asked without
    an address, one who left; and Hà Nội's, who asked (nothing of Hà Nội's is in use)."""
    await make_ward("00004", "Phường Ba Đình", "01")  # a ward of Hà Nội with no village: not in use
    row = await Province.select(Province.id).where(Province.code == "19").first()
    hanoi = await Province.select(Province.id).where(Province.code == "01").first()
    assert row is not None and hanoi is not None
    made = {}
    for login, province, email, wants, active in (
        ("tinh1", row["id"], "vanphong@thainguyen.example", True, True),
        ("tinh2", row["id"], "khong@thainguyen.example", False, True),
        ("tinh3", row["id"], "", True, True),
        ("tinh4", row["id"], "nghi@thainguyen.example", True, False),
        ("hanoi", hanoi["id"], "hanoi@hanoi.example", True, True),
    ):
        made[login] = await make_user(login, "province_officer", province_id=province)
        await User.update({User.email: email, User.wants_digest: wants, User.active: active}).where(
            User.id == made[login]
        )
    return made


def mailing(settings: Settings, port: int) -> Settings:
    return dataclasses.replace(
        settings, smtp_url=f"smtp://127.0.0.1:{port}", mail_from="phocap <phocap@xa.example>"
    )


async def test_the_province_is_reminded_of_the_reports_past_due_once_a_week(
    world: World, settings: Settings, clock_at: Callable[[datetime], None]
) -> None:
    await officers(world)
    await make_ward("01855", "Xã Chưa Dùng", "19")  # of the province, no household in phocap
    await submit_report(world.wards["other"], "2025", world.users["otherward"])
    # Monday before 07:00: not yet.
    clock_at(MONDAY.replace(hour=6, minute=30))
    assert await due_province_reminders(settings) == []
    clock_at(MONDAY)
    with smtp_server() as (inbox, port):
        done = await weekly_digests(mailing(settings, port))
        assert done["made"] >= 1 and done["sent"] >= 1
        reminders = await Digest.select().where(Digest.audience == PROVINCE)
        assert len(reminders) == 1 and reminders[0]["ward"] is None and reminders[0]["week"] == "2026-W41"
        sent = [m for m in inbox.messages if "quá hạn" in str(m["Subject"])]
        assert len(sent) == 1
    message = sent[0]
    # Only the officer of the province who asked for it, with an address, still active.
    assert message["To"] == "vanphong@thainguyen.example"
    assert (
        message["Subject"]
        == "Bình dân học vụ số: Tỉnh Thái Nguyên, báo cáo của xã quá hạn, Tuần 41 (05/10–11/10/2026)"
    )
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = BeautifulSoup(message.get_body(("html",)).get_content(), "html.parser")  # type: ignore[union-attr]
    late = [section.get_text(" ", strip=True) for section in html.select(".late-report")]
    # The latest quarter past due first: 2026-Q2, both wards; then 2025, Phong Quang only (Đồng Hỷ
    # submitted it).
    assert len(late) == 2
    assert late[0].startswith("3 xã chưa nộp báo cáo 2026-Q2, hạn nộp 10/07/2026.")
    assert "Phong Quang" in late[0] and "Đồng Hỷ" in late[0]
    assert late[1].startswith("2 xã chưa nộp báo cáo 2025, hạn nộp 15/01/2026.")
    assert "Phong Quang" in late[1] and "Đồng Hỷ" not in late[1]
    # A ward not started is counted, not named.
    assert "và 1 xã chưa bắt đầu dùng phocap (chưa có hộ nào)" in late[0] and "Chưa Dùng" not in late[0]
    assert f"{settings.base_url}/provinces/19/submissions?period=2026-Q2" in text
    assert f"{settings.base_url}/profile" in text
    # No person, no household in it.
    assert "Nguyễn" not in text and "PQ-01" not in text

    # Run again the same week, later: nothing new.
    clock_at(MONDAY + timedelta(days=2))
    assert await due_province_reminders(settings) == []
    await Ward.delete().where(Ward.code == "01855")  # joined another ward, say
    # The next week, with those submitted: Q3's report has come past due (10/10), and only it is named.
    for ward in ("pq", "other"):
        for period in ("2025", "2026-Q2"):
            await submit_report(
                world.wards[ward], period, world.users["ward" if ward == "pq" else "otherward"]
            )
    clock_at(MONDAY + timedelta(weeks=1))
    (made,) = await due_province_reminders(settings)
    row = await Digest.select(Digest.week, Digest.figures).where(Digest.id == made).first()
    assert row is not None and row["week"] == "2026-W42"
    figures = json.loads(row["figures"]) if isinstance(row["figures"], str) else row["figures"]
    assert [(item["period"], item["wards"]) for item in figures["late"]] == [("2026-Q3", ["01849", "01852"])]
    # And with that one submitted too, the week after: nothing past due, nothing made.
    for ward in ("pq", "other"):
        await submit_report(
            world.wards[ward], "2026-Q3", world.users["ward" if ward == "pq" else "otherward"]
        )
    clock_at(MONDAY + timedelta(weeks=2))
    assert await due_province_reminders(settings) == []
    assert await Digest.count().where(Digest.audience == PROVINCE) == 2


async def test_a_province_is_reminded_on_the_day_and_hour_it_set(
    world: World, settings: Settings, clock_at: Callable[[datetime], None]
) -> None:
    """Thái Nguyên moved its reminder to Wednesday 09:00 (the schedule form, audited): nothing on
    Monday, nor on Wednesday at 08:59; at 09:00 this week's reminder is made, once."""
    from surveys.reporting.due_dates import report_schedule, save_report_schedule

    row = await Province.select(Province.id).where(Province.code == "19").first()
    assert row is not None
    schedule = await report_schedule(row["id"])
    await save_report_schedule(
        row["id"], msgspec.structs.replace(schedule, reminder_weekday=3, reminder_hour=9), None
    )
    wednesday = MONDAY + timedelta(days=2)
    for moment in (MONDAY, MONDAY + timedelta(days=1, hours=14), wednesday.replace(hour=8, minute=59)):
        clock_at(moment)
        assert await due_province_reminders(settings) == [], moment
    clock_at(wednesday)
    (made,) = await due_province_reminders(settings)
    row = await Digest.select(Digest.week).where(Digest.id == made).first()
    assert row == {"week": "2026-W41"}
    clock_at(wednesday + timedelta(hours=5))
    assert await due_province_reminders(settings) == []


async def test_a_province_whose_officers_asked_for_nothing_keeps_its_reminder_unsent(
    world: World, settings: Settings, clock_at: Callable[[datetime], None]
) -> None:
    clock_at(MONDAY)
    made = await due_province_reminders(settings)
    assert len(made) == 1
    row = await Digest.select(Digest.status, Digest.recipients).where(Digest.id == made[0]).first()
    assert row == {"status": "no_recipients", "recipients": ""}


async def test_a_province_officer_asks_for_the_reminder_on_the_profile(
    client: AsyncTestClient[Any], world: World
) -> None:
    await officers(world)
    await User.update({User.wants_digest: False, User.email: ""}).where(User.login == "tinh1")
    csrf = await sign_in(client, "tinh1")
    form = soup(await client.get("/profile"))
    assert form.find("input", attrs={"name": "wants_digest"}) is not None and "mỗi tuần" in form.text
    # Asked without an address: named, nothing saved.
    refused = await client.post("/profile", data={"_csrf_token": csrf, "email": "", "wants_digest": "on"})
    assert refused.status_code == 422 and "Hãy nhập địa chỉ email" in refused.text
    assert await User.select(User.wants_digest).where(User.login == "tinh1").first() == {
        "wants_digest": False
    }
    saved = await client.post("/profile", data={"_csrf_token": csrf, "email": "tinh1@thainguyen.example",
                                                "wants_digest": "on"})  # fmt: skip
    assert saved.status_code == 200
    row = await User.select(User.email, User.wants_digest).where(User.login == "tinh1").first()
    assert row == {"email": "tinh1@thainguyen.example", "wants_digest": True}
    # A volunteer may not ask for a mail of their own.
    csrf = await sign_in(client, "volunteer1")
    await client.post("/profile", data={"_csrf_token": csrf, "email": "v1@xa.example", "wants_digest": "on"})
    volunteer = await User.select(User.wants_digest).where(User.login == "volunteer1").first()
    assert volunteer == {"wants_digest": False}
