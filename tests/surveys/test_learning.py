"""Classes, attendance and help given: each rule of issue 14, on the domain functions."""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from openpyxl import load_workbook

from surveys.core.clock import local_now, now
from surveys.core.validation import InvalidInput
from surveys.learning.attendance import (
    class_attendees,
    find_attendees,
    member_classes,
    parse_attendance,
    record_attendance,
    remove_attendance,
)
from surveys.learning.classes import (
    ClassConflict,
    class_payload,
    classes_of_month,
    create_class,
    parse_class,
    update_class,
    ward_class,
)
from surveys.learning.schemas import ClassCreate, ClassUpdate
from surveys.learning.topics import add_topic, set_topic_offered, ward_topics
from surveys.people.accounts import Actor, actor_by_id
from surveys.privacy import erase_household
from surveys.register.households import household_by_token
from surveys.register.register import merge_households
from surveys.survey.help import member_help
from surveys.survey.status import household_detail
from surveys.survey.visits import parse_visit, record_visit
from surveys.tables import Attendance, ClassSession, Help, Member
from tests.factories import World


async def _actor(world: World, login: str) -> Actor:
    actor = await actor_by_id(world.users[login])
    assert actor is not None
    return actor


async def _class(world: World, days_ago: int = 1, topics: list[str] | None = None) -> dict[str, Any]:
    ward = world.wards["pq"]
    raw = {
        "client_id": str(uuid.uuid4()),
        "starts_at": (now() - timedelta(days=days_ago)).isoformat(),
        "village": world.villages["v1"],
        "place": " Nhà văn hoá  thôn ",
        "topics": topics or ["vneid", "ai"],
        "audience": "elderly",
    }
    data = await parse_class(raw, ClassCreate, ward, {world.villages["v1"]})
    result = await create_class(ward, data, world.users["ward"])
    found = await ward_class(ward, result.id)
    assert found is not None
    return found


async def _member(world: World, name: str, key: str = "an") -> int:
    row = await household_by_token(world.households[key])
    assert row is not None
    found = (
        await Member.select(Member.id)
        .where((Member.household == row.id) & (Member.full_name == name))
        .first()
    )
    assert found is not None
    return int(found["id"])


async def _attend(world: World, session: dict[str, Any], login: str = "volunteer1", **raw: Any) -> Any:
    body = {"client_id": str(uuid.uuid4()), **raw}
    return await record_attendance(
        world.wards["pq"], session, parse_attendance(body), await _actor(world, login)
    )


async def test_a_class_keeps_its_text_clean_and_is_listed_in_its_month(world: World) -> None:
    session = await _class(world)
    assert session["place"] == "Nhà văn hoá thôn"
    starts = session["starts_at"]
    from zoneinfo import ZoneInfo

    local = starts.astimezone(ZoneInfo("Asia/Ho_Chi_Minh"))
    listed = await classes_of_month(world.wards["pq"], local.year, local.month)
    assert [c["id"] for c in listed] == [session["id"]]
    assert await ward_class(world.wards["other"], session["id"]) is None


async def test_an_unknown_topic_or_another_villages_class_is_refused_naming_each_field(world: World) -> None:
    raw = {"client_id": str(uuid.uuid4()), "starts_at": now().isoformat(), "topics": ["cooking"],
           "village": world.villages["v4"], "audience": "nobody"}  # fmt: skip
    with pytest.raises(InvalidInput) as exc:
        await parse_class(raw, ClassCreate, world.wards["pq"], {world.villages["v1"]})
    assert {(e.field, e.code) for e in exc.value.errors} == {
        ("topics", "unknown_topic"),
        ("village", "invalid_choice"),
        ("audience", "invalid_choice"),
    }


