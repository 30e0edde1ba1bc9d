"""The demo commune: Xã Phong Quang (Tỉnh Thái Nguyên, ward 01849) with six villages, about 300
households of realistic families, some visits already made, and one account for each role.

Loading twice changes nothing: the data is only created when the ward has no villages yet.
"""

from __future__ import annotations

import random
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import msgspec
from piccolo.columns import Column

from surveys import schemas
from surveys.core.clock import now, this_year
from surveys.core.db import write_transaction
from surveys.core.rows import Row
from surveys.core.text import fold, name_sort_key
from surveys.people.accounts import create_user
from surveys.privacy import NOTICE_VERSION
from surveys.register.admin_units import import_units
from surveys.survey.criteria import identity_counts
from surveys.tables import Household, Member, Village, Visit, Ward

DEMO_WARD_CODE = "01849"
DEMO_PASSWORD = "demo-password"  # noqa: S105 - published demo credential, printed on start
VILLAGES = [
    ("01", "Thôn Đồng Tâm"),
    ("02", "Thôn Khuôn Ngọa"),
    ("03", "Thôn Bản Cái"),
    ("04", "Thôn Nà Tiềng"),
    ("05", "Thôn Làng Mới"),
    ("06", "Thôn Phiêng Lầu"),
]
HOUSEHOLDS_PER_VILLAGE = 50

_FAMILY = [
    "Nguyễn",
    "Trần",
    "Lê",
    "Phạm",
    "Hoàng",
    "Vũ",
    "Đặng",
    "Bùi",
    "Đỗ",
    "Ngô",
    "Dương",
    "Lý",
    "Ma",
    "Nông",
    "Hà",
    "Triệu",
    "Lục",
    "Đinh",
    "Lường",
    "Âu",
]
_MALE_MIDDLE = ["Văn", "Đức", "Minh", "Quang", "Hữu", "Công", "Thanh"]
_FEMALE_MIDDLE = ["Thị", "Thị", "Ngọc", "Thu", "Thanh", "Hồng"]
_MALE_GIVEN = [
    "An",
    "Bình",
    "Cường",
    "Dũng",
    "Đạt",
    "Giang",
    "Hải",
    "Hùng",
    "Khánh",
    "Long",
    "Mạnh",
    "Nam",
    "Phong",
    "Quân",
    "Sơn",
    "Thắng",
    "Tuấn",
    "Việt",
    "Vinh",
    "Ước",
]
_FEMALE_GIVEN = [
    "Anh",
    "Ánh",
    "Chi",
    "Dung",
    "Hà",
    "Hạnh",
    "Hoa",
    "Hương",
    "Lan",
    "Liên",
    "Mai",
    "Nga",
    "Ngân",
    "Oanh",
    "Phương",
    "Thảo",
    "Trang",
    "Uyên",
    "Xuân",
    "Yến",
]
_HAMLETS = ["Xóm Trên", "Xóm Dưới", "Xóm Giữa", "Xóm Đồi", "Xóm Suối"]


@dataclass(frozen=True)
class DemoAccount:
    """A demo login and what it is for."""

    login: str
    role: str
    description: str


ACCOUNTS = [
    DemoAccount("volunteer1", "volunteer", "Tình nguyện viên thôn 1-2 / volunteer, villages 1-2"),
    DemoAccount("volunteer2", "volunteer", "Tình nguyện viên thôn 3 / volunteer, village 3"),
    DemoAccount("head1", "village_head", "Trưởng thôn 1 / village head, village 1"),
    DemoAccount("ward", "ward_officer", "Cán bộ UBND xã Phong Quang / ward officer"),
    DemoAccount("admin", "admin", "Quản trị / admin"),
]


def _person(rng: random.Random, family: str, sex: str, birth_year: int) -> dict[str, Any]:
    middle = rng.choice(_MALE_MIDDLE if sex == "male" else _FEMALE_MIDDLE)
    given = rng.choice(_MALE_GIVEN if sex == "male" else _FEMALE_GIVEN)
    return {"full_name": f"{family} {middle} {given}", "sex": sex, "birth_year": birth_year}


