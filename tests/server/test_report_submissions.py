"""Reports that go upward: a ward office submits a period's report once the period has ended, the
province sees every ward's state and accepts (a lock), returns or reopens it; the snapshot as submitted
never changes, and visits of the period that arrive later are counted as such. Through the API and the
pages, with every refusal."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import docx
import openpyxl
import pytest
from litestar.testing import AsyncTestClient

from surveys.reporting.periods import named_period
from surveys.reporting.village_counts import rebuild
from surveys.tables import AuditEntry, Household, Member, Province, ReportSubmission, Visit
from tests.conftest import api_token, sign_in
from tests.factories import World, make_user, make_village, make_ward
from tests.server.helpers import VIETNAM, field_errors, soup
from tests.surveys.test_reports import visit_an

# A Sunday in December 2026: the third quarter has ended (its report due 10/10/2026, by default), the
# fourth has not, nor has the second half-year or the year.
TODAY = datetime(2026, 12, 6, 10, 0, tzinfo=VIETNAM)
ENDED, CURRENT = "2026-Q3", "2026-Q4"
SUBMISSION = f"/api/wards/01849/reports/{ENDED}/submission"
DECISION = f"/api/provinces/19/submissions/01849/{ENDED}/decision"


@pytest.fixture
async def today(world: World, clock_at: Callable[[datetime], None]) -> None:
    """The clock at TODAY; the fixture's households registered in January 2026; officers of province 19
    (`province`) and of Hà Nội (`hanoi`, with a ward of its own)."""
    clock_at(TODAY)
    registered = datetime(2026, 1, 10, tzinfo=UTC)
    await Household.update({Household.created_at: registered}).where(Household.id > 0)
    await Member.update({Member.created_at: registered}).where(Member.id > 0)
    await rebuild()
    for login, code in (("province", "19"), ("hanoi", "01")):
        if code == "01":
            world.wards["hn"] = await make_ward("00004", "Phường Ba Đình", "01")
            await make_village(world.wards["hn"], "01", "Tổ dân phố 1")
        row = await Province.select(Province.id).where(Province.code == code).first()
        assert row is not None
        world.users[login] = await make_user(login, "province_officer", province_id=row["id"])


async def an_visited_during(world: World, period: str) -> None:
    """An's household visited now, on a phone that saved the visit on the period's 10th day: made in the
    period, received today."""
    await visit_an(world)
    made = named_period(period).start + timedelta(days=10)
    await Visit.update({Visit.at: made}).where(Visit.id > 0)
    await rebuild()


def figures(report: dict[str, Any]) -> dict[str, Any]:
    """The report's numbers without the moment it was made."""
    return {k: v for k, v in report.items() if k != "made_at"}


async def actions() -> list[str]:
    rows = (
        await AuditEntry.select(AuditEntry.action)
        .where(AuditEntry.action.like("report.%"))
        .order_by(AuditEntry.id)
    )
    return [r["action"] for r in rows]


async def test_ward_officer_submits_an_ended_quarter_and_the_snapshot_never_changes(
    client: AsyncTestClient[Any], world: World, today: None
) -> None:
    ward = await api_token(client, "ward")
    created = await client.post(SUBMISSION, headers=ward)
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["period"], body["version"], body["status"]) == (ENDED, 1, "submitted")
    assert body["submitted_by"] and body["submitted_at"]
    # Q3 ended on 30/09: due on the 10th day after; submitted in December, late.
    assert (body["due"], body["on_time"]) == ("2026-10-10", False)
    live = (await client.get("/api/wards/01849/reports", params={"from": "2026-07-01", "to": "2026-09-30"},
                             headers=ward)).json()  # fmt: skip
    assert figures(body["report"]) == figures(live)
    visited = next(f for f in body["report"]["figures"] if f["indicator"] == "visited")
    assert (visited["end"], visited["end_of"]) == (0, 3)
    await sign_in(client, "ward")
    word = await client.get(f"/wards/01849/reports/{ENDED}/submissions/1/report.docx")
    assert word.status_code == 200 and word.headers["content-disposition"].endswith('-v1.docx"')
    assert "quý III năm 2026" in "\n".join(p.text for p in docx.Document(io.BytesIO(word.content)).paragraphs)

    # A visit made during the quarter on a phone offline reaches phocap after the submission.
    await an_visited_during(world, ENDED)
    later = (await client.get(SUBMISSION, headers=ward)).json()
    assert later["report"] == body["report"]
    assert (later["version"], later["status"], later["late_arrivals"]) == (1, "submitted", 1)
    assert (
        await client.get(f"/wards/01849/reports/{ENDED}/submissions/1/report.docx")
    ).content == word.content
    live = (await client.get("/api/wards/01849/reports", params={"from": "2026-07-01", "to": "2026-09-30"},
                             headers=ward)).json()  # fmt: skip
    assert next(f for f in live["figures"] if f["indicator"] == "visited")["end"] == 1
    page = soup(await client.get("/wards/01849/reports", params={"period": ENDED}))
    late = page.select_one("#late-arrivals")
    assert late is not None and late.text.startswith("1 lượt thăm đến sau khi nộp")
    assert await actions() == ["report.submitted"]


