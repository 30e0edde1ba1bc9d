"""A household's data rights: consent to a versioned notice, a copy, erasure that leaves no name, and the
retention job that erases archived households."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

import msgspec
from piccolo.columns import JSON, Text, Varchar

from scheduler.jobs import erase_expired_households
from scheduler.runner import build_scheduler
from surveys.core.clock import now
from surveys.core.settings import Settings
from surveys.core.text import fold
from surveys.people.accounts import actor_by_id
from surveys.privacy import NOTICE_VERSION, erase_expired, erase_household, household_data
from surveys.register.households import household_by_token
from surveys.register.register import archive_household
from surveys.reporting.reports import ward_trend
from surveys.survey.status import household_detail
from surveys.survey.visits import parse_visit, record_visit
from surveys.tables import ALL_TABLES, AuditEntry, Household, Member, Visit
from tests.factories import World

# Everything the fixture says about household `an`: its members' names and its address.
AN_PERSONAL = ["Nguyễn Văn An", "Trần Thị Bình", "Nguyễn Minh Khôi", "Xóm Trên, Thôn Đồng Tâm"]


async def _id(world: World, key: str = "an") -> int:
    row = await household_by_token(world.households[key])
    assert row is not None
    return int(row.id)


async def _visit(world: World, key: str = "an", **household: Any) -> None:
    row = await household_by_token(world.households[key])
    actor = await actor_by_id(world.users["volunteer1"])
    assert row is not None and actor is not None
    members = [
        {"id": m["id"], "full_name": m["full_name"], "birth_year": m["birth_year"], "vneid": "level2"}
        for m in await Member.select().where(Member.household == row.id)
    ]
    body = {"client_id": str(uuid.uuid4()), "outcome": "done", "household_version": row.version,
            "household": {"consent": True, "informed": True, "notes": "Cô Bình nhờ gọi lại", **household},
            "members": members}  # fmt: skip
    await record_visit(row, parse_visit(body), actor)


async def _text_in_database() -> str:
    """Every text and JSON value of every table, as one string."""
    values: list[str] = []
    for table in ALL_TABLES:
        columns = [c for c in table._meta.columns if isinstance(c, Varchar | Text | JSON)]
        if not columns:  # select() of no column would select them all
            continue
        for row in await table.select(*columns):
            values.extend(
                json.dumps(v, ensure_ascii=False) if not isinstance(v, str) else v for v in row.values()
            )
    return "\n".join(values)


async def test_consent_is_recorded_with_who_when_and_the_notice_version(world: World) -> None:
    await _visit(world)
    row = await Household.select().where(Household.id == await _id(world)).first()
    assert row is not None
    assert row["consent_by"] == "volunteer1" and row["consent_notice"] == NOTICE_VERSION
    assert row["consent_at"] is not None


async def test_a_consent_to_an_older_notice_is_asked_again(world: World) -> None:
    await _visit(world)
    household_id = await _id(world)
    await Household.update({Household.consent_notice: "2025-01"}).where(Household.id == household_id)
    row = await household_by_token(world.households["an"])
    assert row is not None
    assert (await household_detail(row)).consent is False  # the visit form comes up unticked
    await _visit(world)
    fresh = (
        await Household.select(Household.consent_notice, Household.consent_at)
        .where(Household.id == household_id)
        .first()
    )
    assert fresh is not None and fresh["consent_notice"] == NOTICE_VERSION


async def test_the_copy_holds_the_members_visits_and_history(world: World) -> None:
    await _visit(world)
    data = await household_data(await _id(world))
    assert data["household"]["code"] == "PQ-01-0001" and data["household"]["address"] == AN_PERSONAL[3]
    assert {m["full_name"] for m in data["members"]} == set(AN_PERSONAL[:3])
    assert data["visits"][0]["outcome"] == "done" and data["visits"][0]["answers"]["household"]["consent"]
    assert data["visits"][0]["volunteer"] == "Tài khoản volunteer1"
    assert [e["action"] for e in data["history"]] == ["visit.recorded"]
    assert "token" not in data["household"]  # the sticker's secret is not part of the household's copy
    assert data["household"]["village_name"] == "Thôn Đồng Tâm"
    msgspec.json.encode(data)  # every value can go into the JSON copy


async def test_erasure_leaves_no_name_anywhere_and_keeps_the_counts(world: World) -> None:
    await _visit(world)
    household_id = await _id(world)
    before = await _text_in_database()
    assert all(text in before for text in AN_PERSONAL) and fold("Nguyễn Văn An") in before
    trend_before = await ward_trend(world.wards["pq"])

    await erase_household(household_id, world.users["ward"], "request")

    after = await _text_in_database()
    for text in [*AN_PERSONAL, "Cô Bình nhờ gọi lại"]:
        assert text not in after and fold(text) not in after, text
        assert json.dumps(text)[1:-1] not in after, text  # nor escaped inside JSON
    assert "Đặng Thị Ánh" in after  # the neighbours are untouched
    assert await household_by_token(world.households["an"]) is None  # the old sticker opens nothing
    row = await Household.select().where(Household.id == household_id).first()
    assert (
        row is not None and row["archived"] and row["erased_at"] is not None and row["code"] == "PQ-01-0001"
    )
    assert await Member.count().where(Member.household == household_id) == 0
    visit = (
        await Visit.select(Visit.outcome, Visit.adults, Visit.adults_vneid)
        .where(Visit.household == household_id)
        .first()
    )
    assert visit == {"outcome": "done", "adults": 2, "adults_vneid": 2}  # anonymous counts stay
    # Past weeks keep their numbers; only this week's drops the household, which has left the ward.
    trend_after = await ward_trend(world.wards["pq"])
    assert [p.indicators for p in trend_after[:-1]] == [p.indicators for p in trend_before[:-1]]
    erased = (
        await AuditEntry.select(AuditEntry.user, AuditEntry.details)
        .where(AuditEntry.action == "household.erased")
        .first()
    )
    assert erased is not None and erased["user"] == world.users["ward"]
    assert json.loads(erased["details"]) == {"reason": "request"}


async def test_the_retention_job_erases_households_archived_long_enough(
    world: World, settings: Settings
) -> None:
    old, recent = await _id(world, "an"), await _id(world, "dang")
    await archive_household(old, world.users["ward"])
    await archive_household(recent, world.users["ward"])
    await Household.update({Household.archived_at: now() - timedelta(days=400)}).where(Household.id == old)
    await Household.update({Household.archived_at: now() - timedelta(days=10)}).where(Household.id == recent)

    assert await erase_expired(0) == 0  # 0 keeps them
    assert await erase_expired_households(settings) == 1
    assert await erase_expired_households(settings) == 0  # once
    erased = {r["id"] for r in await Household.select(Household.id).where(Household.erased_at.is_not_null())}
    assert erased == {old}
    assert await Member.count().where(Member.household == recent) == 1
    entry = (
        await AuditEntry.select(AuditEntry.user, AuditEntry.details)
        .where(AuditEntry.action == "household.erased")
        .first()
    )
    assert entry is not None and entry["user"] is None
    assert json.loads(entry["details"]) == {"reason": "retention"}


def test_the_retention_job_is_scheduled_nightly(settings: Settings) -> None:
    job = build_scheduler(settings).get_job("erase_expired_households")
    assert job is not None and "hour='2'" in str(job.trigger)
