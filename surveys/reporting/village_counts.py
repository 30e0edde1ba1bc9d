"""Per-village daily counts (docs/design.md §6): each village's indicators as they stood at the end of a day,
so a ward dashboard reads ~10 rows and a province report ~1,000, never the households.

Written in the same transaction as every write that changes a household's or member's status (the
writers call `surveys.core.changes.households_changed`, which calls `recount_changed` here): the
villages touched are counted again from their households with the rules of `surveys.survey.criteria`,
as the live reports count them, and today's row is replaced. A writer that knows its households (a
visit, a register edit) takes a `snapshot` of them first, holding them (`households_changing`), and only
their own counts after minus before are added to today's row. Work made on an earlier day and written
now (a visit sent later from the phone) also counts the days since it again from the visit history, as
`rebuild` counts them (`_fill_history` from that day). Never a second truth: `count_villages`
is the live count, `rebuild` writes it again for every village, and a reader whose row was counted in
an earlier year (members reach the identity age on 1 January) counts that village live.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

from piccolo.engine.postgres import PostgresEngine

from surveys.core.changes import AddedVisit, on_households_changed
from surveys.core.clock import local_date, local_now, this_year
from surveys.core.db import (
    LOCK_VILLAGE_COUNTS,
    Beside,
    Hold,
    current_engine,
    fetch,
    serialise_on,
    write_later,
    write_transaction,
)
from surveys.core.settings import get_settings
from surveys.reporting.coverage import INDICATOR_SUMS, households_sql, ward_reason_counts
from surveys.reporting.trend_sql import HISTORY_COLUMNS, PERIOD_COLUMNS, held_sql, local_day_sql
from surveys.survey.criteria import (
    REASONS,
    CoverageRules,
    covered_sql,
    identity_counts,
    reason_sql,
)
from surveys.survey.status import HouseholdState
from surveys.tables import RULE_COLUMNS, Household, Village, VillageCount, Ward

# The counted columns of a `VillageCount` row, in the order of the table.
COLUMNS: tuple[str, ...] = ("households", "adults", "visited", "digital_family", "informed", "vneid", "vneid_level2",
                            "bank", "skills_confirmed", "covered", *REASONS, *PERIOD_COLUMNS)  # fmt: skip
Counts = dict[str, int]


def counts_read() -> bool:
    """Whether readers use the stored counts (`COUNTS_READ`), or count the households live."""
    return bool(get_settings().counts_read)


def _sums(rules: CoverageRules) -> str:
    reasons = ", ".join(
        f"SUM(CASE WHEN {cond} THEN 1 ELSE 0 END) AS {code}" for code, cond in reason_sql(rules).items()
    )
    covered = covered_sql(rules)
    groups = ", ".join(
        f"SUM({group}) AS {group}, SUM(CASE WHEN {group} = 1 AND {covered} THEN 1 ELSE 0 END) AS {group}_covered"
        for group in ("poor", "elderly_alone")
    )
    return f"""{INDICATOR_SUMS}, SUM(CASE WHEN {covered} THEN 1 ELSE 0 END) AS covered, {reasons},
        SUM(adults_skilled) AS basic_skills, SUM(adults_ai) AS ai_tool, SUM(seniors) AS seniors,
        SUM(seniors_vneid) AS seniors_vneid, {groups}"""


@lru_cache(maxsize=64)
def _rules_sql(size: int, day_counted: bool = False) -> str:
    """The rules of `size` villages' wards (`{}`: the village ids), written once per size: every visit
    asks it, and Piccolo building the join of `Village.ward.all_columns()` cost more Python than the
    statement costs the database. `day_counted`: also whether each village has its row of a day (`{}`:
    the day and its year, before the ids)."""
    columns = ", ".join(f"w.{c}" for c in RULE_COLUMNS)
    counted = (
        ", EXISTS (SELECT 1 FROM village_count c WHERE c.village = v.id AND c.day = {} AND c.year = {}) "
        "AS counted"
        if day_counted
        else ""
    )
    return (
        f"SELECT v.id AS village_id, {columns}{counted} FROM {Village._meta.tablename} v "
        f"JOIN {Ward._meta.tablename} w ON w.id = v.ward "
        f"WHERE v.id IN ({', '.join('{}' for _ in range(size))})"
    )


async def _rules_of(village_ids: list[int]) -> dict[CoverageRules, list[int]]:
    """The villages grouped by their ward's coverage rules."""
    groups: dict[CoverageRules, list[int]] = defaultdict(list)
    if not village_ids:
        return groups
    for r in await Village.raw(_rules_sql(len(village_ids)), *village_ids):
        groups[CoverageRules.of_ward(r)].append(int(r["village_id"]))
    return groups