@pytest.mark.parametrize(
    ("period", "code"),
    [
        (CURRENT, "not_ended"),
        ("2026-H2", "not_ended"),
        ("2026", "not_ended"),
        ("2026-Q5", "invalid"),
        ("2026-07-01_2026-09-30", "invalid"),
    ],
)
async def test_a_period_not_ended_or_not_named_is_refused_with_a_problem(
    client: AsyncTestClient[Any], world: World, today: None, period: str, code: str
) -> None:
    response = await client.post(
        f"/api/wards/01849/reports/{period}/submission", headers=await api_token(client, "ward")
    )
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [("period", code)]
    assert await ReportSubmission.count() == 0 and await actions() == []


@pytest.mark.parametrize("login", ["volunteer1", "head1", "otherward", "province", "hanoi"])
async def test_only_the_wards_own_officers_submit_its_report(
    client: AsyncTestClient[Any], world: World, today: None, login: str
) -> None:
    response = await client.post(SUBMISSION, headers=await api_token(client, login))
    assert response.status_code == 404
    assert await ReportSubmission.count() == 0


async def test_new_versions_until_accepted_then_locked_until_the_province_reopens_each_step_audited(
    client: AsyncTestClient[Any], world: World, today: None
) -> None:
    ward, province = await api_token(client, "ward"), await api_token(client, "province")
    assert (await client.post(SUBMISSION, headers=ward)).json()["version"] == 1
    assert (await client.post(SUBMISSION, headers=ward)).json()["version"] == 2

    no_reason = await client.post(DECISION, json={"decision": "return"}, headers=province)
    assert no_reason.status_code == 422
    assert [(e["field"], e["code"]) for e in no_reason.json()["errors"]] == [
        ("comment", "required_to_return")
    ]
    returned = await client.post(
        DECISION, json={"decision": "return", "comment": "Thiếu số lớp học"}, headers=province
    )
    assert returned.status_code == 200
    seen = (await client.get(SUBMISSION, headers=ward)).json()
    assert (seen["version"], seen["status"], seen["comment"]) == (2, "returned", "Thiếu số lớp học")
    assert (await client.post(SUBMISSION, headers=ward)).json()["version"] == 3

    accepted = await client.post(DECISION, json={"decision": "accept"}, headers=province)
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    locked = await client.post(SUBMISSION, headers=ward)
    assert locked.status_code == 409 and locked.headers["content-type"].startswith("application/problem+json")
    for again in ("accept", "return"):
        refused = await client.post(DECISION, json={"decision": again, "comment": "x"}, headers=province)
        assert refused.status_code == 409
    assert await ReportSubmission.count() == 3

    reopened = await client.post(DECISION, json={"decision": "reopen"}, headers=province)
    assert reopened.status_code == 200 and reopened.json()["status"] == "submitted"
    assert (await client.post(SUBMISSION, headers=ward)).json()["version"] == 4
    assert (await client.post(DECISION, json={"decision": "reopen"}, headers=province)).status_code == 409
    versions = (await client.get(SUBMISSION, headers=ward)).json()["versions"]
    assert [(v["version"], v["status"]) for v in versions] == [
        (4, "submitted"), (3, "submitted"), (2, "returned"), (1, "submitted"),
    ]  # fmt: skip
    assert await actions() == ["report.submitted", "report.submitted", "report.returned", "report.submitted",
                               "report.accepted", "report.reopened", "report.submitted"]  # fmt: skip