async def test_a_class_form_reads_local_date_and_time(world: World) -> None:
    payload = class_payload({"date": "2026-11-20", "time": "19:30", "topics": "vneid", "village": ""})
    assert payload["starts_at"] == "2026-11-20T19:30:00+07:00"
    assert payload["village"] is None and payload["topics"] == ["vneid"]
    bad = class_payload({"date": "20/11", "time": "", "topics": ["vneid"]})
    with pytest.raises(InvalidInput) as exc:
        await parse_class({**bad, "client_id": str(uuid.uuid4())}, ClassCreate, world.wards["pq"], set())
    assert [e.field for e in exc.value.errors] == ["starts_at"]


async def test_a_retried_class_is_created_once(world: World) -> None:
    raw = {"client_id": str(uuid.uuid4()), "starts_at": now().isoformat(), "topics": ["vneid"]}
    data = await parse_class(raw, ClassCreate, world.wards["pq"], set())
    first = await create_class(world.wards["pq"], data, world.users["ward"])
    again = await create_class(world.wards["pq"], data, world.users["ward"])
    assert first.created and not again.created and first.id == again.id


async def test_a_stale_class_edit_is_a_conflict_and_changes_nothing(world: World) -> None:
    session = await _class(world)
    raw = {"version": session["version"], "starts_at": session["starts_at"].isoformat(), "topics": ["safety"]}
    data = await parse_class(raw, ClassUpdate, world.wards["pq"], set())
    office = await _actor(world, "ward")
    await update_class(world.wards["pq"], session["id"], data, office)
    with pytest.raises(ClassConflict) as exc:
        await update_class(world.wards["pq"], session["id"], data, office)
    assert exc.value.current["topics"] == ["safety"] and exc.value.current["version"] == 2


async def test_attending_marks_took_part_in_learning_and_feeds_the_digital_family_rule(world: World) -> None:
    session = await _class(world)
    an = await _member(world, "Nguyễn Văn An")
    await Member.update(
        {Member.skill_understands: True, Member.skill_uses_services: True, Member.skill_guides_others: True}
    ).where(Member.id == an)
    row = await household_by_token(world.households["an"])
    assert row is not None
    assert not (await household_detail(row)).status.digital_family
    result = await _attend(world, session, member=an, can_use=["ai"])
    assert result.created
    after = await household_by_token(world.households["an"])
    assert after is not None and after.version == row.version + 1
    detail = await household_detail(after)
    assert detail.status.digital_family
    # The village's daily counts moved with it, in the same transaction.
    from tests.surveys.test_village_counts import _recount, _stored

    assert await _stored() == await _recount()
    member = next(m for m in detail.members if m.id == an)
    assert member.skills["learned"] and member.uses_ai == "yes"
    attended = await member_classes([an])
    assert [c["starts_at"] for c in attended[an]] == [session["starts_at"]]


async def _digital_but_for_learning(world: World) -> int:
    """Nguyễn Văn An, whose household lacks only his "took part in learning" to be a digital family."""
    an = await _member(world, "Nguyễn Văn An")
    await Member.update(
        {Member.skill_understands: True, Member.skill_uses_services: True, Member.skill_guides_others: True}
    ).where(Member.id == an)
    return an


async def _digital_family(world: World) -> bool:
    row = await household_by_token(world.households["an"])
    assert row is not None
    return (await household_detail(row)).status.digital_family


async def test_taking_back_the_only_attendance_ends_a_digital_family_it_made(world: World) -> None:
    from tests.surveys.test_village_counts import _recount, _stored

    an = await _digital_but_for_learning(world)
    first, second = await _class(world, days_ago=2), await _class(world)
    mistaken = [await _attend(world, s, member=an) for s in (first, second)]
    assert await _digital_family(world)
    officer = await _actor(world, "ward")
    await remove_attendance(first, mistaken[0].id, officer)
    # The other class still counts.
    assert await _digital_family(world)
    before = await household_by_token(world.households["an"])
    await remove_attendance(second, mistaken[1].id, officer)
    after = await household_by_token(world.households["an"])
    assert before is not None and after is not None and after.version == before.version + 1
    detail = await household_detail(after)
    assert not detail.status.digital_family
    assert not next(m for m in detail.members if m.id == an).skills["learned"]
    assert await _stored() == await _recount()