async def count_villages(village_ids: list[int], year: int | None = None) -> dict[int, Counts]:
    """The villages' counts now, from their households (live): one grouped query per set of rules.
    A village without households has every count 0."""
    year = year or this_year()
    found: dict[int, Counts] = {v: dict.fromkeys(COLUMNS, 0) for v in village_ids}
    if not village_ids:
        return found
    for rules, ids in (await _rules_of(village_ids)).items():
        scope = f"h.village IN ({', '.join('{}' for _ in ids)})"
        rows = await Household.raw(
            f"{households_sql(rules, year, scope)} SELECT village, {_sums(rules)} FROM base GROUP BY village",
            *ids * 3,
        )
        for r in rows:
            found[int(r["village"])] = {c: int(r[c] or 0) for c in COLUMNS}
    return found


async def _write(village_ids: list[int], day: date) -> None:
    """Count the villages and replace their row of `day` (inside a write transaction)."""
    year = this_year()
    counted = await count_villages(village_ids, year)
    await VillageCount.delete().where(VillageCount.village.is_in(village_ids) & (VillageCount.day == day))
    await VillageCount.insert(
        *[
            VillageCount.from_dict({"village": v, "day": day, "year": year, **counts})
            for v, counts in counted.items()
        ]
    )


async def recount_changed(household_ids: list[int], villages: list[int], before: Any = None) -> None:
    """Inside the write transaction that changed these households: with `before` (`snapshot`'s, taken in
    this transaction before the write, with the households held), add each household's counts now minus
    its counts then to its villages' rows of today; otherwise (an import, a new household, the year
    turned) count their villages (and `villages`, a move's other end) again and replace today's rows."""
    if isinstance(before, Snapshot) and before.since is not None:
        # Work of an earlier day: its days since, up to yesterday, from the history (the villages are
        # held alone since the snapshot).
        touched = {village for village, _ in before.households.values()}
        if household_ids:
            touched |= {
                int(r["village"])
                for r in await Household.select(Household.village).where(Household.id.is_in(household_ids))
            }
        await _fill_history(sorted(touched), since=before.since)
    if isinstance(before, Snapshot) and await _apply_difference(before, household_ids):
        return
    found = set(villages)
    if isinstance(before, Snapshot):
        found |= {village for village, _ in before.households.values()}
    if household_ids:
        found |= {
            int(r["village"])
            for r in await Household.select(Household.village).where(Household.id.is_in(household_ids))
        }
    ids = sorted(found)
    # Alone in each village while counting it and replacing its row: a writer adding a difference holds
    # the village shared (`snapshot`), so none is half-way (its change not counted here, its addition
    # then overwritten). Sorted, so two can never wait for each other.
    for village in ids:
        await serialise_on(LOCK_VILLAGE_COUNTS, village)
    if ids:
        await _write(ids, local_now().date())


@dataclass(frozen=True)
class Snapshot:
    """Households' own counts before a write, with their villages, the rules of every village the write
    may touch, and the year they were counted in."""

    year: int
    rules: dict[int, CoverageRules]
    households: dict[int, tuple[int, Counts]]
    # The earlier day the write's change was made on (a visit sent later): its rows since are counted
    # again. None: today.
    since: date | None = None
    # The households' counts after the write, when the snapshot knew them (a write that only adds a
    # visit, with the household's state it read: `state_counts`); None: read them after the write.
    after: dict[int, tuple[int | None, Counts]] | None = None
    # The day the snapshot was taken, and the villages that had their row of it then.
    day: date | None = None
    counted_today: frozenset[int] = frozenset()


