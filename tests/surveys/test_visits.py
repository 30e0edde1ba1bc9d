"""Recording visits: accepted once, never half-saved, never silently overwritten."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import msgspec
import pytest

from surveys import schemas
from surveys.core.clock import now
from surveys.core.settings import get_settings
from surveys.core.validation import InvalidInput, ReusedClientId, parse
from surveys.people.accounts import actor_by_id
from surveys.register.households import household_by_token
from surveys.survey.status import household_detail
from surveys.survey.visits import VisitConflict, parse_visit, record_visit
from surveys.tables import AuditEntry, Household, Member, VillageActivity, VillageCount, Visit
from tests.factories import World

CORE = {
    "vneid": "level2",
    "bank_account": "yes",
    "skill_learned": True,
    "skill_understands": True,
    "skill_uses_services": True,
    "skill_guides_others": True,
}


async def _visit(world: World, key: str = "an", login: str = "volunteer1", **payload: Any) -> Any:
    row = await household_by_token(world.households[key])
    assert row is not None
    body = {"client_id": str(uuid.uuid4()), "outcome": "done", "household_version": row.version,
            "household": {"consent": True, "informed": True}, **payload}  # fmt: skip
    actor = await actor_by_id(world.users[login])
    assert actor is not None
    return await record_visit(row, parse_visit(body), actor)


async def _members(world: World, key: str = "an") -> dict[str, dict[str, Any]]:
    row = await household_by_token(world.households[key])
    assert row is not None
    return {m["full_name"]: m for m in await Member.select().where(Member.household == row.id)}


async def test_a_visit_updates_members_and_keeps_the_answers_as_submitted(world: World) -> None:
    members = await _members(world)
    an = members["Nguyễn Văn An"]
    result = await _visit(
        world,
        members=[
            {"id": an["id"], "full_name": "Nguyễn Văn An", "birth_year": 1970, "is_head": True, **CORE},
            {"full_name": "Nguyễn Thu Hà", "birth_year": 2001, "sex": "female", "vneid": "level1"},
        ],
    )
    assert result.created
    assert result.household.status.digital_family
    assert "Nguyễn Thu Hà" in {m.full_name for m in result.household.members}
    assert result.household.version == 2
    visits = await Visit.select().where(Visit.household == an["household"])
    assert len(visits) == 1
    snapshot = msgspec.json.decode(visits[0]["answers"])
    assert snapshot["members"][1]["full_name"] == "Nguyễn Thu Hà"
    assert visits[0]["volunteer"] == world.users["volunteer1"]


async def test_the_same_client_id_twice_records_one_visit(world: World) -> None:
    client_id = str(uuid.uuid4())
    # A retry sends the very same body, the household's version it was drawn at included.
    body = {
        "client_id": client_id,
        "household_version": 1,
        "members": [{"full_name": "Lò Văn Tư", "birth_year": 1999}],
    }
    first = await _visit(world, **body)
    again = await _visit(world, **body)
    assert first.created and not again.created
    assert again.household == first.household
    assert await Visit.count() == 1
    assert len([n for n in await _members(world) if n == "Lò Văn Tư"]) == 1


async def _written() -> tuple[int, int, list[Any], list[Any]]:
    """Visits, audit entries, and the daily counts' and activity's rows as they stand."""
    counts = await VillageCount.select().order_by(VillageCount.id)
    activity = await VillageActivity.select().order_by(VillageActivity.id)
    return await Visit.count(), await AuditEntry.count(), counts, activity


@pytest.mark.parametrize("outcome", ["nobody_home", "done"])
async def test_a_retry_is_answered_as_the_first_time_and_writes_nothing_more(
    world: World, outcome: str
) -> None:
    # No read looks for the client_id before the write: the write finds it, and nothing of the retry
    # stays (its visit, its audit entry, its counts).
    body: dict[str, Any] = {"client_id": str(uuid.uuid4()), "household_version": 1, "outcome": outcome}
    if outcome == "nobody_home":
        body["household"] = {}
    first = await _visit(world, **body)
    stored = await _written()
    again = await _visit(world, **body)
    assert first.created and not again.created
    assert again.household == first.household
    assert await _written() == stored
    assert stored[0] == 1


async def test_a_client_id_of_another_household_or_with_other_answers_is_refused_and_writes_nothing(
    world: World,
) -> None:
    client_id = str(uuid.uuid4())
    await _visit(world, client_id=client_id, household_version=1, outcome="nobody_home", household={})
    stored = await _written()
    with pytest.raises(InvalidInput) as refused:
        await _visit(world, "dang", client_id=client_id, household_version=1, outcome="nobody_home",
                     household={})  # fmt: skip
    assert [(e.field, e.code) for e in refused.value.errors] == [("client_id", "already_used")]
    with pytest.raises(ReusedClientId):
        await _visit(world, client_id=client_id, household_version=1, outcome="come_back", household={})
    assert await _written() == stored


async def test_a_visit_recorded_then_sent_again_when_too_old_answers_as_then(
    world: World, clock_at: Callable[[datetime], None]
) -> None:
    # The phone saved it yesterday; the retry comes when a visit saved then is past what is believed.
    saved = now() - timedelta(days=1)
    body = {"client_id": str(uuid.uuid4()), "household_version": 1, "outcome": "nobody_home", "household": {},
            "saved_at": saved.isoformat()}  # fmt: skip
    first = await _visit(world, **body)
    stored = await _written()
    clock_at(now() + timedelta(days=get_settings().offline_days + 1))
    again = await _visit(world, **body)
    assert first.created and not again.created
    assert await _written() == stored
    with pytest.raises(InvalidInput) as refused:
        await _visit(world, **{**body, "client_id": str(uuid.uuid4())})
    assert [(e.field, e.code) for e in refused.value.errors] == [("saved_at", "too_old")]
    assert await _written() == stored


async def test_a_visit_on_an_outdated_version_is_a_conflict_and_changes_nothing(world: World) -> None:
    await _visit(world, members=[{"full_name": "Người Thứ Nhất", "birth_year": 1990}])
    with pytest.raises(VisitConflict) as conflict:
        await _visit(world, household_version=1, members=[{"full_name": "Người Thứ Hai", "birth_year": 1991}])
    assert conflict.value.current.version == 2
    assert "Người Thứ Hai" not in await _members(world)
    assert await Visit.count() == 1


async def test_nobody_home_records_the_visit_without_touching_the_household(world: World) -> None:
    result = await _visit(world, outcome="nobody_home", household_version=1, household={})
    assert result.household.version == 1
    assert result.household.status.reasons == ["not_visited", "nobody_home"]
    assert await Visit.count() == 1


@pytest.mark.parametrize(
    ("payload", "errors"),
    [
        ({"household": {"consent": False}}, {"household.consent": "consent_required"}),
        ({"members": [{"full_name": "A B", "birth_year": 2099}]}, {"members.0.birth_year": "out_of_range"}),
        ({"members": [{"full_name": "A B", "birth_year": 1850}]}, {"members.0.birth_year": "out_of_range"}),
        ({"members": [{"full_name": "   ", "birth_year": 1990}]}, {"members.0.full_name": "required"}),
        (
            {
                "members": [
                    {"full_name": "A", "birth_year": 1990, "is_head": True},
                    {"full_name": "B", "birth_year": 1991, "is_head": True},
                ]
            },
            {"members.1.is_head": "one_head"},
        ),
        (
            {"outcome": "nobody_home", "members": [{"full_name": "A", "birth_year": 1990}]},
            {"members": "only_when_done"},
        ),
        (
            {"members": [{"id": 999999, "full_name": "A", "birth_year": 1990}]},
            {"members.0.id": "unknown_member"},
        ),
    ],
)
async def test_broken_rules_are_refused_and_nothing_is_saved(
    world: World, payload: dict[str, Any], errors: dict[str, str]
) -> None:
    before = await Member.count()
    with pytest.raises(InvalidInput) as exc:
        await _visit(world, **payload)
    assert {e.field: e.code for e in exc.value.errors} == errors
    assert await Visit.count() == 0
    assert await Member.count() == before
    row = await Household.select(Household.version).where(Household.token == world.households["an"]).first()
    assert row is not None and row["version"] == 1


async def test_a_member_of_another_household_cannot_be_edited_through_this_one(world: World) -> None:
    other = await _members(world, "dang")
    anh = other["Đặng Thị Ánh"]
    with pytest.raises(InvalidInput):
        await _visit(world, members=[{"id": anh["id"], "full_name": "Bị Đổi Tên", "birth_year": 1960}])
    assert "Đặng Thị Ánh" in await _members(world, "dang")


async def test_schema_errors_name_every_bad_field() -> None:
    with pytest.raises(InvalidInput) as exc:
        parse(
            {
                "client_id": "not-a-uuid",
                "outcome": "maybe",
                "members": [{"full_name": "x" * 101, "birth_year": "abc"}, {"birth_year": 1990}],
            },
            schemas.VisitCreate,
        )
    assert {(e.field, e.code) for e in exc.value.errors} == {
        ("client_id", "invalid"),
        ("outcome", "invalid_choice"),
        ("household_version", "required"),
        ("members.0.full_name", "too_long"),
        ("members.0.birth_year", "invalid"),
        ("members.1.full_name", "required"),
    }


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("client_id", "00000000-0000-0000-0000-000000000000", "invalid"),
        ("client_id", "6ba7b810-9dad-11d1-80b4-00c04fd430c8", "invalid"),  # version 1, not random
        ("saved_at", 1767225600, "invalid"),  # a number, which msgspec would read as a Unix time
        ("saved_at", "2026-12-06T09:30:00", "needs_zone"),
        ("saved_at", "1899-12-31T09:30:00+07:00", "date_out_of_range"),
    ],
)
async def test_a_body_that_converts_is_still_refused_for_an_id_or_a_moment_no_field_takes(
    field: str, value: Any, code: str
) -> None:
    # A body that converts whole takes the quick way (`surveys.core.validation._looked_at`): what the field
    # walk looks at beyond the conversion must still be refused, and named.
    body = {"client_id": str(uuid.uuid4()), "outcome": "nobody_home", "household_version": 1, field: value}
    with pytest.raises(InvalidInput) as exc:
        parse(body, schemas.VisitCreate)
    assert [(e.field, e.code) for e in exc.value.errors] == [(field, code)]
    fine = {**body, field: {"client_id": str(uuid.uuid4()), "saved_at": "2026-12-06T09:30:00+07:00"}[field]}
    assert parse(fine, schemas.VisitCreate) == msgspec.convert(fine, schemas.VisitCreate, strict=False)


async def test_names_are_stored_nfc_and_trimmed(world: World) -> None:
    await _visit(
        world, members=[{"full_name": "  Nguye\u0302\u0303n   Va\u0306n  Tu\u031b  ", "birth_year": 1995}]
    )
    assert "Nguyễn Văn Tư" in await _members(world)


async def test_naming_a_new_head_unsets_the_old_one_and_renames_the_household(world: World) -> None:
    result = await _visit(
        world, members=[{"full_name": "Nguyễn Thị Mới", "birth_year": 1980, "is_head": True}]
    )
    heads = [m.full_name for m in result.household.members if m.is_head]
    assert heads == ["Nguyễn Thị Mới"]
    assert result.household.head_name == "Nguyễn Thị Mới"


async def test_removed_member_leaves_the_household_view(world: World) -> None:
    khoi = (await _members(world))["Nguyễn Minh Khôi"]
    result = await _visit(
        world,
        members=[
            {
                "id": khoi["id"],
                "full_name": "Nguyễn Minh Khôi",
                "birth_year": khoi["birth_year"],
                "removed": True,
            }
        ],
    )
    assert "Nguyễn Minh Khôi" not in {m.full_name for m in result.household.members}


async def test_household_detail_reports_identity_gaps(world: World) -> None:
    row = await household_by_token(world.households["an"])
    assert row is not None
    detail = await household_detail(row)
    assert detail.status.reasons == ["not_visited"]
    assert detail.status.members_without_vneid == 2  # the two adults; the child does not count
    child = next(m for m in detail.members if m.full_name == "Nguyễn Minh Khôi")
    assert not child.needs_identity


async def test_the_same_submission_sent_twice_at_once_records_one_visit_and_answers_both_alike(
    world: World,
) -> None:
    # A double tap on a slow network: both copies arrive before either is saved. A fault run on
    # PostgreSQL answered the second with a conflict (409) in 16 of 20 tries.
    row = await household_by_token(world.households["an"])
    actor = await actor_by_id(world.users["volunteer1"])
    assert row is not None and actor is not None
    body = {"client_id": str(uuid.uuid4()), "outcome": "done", "household_version": row.version,
            "household": {"consent": True, "informed": True},
            "members": [{"full_name": "Lò Văn Tư", "birth_year": 1999}]}  # fmt: skip
    for _ in range(5):
        body = {**body, "client_id": str(uuid.uuid4()), "household_version": row.version}
        results = await asyncio.gather(*(record_visit(row, parse_visit(body), actor) for _ in range(2)))
        assert sorted(r.created for r in results) == [False, True]
        assert results[0].household == results[1].household
        assert await Visit.count().where(Visit.client_id == body["client_id"]) == 1
        fresh = await household_by_token(world.households["an"])
        assert fresh is not None
        row = fresh
    assert len([n for n in await _members(world) if n == "Lò Văn Tư"]) == 1


async def test_a_conflict_carries_the_household_as_it_is_now_not_as_it_was_read(world: World) -> None:
    # The volunteer's request read the household (version 1); before its transaction began, another
    # visit changed it.
    stale = await household_by_token(world.households["an"])
    assert stale is not None
    await _visit(world, login="head1", household={"consent": True, "informed": True, "notes": "Đã ghé"})
    actor = await actor_by_id(world.users["volunteer1"])
    assert actor is not None
    body = {"client_id": str(uuid.uuid4()), "outcome": "done", "household_version": stale.version,
            "household": {"consent": True, "informed": True}}  # fmt: skip
    with pytest.raises(VisitConflict) as conflict:
        await record_visit(stale, parse_visit(body), actor)
    assert conflict.value.current.version == stale.version + 1
    assert conflict.value.current.notes == "Đã ghé"


async def test_a_visit_answers_with_the_household_exactly_as_a_fresh_read_finds_it(world: World) -> None:
    # The answer is built from what the visit just wrote (members read once, before): a new head, a
    # member leaving and one joining must come out as a fresh read of the database sees them.
    members = await _members(world)
    an, binh = members["Nguyễn Văn An"], members["Trần Thị Bình"]
    result = await _visit(
        world,
        household={"consent": True, "informed": True, "priority_poor": True, "notes": "Cổng xanh"},
        members=[
            {"id": an["id"], "full_name": "Nguyễn Văn An", "birth_year": 1970, "removed": True},
            {"id": binh["id"], "full_name": "Trần Thị Bình", "birth_year": 1975, "is_head": True, **CORE},
            {"full_name": "Nguyễn Thu Hà", "birth_year": 2001, "sex": "female", "vneid": "level1"},
        ],
    )
    fresh = await household_by_token(world.households["an"])
    assert fresh is not None
    assert result.household == await household_detail(fresh)
    assert result.household.head_name == "Trần Thị Bình"
    assert {m.full_name for m in result.household.members} == {
        "Trần Thị Bình",
        "Nguyễn Minh Khôi",
        "Nguyễn Thu Hà",
    }
    visit = await Visit.select().first()
    assert visit is not None and visit["priority_poor"] and visit["digital_family"]
