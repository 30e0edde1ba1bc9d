"""Rows for tests, built through the domain's own functions where one exists."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from unittest import mock

from argon2 import PasswordHasher

from surveys.core.changes import households_changed
from surveys.core.clock import this_year
from surveys.core.db import write_transaction
from surveys.people import accounts
from surveys.people.accounts import create_user
from surveys.register.members import refresh_household_keys
from surveys.tables import Household, Member, Province, Village, Ward

PASSWORD = "correct-horse-battery"


# The fixtures' accounts get an argon2id hash with the smallest cost argon2 takes. Checking a hash costs
# what the hash itself names (phocap's cost: 64 MiB, 3 passes, ~50 ms on an idle core and several times
# that on a busy CI one), and nearly every test signs someone in: the same checks, minutes less of
# hashing. Accounts made through the app (a password changed, an account added) keep phocap's own cost.
_FIXTURE_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


@cache
def _hash_once_now(password: str) -> str:
    return _FIXTURE_HASHER.hash(password)


async def _hash_once(password: str) -> str:
    return _hash_once_now(password)


async def make_user(login: str, role: str, **kwargs: Any) -> int:
    """An account with the fixtures' password. Its argon2 hash is made once per run (a real hash of
    the real password, salted once): seconds saved over a suite that builds the world hundreds of times."""
    with mock.patch.object(accounts, "hash_password", _hash_once):
        return await create_user(login, PASSWORD, role, f"Tài khoản {login}", **kwargs)


async def make_ward(
    code: str = "01849",
    name: str = "Xã Phong Quang",
    province: str = "19",
    province_name: str = "Tỉnh Thái Nguyên",
) -> int:
    """A ward (and its province), as the official list would have it."""
    found = await Province.select(Province.id).where(Province.code == province).first()
    province_id = (
        found["id"]
        if found
        else (await Province.insert(Province(code=province, name=province_name)))[0]["id"]
    )
    return int((await Ward.insert(Ward(code=code, name=name, province=province_id)))[0]["id"])


async def make_village(ward_id: int, code: str, name: str) -> int:
    """A village of a ward."""
    return int((await Village.insert(Village(ward=ward_id, code=code, name=name)))[0]["id"])


async def make_household(
    village_id: int,
    code: str,
    members: list[dict[str, Any]] | None = None,
    address: str = "Xóm Trên",
) -> str:
    """A household with members (the first is the head unless one says otherwise); returns its token."""
    token = secrets.token_urlsafe(16)
    people = members or []
    if people and not any(p.get("is_head") for p in people):
        people = [{**people[0], "is_head": True}, *people[1:]]
    # One transaction, as the app writes a household: its statements share one connection (on
    # PostgreSQL, outside a pool, each statement alone would open a connection of its own).
    async with write_transaction():
        inserted = await Household.insert(
            Household(token=token, code=code, village=village_id, address=address)
        )
        household_id = inserted[0]["id"]
        if people:
            await Member.insert(*(Member(household=household_id, **p) for p in people))
        await refresh_household_keys(household_id, code, address)
        await households_changed([household_id])
    return token


def person(name: str, birth_year: int, **answers: Any) -> dict[str, Any]:
    """A member's values."""
    return {"full_name": name, "birth_year": birth_year, **answers}


DIGITAL_CORE = {
    "skill_learned": True,
    "skill_understands": True,
    "skill_uses_services": True,
    "skill_guides_others": True,
    "vneid": "level2",
    "bank_account": "yes",
}


@dataclass
class World:
    """Two wards, four villages, one account per role, and a few households."""

    wards: dict[str, int] = field(default_factory=dict)
    villages: dict[str, int] = field(default_factory=dict)
    users: dict[str, int] = field(default_factory=dict)
    households: dict[str, str] = field(default_factory=dict)


async def make_world() -> World:
    """The fixture commune most tests use: Phong Quang (villages v1-v3) and a neighbour ward (v4)."""
    # Built in one transaction: one connection and one commit for its ~70 statements (on PostgreSQL a
    # statement outside a transaction and a pool opens a connection of its own: ~1.5 s a test).
    async with write_transaction():
        return await _build_world()


async def _build_world() -> World:
    w = World()
    w.wards["pq"] = await make_ward("01849", "Xã Phong Quang")
    w.wards["other"] = await make_ward("01852", "Xã Đồng Hỷ")
    w.villages["v1"] = await make_village(w.wards["pq"], "01", "Thôn Đồng Tâm")
    w.villages["v2"] = await make_village(w.wards["pq"], "02", "Thôn Khuôn Ngọa")
    w.villages["v3"] = await make_village(w.wards["pq"], "03", "Thôn Bản Cái")
    w.villages["v4"] = await make_village(w.wards["other"], "01", "Thôn Làng Giữa")
    accounts = [
        ("volunteer1", "volunteer", "pq", ("v1", "v2")),
        ("volunteer2", "volunteer", "pq", ("v3",)),
        ("head1", "village_head", "pq", ("v1",)),
        ("ward", "ward_officer", "pq", ()),
        ("otherward", "ward_officer", "other", ()),
        ("admin", "admin", None, ()),
    ]
    for login, role, ward, villages in accounts:
        w.users[login] = await make_user(
            login,
            role,
            ward_id=w.wards[ward] if ward else None,
            village_ids=tuple(w.villages[v] for v in villages),
        )
    w.households["an"] = await make_household(
        w.villages["v1"],
        "PQ-01-0001",
        [
            person("Nguyễn Văn An", 1970, sex="male"),
            person("Trần Thị Bình", 1975, sex="female"),
            # A child: 11 this year, by the clock the app reads (a literal year would turn 16 in 2031).
            person("Nguyễn Minh Khôi", this_year() - 11),
        ],
        address="Xóm Trên, Thôn Đồng Tâm",
    )
    w.households["dang"] = await make_household(
        w.villages["v1"], "PQ-01-0002", [person("Đặng Thị Ánh", 1960, sex="female")], address="Xóm Dưới"
    )
    w.households["v3"] = await make_household(
        w.villages["v3"],
        "PQ-03-0001",
        [person("Ma Văn Hùng", 1980, sex="male", **DIGITAL_CORE)],
        address="Xóm Suối",
    )
    w.households["v4"] = await make_household(
        w.villages["v4"], "DH-01-0001", [person("Lý Thị Mai", 1990, sex="female")], address="Xóm Giữa"
    )
    return w


# A household of 4 as the register has it before anyone visited (1 elder, 2 adults, 1 child): the
# household the visit form is measured and tested with (tests/benchmarks/taps.py).
ADULT_1, ELDER, ADULT_2, CHILD = "Lương Văn Thắng", "Lương Thị Nụ", "Hà Thị Hoa", "Lương Gia Bảo"


async def household_of_four(village_id: int, code: str) -> str:
    """A household of 4 with names, birth years and sex only; returns its token."""
    return await make_household(
        village_id,
        code,
        [
            person(ADULT_1, 1980, sex="male", is_head=True),
            person(ELDER, 1952, sex="female"),
            person(ADULT_2, 1985, sex="female"),
            person(CHILD, 2015, sex="male"),
        ],
    )