async def snapshot(
    households: dict[int, int],
    villages: list[int],
    since: datetime | None = None,
    added: Any = None,
    known: Any = None,
) -> Snapshot | None:
    """Inside a write transaction, before its writes, with the households held (`households_changing`):
    each household's own counts, by id with its village; `villages`, where the write may move them;
    `since`, when the change was made (an earlier day's rows are then counted again); `added`, the
    write's only change (a visit that leaves the household as it was, though it may change its reason,
    counted from its last visit); `known`, the (one) household's state as the writer read it, held
    (`surveys.survey.status.household_state`): its counts before are counted from it, and with `added`
    those after too, with no statement of their own (`state_counts`).

    Its villages are held already, until the transaction ends (`holds`, taken by `households_changing`
    first). With no households but `villages`: a write adding households to them, which join the counts
    from nothing."""
    if not households and not villages:
        return None
    at = local_now()
    year = at.year
    past = _past(since, at)
    touched = sorted({*households.values(), *villages})
    # Its villages are held from before this (`holds`) to the end: a village's row of today found now is
    # there when the difference is added (only a recount replaces it, and it waits for this transaction).
    day = at.date()
    beside = getattr(known, "beside", None)
    if beside is not None and known.beside_key == (tuple(touched), day, year):
        found = [beside]  # read with the household (`reads`)
    else:
        found = await fetch(_rules_sql(len(touched), day_counted=True), _day_param(day), year, *touched)
    rules = {int(r["village_id"]): CoverageRules.of_ward(r) for r in found}
    counted_today = frozenset(int(r["village_id"]) for r in found if r["counted"])
    counted: dict[int, tuple[int, Counts]] = {}
    after: dict[int, tuple[int | None, Counts]] | None = None
    if isinstance(known, HouseholdState) and len(households) == 1:
        # The writer read the household, held: its counts from that, and when the write's only change is
        # known, the counts after it too.
        ((household, village),) = households.items()
        # Its members' counts, the same before and after a visit that leaves them as they are.
        identity = identity_counts(known.members, year, rules[village])
        counted[household] = (village, state_counts(known, village, rules[village], year, identity)[1])
        if isinstance(added, AddedVisit) and past is None:
            visited = known.with_visit(added.outcome, added.at)
            after = {household: state_counts(visited, village, rules[village], year, identity)}
    else:
        for household, (_, counts) in (await _household_counts(households, rules, year)).items():
            counted[household] = (households[household], counts)
    return Snapshot(year, rules, counted, past, after, day, counted_today)


def holds(households: dict[int, int], villages: list[int], since: datetime | None = None) -> list[Hold]:
    """The keys `snapshot` needs held, taken before it by `households_changing`: the villages of the
    households and `villages`, in their order, shared (writers adding differences go on side by side,
    while a recount waits for them and they for it); alone for a write that may end by counting them
    again (`_may_count_again`) or one of an earlier day, which replaces the rows of the days since."""
    at = local_now()
    shared = not (_may_count_again(at) or _past(since, at) is not None)
    return [Hold(LOCK_VILLAGE_COUNTS, v, shared) for v in sorted({*households.values(), *villages})]


def reads(households: dict[int, int], villages: list[int], since: datetime | None = None) -> Beside | None:
    """What `snapshot` reads first, to go in the writer's read of its household (one village: its
    ward's rules and whether it has today's row), read after the keys `holds` names, as `snapshot`
    would read it: the writer's read comes once they are held (`households_changing`)."""
    touched = sorted({*households.values(), *villages})
    if len(touched) != 1:
        return None
    at = local_now()
    day = at.date()
    return Beside(
        _rules_sql(1, day_counted=True),
        (_day_param(day), at.year, touched[0]),
        ("village_id", *RULE_COLUMNS, "counted"),
        (tuple(touched), day, at.year),
    )