def _family(rng: random.Random, year: int) -> list[dict[str, Any]]:
    family = rng.choice(_FAMILY)
    head_sex = "male" if rng.random() < 0.8 else "female"
    head_age = rng.randint(26, 82)
    head = {**_person(rng, family, head_sex, year - head_age), "is_head": True}
    people = [head]
    if head_age < 78 or rng.random() < 0.3:
        spouse_sex = "female" if head_sex == "male" else "male"
        people.append(_person(rng, rng.choice(_FAMILY), spouse_sex, year - head_age + rng.randint(-5, 5)))
    for _ in range(rng.choice([0, 1, 1, 2, 2, 2, 3]) if head_age < 65 else rng.choice([0, 0, 1])):
        child_age = rng.randint(max(0, head_age - 45), max(1, head_age - 20))
        people.append(_person(rng, family, rng.choice(["male", "female"]), year - child_age))
    if 30 < head_age < 55 and rng.random() < 0.25:
        people.append(
            _person(rng, rng.choice(_FAMILY), rng.choice(["male", "female"]), year - rng.randint(70, 90))
        )
    return people


def _answers(rng: random.Random, person: dict[str, Any], year: int) -> dict[str, Any]:
    age = year - person["birth_year"]
    if age < 16:
        return {}
    young = age < 60
    engaged = rng.random() < (0.8 if young else 0.35)
    return {
        "vneid": rng.choice(
            ["level2", "level2", "level1", "level1"]
            if engaged
            else ["not_installed", "installed", "level1", "level1", "level2"]
        ),
        "bank_account": "yes" if engaged and rng.random() < 0.85 else rng.choice(["no", "unknown"]),
        "smartphone": "yes" if engaged or rng.random() < 0.4 else "no",
        "skill_learned": engaged,
        "skill_understands": engaged and rng.random() < 0.9,
        "skill_uses_services": engaged and rng.random() < 0.85,
        "skill_guides_others": engaged and young and rng.random() < 0.6,
        "skills_confirmed": engaged and rng.random() < 0.5,
        "answer_source": rng.choice(["seen", "told"]),
    }


async def load_demo(seed: int = 20251206) -> bool:
    """Create the demo commune and accounts; returns False when the data was already there."""
    await import_units()
    ward = await Ward.select(Ward.id, Ward.province).where(Ward.code == DEMO_WARD_CODE).first()
    if ward is None:
        raise RuntimeError(f"ward {DEMO_WARD_CODE} is missing from the administrative units list")
    created = False
    if not await Village.exists().where(Village.ward == ward["id"]):
        await _create_commune(ward["id"], random.Random(seed))
        created = True
    village_ids = {
        r["code"]: r["id"]
        for r in await Village.select(Village.id, Village.code).where(Village.ward == ward["id"])
    }
    users = {
        "volunteer1": ("Nguyễn Thu Trang", (village_ids["01"], village_ids["02"])),
        "volunteer2": ("Ma Văn Hùng", (village_ids["03"],)),
        "head1": ("Hoàng Văn Sơn", (village_ids["01"],)),
        "ward": ("Lê Thị Hạnh", ()),
        "admin": ("Quản trị phocap", ()),
    }
    for account in ACCOUNTS:
        name, villages = users[account.login]
        await create_user(
            account.login,
            DEMO_PASSWORD,
            account.role,
            name,
            ward_id=None if account.role == "admin" else ward["id"],
            village_ids=villages,
        )
    if created:
        await _add_visits(village_ids, random.Random(seed + 1))
    return created