async def test_taking_back_an_attendance_keeps_learning_the_latest_visit_answered(world: World) -> None:
    from tests.surveys.test_village_counts import _recount, _stored

    an = await _digital_but_for_learning(world)
    row = await household_by_token(world.households["an"])
    assert row is not None
    members = await Member.select().where((Member.household == row.id) & Member.removed.eq(False))
    answers = [{"id": m["id"], "full_name": m["full_name"], "birth_year": m["birth_year"], "is_head": m["is_head"],
                "skill_learned": m["id"] == an, "skill_understands": True, "skill_uses_services": True,
                "skill_guides_others": True} for m in members]  # fmt: skip
    body = {"client_id": str(uuid.uuid4()), "outcome": "done", "household_version": row.version,
            "household": {"consent": True}, "members": answers}  # fmt: skip
    await record_visit(row, parse_visit(body), await _actor(world, "volunteer1"))
    session = await _class(world)
    mistaken = await _attend(world, session, member=an)
    await remove_attendance(session, mistaken.id, await _actor(world, "ward"))
    assert await _digital_family(world)
    assert await _stored() == await _recount()


async def _uses_ai(member: int) -> str:
    row = await Member.select(Member.uses_ai).where(Member.id == member).first()
    assert row is not None
    return str(row["uses_ai"])


async def test_taking_back_an_attendance_derives_using_an_ai_tool_again(world: World) -> None:
    """ "Can use an AI tool" from a class goes with the class's attendance when it is taken back: it stays
    while another attendance taught it, then falls back to what the latest visit said ("unknown" when
    none asked)."""
    from tests.surveys.test_village_counts import _recount, _stored

    an = await _member(world, "Nguyễn Văn An")
    officer = await _actor(world, "ward")
    first, second = await _class(world, days_ago=2, topics=["ai"]), await _class(world, topics=["ai"])
    taught = [await _attend(world, s, member=an, can_use=["ai"]) for s in (first, second)]
    assert await _uses_ai(an) == "yes"
    await remove_attendance(first, taught[0].id, officer)
    assert await _uses_ai(an) == "yes"  # the other class taught it too
    before = await household_by_token(world.households["an"])
    await remove_attendance(second, taught[1].id, officer)
    after = await household_by_token(world.households["an"])
    assert await _uses_ai(an) == "unknown"
    assert before is not None and after is not None and after.version == before.version + 1
    assert await _stored() == await _recount()
    # A visit said "no"; a class taught it; taking that back gives the visit's "no" again.
    row = await household_by_token(world.households["an"])
    assert row is not None
    members = await Member.select().where((Member.household == row.id) & Member.removed.eq(False))
    answers = [{"id": m["id"], "full_name": m["full_name"], "birth_year": m["birth_year"], "is_head": m["is_head"],
                "uses_ai": "no" if m["id"] == an else "unknown"} for m in members]  # fmt: skip
    body = {"client_id": str(uuid.uuid4()), "outcome": "done", "household_version": row.version,
            "household": {"consent": True}, "members": answers}  # fmt: skip
    await record_visit(row, parse_visit(body), await _actor(world, "volunteer1"))
    assert await _uses_ai(an) == "no"
    third = await _class(world, topics=["ai"])
    mistaken = await _attend(world, third, member=an, can_use=["ai"])
    assert await _uses_ai(an) == "yes"
    await remove_attendance(third, mistaken.id, officer)
    assert await _uses_ai(an) == "no"
    assert await _stored() == await _recount()


async def test_an_attendee_twice_a_future_class_and_an_untaught_topic_are_refused(world: World) -> None:
    session = await _class(world)
    an = await _member(world, "Nguyễn Văn An")
    await _attend(world, session, member=an)
    with pytest.raises(InvalidInput) as exc:
        await _attend(world, session, member=an)
    assert [(e.field, e.code) for e in exc.value.errors] == [("member", "already_attending")]
    future = await _class(world, days_ago=-2)
    with pytest.raises(InvalidInput) as exc:
        await _attend(world, future, member=an, can_use=["payment"])
    assert {(e.field, e.code) for e in exc.value.errors} == {
        ("class", "not_held_yet"),
        ("can_use", "unknown_topic"),
    }
    assert await Attendance.count().where(Attendance.session == future["id"]) == 0