def _past(since: datetime | None, at: datetime) -> date | None:
    """The local day of work made `since`, when it is before the day of `at` (None: today, or now)."""
    made_on = local_date(since) if since is not None else None
    return made_on if made_on is not None and made_on < at.date() else None


on_households_changed(recount_changed, before=snapshot, holds=holds, reads=reads)

# Far longer than a write transaction lasts: one begun this close to the new year may end in it.
YEAR_END_MARGIN = timedelta(minutes=5)


def _may_count_again(at: datetime) -> bool:
    """Whether a write begun `at` may end by counting its villages again, which needs them alone: two
    writers holding a village shared would each wait for the other's share, and PostgreSQL would end
    one of them ("deadlock detected", the write lost). `_apply_difference` counts again when the year
    turned (the snapshot counted last year's ages) or a household went to a village of other rules; a
    move stays in its ward, whose villages share its rules, so only the year is left to watch."""
    return datetime(at.year + 1, 1, 1, tzinfo=at.tzinfo) - at < YEAR_END_MARGIN


@lru_cache(maxsize=64)
def _households_sql(rules: CoverageRules, year: int, size: int) -> str:
    """Each of `size` households' own counts (`{}`: their ids, three times) as `count_villages` counts
    a village, with its village; an archived household has no row."""
    scope = f"h.id IN ({', '.join('{}' for _ in range(size))})"
    return f"{households_sql(rules, year, scope)} SELECT id, village, {_sums(rules)} FROM base GROUP BY id, village"


async def _household_counts(
    households: dict[int, int], rules: dict[int, CoverageRules], year: int
) -> dict[int, tuple[int | None, Counts]]:
    """Each household's village (None: archived) and own counts (all 0 for an archived one), counted
    with the rules of the village in `households`: one statement per set of rules."""
    groups: dict[CoverageRules, list[int]] = defaultdict(list)
    for household, village in sorted(households.items()):
        groups[rules[village]].append(household)
    found: dict[int, tuple[int | None, Counts]] = {h: (None, dict.fromkeys(COLUMNS, 0)) for h in households}
    for group_rules, ids in groups.items():
        for r in await Household.raw(_households_sql(group_rules, year, len(ids)), *ids * 3):
            found[int(r["id"])] = (int(r["village"]), {c: int(r[c] or 0) for c in COLUMNS})
    return found


def state_counts(
    state: HouseholdState,
    village: int,
    rules: CoverageRules,
    year: int,
    identity: dict[str, int] | None = None,
) -> tuple[int | None, Counts]:
    """A household in `village` (as held) and its own counts, as `_household_counts` counts them in SQL,
    from its state: the rules' Python twins (`surveys.survey.criteria`, which tests hold to the SQL on
    every household). An archived one: None and all 0, as the SQL gives no row for it. `identity`: its
    members' `identity_counts`, when the caller has them."""
    counts = dict.fromkeys(COLUMNS, 0)
    if state.household.archived:
        return None, counts
    members = state.members
    status = state.status(year, rules)
    identity = identity or identity_counts(members, year, rules)
    poor, alone = bool(state.household.priority_poor), bool(state.household.priority_elderly_alone)
    counts.update(
        households=1,
        adults=identity["adults"],
        visited=int(state.ever_done),
        digital_family=identity["digital_family"],
        informed=int(state.household.informed_at is not None),
        vneid=identity["adults_vneid"],
        vneid_level2=identity["adults_vneid_level2"],
        bank=identity["adults_bank"],
        skills_confirmed=identity["adults_confirmed"],
        covered=int(status.covered),
        basic_skills=identity["adults_skilled"],
        ai_tool=identity["adults_ai"],
        seniors=identity["seniors"],
        seniors_vneid=identity["seniors_vneid"],
        poor=int(poor),
        poor_covered=int(poor and status.covered),
        elderly_alone=int(alone),
        elderly_alone_covered=int(alone and status.covered),
    )
    counts.update({reason: 1 for reason in status.reasons})
    return village, counts