async def _create_commune(ward_id: int, rng: random.Random) -> None:
    year = this_year()
    registered = now() - timedelta(weeks=10)
    await Ward.update({Ward.household_prefix: "PQ"}).where(Ward.id == ward_id)
    async with write_transaction():
        for code, name in VILLAGES:
            inserted = await Village.insert(Village(ward=ward_id, code=code, name=name))
            village_id = inserted[0]["id"]
            for n in range(1, HOUSEHOLDS_PER_VILLAGE + 1):
                people = _family(rng, year)
                head = people[0]["full_name"]
                household_code = f"PQ-{code}-{n:04d}"
                address = f"{rng.choice(_HAMLETS)}, {name}"
                names = " ".join(p["full_name"] for p in people)
                hh = await Household.insert(
                    Household(
                        # On the register before the campaign's first visits (eight weeks back).
                        created_at=registered,
                        token=secrets.token_urlsafe(16),
                        code=household_code,
                        village=village_id,
                        address=address,
                        head_name=head,
                        search_key=fold(f"{household_code} {address} {names}")[:400],
                        sort_key=name_sort_key(head),
                        priority_elderly_alone=len(people) == 1 and year - people[0]["birth_year"] >= 70,
                        priority_poor=rng.random() < 0.06,
                    )
                )
                await Member.insert(
                    *[
                        Member(household=hh[0]["id"], sort_key=name_sort_key(p["full_name"]), **p)
                        for p in people
                    ]
                )


async def _add_visits(village_ids: dict[str, int], rng: random.Random) -> None:
    """Visits spread over the past eight weeks, by the demo volunteers, in villages 1 to 3."""
    from surveys.tables import User

    volunteers = {r["login"]: r["id"] for r in await User.select(User.id, User.login)}
    year = this_year()
    start = now() - timedelta(weeks=8)
    plan = [("01", "volunteer1", 0.55), ("02", "volunteer1", 0.35), ("03", "volunteer2", 0.45)]
    async with write_transaction():
        for code, login, share in plan:
            households = (
                await Household.select(
                    Household.id, Household.version, Household.priority_poor, Household.priority_elderly_alone
                )
                .where(Household.village == village_ids[code])
                .order_by(Household.code)
            )
            for h in households:
                if rng.random() > share:
                    continue
                at = start + timedelta(days=rng.randint(0, 55), hours=rng.randint(1, 10))
                outcome = rng.choices(["done", "nobody_home", "come_back", "declined"], [80, 10, 7, 3])[0]
                members = await Member.select().where(Member.household == h["id"])
                answers: list[schemas.MemberAnswers] = []
                snapshot: dict[str, Any] = {}
                if outcome == "done":
                    for m in members:
                        values = _answers(rng, m, year)
                        if values:
                            changes: dict[Column | str, Any] = {k: v for k, v in values.items()}
                            await Member.update(changes).where(Member.id == m["id"])
                            m.update(values)
                        answers.append(
                            msgspec.convert(
                                {
                                    **{k: m[k] for k in ("id", "full_name", "birth_year", "sex", "is_head")},
                                    **values,
                                },
                                schemas.MemberAnswers,
                            )
                        )
                    counts = identity_counts([Row(m) for m in members], year)
                    snapshot = {**counts, "digital_family": bool(counts["digital_family"]), "informed": True,
                                "priority_poor": h["priority_poor"], "priority_elderly_alone": h["priority_elderly_alone"]}  # fmt: skip
                    await Household.update(
                        {
                            Household.informed_at: at,
                            Household.consent_at: at,
                            Household.consent_by: login,
                            Household.consent_notice: NOTICE_VERSION,
                            Household.version: Household.version + 1,
                        }
                    ).where(Household.id == h["id"])
                visit = schemas.VisitCreate(
                    client_id=uuid.UUID(int=rng.getrandbits(128), version=4),
                    outcome=outcome,  # type: ignore[arg-type]
                    household_version=h["version"],
                    household=schemas.HouseholdAnswers(informed=outcome == "done", consent=outcome == "done"),
                    members=answers,
                )
                await Visit.insert(
                    Visit(
                        household=h["id"],
                        volunteer=volunteers[login],
                        client_id=visit.client_id,
                        at=at,
                        outcome=outcome,
                        answers=msgspec.json.encode(visit).decode(),
                        household_version=h["version"],
                        **snapshot,
                    )
                )
