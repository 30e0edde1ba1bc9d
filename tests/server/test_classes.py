"""The class pages: planning a class, the month's list, recording attendance on a phone, the topics,
and the help given at a visit, as each kind of user meets them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from litestar.testing import AsyncTestClient

from surveys.core.clock import local_now, now
from surveys.tables import Attendance, ClassSession, ClassTrainer, Help, Member, TeamMember
from tests.conftest import sign_in
from tests.factories import World
from tests.server.helpers import form_values, soup

WARD = "/wards/01849/classes"


def _when(days: int) -> dict[str, str]:
    local = (now() + timedelta(days=days)).astimezone(ZoneInfo("Asia/Ho_Chi_Minh"))
    return {"date": local.date().isoformat(), "time": "08:00"}


async def _plan(client: AsyncTestClient[Any], csrf: str, days: int = -1, **fields: Any) -> Any:
    data = {"_csrf_token": csrf, **_when(days), "topics": ["vneid", "ai"], "audience": "elderly",
            "place": "Nhà văn hoá", **fields}  # fmt: skip
    new = soup(await client.get(f"{WARD}/new"))
    client_id = new.find("input", attrs={"name": "client_id"})
    assert client_id is not None
    return await client.post(
        f"{WARD}/new", data={"client_id": client_id["value"], **data}, follow_redirects=False
    )


async def _class_id() -> int:
    row = await ClassSession.select(ClassSession.id).order_by(ClassSession.id, ascending=False).first()
    assert row is not None
    return int(row["id"])


async def test_a_trainer_of_another_ward_is_refused_on_the_class_form(
    client: AsyncTestClient[Any], world: World, clock_at: Callable[[datetime], None]
) -> None:
    # Yesterday's class is this month's and this year's: on the 1st in Vietnam it would be last month's
    # (and on 1 January last year's), which these lists and figures rightly leave out.
    clock_at(local_now().replace(day=15, hour=12, minute=0, second=0, microsecond=0))
    neighbour = await TeamMember.insert(TeamMember(ward=world.wards["other"], name="Hoàng Văn Dũng"))
    ours = await TeamMember.insert(TeamMember(ward=world.wards["pq"], name="Nguyễn Thu Trang"))
    csrf = await sign_in(client, "ward")
    response = await _plan(client, csrf, trainer_ids=[str(neighbour[0]["id"]), str(ours[0]["id"])])
    assert response.status_code == 422
    page = soup(response)
    errors = {p.text for p in page.select(".field-error")}
    assert errors == {"Hãy chọn người dạy trong số thành viên tổ công nghệ số của xã này."}
    ticked = page.find("input", attrs={"name": "trainer_ids", "value": str(ours[0]["id"])})
    assert ticked is not None and ticked.has_attr("checked")
    assert await ClassSession.count() == 0 and await ClassTrainer.count() == 0
    await _plan(client, csrf, trainer_ids=[str(ours[0]["id"])])
    shown = soup(await client.get(f"{WARD}/{await _class_id()}"))
    assert "Nguyễn Thu Trang" in shown.text
    listed = soup(await client.get(WARD)).select_one(".class-line")
    assert listed is not None and listed.text.strip().startswith("Người hướng dẫn: Nguyễn Thu Trang · VNeID")


async def test_a_village_head_plans_a_class_that_volunteers_see_in_the_months_list(
    client: AsyncTestClient[Any], world: World, clock_at: Callable[[datetime], None]
) -> None:
    # Yesterday's class is this month's and this year's: on the 1st in Vietnam it would be last month's
    # (and on 1 January last year's), which these lists and figures rightly leave out.
    clock_at(local_now().replace(day=15, hour=12, minute=0, second=0, microsecond=0))
    csrf = await sign_in(client, "head1")
    response = await _plan(client, csrf, village=str(world.villages["v1"]))
    assert response.status_code == 303
    class_id = await _class_id()
    assert response.headers["location"] == f"{WARD}/{class_id}"
    await sign_in(client, "volunteer2")
    month = soup(await client.get(WARD))
    link = month.find("a", href=f"{WARD}/{class_id}")
    assert link is not None and "Thôn Đồng Tâm" in link.text and "Người cao tuổi" in link.text
    assert month.find("a", href=f"{WARD}/new") is None  # volunteers do not plan
    # No trainer: the line starts with the topics, not with a dot.
    line = " ".join(link.select_one(".class-line").text.split())
    assert line == "VNeID và định danh điện tử, Sử dụng công cụ AI · Người cao tuổi · 0 người học"
    # The months before and after are named as people say them, not "2026-10".
    today = now().astimezone(ZoneInfo("Asia/Ho_Chi_Minh"))
    before = (today.year - (today.month == 1), (today.month - 2) % 12 + 1)
    after = (today.year + (today.month == 12), today.month % 12 + 1)
    nav = month.select_one("nav.month-nav")
    assert nav is not None
    assert nav.select_one('a[rel="prev"]').text.strip() == f"‹ Tháng {before[1]}/{before[0]}"
    assert nav.select_one('a[rel="prev"]')["href"] == f"?month={before[0]}-{before[1]:02d}"
    assert nav.select_one('a[rel="next"]').text.strip() == f"Tháng {after[1]}/{after[0]} ›"


async def test_a_bad_class_comes_back_in_vietnamese_and_saves_nothing(
    client: AsyncTestClient[Any], world: World
) -> None:
    csrf = await sign_in(client, "head1")
    response = await _plan(client, csrf, date="hôm qua", topics=["nau-an"], village=str(world.villages["v3"]))
    assert response.status_code == 422
    page = soup(response)
    errors = {p.text for p in page.select(".field-error")}
    assert "Hãy chọn trong các chủ đề lớp học của xã (những chủ đề lớp này dạy)." in errors
    assert "Hãy chọn một thôn bạn phụ trách." in errors  # v3 is not head1's
    assert any("ngày" in e for e in errors)
    assert page.find("input", attrs={"name": "place"})["value"] == "Nhà văn hoá"
    assert await ClassSession.count() == 0


async def test_a_volunteer_records_attendees_and_a_walk_in_on_the_class_page(
    client: AsyncTestClient[Any], world: World
) -> None:
    csrf = await sign_in(client, "ward")
    await _plan(client, csrf)
    class_id = await _class_id()
    csrf = await sign_in(client, "volunteer1")
    found = soup(
        await client.post(f"{WARD}/{class_id}/search", data={"_csrf_token": csrf, "q": "tran thi binh"})
    )
    forms = found.select("ul.found form")
    assert forms and "Trần Thị Bình" in forms[0].text
    member = forms[0].find("input", attrs={"name": "member"})["value"]
    client_id = forms[0].find("input", attrs={"name": "client_id"})["value"]
    body = {"_csrf_token": csrf, "client_id": client_id, "member": member, "can_use": "ai"}
    response = await client.post(f"{WARD}/{class_id}/attendance", data=body, follow_redirects=False)
    assert response.status_code == 303
    again = await client.post(f"{WARD}/{class_id}/attendance", data=body, follow_redirects=False)
    assert again.status_code == 303  # a double tap: recorded once
    twice = await client.post(
        f"{WARD}/{class_id}/attendance", data={**body, "client_id": "6b0b6f7e-2c7a-4a57-9a41-1c5f0d7f0a11"}
    )
    assert twice.status_code == 422 and "đã có trong danh sách" in soup(twice).select_one(".error").text
    walk_in = {"_csrf_token": csrf, "client_id": "0d3c43a4-2ad4-4f2e-8d0e-9c1d5f1d7b22", "age_group": "60_plus",
               "sex": "female"}  # fmt: skip
    assert (
        await client.post(f"{WARD}/{class_id}/attendance", data=walk_in, follow_redirects=False)
    ).status_code == 303
    page = soup(await client.get(f"{WARD}/{class_id}"))
    items = [li.text for li in page.select("ol.attendees li")]
    assert len(items) == 2 and "Trần Thị Bình" in items[0] and "60 tuổi trở lên" in items[1]
    binh = await Member.select(Member.skill_learned, Member.uses_ai).where(Member.id == int(member)).first()
    assert binh == {"skill_learned": True, "uses_ai": "yes"}
    household = soup(await client.get(f"/h/{world.households['an']}"))
    assert "Lớp đã học" in household.text


async def test_a_walk_in_without_age_group_and_a_future_class_are_refused(
    client: AsyncTestClient[Any], world: World
) -> None:
    csrf = await sign_in(client, "ward")
    await _plan(client, csrf, days=3)
    class_id = await _class_id()
    page = soup(await client.get(f"{WARD}/{class_id}"))
    assert page.find("form", action=f"{WARD}/{class_id}/attendance") is None
    body = {"_csrf_token": csrf, "client_id": "0d3c43a4-2ad4-4f2e-8d0e-9c1d5f1d7b22", "sex": "male"}
    response = await client.post(f"{WARD}/{class_id}/attendance", data=body)
    assert response.status_code == 422
    text = soup(response).select_one(".error").text
    assert "chưa bắt đầu" in text and "nhóm tuổi" in text
    assert await Attendance.count() == 0


async def test_a_class_of_another_ward_is_not_found(client: AsyncTestClient[Any], world: World) -> None:
    csrf = await sign_in(client, "ward")
    await _plan(client, csrf)
    class_id = await _class_id()
    await sign_in(client, "otherward")
    assert (await client.get(f"/wards/01852/classes/{class_id}")).status_code == 404


async def test_a_stale_class_edit_shows_the_conflict(client: AsyncTestClient[Any], world: World) -> None:
    csrf = await sign_in(client, "ward")
    await _plan(client, csrf)
    class_id = await _class_id()
    data = {"_csrf_token": csrf, **_when(-1), "topics": "safety", "audience": "everyone", "version": "1"}
    assert (
        await client.post(f"{WARD}/{class_id}/edit", data=data, follow_redirects=False)
    ).status_code == 303
    response = await client.post(f"{WARD}/{class_id}/edit", data={**data, "topics": "payment"})
    assert response.status_code == 409
    row = await ClassSession.select(ClassSession.topics).where(ClassSession.id == class_id).first()
    assert row is not None and "safety" in str(row["topics"])


async def test_the_ward_office_adds_and_retires_topics(client: AsyncTestClient[Any], world: World) -> None:
    csrf = await sign_in(client, "ward")
    response = await client.post(
        "/wards/01849/class-topics", data={"_csrf_token": csrf, "name": "Zalo"}, follow_redirects=False
    )
    assert response.status_code == 303
    await client.post(
        "/wards/01849/class-topics/ecommerce/offered", data={"_csrf_token": csrf, "offered": "false"}
    )
    form = soup(await client.get(f"{WARD}/new"))
    topics = [label.text.strip() for label in form.select("fieldset label.check")]
    assert "Zalo" in topics and not any("Chợ số" in t for t in topics)
    empty = await client.post("/wards/01849/class-topics", data={"_csrf_token": csrf, "name": " "})
    assert empty.status_code == 422 and soup(empty).select_one(".field-error") is not None


async def test_the_visit_form_records_help_given_today(client: AsyncTestClient[Any], world: World) -> None:
    csrf = await sign_in(client, "volunteer1")
    token = world.households["an"]
    form = soup(await client.get(f"/h/{token}/visit")).find("form", id="visit")
    assert form is not None and form.find("input", attrs={"name": "m-0-helped", "value": "vneid_installed"})
    data: dict[str, Any] = {}
    for field in form.find_all("input"):
        name, kind = field.get("name"), field.get("type", "text")
        if name and (kind not in ("checkbox", "radio") or field.has_attr("checked")):
            data[name] = field.get("value", "on")
    data.update(
        {"_csrf_token": csrf, "outcome": "done", "consent": "on", "m-0-helped": ["vneid_installed", "bank"]}
    )
    response = await client.post(f"/h/{token}/visits", data=data, follow_redirects=False)
    assert response.status_code == 303, response.text[:500]
    assert sorted(r["kind"] for r in await Help.select(Help.kind)) == ["bank", "vneid_installed"]
    page = soup(await client.get(f"/h/{token}"))
    assert "Đã cài VNeID" in page.text
    bad = {
        **data,
        "client_id": "0d3c43a4-2ad4-4f2e-8d0e-9c1d5f1d7b99",
        "household_version": "2",
        "m-0-helped": "cooking",
    }
    response = await client.post(f"/h/{token}/visits", data=bad)
    assert response.status_code == 422 and await Help.count() == 2


async def test_the_ward_dashboard_counts_classes_attendees_learners_and_help(
    client: AsyncTestClient[Any], world: World, clock_at: Callable[[datetime], None]
) -> None:
    # Yesterday's class is this month's and this year's: on the 1st in Vietnam it would be last month's
    # (and on 1 January last year's), which these lists and figures rightly leave out.
    clock_at(local_now().replace(day=15, hour=12, minute=0, second=0, microsecond=0))
    csrf = await sign_in(client, "ward")
    before = soup(await client.get("/wards/01849")).find("section", id="classes")
    assert before is not None
    assert before.select("dd")[0].text.startswith("0 ")  # no attendee yet
    await _plan(client, csrf)
    class_id = await _class_id()
    binh = await Member.select(Member.id).where(Member.full_name == "Trần Thị Bình").first()
    assert binh is not None
    for body in (
        {"member": str(binh["id"]), "can_use": "ai", "client_id": "6b0b6f7e-2c7a-4a57-9a41-1c5f0d7f0a11"},
        {"age_group": "60_plus", "sex": "male", "client_id": "6b0b6f7e-2c7a-4a57-9a41-1c5f0d7f0a12"},
    ):
        await client.post(f"{WARD}/{class_id}/attendance", data={"_csrf_token": csrf, **body})
    section = soup(await client.get("/wards/01849")).find("section", id="classes")
    assert section is not None
    facts = {
        dt.text.strip(): dd.text.strip()
        for dt, dd in zip(section.select("dt"), section.select("dd"), strict=True)
    }
    assert facts["Lượt người học"].startswith("2 ")
    assert facts["Người học có trong danh sách hộ"] == "1"
    assert facts["Người học biết dùng ít nhất một công cụ AI"].startswith("1 (100")
    assert facts["· Người cao tuổi"] == "2"
    months = [li.text.strip().split(": ")[1] for li in section.select("ul.months li")]
    assert months[-1].startswith("1") or months[-2].startswith("1")  # yesterday: this month or the last


async def test_the_ward_office_builds_its_team_and_pairs_learners(
    client: AsyncTestClient[Any], world: World
) -> None:
    csrf = await sign_in(client, "ward")
    bad = await client.post(
        "/wards/01849/digital-team", data={"_csrf_token": csrf, "name": " ", "phone": "số"}
    )
    assert bad.status_code == 422 and len(soup(bad).select(".field-error")) == 2
    data = {
        "_csrf_token": csrf,
        "name": "Lò Văn Sáng",
        "role": "ambassador",
        "village": str(world.villages["v1"]),
    }
    assert (
        await client.post("/wards/01849/digital-team", data=data, follow_redirects=False)
    ).status_code == 303
    team = soup(await client.get("/wards/01849/digital-team"))
    link = team.find("a", string="Lò Văn Sáng")
    assert link is not None and "0 trên 1" in team.text
    page = str(link["href"])
    found = soup(await client.post(f"{page}/search", data={"_csrf_token": csrf, "q": "dang thi anh"}))
    learner = found.select_one("ul.found input[name=learner]")
    assert learner is not None
    done = await client.post(
        f"{page}/learners", data={"_csrf_token": csrf, "learner": learner["value"]}, follow_redirects=False
    )
    assert done.status_code == 303
    again = await client.post(f"{page}/learners", data={"_csrf_token": csrf, "learner": learner["value"]})
    assert again.status_code == 422 and "đã có người kèm cặp" in soup(again).select_one(".error").text
    assert "Đặng Thị Ánh" in soup(await client.get(page)).text
    await sign_in(client, "volunteer1")
    seen = soup(await client.get("/wards/01849/digital-team"))
    assert seen.find("form", action="/wards/01849/digital-team") is None  # volunteers read, officers keep


async def test_the_months_activity_counts_visits_help_classes_taught_and_learners(
    client: AsyncTestClient[Any], world: World
) -> None:
    import csv
    import io

    csrf = await sign_in(client, "volunteer1")
    token = world.households["an"]
    form = soup(await client.get(f"/h/{token}/visit")).find("form", id="visit")
    assert form is not None
    data: dict[str, Any] = {}
    for field in form.find_all("input"):
        name, kind = field.get("name"), field.get("type", "text")
        if name and (kind not in ("checkbox", "radio") or field.has_attr("checked")):
            data[name] = field.get("value", "on")
    data.update({"_csrf_token": csrf, "outcome": "done", "consent": "on", "m-0-helped": "ai_tool"})
    assert (await client.post(f"/h/{token}/visits", data=data, follow_redirects=False)).status_code == 303
    csrf = await sign_in(client, "ward")
    await TeamMember.insert(
        TeamMember(ward=world.wards["pq"], name="Bí danh khác", user=world.users["volunteer1"])
    )
    form = soup(await client.get(f"{WARD}/new"))
    trainer = form.find("input", attrs={"name": "trainer_ids"})
    assert trainer is not None
    # Counted by the link to the team, not by a name typed among the other trainers.
    await _plan(client, csrf, trainer_ids=[trainer["value"]], trainers="Lò Văn Sáng")
    await client.post(
        "/wards/01849/digital-team", data={"_csrf_token": csrf, "name": "Lò Văn Sáng", "role": "ambassador"}
    )
    response = await client.get("/wards/01849/activity-month.csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    lines = {r[0]: r[1:] for r in rows if r and r[0] in ("Tài khoản volunteer1", "Lò Văn Sáng")}
    # Yesterday's class is this month's, or last month's on the 1st: taught 1 or 0 this month.
    assert lines["Tài khoản volunteer1"][1:3] == ["1", "1"]
    assert lines["Lò Văn Sáng"] == ["Đại sứ số", "0", "0", "0", "0"]
    assert (await client.get("/wards/01849/activity-month.xlsx?month=2026-01")).status_code == 200


async def test_a_walk_in_joins_a_household_of_the_register_from_the_class_page(
    client: AsyncTestClient[Any], world: World
) -> None:
    from surveys.tables import Household

    csrf = await sign_in(client, "ward")
    await _plan(client, csrf)
    class_id = await _class_id()
    csrf = await sign_in(client, "volunteer1")
    walk_in = {"_csrf_token": csrf, "client_id": "0d3c43a4-2ad4-4f2e-8d0e-9c1d5f1d7b22", "age_group": "60_plus",
               "sex": "female", "can_use": "ai"}  # fmt: skip
    await client.post(f"{WARD}/{class_id}/attendance", data=walk_in, follow_redirects=False)
    form = soup(await client.get(f"{WARD}/{class_id}")).select_one("ol.attendees details.enrol form")
    assert form is not None
    codes = {r["token"]: r["code"] for r in await Household.select(Household.token, Household.code)}
    enrol = {"_csrf_token": csrf, "full_name": "  Lò Thị Mai ", "birth_year": "1950"}
    # A household of a village volunteer1 does not work in is not offered, and nothing is saved.
    refused = await client.post(form["action"], data={**enrol, "household": codes[world.households["v3"]]})
    assert refused.status_code == 422
    assert "Không có hộ nào thuộc thôn của bạn có mã này." in soup(refused).select_one(".error").text
    assert await Member.count().where(Member.full_name == "Lò Thị Mai") == 0
    joined = await client.post(
        form["action"], data={**enrol, "household": codes[world.households["an"]]}, follow_redirects=False
    )
    assert joined.status_code == 303
    mai = (
        await Member.select(
            Member.id,
            Member.sex,
            Member.skill_learned,
            Member.uses_ai,
            Member.household._.token.as_alias("token"),
        )
        .where(Member.full_name == "Lò Thị Mai")
        .first()
    )
    assert mai is not None
    assert (mai["token"], mai["sex"], mai["skill_learned"], mai["uses_ai"]) == (
        world.households["an"],
        "female",
        True,
        "yes",
    )
    attended = await Attendance.select(Attendance.member, Attendance.age_group).first()
    assert attended == {"member": mai["id"], "age_group": ""}
    items = [li.text for li in soup(await client.get(f"{WARD}/{class_id}")).select("ol.attendees li")]
    assert len(items) == 1 and "Lò Thị Mai" in items[0]


async def test_a_class_later_today_shows_its_forms_for_the_phone_but_refuses_attendance_until_it_starts(
    client: AsyncTestClient[Any], world: World, clock_at: Callable[[datetime], None]
) -> None:
    # Kept on the phone in the morning, the page must hold the forms for the afternoon's class. In the
    # morning of the run's day: at 23:58 "two minutes later" is tomorrow.
    clock_at(local_now().replace(hour=10, minute=0, second=0, microsecond=0))
    later = await ClassSession.insert(
        ClassSession(ward=world.wards["pq"], starts_at=now() + timedelta(minutes=2), topics=["vneid"])
    )
    class_id = int(later[0]["id"])
    csrf = await sign_in(client, "volunteer1")
    page = soup(await client.get(f"{WARD}/{class_id}"))
    assert page.find("form", action=f"{WARD}/{class_id}/attendance") is not None
    assert "Điểm danh khi lớp học đã bắt đầu." in page.text
    body = {"_csrf_token": csrf, "client_id": "0d3c43a4-2ad4-4f2e-8d0e-9c1d5f1d7b22", "age_group": "60_plus"}
    response = await client.post(f"{WARD}/{class_id}/attendance", data=body)
    assert response.status_code == 422 and "chưa bắt đầu" in soup(response).select_one(".error").text
    assert await Attendance.count() == 0


async def test_the_roster_the_phone_keeps_lists_only_people_the_user_may_see(
    client: AsyncTestClient[Any], world: World
) -> None:
    held = await ClassSession.insert(
        ClassSession(ward=world.wards["pq"], starts_at=now() - timedelta(hours=1), topics=["vneid"])
    )
    roster = f"{WARD}/{int(held[0]['id'])}/roster"
    await sign_in(client, "volunteer2")  # covers v3 only
    assert soup(await client.get(f"{roster}?village={world.villages['v1']}")).select("li[data-name]") == []
    await sign_in(client, "volunteer1")  # covers v1 and v2
    names = {li["data-name"] for li in soup(await client.get(roster)).select("li[data-name]")}
    assert {"nguyen van an", "tran thi binh", "dang thi anh"} <= names
    only_v1 = soup(await client.get(f"{roster}?village={world.villages['v1']}")).select("li[data-name]")
    assert {li["data-place"][:6] for li in only_v1} == {"pq-01-"}
    bad = await client.get(f"{roster}?village=abc")
    assert bad.status_code == 400 and "Yêu cầu không hợp lệ." in soup(bad).text


async def test_a_past_class_keeps_its_trainer_who_has_left_the_team_when_edited(
    client: AsyncTestClient[Any], world: World
) -> None:
    gone = await TeamMember.insert(TeamMember(ward=world.wards["pq"], name="Nguyễn Thu Trang"))
    other = await TeamMember.insert(TeamMember(ward=world.wards["pq"], name="Lê Văn Hùng"))
    gone_id, other_id = str(gone[0]["id"]), str(other[0]["id"])
    csrf = await sign_in(client, "ward")
    await _plan(client, csrf, days=-30, trainer_ids=[gone_id])
    class_id = await _class_id()
    # She taught the class, then left the team (and Hùng left too, having taught nothing here).
    await TeamMember.update({TeamMember.active: False}).where(
        TeamMember.id.is_in([int(gone_id), int(other_id)])
    )
    form = soup(await client.get(f"{WARD}/{class_id}/edit"))
    kept = form.find("input", attrs={"name": "trainer_ids", "value": gone_id})
    assert kept is not None and kept.has_attr("checked") and "Đã rời tổ" in kept.parent.text
    assert form.find("input", attrs={"name": "trainer_ids", "value": other_id}) is None
    data = {
        **form_values(form.find("form", action=f"{WARD}/{class_id}/edit")),
        "place": "Nhà văn hoá thôn Đồng Tâm",
    }
    saved = await client.post(f"{WARD}/{class_id}/edit", data=data, follow_redirects=False)
    assert saved.status_code == 303, [p.text for p in soup(saved).select(".field-error, .error")]
    trainers = await ClassTrainer.select(ClassTrainer.team_member).where(ClassTrainer.session == class_id)
    assert [t["team_member"] for t in trainers] == [int(gone_id)]
    # Someone who left cannot be newly added as a trainer.
    version = str(int(data["version"]) + 1)
    added = await client.post(f"{WARD}/{class_id}/edit", data={**data, "version": version,
                                                               "trainer_ids": [gone_id, other_id]})  # fmt: skip
    assert added.status_code == 422
    assert {p.text for p in soup(added).select(".field-error")} == {
        "Hãy chọn người dạy trong số thành viên tổ công nghệ số của xã này."
    }
    trainers = await ClassTrainer.select(ClassTrainer.team_member).where(ClassTrainer.session == class_id)
    assert [t["team_member"] for t in trainers] == [int(gone_id)]


async def test_a_walk_in_joins_a_household_found_by_a_members_name(
    client: AsyncTestClient[Any], world: World
) -> None:
    csrf = await sign_in(client, "ward")
    await _plan(client, csrf)
    class_id = await _class_id()
    csrf = await sign_in(client, "volunteer1")
    walk_in = {"_csrf_token": csrf, "client_id": "0d3c43a4-2ad4-4f2e-8d0e-9c1d5f1d7b22", "age_group": "60_plus",
               "sex": "female"}  # fmt: skip
    await client.post(f"{WARD}/{class_id}/attendance", data=walk_in, follow_redirects=False)
    form = soup(await client.get(f"{WARD}/{class_id}")).select_one("ol.attendees details.enrol form")
    assert form is not None
    search = form.find("button", formaction=True)["formaction"]
    typed = {"_csrf_token": csrf, "full_name": "Lò Thị Mai", "birth_year": "1950"}
    # Ma Văn Hùng lives in v3, which volunteer1 does not work in: no household is offered.
    nobody = soup(await client.post(search, data={**typed, "q": "ma van hung"}))
    assert nobody.select("input[type=radio][name=household]") == []
    assert "Không có hộ nào phù hợp." in nobody.select_one("details.enrol[open]").text
    # Her daughter-in-law's name, typed without accents, finds the household.
    found = soup(await client.post(search, data={**typed, "q": "tran thi binh"}))
    enrol = found.select_one("details.enrol[open] form")
    assert enrol is not None
    choices = enrol.select("input[type=radio][name=household]")
    assert [c["value"] for c in choices] == ["PQ-01-0001"] and choices[0].has_attr("checked")
    assert "Trần Thị Bình" in choices[0].parent.text
    values = form_values(enrol)
    assert (values["full_name"], values["birth_year"], values["q"]) == ("Lò Thị Mai", "1950", "tran thi binh")
    joined = await client.post(enrol["action"], data=values, follow_redirects=False)
    assert joined.status_code == 303
    mai = await Member.select(Member.household._.token.as_alias("token")).where(
        Member.full_name == "Lò Thị Mai"
    )
    assert mai == [{"token": world.households["an"]}]
    assert await Attendance.count().where(Attendance.member.is_null()) == 0