async def test_a_walk_in_needs_an_age_group_and_a_retry_is_recorded_once(world: World) -> None:
    session = await _class(world)
    with pytest.raises(InvalidInput) as exc:
        await _attend(world, session, sex="female")
    assert [(e.field, e.code) for e in exc.value.errors] == [("age_group", "required")]
    client_id = str(uuid.uuid4())
    first = await _attend(world, session, client_id=client_id, age_group="60_plus", sex="female")
    again = await _attend(world, session, client_id=client_id, age_group="60_plus", sex="female")
    assert first.created and not again.created
    attendees = await class_attendees(session["id"], await _actor(world, "volunteer1"), world.wards["pq"])
    assert [(a["walk_in"], a["age_group"], a["sex"]) for a in attendees] == [(True, "60_plus", "female")]


async def test_a_volunteer_records_only_members_they_may_see_and_sees_only_their_names(world: World) -> None:
    session = await _class(world)
    hung = await _member(world, "Ma Văn Hùng", "v3")  # village v3: volunteer2's, not volunteer1's
    with pytest.raises(InvalidInput) as exc:
        await _attend(world, session, member=hung)
    assert [(e.field, e.code) for e in exc.value.errors] == [("member", "unknown_member")]
    await _attend(world, session, login="volunteer2", member=hung)
    seen_by_1 = await class_attendees(session["id"], await _actor(world, "volunteer1"), world.wards["pq"])
    seen_by_2 = await class_attendees(session["id"], await _actor(world, "volunteer2"), world.wards["pq"])
    assert seen_by_1[0]["name"] is None and seen_by_2[0]["name"] == "Ma Văn Hùng"


async def test_the_attendee_search_ignores_accents_and_stays_in_the_actors_villages(world: World) -> None:
    volunteer1 = await _actor(world, "volunteer1")
    found = await find_attendees(world.wards["pq"], volunteer1, "tran thi binh")
    assert found[0]["full_name"] == "Trần Thị Bình" and found[0]["matches"]
    assert await find_attendees(world.wards["pq"], volunteer1, "ma van hung") == []
    by_household = await find_attendees(world.wards["pq"], volunteer1, "PQ-01-0002")
    assert [m["full_name"] for m in by_household] == ["Đặng Thị Ánh"]


async def test_topics_are_the_plans_less_retired_plus_the_wards_own(world: World) -> None:
    ward = world.wards["pq"]
    key = await add_topic(ward, "  Zalo  ", world.users["ward"])
    await set_topic_offered(ward, "ecommerce", False, world.users["ward"])
    topics = await ward_topics(ward)
    assert topics[key] == "Zalo" and "ecommerce" not in topics and "vneid" in topics
    assert "ecommerce" in await ward_topics(ward, offered_only=False)
    assert key not in await ward_topics(world.wards["other"])
    with pytest.raises(InvalidInput):
        await add_topic(ward, "zalo", world.users["ward"])


async def test_merging_carries_attendance_and_help_and_erasing_removes_them(world: World) -> None:
    session = await _class(world)
    anh = await _member(world, "Đặng Thị Ánh", "dang")
    await _attend(world, session, member=anh)
    dang = await household_by_token(world.households["dang"])
    an = await household_by_token(world.households["an"])
    assert dang is not None and an is not None
    from surveys.survey.help import record_help

    await record_help(dang.id, anh, "vneid_installed", "", uuid.uuid4(), world.users["volunteer1"])
    await merge_households(an.id, dang.id, world.users["ward"])
    assert (await member_classes([anh]))[anh] and (await member_help([anh]))[anh]
    assert await Member.count().where((Member.id == anh) & (Member.household == an.id)) == 1
    await erase_household(an.id, world.users["ward"], "request")
    assert await Attendance.count() == 0 and await Help.count() == 0


