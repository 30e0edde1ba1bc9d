"""A province of made-up households for benchmarks (`phocap generate`): villages, households with
Vietnamese names, members with birth years and answers, a year of visits, then the daily counts.

Into an empty migrated database. Made in the database, not row by row from Python: `INSERT … SELECT`
over a number series (`generate_series` on PostgreSQL, a recursive series on SQLite), with the choices
taken from a fixed hash of the row number, so both databases get the same data every time. The names
(with their Vietnamese sort keys and folded search keys, which only Python makes) come from a small
table of the combinations, joined by that hash. Nobody here is a real person.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from piccolo.engine.postgres import PostgresEngine

from surveys.core.clock import local_now, now, this_year
from surveys.core.db import current_engine
from surveys.core.text import fold, name_sort_key
from surveys.register.admin_units import import_units
from surveys.reporting.village_counts import rebuild
from surveys.tables import Household, Province, Village, Ward

log = logging.getLogger(__name__)

SURNAMES = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Phan", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương",
            "Lý", "Ma", "Lương", "Hà", "Nông")  # fmt: skip
MIDDLES = ("Văn", "Thị", "Hữu", "Đức", "Minh", "Thanh", "Ngọc", "Quang", "Thu", "Xuân")
GIVEN = ("An", "Bình", "Cường", "Dũng", "Giang", "Hà", "Hải", "Hạnh", "Hoa", "Hùng", "Hương", "Khánh", "Lan",
         "Linh", "Long", "Mai", "Nam", "Nga", "Phúc", "Phương", "Quân", "Sơn", "Tâm", "Thảo", "Thắng", "Trang",
         "Tuấn", "Vân", "Việt", "Yến", "Nụ", "Thủy")  # fmt: skip
HAMLETS = ("Xóm Trên", "Xóm Dưới", "Xóm Giữa", "Xóm Đồi", "Xóm Suối", "Xóm Chợ", "Xóm Mới", "Xóm Bãi")
HOUSEHOLDS_PER_VILLAGE = 750


@dataclass(frozen=True)
class Generated:
    """What `generate` made."""

    wards: int
    villages: int
    households: int
    members: int
    visits: int
    # Seconds each step took, in order (`phocap generate` prints them: docs/scaling.md §4).
    seconds: dict[str, float] = field(default_factory=dict, compare=False)


class _Clock:
    """The seconds of each step of a generation, logged as it ends."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._last = time.monotonic()

    def step(self, name: str) -> None:
        moment = time.monotonic()
        self.seconds[name] = round(moment - self._last, 1)
        self._last = moment
        log.info("generate: %s in %.1f s", name, self.seconds[name])


def _h(n: str, salt: int, mod: int) -> str:
    """A fixed pseudo-random choice in [0, mod) from the integer SQL expression `n`, the same on both
    databases (64-bit integer arithmetic, no random())."""
    return f"((({n}) * 2654435761 + {salt * 40503}) % 4294967291 % {mod})"


async def _run(sql: str) -> None:
    await Household.raw(sql)