async def _apply_difference(before: Snapshot, household_ids: list[int]) -> bool:
    """Add the households' counts now minus `before` to today's rows: what a household counted then
    leaves the village it was in, what it counts now joins the village it is in (a move, a merge). A
    household of `household_ids` the snapshot did not hold was added by the write: it counted nothing.
    False (nothing to keep) when the year turned or a household went to a village of other rules than
    the snapshot knows: then the caller counts the villages again."""
    # The year and the day of one moment: a row of a day holds that day's year.
    at = local_now()
    year, day = at.year, at.date()
    if year != before.year:
        return False
    added = await _added(before, household_ids)
    if added is None:
        return False
    nothing = dict.fromkeys(COLUMNS, 0)
    households = {**before.households, **{h: (village, nothing) for h, village in added.items()}}
    then_villages = {h: village for h, (village, _) in households.items()}
    now = (before.after if not added else None) or await _household_counts(then_villages, before.rules, year)
    differences: dict[int, Counts] = defaultdict(lambda: dict.fromkeys(COLUMNS, 0))
    for household, (village, then) in households.items():
        now_village, counts = now[household]
        if now_village is not None and before.rules.get(now_village) != before.rules[village]:
            return False
        for c in COLUMNS:
            differences[village][c] -= then[c]
            differences[now_village or village][c] += counts[c]
    for village, difference in sorted(differences.items()):
        if any(difference.values()):
            known = before.day == day and village in before.counted_today
            await _add(village, day, year, difference, known)
    return True


async def _added(before: Snapshot, household_ids: list[int]) -> dict[int, int] | None:
    """The households of `household_ids` the snapshot did not hold (added by the write), by id with their
    village; None when one is in a village the snapshot did not take (its rules unknown, not held)."""
    new = [h for h in household_ids if h not in before.households]
    if not new:
        return {}
    rows = await Household.select(Household.id, Household.village).where(Household.id.is_in(new))
    added = {int(r["id"]): int(r["village"]) for r in rows}
    return added if all(village in before.rules for village in added.values()) else None


def _day_param(day: date) -> Any:
    """A day as a statement's value: a date for PostgreSQL, ISO text for SQLite."""
    return day if isinstance(current_engine(), PostgresEngine) else day.isoformat()


async def _add(village: int, day: date, year: int, difference: Counts, known: bool = False) -> None:
    """Add `difference` to the village's row of `day`, which stays right while other writers add theirs
    at the same time. The day's first writer finds no row: it counts the village (with its own change,
    without the others' not yet committed) and inserts that; a writer finding that row meanwhile adds its
    difference to it instead (`ON CONFLICT`). `known`: the row is there (the snapshot saw it, and it
    stays), so the addition is a write nobody reads, sent with the transaction's next statement."""
    on = _day_param(day)
    added = [difference[c] for c in COLUMNS]
    if known:
        await write_later(_ADD_KNOWN_SQL, *added, village, on, year)
        return
    if await fetch(_ADD_SQL, *added, village, on, year):
        return
    counted = (await count_villages([village], year))[village]
    await VillageCount.raw(_FIRST_SQL, village, on, year, *[counted[c] for c in COLUMNS], *added)


# Today's row of a village (of this year) plus a difference, in the order of `COLUMNS`.
_ADD_SQL = f"""UPDATE village_count SET {", ".join(f"{c} = {c} + {{}}" for c in COLUMNS)}
    WHERE village = {{}} AND day = {{}} AND year = {{}} RETURNING id"""
_ADD_KNOWN_SQL = _ADD_SQL.removesuffix(" RETURNING id")
# A village's first row of a day, or, when another writer inserted it meanwhile, that row plus a difference.
_FIRST_SQL = f"""INSERT INTO village_count (village, day, year, {", ".join(COLUMNS)})
    VALUES ({", ".join("{}" for _ in range(3 + len(COLUMNS)))})
    ON CONFLICT (village, day) DO UPDATE SET {", ".join(f"{c} = village_count.{c} + {{}}" for c in COLUMNS)}"""