async def test_a_visit_stores_the_help_given_to_each_member_once(world: World) -> None:
    from surveys.survey.visits import parse_visit, record_visit

    row = await household_by_token(world.households["an"])
    assert row is not None
    an = await _member(world, "Nguyễn Văn An")
    body = {
        "client_id": str(uuid.uuid4()),
        "outcome": "done",
        "household_version": row.version,
        "household": {"consent": True},
        "members": [
            {"id": an, "full_name": "Nguyễn Văn An", "birth_year": 1970, "is_head": True,
             "helped": ["vneid_installed", "other"], "help_note": " Zalo "},
            {"full_name": "Nguyễn Thu Hà", "birth_year": 2001, "helped": ["bank"]},
        ],
    }  # fmt: skip
    actor = await _actor(world, "volunteer1")
    await record_visit(row, parse_visit(body), actor)
    fresh = await household_by_token(world.households["an"])
    assert fresh is not None
    await record_visit(fresh, parse_visit(body), actor)  # a replay: no second help
    ha = await _member(world, "Nguyễn Thu Hà")
    helped = await member_help([an, ha])
    assert sorted(h["kind"] for h in helped[an]) == ["other", "vneid_installed"]
    assert {h["note"] for h in helped[an]} == {"", "Zalo"} and helped[an][0]["via"] == "visit"
    assert [h["kind"] for h in helped[ha]] == ["bank"]


async def test_an_unknown_kind_of_help_is_refused_and_nothing_is_saved(world: World) -> None:
    from surveys.survey.visits import parse_visit

    body = {"client_id": str(uuid.uuid4()), "outcome": "done", "household_version": 1,
            "household": {"consent": True},
            "members": [{"full_name": "A", "birth_year": 1990, "helped": ["cooking"]}]}  # fmt: skip
    with pytest.raises(InvalidInput) as exc:
        parse_visit(body)
    assert [e.field for e in exc.value.errors] == ["members.0.helped"]
    assert await Help.count() == 0


async def test_the_classes_migration_goes_back_and_forth(database_url: str) -> None:
    from piccolo.apps.migrations.commands.backwards import run_backwards

    from surveys.core.db import current_engine, migrate, pending_migrations

    tables = "SELECT COUNT(*) AS n FROM attendance"
    try:
        first = "2026-11-26T14:24:43:301075"
        await run_backwards(app_name="phocap", migration_id=first, auto_agree=True)
        # The classes' four migrations and any made after them are undone.
        pending = await pending_migrations()
        assert min(pending) == first and len(pending) >= 4
        with pytest.raises(Exception, match="attendance"):
            await current_engine().run_ddl(tables)
    finally:
        await migrate()
    assert await pending_migrations() == []
    assert await Attendance.count() == 0


async def _ambassador(world: World, member: int | None = None) -> int:
    from surveys.learning.digital_team import add_team_member, parse_team_member

    raw = {"name": " Lò Văn Sáng ", "role": "ambassador", "village": world.villages["v1"], "member": member}
    data = await parse_team_member(raw, world.wards["pq"])
    assert data.name == "Lò Văn Sáng"
    return await add_team_member(world.wards["pq"], data, world.users["ward"])


async def test_a_mentor_gets_learners_but_not_themselves_nor_someone_elses(world: World) -> None:
    from surveys.learning.digital_team import assign_learner, mentoring_gaps, team_member_of_ward

    an = await _member(world, "Nguyễn Văn An")
    mentor = await _ambassador(world, member=an)
    with pytest.raises(InvalidInput) as exc:
        await assign_learner(world.wards["pq"], mentor, an, world.users["ward"])
    assert [(e.field, e.code) for e in exc.value.errors] == [("learner", "own_learner")]
    anh = await _member(world, "Đặng Thị Ánh", "dang")
    await assign_learner(world.wards["pq"], mentor, anh, world.users["ward"])
    other = await _ambassador(world)
    with pytest.raises(InvalidInput) as exc:
        await assign_learner(world.wards["pq"], other, anh, world.users["ward"])
    assert [(e.field, e.code) for e in exc.value.errors] == [("learner", "has_mentor")]
    mai = await _member(world, "Lý Thị Mai", "v4")  # another ward's
    with pytest.raises(InvalidInput):
        await assign_learner(world.wards["pq"], mentor, mai, world.users["ward"])
    shown = await team_member_of_ward(world.wards["pq"], mentor, await _actor(world, "ward"))
    assert shown is not None and [m["full_name"] for m in shown["learners"]] == ["Đặng Thị Ánh"]
    gaps = await mentoring_gaps(world.wards["pq"])
    assert gaps["ambassadors"] == 2 and gaps["with_enough"] == 0 and len(gaps["short"]) == 2
    # Đặng Thị Ánh (born 1960) is 60+ and now has a mentor; Nguyễn Văn An's household is not a priority.
    assert gaps["priority_without_mentor"] == 0