async def test_a_ward_cannot_decide_nor_another_provinces_officer_and_bad_decisions_are_named(
    client: AsyncTestClient[Any], world: World, today: None
) -> None:
    assert (await client.post(SUBMISSION, headers=await api_token(client, "ward"))).status_code == 201
    accept = {"decision": "accept"}
    for login in ("ward", "otherward", "hanoi", "volunteer1"):
        response = await client.post(DECISION, json=accept, headers=await api_token(client, login))
        assert response.status_code == 404, login
    hanoi = await api_token(client, "hanoi")
    # Hà Nội's officer naming Phong Quang under their own province: no such ward there.
    assert (await client.post(f"/api/provinces/01/submissions/01849/{ENDED}/decision", json=accept,
                              headers=hanoi)).status_code == 404  # fmt: skip
    province = await api_token(client, "province")
    bad = await client.post(DECISION, json={"decision": "approve", "comment": 5}, headers=province)
    assert bad.status_code == 422
    assert sorted((e["field"], e["code"]) for e in bad.json()["errors"]) == [
        ("comment", "invalid"), ("decision", "invalid_choice"),
    ]  # fmt: skip
    garbled = await client.post(
        DECISION, content=b"{not json", headers={**province, "Content-Type": "application/json"}
    )
    assert garbled.status_code == 400
    nothing = await client.post(
        f"/api/provinces/19/submissions/01852/{ENDED}/decision", json=accept, headers=province
    )
    assert nothing.status_code == 409  # Đồng Hỷ has submitted nothing to accept
    assert await actions() == ["report.submitted"]


async def test_the_province_lists_every_ward_with_its_state_due_date_and_timeliness(
    client: AsyncTestClient[Any], world: World, today: None
) -> None:
    province = await api_token(client, "province")
    # The province gives a quarter's report 90 days: Q3's is due on 29/12/2026.
    await Province.update({Province.report_due_quarter: 90}).where(Province.code == "19")
    assert (await client.post(SUBMISSION, headers=await api_token(client, "ward"))).status_code == 201
    listed = (
        await client.get("/api/provinces/19/submissions", params={"period": ENDED}, headers=province)
    ).json()
    assert (listed["period"], listed["due"], listed["wards_total"], listed["submitted"], listed["on_time"],
            listed["late"]) == (ENDED, "2026-12-29", 2, 1, 1, 0)  # fmt: skip
    lines = {w["code"]: w for w in listed["wards"]}
    assert set(lines) == {"01849", "01852"}
    assert (lines["01849"]["status"], lines["01849"]["version"], lines["01849"]["on_time"]) == (
        "submitted",
        1,
        True,
    )
    assert lines["01849"]["submitted_at"] is not None
    assert (lines["01852"]["status"], lines["01852"]["version"], lines["01852"]["submitted_at"],
            lines["01852"]["on_time"]) == ("not_submitted", 0, None, None)  # fmt: skip

    # Due on the quarter's last day: both late, the one that submitted and the one that did not.
    await Province.update({Province.report_due_quarter: 0}).where(Province.code == "19")
    listed = (
        await client.get("/api/provinces/19/submissions", params={"period": ENDED}, headers=province)
    ).json()
    assert (listed["due"], listed["on_time"], listed["late"]) == ("2026-09-30", 0, 2)
    assert [w["on_time"] for w in listed["wards"]] == [False, False]

    missing = await client.get("/api/provinces/19/submissions", headers=province)
    assert missing.status_code == 422 and [e["field"] for e in missing.json()["errors"]] == ["period"]
    bad = await client.get("/api/provinces/19/submissions", params={"period": "2026-Q9"}, headers=province)
    assert bad.status_code == 422 and [e["code"] for e in bad.json()["errors"]] == ["invalid"]
    for login in ("ward", "hanoi"):
        other = await client.get("/api/provinces/19/submissions", params={"period": ENDED},
                                 headers=await api_token(client, login))  # fmt: skip
        assert other.status_code == 404