async def rebuild(ward_id: int | None = None, history: bool = True) -> int:
    """Count every village (of the ward) again: its past days from the visit history (`_fill_history`)
    and today's row from its households; returns how many villages. For a ward's new rules, history
    changed behind the writers' back (an import of old visits), or when in doubt. Without `history`,
    today's rows only (the new year: the past days keep what they were, so a past period's report
    stays the same whenever it is run)."""
    query = Village.select(Village.id).order_by(Village.id)
    if ward_id is not None:
        query = query.where(Village.ward == ward_id)
    ids = [int(r["id"]) for r in await query]
    # Here, not at the top: the daily counts listen first (`surveys.reporting`'s order), their snapshot
    # holding the villages the activity's differences are added to.
    from surveys.reporting import activity_counts

    async with write_transaction():
        await (count_villages_again if history else rebuild_villages)(ids)
        if history:
            # What was done each day, from the same visits (the rows of the ages' year stay as they are).
            await activity_counts.count_villages_again(ids)
    return len(ids)


async def count_villages_again(village_ids: list[int]) -> None:
    """Inside a write transaction: today's rows of these villages from their households and their past
    days' rows from the visit history (what `rebuild` and the migration that made the table do)."""
    await rebuild_villages(village_ids)
    for start in range(0, len(village_ids), 500):
        await _fill_history(village_ids[start : start + 500])


async def rebuild_villages(village_ids: list[int]) -> None:
    """Inside a write transaction: count these villages again and replace today's rows."""
    for village in village_ids:
        await serialise_on(LOCK_VILLAGE_COUNTS, village)
    for start in range(0, len(village_ids), 500):
        await _write(village_ids[start : start + 500], local_now().date())


async def _fill_history(village_ids: list[int], since: date | None = None) -> None:
    """Inside a write transaction: replace the villages' rows of the days before today (from `since`
    on, when given: a visit of that day arrived late; the rows before stay as they were) with their counts
    at the end of each day, from the visit history, as the live weekly trend counts them
    (`surveys.reporting.trend_sql.held_sql` bucketed by local day, with the rules for "covered" and the
    periodic report's columns): a row on each day something changed, and on each 1 January since the
    first (members reach the identity age), so the row of a day is the village's last row on or before
    it. Each year's days are counted with that year's ages. The reasons are counted only in today's rows.
    Counted and written by the database (`_history_sql`), one statement per set of rules and year: a
    province of millions of households is minutes, not the hours of summing its days in Python."""
    today = local_now().date()
    replaced = VillageCount.village.is_in(village_ids) & (VillageCount.day < today)
    if since is not None:
        replaced &= VillageCount.day >= since
    await VillageCount.delete().where(replaced)
    first = await _first_year(village_ids)
    if first is None:
        return
    for rules, ids in (await _rules_of(village_ids)).items():
        year = this_year()
        # Each year's rows are counted from the whole history, with that year's ages: the years before
        # `since`'s keep their rows.
        while year >= first and (since is None or year >= since.year):
            await VillageCount.raw(_history_sql(rules, year, len(ids), today, since), *ids * 4)
            year -= 1


async def _first_year(village_ids: list[int]) -> int | None:
    """The year of the villages' first change: the earliest local day a household (archived too) was
    registered or visited (None: neither ever happened)."""
    places = ", ".join("{}" for _ in village_ids)
    row = await Household.raw(
        f"""SELECT MIN(d) AS first FROM (
            SELECT MIN({local_day_sql("h.created_at")}) AS d FROM household h WHERE h.village IN ({places})
            UNION ALL
            SELECT MIN({local_day_sql("v.at")}) FROM visit v JOIN household h ON h.id = v.household
            WHERE h.village IN ({places})
        ) f""",
        *village_ids * 2,
    )
    first = row[0]["first"] if row else None
    if first is None:
        return None
    return first.year if isinstance(first, date) else date.fromisoformat(str(first)).year