async def test_a_team_member_of_another_wards_village_is_refused(world: World) -> None:
    from surveys.learning.digital_team import parse_team_member

    raw = {"name": "", "phone": "09x", "role": "mayor", "village": world.villages["v4"]}
    with pytest.raises(InvalidInput) as exc:
        await parse_team_member(raw, world.wards["pq"])
    assert {e.field for e in exc.value.errors} == {"name", "phone", "role", "village"}  # all at once
    with pytest.raises(InvalidInput) as exc:
        await parse_team_member({"name": "A", "village": world.villages["v4"]}, world.wards["pq"])
    assert [e.field for e in exc.value.errors] == ["village"]


async def test_erasing_a_household_ends_its_members_mentorships(world: World) -> None:
    from surveys.learning.digital_team import assign_learner
    from surveys.tables import Mentorship

    an = await _member(world, "Nguyễn Văn An")
    mentor = await _ambassador(world, member=an)
    anh = await _member(world, "Đặng Thị Ánh", "dang")
    await assign_learner(world.wards["pq"], mentor, anh, world.users["ward"])
    dang = await household_by_token(world.households["dang"])
    an_row = await household_by_token(world.households["an"])
    assert dang is not None and an_row is not None
    await merge_households(an_row.id, dang.id, world.users["ward"])
    assert await Mentorship.count().where(Mentorship.learner == anh) == 1  # carried along
    await erase_household(an_row.id, world.users["ward"], "request")
    assert await Mentorship.count() == 0


async def test_the_ward_figures_count_team_members_trained_and_mentors_with_enough_learners(
    world: World, clock_at: Callable[[datetime], None]
) -> None:
    from surveys.reporting.learning import learning_figures

    # Yesterday's class is this month's and this year's: on the 1st in Vietnam it would be last month's
    # (and on 1 January last year's), which these lists and figures rightly leave out.
    clock_at(local_now().replace(day=15, hour=12, minute=0, second=0, microsecond=0))

    an = await _member(world, "Nguyễn Văn An")
    await _ambassador(world, member=an)
    await _ambassador(world)
    training = await _class(world, topics=["ai"])
    await ClassSession.update({ClassSession.audience: "team"}).where(ClassSession.id == training["id"])
    await _attend(world, training, member=an, can_use=["ai"])
    figures = await learning_figures(world.wards["pq"])
    assert (figures.team_members, figures.team_trained, figures.percent_trained()) == (2, 1, 50.0)
    assert (figures.ambassadors, figures.ambassadors_with_enough) == (2, 0)
    assert (figures.learners, figures.learners_ai, figures.by_audience) == (1, 1, {"team": 1})