async def generate(province_code: str, wards: int, households: int, villages: int | None = None) -> Generated:
    """Fill an empty migrated database with `households` households over the first `wards` wards of the
    province (as many as it has), in `villages` villages a ward (default: ~750 households a village)."""
    pg = isinstance(current_engine(), PostgresEngine)
    clock = _Clock()
    if await Household.count() > 0:
        raise ValueError("phocap generate fills an empty database; this one has households")
    await import_units()
    province = await Province.select(Province.id).where(Province.code == province_code).first()
    if province is None:
        raise ValueError(f"no province {province_code}")
    ward_ids = [
        int(r["id"])
        for r in await Ward.select(Ward.id)
        .where(Ward.province == province["id"])
        .order_by(Ward.code)
        .limit(wards)
    ]
    per_ward = max(1, households // len(ward_ids))
    villages_per_ward = villages or max(1, round(per_ward / HOUSEHOLDS_PER_VILLAGE))
    per_village = max(1, per_ward // villages_per_ward)
    total = per_village * villages_per_ward * len(ward_ids)
    stamp = now()
    year = this_year()

    def series(n: int) -> str:
        if pg:
            return f"generate_series(1, {n}) AS s(n)"
        return f"(WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < {n}) SELECT n FROM r) AS s"

    def at(days: str, secs: str) -> str:
        """A moment `days` days and `secs` seconds before now, as each database keeps timestamps
        (PostgreSQL's timestamptz, SQLite's ISO text in UTC)."""
        if pg:
            return f"(TIMESTAMPTZ '{stamp.isoformat()}' - ({days}) * INTERVAL '1 day' - ({secs}) * INTERVAL '1 second')"
        return (
            f"(strftime('%Y-%m-%d %H:%M:%S', '{stamp.strftime('%Y-%m-%d %H:%M:%S')}', '-' || ({days}) || ' days', "
            f"'-' || ({secs}) || ' seconds') || '+00:00')"
        )

    def uid(seed: str) -> str:
        return f"md5({seed})::uuid" if pg else "lower(hex(randomblob(16)))"

    def token(seed: str) -> str:
        return f"substr(md5({seed}), 1, 22)" if pg else "lower(hex(randomblob(11)))"

    true, false = ("TRUE", "FALSE") if pg else ("1", "0")

    # The names: every combination, with the keys Python makes (work tables, dropped at the end: a
    # temporary table would live on one pooled connection only).
    await _run("CREATE TABLE gen_name (i INTEGER PRIMARY KEY, full_name TEXT, sort_key TEXT, folded TEXT)")
    names = [f"{s} {m} {g}" for s in SURNAMES for m in MIDDLES for g in GIVEN]
    for start in range(0, len(names), 500):
        chunk = names[start : start + 500]
        values = ", ".join("({}, {}, {}, {})" for _ in chunk)
        args = [a for i, name in enumerate(chunk, start) for a in (i, name, name_sort_key(name), fold(name))]
        await Household.raw(f"INSERT INTO gen_name (i, full_name, sort_key, folded) VALUES {values}", *args)
    n_names = len(names)

    # One volunteer per ward (no password: nobody signs in as them), villages.
    await _run(f"""INSERT INTO app_user (login, display_name, password_hash, role, ward, active, created_at)
        SELECT 'gen-' || w.code, 'Tình nguyện viên ' || w.code, '!', 'volunteer', w.id, {true}, {at("0", "0")}
        FROM ward w WHERE w.id IN ({", ".join(map(str, ward_ids))})""")  # fmt: skip
    await _run(f"""INSERT INTO village (ward, code, name)
        SELECT w.id, {"lpad(s.n::text, 2, '0')" if pg else "substr('00' || s.n, -2)"}, 'Thôn ' || s.n
        FROM ward w CROSS JOIN {series(villages_per_ward)} WHERE w.id IN ({", ".join(map(str, ward_ids))})""")  # fmt: skip
    await _run("CREATE TABLE gen_village (i INTEGER PRIMARY KEY, id INTEGER, code TEXT)")
    await _run(f"""INSERT INTO gen_village (i, id, code)
        SELECT ROW_NUMBER() OVER (ORDER BY v.id) - 1, v.id, w.code || '-' || v.code
        FROM village v JOIN ward w ON w.id = v.ward WHERE w.id IN ({", ".join(map(str, ward_ids))})""")  # fmt: skip

    # Households: n = 1..total; village n / per_village; registered a year to a year and a half ago.
    hamlets = " ".join(f"WHEN {i} THEN '{name}'" for i, name in enumerate(HAMLETS))
    await _run(f"""INSERT INTO household (token, code, village, address, head_name, search_key, sort_key,
            priority_elderly_alone, priority_poor, priority_other, notes, version, created_at, updated_at,
            archived, consent_by, consent_notice)
        SELECT {token("'h' || s.n")}, 'G' || gv.code || '-' || s.n, gv.id,
            CASE {_h("s.n", 2, len(HAMLETS))} {hamlets} END, gn.full_name,
            lower('G' || gv.code || '-' || s.n) || ' ' || gn.folded, gn.sort_key,
            {_h("s.n", 3, 100)} < 4, {_h("s.n", 4, 100)} < 6, {_h("s.n", 5, 100)} < 2, '', 1,
            {at(f"365 + {_h('s.n', 6, 180)}", _h("s.n", 7, 86400))}, {at("120", "0")}, {false}, '', ''
        FROM {series(total)} JOIN gen_village gv ON gv.i = (s.n - 1) / {per_village}
        JOIN gen_name gn ON gn.i = {_h("s.n", 1, n_names)}""")  # fmt: skip
    clock.step("households")

    # Members: 2 to 5 a household (3.5 on average), the head first; answers as a visit found them
    # (households never visited keep "unknown").
    visited = f"{_h('h.id', 11, 100)} < 70"
    k = "s.n"
    key = f"(h.id * 8 + {k})"
    engaged = f"({visited} AND {_h(key, 12, 100)} < 65)"
    vneid = f"""CASE WHEN NOT {visited} THEN 'unknown' ELSE CASE {_h(key, 13, 20)} WHEN 0 THEN 'not_installed'
        WHEN 1 THEN 'not_installed' WHEN 2 THEN 'installed' WHEN 3 THEN 'installed' WHEN 4 THEN 'unknown'
        WHEN 5 THEN 'level1' WHEN 6 THEN 'level1' WHEN 7 THEN 'level1' ELSE 'level2' END END"""  # fmt: skip
    birth = f"CASE WHEN {k} = 1 THEN {year - 75} + {_h(key, 14, 45)} ELSE {year - 85} + {_h(key, 15, 85)} END"
    await _run(f"""INSERT INTO member (household, full_name, sort_key, birth_year, sex, is_head, vneid, bank_account,
            smartphone, skill_learned, skill_understands, skill_uses_services, skill_guides_others,
            skills_confirmed, uses_ai, answer_source, created_at, updated_at, removed)
        SELECT h.id, CASE WHEN {k} = 1 THEN h.head_name ELSE gn.full_name END,
            CASE WHEN {k} = 1 THEN h.sort_key ELSE gn.sort_key END, {birth},
            CASE WHEN {_h(key, 16, 2)} = 0 THEN 'male' ELSE 'female' END, {k} = 1, {vneid},
            CASE WHEN NOT {visited} THEN 'unknown' WHEN {_h(key, 17, 100)} < 60 THEN 'yes' ELSE 'no' END,
            CASE WHEN NOT {visited} THEN 'unknown' WHEN {_h(key, 18, 100)} < 80 THEN 'yes' ELSE 'no' END,
            {engaged}, {engaged}, {engaged} OR ({visited} AND {_h(key, 19, 100)} < 20), {engaged} AND {_h(key, 20, 100)} < 80,
            {engaged} AND {_h(key, 21, 100)} < 50,
            CASE WHEN NOT {visited} THEN 'unknown' WHEN {_h(key, 22, 100)} < 25 THEN 'yes' ELSE 'no' END,
            CASE WHEN {visited} THEN 'seen' ELSE '' END, h.created_at, h.created_at, {false}
        FROM household h CROSS JOIN {series(5)} JOIN gen_name gn ON gn.i = {_h(key, 23, n_names)}
        WHERE {k} <= 2 + {_h("h.id", 24, 4)}""")  # fmt: skip
    await _run(f"""UPDATE household SET informed_at = created_at, consent_at = created_at, consent_by = 'gen',
        consent_notice = '2026-01' WHERE {visited.replace("h.id", "household.id")}""")
    clock.step("members")

    # A year of visits: a first attempt nobody answered for one household in five, then the completed
    # visit, within the last year, with the counts of that moment as its snapshot.
    snapshot = f"""SELECT m.household,
            MAX(CASE WHEN m.skill_learned AND m.skill_understands AND m.skill_uses_services AND m.skill_guides_others
                THEN 1 ELSE 0 END) AS family,
            SUM(CASE WHEN m.birth_year <= {year - 16} THEN 1 ELSE 0 END) AS adults,
            SUM(CASE WHEN m.birth_year <= {year - 16} AND m.vneid IN ('level1', 'level2') THEN 1 ELSE 0 END) AS vneid,
            SUM(CASE WHEN m.birth_year <= {year - 16} AND m.vneid = 'level2' THEN 1 ELSE 0 END) AS level2,
            SUM(CASE WHEN m.birth_year <= {year - 16} AND m.bank_account = 'yes' THEN 1 ELSE 0 END) AS bank,
            SUM(CASE WHEN m.birth_year <= {year - 16} AND m.skills_confirmed THEN 1 ELSE 0 END) AS confirmed
        FROM member m GROUP BY m.household"""  # fmt: skip
    days = _h("h.id", 25, 360)
    # Made-up visits reached the server when they were made (`received_at` = `at`, in the same statement:
    # an UPDATE after rewrote every visit, minutes at 3 M households).
    tried = at(f"{days} + 5", _h("h.id", 26, 36000))
    await _run(f"""INSERT INTO visit (household, village, volunteer, client_id, at, received_at, outcome, answers,
            household_version)
        SELECT h.id, h.village, u.id, {uid("'a' || h.id")}, {tried}, {tried}, 'nobody_home', '{{{{}}}}', 1
        FROM household h JOIN village v ON v.id = h.village JOIN app_user u ON u.ward = v.ward AND u.login LIKE 'gen-%'
        WHERE {visited} AND {_h("h.id", 27, 5)} = 0""")  # fmt: skip
    done = at(days, _h("h.id", 28, 36000))
    await _run(f"""INSERT INTO visit (household, village, volunteer, client_id, at, received_at, outcome, answers,
            household_version, digital_family, informed, adults, adults_vneid, adults_vneid_level2, adults_bank,
            adults_confirmed)
        SELECT h.id, h.village, u.id, {uid("'d' || h.id")}, {done}, {done}, 'done', '{{{{}}}}', 1,
            s.family = 1, {true}, s.adults, s.vneid, s.level2, s.bank, s.confirmed
        FROM household h JOIN village v ON v.id = h.village JOIN app_user u ON u.ward = v.ward AND u.login LIKE 'gen-%'
        JOIN ({snapshot}) s ON s.household = h.id
        WHERE {visited}""")  # fmt: skip
    await _run("DROP TABLE gen_name")
    await _run("DROP TABLE gen_village")
    await _run("ANALYZE")
    clock.step("visits")
    # The daily counts (today's from the households, the past days' from the visit history) and the daily
    # activity: counted and written by the database, as `phocap counts rebuild` does.
    await rebuild()
    clock.step("daily counts")
    # The daily counts and activity were just written: the planner needs their sizes too.
    await _run("ANALYZE")
    members = (await Household.raw("SELECT COUNT(*) AS n FROM member"))[0]["n"]
    visits = (await Household.raw("SELECT COUNT(*) AS n FROM visit"))[0]["n"]
    clock.step("analyse")
    made = Generated(
        len(ward_ids), villages_per_ward * len(ward_ids), total, int(members), int(visits), clock.seconds
    )
    log.info("generated %s", made)
    return made


@dataclass(frozen=True)
class GeneratedVillages:
    """What `generate_villages` made."""

    provinces: int
    wards: int
    villages: int
    counts: int


def _series_sql(n: int, pg: bool) -> str:
    """The numbers 1..n as a table `s(n)` on either database."""
    if pg:
        return f"generate_series(1, {n}) AS s(n)"
    return f"(WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < {n}) SELECT n FROM r) AS s"


async def generate_villages(villages: int, days: int = 8) -> GeneratedVillages:
    """Fill an empty migrated database with `villages` villages spread over every ward of the official
    list (all 34 provinces in turn) and their per-village daily counts, without households:
    `days` rows a village, a week apart, the newest within the last week, each village's numbers growing
    towards today (150-500 households a village, as the plans size them). What a national report reads
    (docs/scaling.md §7); a ward, province or national page shows these numbers, and a recount
    (`phocap counts rebuild`) would zero them, as no household stands behind them."""
    pg = isinstance(current_engine(), PostgresEngine)
    if await Village.count() > 0:
        raise ValueError("phocap generate --villages-only fills an empty database; this one has villages")
    await import_units()
    today = local_now().date()
    await _run("CREATE TABLE gen_ward (i INTEGER PRIMARY KEY, id INTEGER)")
    try:
        # The wards in turn by province (each province's first ward, then each one's second…), so that even
        # a few villages reach every province.
        await _run("""INSERT INTO gen_ward (i, id) SELECT ROW_NUMBER() OVER (ORDER BY r.rank, r.province, r.code) - 1, r.id
            FROM (SELECT id, code, province, ROW_NUMBER() OVER (PARTITION BY province ORDER BY code) AS rank FROM ward) r""")
        wards = int((await Household.raw("SELECT COUNT(*) AS n FROM gen_ward"))[0]["n"])
        number = f"((s.n - 1) / {wards} + 1)"
        code = f"lpad({number}::text, 3, '0')" if pg else f"substr('000' || {number}, -3)"
        await _run(f"""INSERT INTO village (ward, code, name) SELECT gw.id, {code}, 'Thôn ' || {number}
            FROM {_series_sql(villages, pg)} JOIN gen_ward gw ON gw.i = (s.n - 1) % {wards}""")  # fmt: skip
        back = f"(7 * (s.n - 1) + {_h('v.id', 31, 7)})"
        day = (
            f"(DATE '{today.isoformat()}' - CAST({back} AS INTEGER))"
            if pg
            else f"date('{today.isoformat()}', '-' || {back} || ' days')"
        )
        year = f"CAST(EXTRACT(YEAR FROM {day}) AS INTEGER)" if pg else f"CAST(substr({day}, 1, 4) AS INTEGER)"
        # Each village's size and rates from a fixed hash of its id; row s.n = 1 is the newest, the share of
        # the way done is (days - s.n + 1) / days.
        h = f"(150 + {_h('v.id', 40, 351)})"
        adults = f"({h} * (200 + {_h('v.id', 42, 80)}) / 100)"
        done = f"({days} - s.n + 1)"
        visited = f"({h} * (50 + {_h('v.id', 41, 46)}) * {done} / {100 * days})"
        family = f"({visited} * (40 + {_h('v.id', 43, 40)}) / 100)"
        covered = f"({family} * (50 + {_h('v.id', 44, 40)}) / 100)"
        vneid = f"({adults} * (55 + {_h('v.id', 45, 40)}) * {done} / {100 * days})"
        skills = f"({adults} * (20 + {_h('v.id', 46, 40)}) * {done} / {100 * days})"
        values = {
            "households": h, "adults": adults, "visited": visited, "digital_family": family, "informed": visited,
            "vneid": vneid, "vneid_level2": f"({vneid} * 6 / 10)", "bank": f"({vneid} * 7 / 10)",
            "skills_confirmed": skills, "covered": covered, "not_visited": f"({h} - {visited})",
            "no_digital_core": f"({visited} - {family})", "members_without_vneid": f"({visited} - {covered})",
            "basic_skills": f"({skills} * 3 / 2)", "ai_tool": f"({skills} / 2)", "seniors": f"({adults} / 5)",
            "seniors_vneid": f"({vneid} / 5)", "poor": f"({h} / 20)", "poor_covered": f"({covered} / 20)",
            "elderly_alone": f"({h} / 25)", "elderly_alone_covered": f"({covered} / 25)",
        }  # fmt: skip
        await _run(f"""INSERT INTO village_count (village, day, year, {", ".join(values)})
            SELECT v.id, {day}, {year}, {", ".join(values.values())}
            FROM village v CROSS JOIN {_series_sql(days, pg)}""")  # fmt: skip
    finally:
        await _run("DROP TABLE gen_ward")
    await _run("ANALYZE")
    made = GeneratedVillages(
        provinces=await Province.count(),
        wards=min(wards, villages),
        villages=villages,
        counts=int((await Household.raw("SELECT COUNT(*) AS n FROM village_count"))[0]["n"]),
    )
    log.info("generated %s", made)
    return made