async def test_ward_officer_submits_from_the_report_page_after_confirming(
    client: AsyncTestClient[Any], world: World, today: None
) -> None:
    csrf = await sign_in(client, "ward")
    page = soup(await client.get("/wards/01849/reports", params={"period": ENDED}))
    assert page.select_one("#submission-status").text.strip() == "Chưa nộp"
    form = page.select_one("#submit-report").find_parent("form")
    assert form["action"] == f"/wards/01849/reports/{ENDED}/submission"
    question = await client.post(form["action"], data={"_csrf_token": csrf})
    assert question.status_code == 200 and soup(question).select_one("#confirm-submit") is not None
    assert await ReportSubmission.count() == 0
    done = await client.post(
        form["action"], data={"_csrf_token": csrf, "confirm": "yes"}, follow_redirects=False
    )
    assert (
        done.status_code == 303
        and done.headers["location"] == f"/wards/01849/reports?period={ENDED}#submission"
    )
    page = soup(await client.get("/wards/01849/reports", params={"period": ENDED}))
    assert page.select_one("#submission-status").text.startswith("Đã nộp · phiên bản 1")
    assert [a["href"] for a in page.select("#submission-versions a")] == [
        f"/wards/01849/reports/{ENDED}/submissions/1/report.docx"
    ]
    # The quarter still running has no button: its report waits for its end, and a post says why.
    running = soup(await client.get("/wards/01849/reports", params={"period": CURRENT}))
    assert running.select_one("#submit-report") is None
    early = await client.post(
        f"/wards/01849/reports/{CURRENT}/submission", data={"_csrf_token": csrf, "confirm": "yes"}
    )
    assert early.status_code == 422
    assert field_errors(soup(early)) == [
        "Kỳ báo cáo này chưa kết thúc: chỉ nộp báo cáo sau khi kỳ đã kết thúc."
    ]
    assert await ReportSubmission.count() == 1


async def test_province_officer_sees_completeness_and_returns_then_accepts_on_the_page(
    client: AsyncTestClient[Any], world: World, today: None
) -> None:
    assert (await client.post(SUBMISSION, headers=await api_token(client, "ward"))).status_code == 201
    csrf = await sign_in(client, "province")
    # The dashboard reminds the province of the reports past due, each linking the wards' list.
    dashboard = soup(await client.get("/provinces/19")).select("#late-reminder a")
    assert [(a.text, a["href"]) for a in dashboard] == [
        ("1 xã chưa nộp báo cáo 2026-Q3, hạn nộp 10/10/2026.", "/provinces/19/submissions?period=2026-Q3"),
        ("2 xã chưa nộp báo cáo 2026-Q2, hạn nộp 10/07/2026.", "/provinces/19/submissions?period=2026-Q2"),
        ("2 xã chưa nộp báo cáo 2025, hạn nộp 15/01/2026.", "/provinces/19/submissions?period=2025"),
    ]
    page = soup(await client.get("/provinces/19/submissions"))
    assert page.select_one("select#period option[selected]")["value"] == ENDED
    assert page.select_one("#completeness").text.strip() == "1/2 xã đã nộp"
    assert [(tr["data-ward"], tr["data-status"]) for tr in page.select("#submissions tbody tr")] == [
        ("01852", "not_submitted"),
        ("01849", "submitted"),
    ]  # fmt: skip  (by name: Đồng Hỷ, then Phong Quang)
    by_status = soup(
        await client.get(
            "/provinces/19/submissions", params={"period": ENDED, "sort": "status", "order": "desc"}
        )
    )
    assert [tr["data-ward"] for tr in by_status.select("#submissions tbody tr")] == ["01849", "01852"]
    reminder = page.select_one("#late-reminder")
    assert reminder is not None and "1 xã chưa nộp báo cáo 2026-Q3" in reminder.text

    decision = f"/provinces/19/submissions/01849/{ENDED}/decision"
    no_reason = await client.post(decision, data={"_csrf_token": csrf, "decision": "return", "comment": ""})
    assert no_reason.status_code == 422
    assert field_errors(soup(no_reason)) == ["Ghi rõ lý do trả lại báo cáo: xã sẽ đọc ý kiến này."]
    assert soup(no_reason).select_one("#decision-return").has_attr("checked")
    bad = await client.post(decision, data={"_csrf_token": csrf, "decision": "approve", "comment": "Tốt"})
    assert bad.status_code == 422 and soup(bad).select_one("#comment").text == "Tốt"
    done = await client.post(decision, data={"_csrf_token": csrf, "decision": "accept", "comment": ""},
                             follow_redirects=False)  # fmt: skip
    assert done.status_code == 303
    again = await client.post(decision, data={"_csrf_token": csrf, "decision": "accept", "comment": ""})
    assert again.status_code == 409 and soup(again).select_one("#decision-refused") is not None
    decided = soup(await client.get(f"/provinces/19/submissions/01849/{ENDED}"))
    assert decided.select_one("#submission-status").text.startswith("Đã tiếp nhận · phiên bản 1")
    # An accepted report can only be reopened.
    assert [i["value"] for i in decided.select("#decision-form input[name=decision]")] == ["reopen"]

    csv = await client.get("/provinces/19/submissions.csv", params={"period": ENDED})
    assert csv.status_code == 200
    lines = csv.content.decode("utf-8-sig").splitlines()
    assert any(line.startswith("01849,Xã Phong Quang,Đã tiếp nhận,1,") for line in lines)
    assert any(line.startswith("01852,Xã Đồng Hỷ,Chưa nộp,,") for line in lines)
    book = openpyxl.load_workbook(io.BytesIO((await client.get("/provinces/19/submissions.xlsx",
                                                               params={"period": ENDED})).content))  # fmt: skip
    rows = [list(row) for row in book.active.iter_rows(values_only=True)]
    assert next(r for r in rows if r[0] == "01849")[:4] == ["01849", "Xã Phong Quang", "Đã tiếp nhận", 1]

    # The ward's page: accepted, locked, no button.
    await sign_in(client, "ward")
    ward_page = soup(await client.get("/wards/01849/reports", params={"period": ENDED}))
    assert (
        ward_page.select_one("#submit-report") is None
        and ward_page.select_one("#submission-locked") is not None
    )


