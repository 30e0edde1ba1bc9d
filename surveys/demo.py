"""The demo communes of Tỉnh Thái Nguyên: Xã Phong Quang (ward 01849) with six villages and about 300
households of realistic families, and Xã Ba Bể (ward 01906) with three villages that started later, so
the province's view has more than one line; some visits already made, and one account for each role
(a province officer of Thái Nguyên among them). Phong Quang has also held a few classes (with
attendance), has a community digital team in every village and two Đại sứ số with their learners.

Loading twice changes nothing: a ward's data is only created when it has no villages yet.
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
from surveys.core.text import name_sort_key, search_key
from surveys.people.accounts import create_user
from surveys.privacy import NOTICE_VERSION
from surveys.register.admin_units import import_units
from surveys.reporting.village_counts import rebuild
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
# Phong Quang's campaign: a year of visits, on a register made two weeks before the first.
CAMPAIGN_WEEKS = 52
RECENT_WEEKS = 8
# The second demo ward: villages of the former Nam Mẫu commune, now in Xã Ba Bể.
SECOND_WARD_CODE = "01906"
SECOND_VILLAGES = [("01", "Thôn Pác Ngòi"), ("02", "Thôn Bó Lù"), ("03", "Thôn Cốc Tộc")]
SECOND_HOUSEHOLDS_PER_VILLAGE = 25

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
    DemoAccount("volunteer3", "volunteer", "Tình nguyện viên xã Ba Bể / volunteer, Ba Bể"),
    DemoAccount("province", "province_officer", "Cán bộ tỉnh Thái Nguyên / province officer"),
    DemoAccount("national", "national_officer", "Cán bộ trung ương / national officer, read only"),
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


async def _ward(code: str) -> dict[str, Any]:
    ward = await Ward.select(Ward.id, Ward.province).where(Ward.code == code).first()
    if ward is None:
        raise RuntimeError(f"ward {code} is missing from the administrative units list")
    return ward


async def _villages_of(ward_id: int) -> dict[str, int]:
    rows = await Village.select(Village.id, Village.code).where(Village.ward == ward_id)
    return {r["code"]: r["id"] for r in rows}


async def load_demo(seed: int = 20251206) -> bool:
    """Create the demo communes and accounts; returns False when the data was already there."""
    await import_units()
    ward = await _ward(DEMO_WARD_CODE)
    second = await _ward(SECOND_WARD_CODE)
    created = []
    for w, names, prefix, per_village, offset in (
        (ward, VILLAGES, "PQ", HOUSEHOLDS_PER_VILLAGE, 0),
        (second, SECOND_VILLAGES, "BB", SECOND_HOUSEHOLDS_PER_VILLAGE, 2),
    ):
        if not await Village.exists().where(Village.ward == w["id"]):
            await _create_commune(w["id"], random.Random(seed + offset), names, prefix, per_village)
            created.append(w["id"])
    village_ids = await _villages_of(ward["id"])
    second_villages = await _villages_of(second["id"])
    users = {
        "volunteer1": ("Nguyễn Thu Trang", (village_ids["01"], village_ids["02"])),
        "volunteer2": ("Ma Văn Hùng", (village_ids["03"],)),
        "head1": ("Hoàng Văn Sơn", (village_ids["01"],)),
        "ward": ("Lê Thị Hạnh", ()),
        "volunteer3": ("Hoàng Thị Nhung", tuple(second_villages.values())),
        "province": ("Triệu Văn Thành", ()),
        "national": ("Đỗ Minh Quân", ()),
        "admin": ("Quản trị phocap", ()),
    }
    for account in ACCOUNTS:
        name, villages = users[account.login]
        await create_user(
            account.login,
            DEMO_PASSWORD,
            account.role,
            name,
            ward_id=second["id"] if account.login == "volunteer3" else _home_ward(account.role, ward["id"]),
            province_id=ward["province"] if account.role == "province_officer" else None,
            village_ids=villages,
        )
    if ward["id"] in created:
        plan = [("01", "volunteer1", 0.55), ("02", "volunteer1", 0.35), ("03", "volunteer2", 0.45)]
        # A year of visits, so the last ended quarter's report has numbers.
        await _add_visits(village_ids, random.Random(seed + 1), plan, weeks=CAMPAIGN_WEEKS)
        await _add_classes(ward["id"], village_ids, random.Random(seed + 4))
        await _add_team(ward["id"], village_ids, random.Random(seed + 5))
    if second["id"] in created:
        # Ba Bể started a month ago: fewer doors so far, and some this week.
        plan = [("01", "volunteer3", 0.5), ("02", "volunteer3", 0.25)]
        await _add_visits(second_villages, random.Random(seed + 3), plan, weeks=4)
    if created:
        # The demo's rows go in around the writers: count them once, as the writes would have.
        await rebuild()
    return bool(created)


def _home_ward(role: str, ward_id: int) -> int | None:
    return None if role in ("admin", "province_officer", "national_officer") else ward_id


async def _create_commune(
    ward_id: int, rng: random.Random, villages: list[tuple[str, str]], prefix: str, per_village: int
) -> None:
    year = this_year()
    registered = now() - timedelta(weeks=CAMPAIGN_WEEKS + 2)
    await Ward.update({Ward.household_prefix: prefix}).where(Ward.id == ward_id)
    async with write_transaction():
        for code, name in villages:
            inserted = await Village.insert(Village(ward=ward_id, code=code, name=name))
            village_id = inserted[0]["id"]
            for n in range(1, per_village + 1):
                people = _family(rng, year)
                head = people[0]["full_name"]
                household_code = f"{prefix}-{code}-{n:04d}"
                address = f"{rng.choice(_HAMLETS)}, {name}"
                names = " ".join(p["full_name"] for p in people)
                hh = await Household.insert(
                    Household(
                        # On the register before the campaign's first visits (a year back).
                        created_at=registered,
                        token=secrets.token_urlsafe(16),
                        code=household_code,
                        village=village_id,
                        address=address,
                        head_name=head,
                        search_key=search_key(household_code, address, names),
                        sort_key=name_sort_key(head),
                        priority_elderly_alone=len(people) == 1 and year - people[0]["birth_year"] >= 70,
                        priority_poor=rng.random() < 0.06,
                    )
                )
                await Member.insert(
                    *[
                        # On the register with their household: a report of a past period counts them.
                        Member(
                            household=hh[0]["id"],
                            sort_key=name_sort_key(p["full_name"]),
                            created_at=registered,
                            updated_at=registered,
                            **p,
                        )
                        for p in people
                    ]
                )


async def _add_visits(
    village_ids: dict[str, int], rng: random.Random, plan: list[tuple[str, str, float]], weeks: int
) -> None:
    """Visits over the past `weeks` weeks (most in the last RECENT_WEEKS) by the demo volunteers: (village code, volunteer,
    share of its households) in `plan`."""
    from surveys.tables import User

    volunteers = {r["login"]: r["id"] for r in await User.select(User.id, User.login)}
    year = this_year()
    start = now() - timedelta(weeks=weeks)
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
                # Most doors in the last RECENT_WEEKS (the campaign's push), the others over the whole time.
                span = min(weeks, RECENT_WEEKS) if rng.random() < 0.6 else weeks
                at = start + timedelta(days=7 * weeks - rng.randint(1, 7 * span), hours=rng.randint(1, 10))
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
                        village=village_ids[code],
                        volunteer=volunteers[login],
                        client_id=visit.client_id,
                        at=at,
                        received_at=at,
                        outcome=outcome,
                        answers=msgspec.json.encode(visit).decode(),
                        household_version=h["version"],
                        **snapshot,
                    )
                )


# The demo ward's classes: (days from now, village code or None for the ward's hall, topics, audience,
# attendees from the register, walk-ins). Two some months back, two last month, two this month, one still
# to come.
DEMO_CLASSES = [
    (-130, "02", ["vneid", "smartphone"], "everyone", 6, 2),
    (-100, None, ["public_services", "safety"], "elderly", 5, 2),
    (-40, "01", ["vneid", "public_services"], "everyone", 8, 2),
    (-33, None, ["safety", "payment"], "elderly", 6, 3),
    (-12, "03", ["ai", "smartphone"], "everyone", 7, 1),
    (-5, None, ["ai", "safety"], "team", 5, 0),
    (6, "02", ["payment", "ecommerce"], "workers", 0, 0),
]


async def _add_classes(ward_id: int, village_ids: dict[str, int], rng: random.Random) -> None:
    """A few classes with attendance: the members who attended took part in learning."""
    from surveys.tables import Attendance, ClassSession

    async with write_transaction():
        for days, village, topics, audience, members, walk_ins in DEMO_CLASSES:
            starts = (now() + timedelta(days=days)).replace(hour=1, minute=0, second=0, microsecond=0)
            place_village = village_ids[village] if village else None
            inserted = await ClassSession.insert(
                ClassSession(ward=ward_id, village=place_village, starts_at=starts, topics=topics,
                             audience=audience, place="Nhà văn hoá" if village else "Hội trường UBND xã",
                             trainers="Nguyễn Thu Trang, Ma Văn Hùng", client_id=uuid.uuid4())
            )  # fmt: skip
            session = inserted[0]["id"]
            source = place_village or village_ids["01"]
            candidates = await Member.select(Member.id).where(
                (Member.household._.village == source) & (Member.birth_year < this_year() - 16)
            )
            chosen = rng.sample([c["id"] for c in candidates], min(members, len(candidates)))
            rows = [
                Attendance(session=session, member=m, client_id=uuid.uuid4(), at=starts, received_at=starts,
                           can_use=[t for t in topics if rng.random() < 0.6])
                for m in chosen
            ]  # fmt: skip
            rows += [
                Attendance(session=session, age_group=rng.choice(["16_59", "60_plus"]),
                           sex=rng.choice(["male", "female"]), client_id=uuid.uuid4(), at=starts,
                           received_at=starts)
                for _ in range(walk_ins)
            ]  # fmt: skip
            if rows:
                await Attendance.insert(*rows)
            if chosen:
                await Member.update({Member.skill_learned: True}).where(Member.id.is_in(chosen))


async def _add_team(ward_id: int, village_ids: dict[str, int], rng: random.Random) -> None:
    """A community digital team in every village (a leader and a member), who joined over the past year,
    and two Đại sứ số: one with the 5 learners the plans ask for, one still short of them."""
    from surveys.learning.digital_team import pairs
    from surveys.tables import Mentorship, TeamMember, User

    users = {r["login"]: r["id"] for r in await User.select(User.id, User.login)}
    async with write_transaction():
        for _, village in sorted(village_ids.items()):
            for role in ("team_leader", "member"):
                family = rng.choice(_FAMILY)
                name = _person(rng, family, rng.choice(["male", "female"]), 1990)["full_name"]
                joined = now() - timedelta(days=rng.randint(20, 340), hours=rng.randint(0, 8))
                await TeamMember.insert(
                    TeamMember(ward=ward_id, village=village, name=name, role=role, created_at=joined)
                )
        for login, code, learners, days in (("volunteer1", "01", 5, 200), ("volunteer2", "03", 3, 45)):
            joined = now() - timedelta(days=days)
            mentor = await TeamMember.insert(
                TeamMember(ward=ward_id, village=village_ids[code], role="ambassador", user=users.get(login),
                           name="Nguyễn Thu Trang" if login == "volunteer1" else "Ma Văn Hùng", created_at=joined)
            )  # fmt: skip
            elders = await Member.select(Member.id).where(
                (Member.household._.village == village_ids[code]) & (Member.birth_year <= this_year() - 60)
                & Member.id.not_in(Mentorship.select(Mentorship.learner).where(pairs()))
            )  # fmt: skip
            chosen = rng.sample([e["id"] for e in elders], min(learners, len(elders)))
            if chosen:
                paired = joined + timedelta(days=7)  # a week after the mentor joined
                await Mentorship.insert(
                    *[Mentorship(mentor=mentor[0]["id"], learner=m, created_at=paired) for m in chosen]
                )