def _history_sql(rules: CoverageRules, year: int, size: int, today: date, since: date | None) -> str:
    """The statement writing `size` villages' rows of the days of `year` (before `today`, from `since`)
    from the visit history with `year`'s ages (`{}`: the village ids, four times): each change counted
    at the day it starts (`b1`) and taken back at the day it ends (`b2`), summed per village and day, then
    a running sum per village in day order. 1 January gets a row of what held then (when any), as the
    ages change that day; other days only when something changed."""
    pg = isinstance(current_engine(), PostgresEngine)

    def day(d: date) -> str:
        return f"DATE '{d.isoformat()}'" if pg else f"'{d.isoformat()}'"

    scope = f"h.village IN ({', '.join('{}' for _ in range(size))})"
    changes = households_sql(rules, year, scope) + held_sql(
        scope, local_day_sql, by_village=True, rules=rules
    )
    new_year = date(year, 1, 1)
    cols = HISTORY_COLUMNS
    plus = ", ".join(f"COALESCE({c}, 0) AS {c}" for c in cols)
    minus = ", ".join(f"-COALESCE({c}, 0)" for c in cols)
    zeros = ", ".join("0" for _ in cols)
    sums = ", ".join(f"SUM({c}) AS {c}" for c in cols)
    running = ", ".join(f"SUM({c}) OVER (PARTITION BY village ORDER BY day) AS {c}" for c in cols)
    kept = f"day >= {day(new_year)} AND day < {day(date(year + 1, 1, 1))} AND day < {day(today)}"
    if since is not None:
        kept += f" AND day >= {day(since)}"
    held = " OR ".join(f"{c} <> 0" for c in cols)
    reasons = [c for c in COLUMNS if c not in cols]
    return f"""INSERT INTO village_count (village, day, year, {", ".join(cols)}, {", ".join(reasons)})
    WITH ch AS ({changes}),
    steps AS (
        SELECT village, b1 AS day, {plus} FROM ch WHERE b1 IS NOT NULL
        UNION ALL
        SELECT village, b2, {minus} FROM ch WHERE b1 IS NOT NULL AND b2 IS NOT NULL
        UNION ALL
        SELECT DISTINCT village, {day(new_year)}, {zeros} FROM ch
    ),
    daily AS (SELECT village, day, {sums} FROM steps GROUP BY village, day),
    ran AS (SELECT village, day, {running} FROM daily)
    SELECT village, day, {year}, {", ".join(cols)}, {", ".join("0" for _ in reasons)} FROM ran
    WHERE {kept} AND (day <> {day(new_year)} OR {held})"""


async def stored_trend(
    scope: str, args: list[Any], days: list[date], by: str = "id"
) -> dict[int, list[Counts]]:
    """The villages in `scope` (a condition on table `village`, with `{}` placeholders) summed by `by` (a
    column of `village`: `id`, `ward`): their counts on each of `days`, each village's last row on or
    before that day (none: zeros). One query, an index lookup per village and day, a row per key and day."""
    found: dict[int, list[Counts]] = {}
    if not days:
        return found
    pg = isinstance(current_engine(), PostgresEngine)
    param = "CAST({} AS DATE)" if pg else "{}"
    values = " UNION ALL ".join(f"SELECT {i} AS i, {param} AS d" for i in range(len(days)))
    sums = ", ".join(f"SUM(c.{c}) AS {c}" for c in COLUMNS)
    if pg:
        # The row itself from the one backward scan of the index: PostgreSQL, asked for the latest day
        # first and the row after, joined the rows by hashing the whole table (337,000 rows at 600,000
        # households, ~1 s of the province report).
        query = f"""WITH w AS ({values})
        SELECT v.key, w.i, {sums} FROM (SELECT id, {by} AS key FROM village WHERE {scope}) v CROSS JOIN w
        CROSS JOIN LATERAL (
            SELECT * FROM village_count l WHERE l.village = v.id AND l.day <= w.d ORDER BY l.day DESC LIMIT 1
        ) c
        GROUP BY v.key, w.i"""
    else:
        query = f"""WITH w AS ({values}),
        latest AS (
            SELECT v.{by} AS key, v.id AS village, w.i AS i,
                (SELECT MAX(c.day) FROM village_count c WHERE c.village = v.id AND c.day <= w.d) AS day
            FROM village v CROSS JOIN w WHERE {scope}
        )
        SELECT latest.key, latest.i, {sums} FROM latest
        JOIN village_count c ON c.village = latest.village AND c.day = latest.day
        GROUP BY latest.key, latest.i"""
    rows = await VillageCount.raw(query, *[d if pg else d.isoformat() for d in days], *args)
    for r in rows:
        points = found.setdefault(int(r["key"]), [dict.fromkeys(COLUMNS, 0) for _ in days])
        points[int(r["i"])] = {c: int(r[c] or 0) for c in COLUMNS}
    return found