async def test_the_province_sets_its_due_dates_and_a_bad_number_is_named_next_to_its_field(
    client: AsyncTestClient[Any], world: World, today: None
) -> None:
    csrf = await sign_in(client, "province")
    form = soup(await client.get("/provinces/19/report-schedule"))
    assert [form.select_one(f"#{n}")["value"] for n in ("report_due_quarter", "report_due_half", "report_due_year")] == [
        "10", "10", "15",
    ]  # fmt: skip
    # The province's weekly reminder: Monday 07:00 until the province says otherwise.
    assert form.select_one("#reminder_weekday option[selected]").text == "Thứ Hai"
    assert form.select_one("#reminder_hour")["value"] == "7"
    typed = {
        "_csrf_token": csrf,
        "report_due_quarter": "91",
        "report_due_half": "mười",
        "report_due_year": "20",
        "reminder_weekday": "8",
        "reminder_hour": "25",
    }
    bad = await client.post("/provinces/19/report-schedule", data=typed)
    assert bad.status_code == 422
    page = soup(bad)
    assert field_errors(page) == [
        "Hãy nhập số ngày từ 0 đến 90.", "Hãy nhập số ngày từ 0 đến 90.", "Hãy chọn một ngày trong tuần.",
        "Hãy nhập giờ từ 0 đến 23.",
    ]  # fmt: skip
    assert [page.select_one(f"#{n}")["value"] for n in ("report_due_quarter", "report_due_half", "report_due_year", "reminder_hour")] == [
        "91", "mười", "20", "25",
    ]  # fmt: skip
    assert (
        await actions() == []
        and await AuditEntry.count().where(AuditEntry.action == "report_schedule.saved") == 0
    )
    typed.update(report_due_quarter="30", report_due_half="30", reminder_weekday="3", reminder_hour="9")
    saved = await client.post("/provinces/19/report-schedule", data=typed, follow_redirects=False)
    assert saved.status_code == 303
    assert await AuditEntry.count().where(AuditEntry.action == "report_schedule.saved") == 1
    listed = soup(await client.get("/provinces/19/submissions", params={"period": ENDED}))
    assert listed.select_one("#timeliness").text.startswith("Hạn nộp 30/10/2026")
    form = soup(await client.get("/provinces/19/report-schedule"))
    assert form.select_one("#reminder_weekday option[selected]").text == "Thứ Tư"
    assert form.select_one("#reminder_hour")["value"] == "9"

    api = await api_token(client, "province")
    assert (await client.get("/api/provinces/19/report-schedule", headers=api)).json() == {
        "report_due_quarter": 30, "report_due_half": 30, "report_due_year": 20, "reminder_weekday": 3,
        "reminder_hour": 9,
    }  # fmt: skip
    wrong = await client.post(
        "/api/provinces/19/report-schedule", json={"report_due_year": -1, "reminder_weekday": 0}, headers=api
    )
    assert wrong.status_code == 422
    assert [(e["field"], e["code"]) for e in wrong.json()["errors"]] == [
        ("report_due_year", "out_of_range"), ("reminder_weekday", "out_of_range"),
    ]  # fmt: skip
    for login in ("ward", "hanoi"):
        refused = await client.post("/api/provinces/19/report-schedule", json={"report_due_year": 1},
                                    headers=await api_token(client, login))  # fmt: skip
        assert refused.status_code == 404
    row = await Province.select(Province.report_due_year).where(Province.code == "19").first()
    assert row == {"report_due_year": 20}