async def test_the_households_copy_of_its_data_holds_classes_and_help(world: World) -> None:
    import msgspec

    from surveys.privacy import export_household
    from surveys.survey.help import record_help

    session = await _class(world)
    anh = await _member(world, "Đặng Thị Ánh", "dang")
    await _attend(world, session, member=anh)
    dang = await household_by_token(world.households["dang"])
    assert dang is not None
    await record_help(dang.id, anh, "bank", "", uuid.uuid4(), world.users["volunteer1"])
    data = msgspec.json.decode(await export_household(dang.id, "json", world.users["ward"]))
    assert [c["topics"] for c in data["classes"]] == [["vneid", "ai"]]
    assert [h["kind"] for h in data["help"]] == ["bank"]
    # The family's copy to read and print: a sheet each, in Vietnamese.
    book = load_workbook(io.BytesIO(await export_household(dang.id, "xlsx", world.users["ward"])))
    assert book.sheetnames[-2:] == ["Lớp đã học", "Đã hỗ trợ"]
    classes = list(book["Lớp đã học"].iter_rows(min_row=3, values_only=True))
    assert classes[0] == ("Họ và tên", "Ngày", "Chủ đề")
    assert [(c[0], c[2]) for c in classes[1:]] == [
        ("Đặng Thị Ánh", "VNeID và định danh điện tử, Sử dụng công cụ AI")
    ]
    helped = list(book["Đã hỗ trợ"].iter_rows(min_row=4, values_only=True))
    assert [(h[0], h[2], h[4]) for h in helped] == [
        ("Đặng Thị Ánh", "Đã mở tài khoản ngân hàng số hoặc ứng dụng ngân hàng", "Khác")
    ]


async def test_the_trainers_link_migration_goes_back_and_forth_keeping_typed_trainers(world: World) -> None:
    from piccolo.apps.migrations.commands.backwards import run_backwards

    from surveys.core.db import current_engine, migrate, pending_migrations
    from surveys.tables import ClassTrainer

    trang = await _ambassador(world)
    raw = {"client_id": str(uuid.uuid4()), "starts_at": now().isoformat(), "topics": ["vneid"],
           "trainer_ids": [trang], "trainers": "Ma Văn Hùng"}  # fmt: skip
    data = await parse_class(raw, ClassCreate, world.wards["pq"], set())
    await create_class(world.wards["pq"], data, world.users["ward"])
    assert await ClassTrainer.count() == 1
    try:
        await run_backwards(app_name="phocap", migration_id="2026-11-26T15:51:00:000000", auto_agree=True)
        assert min(await pending_migrations()) == "2026-11-26T15:51:00:000000"
        with pytest.raises(Exception, match="class_trainer"):
            await current_engine().run_ddl("SELECT COUNT(*) AS n FROM class_trainer")
    finally:
        await migrate()
    assert await pending_migrations() == [] and await ClassTrainer.count() == 0
    kept = await ClassSession.select(ClassSession.trainers).first()
    assert kept is not None and kept["trainers"] == "Ma Văn Hùng"


async def test_the_team_version_migration_fills_existing_members_and_keeps_client_ids_unique(
    world: World,
) -> None:
    from piccolo.apps.migrations.commands.backwards import run_backwards

    from surveys.core.db import current_engine, migrate, pending_migrations
    from surveys.tables import TeamMember

    try:
        await run_backwards(app_name="phocap", migration_id="2026-11-26T17:40:00:000000", auto_agree=True)
        assert min(await pending_migrations()) == "2026-11-26T17:40:00:000000"
        # Two members recorded before the migration (SQLite cannot add a UNIQUE column to a table with rows).
        for name in ("Lò Văn Sáng", "Hoàng Thị Hoa"):
            await current_engine().run_ddl(
                f"INSERT INTO team_member (ward, name, phone, role, active, created_at) "  # noqa: S608
                f"VALUES ({world.wards['pq']}, '{name}', '', 'member', true, CURRENT_TIMESTAMP)"
            )
    finally:
        await migrate()
    assert await pending_migrations() == []
    rows = await TeamMember.select(TeamMember.version, TeamMember.client_id)
    assert rows == [{"version": 1, "client_id": None}] * 2
    client_id = uuid.uuid4()
    await TeamMember.insert(TeamMember(ward=world.wards["pq"], name="Nông Văn Tú", client_id=client_id))
    with pytest.raises(Exception, match=r"(?i)unique"):
        await TeamMember.insert(TeamMember(ward=world.wards["pq"], name="Nông Văn Tú", client_id=client_id))