async def stored_counts(scope: str, *args: Any) -> dict[int, Counts]:
    """The latest stored counts of each village in `scope` (a condition on table `village`, with `{}`
    placeholders); a village without a row has no households yet, and one counted in an earlier year
    is counted live."""
    # Each village's latest day is one lookup in the index on (village, day): grouping every row of the
    # villages read all their days (a year's at a province's size, ~600 ms where this is ~20 ms).
    rows = await VillageCount.raw(
        f"""SELECT v.id AS village_id, c.* FROM village v
        LEFT JOIN village_count c ON c.village = v.id
            AND c.day = (SELECT MAX(l.day) FROM village_count l WHERE l.village = v.id)
        WHERE {scope}""",
        *args,
    )
    year = this_year()
    found: dict[int, Counts] = {}
    stale: list[int] = []
    for r in rows:
        if r["year"] is not None and int(r["year"]) != year:
            stale.append(int(r["village_id"]))
        else:
            found[int(r["village_id"])] = {c: int(r[c] or 0) for c in COLUMNS}
    if stale:
        found.update(await count_villages(stale, year))
    return found


async def counts_on(scope: str, args: list[Any], days: list[date]) -> dict[int, list[Counts]]:
    """Each village in `scope` (a condition on table `village`, with `{}` placeholders): its counts at
    the end of each of `days` (stored; a day from today on reads the counts now, as `stored_counts`);
    a village without households then has zeros."""
    today = local_now().date()
    villages = [int(r["id"]) for r in await Village.raw(f"SELECT id FROM village WHERE {scope}", *args)]
    found = {v: [dict.fromkeys(COLUMNS, 0) for _ in days] for v in villages}
    past = [d for d in days if d < today]
    for village, points in (await stored_trend(scope, args, past, by="id")).items():
        for day, counts in zip(past, points, strict=True):
            found[village][days.index(day)] = counts
    if len(past) < len(days):
        for village, counts in (await stored_counts(scope, *args)).items():
            for i, day in enumerate(days):
                if day >= today:
                    found[village][i] = counts
    return found


async def province_counts(province_id: int) -> dict[int, Counts]:
    """Each village of the province: its counts (stored, or live when `COUNTS_READ` is off)."""
    scope = "ward IN (SELECT id FROM ward WHERE province = {})"
    if counts_read():
        return await stored_counts(scope, province_id)
    rows = await Village.raw(f"SELECT id FROM village WHERE {scope}", province_id)
    return await count_villages([int(r["id"]) for r in rows])


async def ward_reasons(ward_id: int, rules: CoverageRules) -> dict[int, Counts]:
    """For each village of the ward with households: households under each reason, covered, uncovered
    and all (as `surveys.reporting.coverage.ward_reason_counts` counts them live)."""
    if not counts_read():
        return await ward_reason_counts(ward_id, rules)
    stored = await stored_counts("ward = {}", ward_id)
    return {v: _reasons(c) for v, c in stored.items() if c["households"]}


def _reasons(c: Counts) -> Counts:
    totals = {"covered": c["covered"], "all": c["households"], "uncovered": c["households"] - c["covered"]}
    return {**{r: c[r] for r in REASONS}, **totals}
