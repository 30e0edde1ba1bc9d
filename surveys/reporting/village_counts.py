"""Per-village daily counts (DESIGN.md §9): each village's indicators as they stood at the end of a day,
so a ward dashboard reads ~10 rows and a province report ~1,000, never the households.

Written in the same transaction as every write that changes a household's or member's status (the
writers call `surveys.core.changes.households_changed`, which calls `recount_changed` here): the
villages touched are counted again from their households with the rules of `surveys.survey.criteria`,
as the live reports count them, and today's row is replaced. A visit (on SQLite) takes a `snapshot` of
its household first, and only the household's own counts after minus before are added to today's row. Never a second truth: `count_villages`
is the live count, `rebuild` writes it again for every village, and a reader whose row was counted in
an earlier year (members reach the identity age on 1 January) counts that village live.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from piccolo.engine.postgres import PostgresEngine

from surveys.core.changes import on_households_changed
from surveys.core.clock import local_now, this_year
from surveys.core.db import LOCK_VILLAGE_COUNTS, current_engine, serialise_on, write_transaction
from surveys.core.rows import Row
from surveys.core.settings import get_settings
from surveys.reporting.coverage import INDICATOR_SUMS, households_sql, ward_reason_counts
from surveys.reporting.trend_sql import TREND_COLUMNS, held_sql, local_day_sql
from surveys.survey.criteria import REASONS, CoverageRules, covered_sql, reason_sql
from surveys.tables import Household, Village, VillageCount

# The counted columns of a `VillageCount` row, in the order of the table.
COLUMNS: tuple[str, ...] = ("households", "adults", "visited", "digital_family", "informed", "vneid", "vneid_level2",
                            "bank", "skills_confirmed", "covered", *REASONS)  # fmt: skip
Counts = dict[str, int]


def counts_read() -> bool:
    """Whether readers use the stored counts (`COUNTS_READ`), or count the households live."""
    return bool(get_settings().counts_read)


def _sums(rules: CoverageRules) -> str:
    reasons = ", ".join(
        f"SUM(CASE WHEN {cond} THEN 1 ELSE 0 END) AS {code}" for code, cond in reason_sql(rules).items()
    )
    return f"{INDICATOR_SUMS}, SUM(CASE WHEN {covered_sql(rules)} THEN 1 ELSE 0 END) AS covered, {reasons}"


async def _rules_of(village_ids: list[int]) -> dict[CoverageRules, list[int]]:
    """The villages grouped by their ward's coverage rules."""
    rows = await Village.select(*Village.ward.all_columns(), Village.id.as_alias("village_id")).where(
        Village.id.is_in(village_ids)
    )
    groups: dict[CoverageRules, list[int]] = defaultdict(list)
    for r in rows:
        ward = Row({k.removeprefix("ward."): v for k, v in r.items()})
        groups[CoverageRules.of_ward(ward)].append(int(r["village_id"]))
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
    this transaction before the write), add each household's counts now minus its counts then to its
    village's row of today; otherwise (or when there is no such row yet) count their villages (and
    `villages`, a move's other end) again and replace today's rows."""
    if before is not None and not villages and await _apply_difference(before):
        return
    found = set(villages)
    if household_ids:
        found |= {
            int(r["village"])
            for r in await Household.select(Household.village).where(Household.id.is_in(household_ids))
        }
    ids = sorted(found)
    # Two writers in one village count it one after the other, each seeing the other's committed work
    # (PostgreSQL; SQLite has one writer at a time). Sorted, so two can never wait for each other.
    for village in ids:
        await serialise_on(LOCK_VILLAGE_COUNTS, village)
    if ids:
        await _write(ids, local_now().date())


@dataclass(frozen=True)
class Snapshot:
    """Households' own counts before a write, with their villages, rules and the year they were counted in."""

    year: int
    households: dict[int, tuple[int, CoverageRules, Counts]]


async def snapshot(household_ids: list[int]) -> Snapshot | None:
    """Inside a write transaction, before its writes: each household's own counts (None on PostgreSQL).

    Only on SQLite, where a write transaction excludes every other writer from its start, so nothing
    but this write changes the households between the snapshot and `recount_changed`. On PostgreSQL
    another transaction may change a household's members in between without any lock this one holds;
    its village is counted again there, under the village's lock, as before."""
    if isinstance(current_engine(), PostgresEngine) or not household_ids:
        return None
    year = this_year()
    return Snapshot(year, await _household_counts(household_ids, year))


on_households_changed(recount_changed, before=snapshot)

# A household's village and its ward's rules, one statement (the rules as `CoverageRules.of_ward` reads them).
_RULES_SQL = """SELECT h.id, h.village, w.identity_age, w.identity_min_level, w.identity_requires_bank,
    w.family_criteria FROM household h JOIN village v ON v.id = h.village JOIN ward w ON w.id = v.ward
    WHERE h.id IN ({})"""


@lru_cache(maxsize=64)
def _one_household_sql(rules: CoverageRules, year: int) -> str:
    """The counts of one household (`{}`: its id, three times) as `count_villages` counts a village."""
    return f"{households_sql(rules, year, 'h.id = {}')} SELECT {_sums(rules)} FROM base"


async def _household_counts(
    household_ids: list[int], year: int
) -> dict[int, tuple[int, CoverageRules, Counts]]:
    """Each household's village, rules and own counts (all 0 for an archived one)."""
    places = ", ".join("{}" for _ in household_ids)
    found: dict[int, tuple[int, CoverageRules, Counts]] = {}
    for r in await Household.raw(_RULES_SQL.format(places), *household_ids):
        rules = CoverageRules.of_ward(Row(r))
        found[int(r["id"])] = (int(r["village"]), rules, await _own_counts(int(r["id"]), rules, year))
    return found


async def _own_counts(household_id: int, rules: CoverageRules, year: int) -> Counts:
    rows = await Household.raw(_one_household_sql(rules, year), *[household_id] * 3)
    return {c: int(rows[0][c] or 0) for c in COLUMNS}


async def _apply_difference(before: Snapshot) -> bool:
    """Add the households' counts now minus `before` to their villages' rows of today; False (nothing
    written) when the year turned or a village has no row of today this year yet: then the caller
    counts the villages again. The households are counted in the village and with the rules of the
    snapshot: a write that moves a household names its villages (`households_changed`), and then
    they are counted again, and new rules count their ward again in a transaction of their own."""
    year = this_year()
    if year != before.year:
        return False
    differences: dict[int, Counts] = {}
    for household, (village, rules, then) in before.households.items():
        now = await _own_counts(household, rules, year)
        difference = differences.setdefault(village, dict.fromkeys(COLUMNS, 0))
        for c in COLUMNS:
            difference[c] += now[c] - then[c]
    day = local_now().date()
    for village, difference in sorted(differences.items()):
        # SQLite only (`snapshot`), whose dates are ISO text.
        args = [*[difference[c] for c in COLUMNS], village, day.isoformat(), year]
        updated = await VillageCount.raw(_ADD_SQL, *args)
        if not updated:
            return False
    return True


# Today's row of a village (of this year) plus a difference, in the order of `COLUMNS`.
_ADD_SQL = f"""UPDATE village_count SET {", ".join(f"{c} = {c} + {{}}" for c in COLUMNS)}
    WHERE village = {{}} AND day = {{}} AND year = {{}} RETURNING id"""


async def rebuild(ward_id: int | None = None) -> int:
    """Count every village (of the ward) again: its past days from the visit history (`_fill_history`)
    and today's row from its households; returns how many villages. For a ward's new rules, the new
    year, history changed behind the writers' back (an import of old visits), or when in doubt."""
    query = Village.select(Village.id).order_by(Village.id)
    if ward_id is not None:
        query = query.where(Village.ward == ward_id)
    ids = [int(r["id"]) for r in await query]
    async with write_transaction():
        await count_villages_again(ids)
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


async def _fill_history(village_ids: list[int]) -> None:
    """Inside a write transaction: replace the villages' rows of the days before today with their counts
    at the end of each day, from the visit history, as the live weekly trend counts them
    (`surveys.reporting.trend_sql.held_sql` bucketed by local day): a row on each day something changed,
    so the row of a day is the village's last row on or before it. These rows hold the trend's columns
    (households, visited, digital family, informed, adults, VNeID, level 2, bank, skills confirmed);
    covered and the reasons are counted only in today's rows."""
    today = local_now().date()
    year = this_year()
    await VillageCount.delete().where(VillageCount.village.is_in(village_ids) & (VillageCount.day < today))
    changes: dict[int, dict[date, Counts]] = defaultdict(dict)

    def add(village: int, day: Any, row: dict[str, Any], sign: int) -> None:
        on = day if isinstance(day, date) else date.fromisoformat(str(day))
        if on >= today:
            return
        counts = changes[village].setdefault(on, dict.fromkeys(TREND_COLUMNS, 0))
        for name in TREND_COLUMNS:
            counts[name] += sign * int(row[name] or 0)

    for rules, ids in (await _rules_of(village_ids)).items():
        scope = f"h.village IN ({', '.join('{}' for _ in ids)})"
        query = households_sql(rules, year, scope) + held_sql(scope, local_day_sql, by_village=True)
        for row in await Household.raw(query, *ids * 4):
            if row["b1"] is None:
                continue
            add(int(row["village"]), row["b1"], row, 1)
            if row["b2"] is not None:
                add(int(row["village"]), row["b2"], row, -1)
    rows = []
    for village, days in changes.items():
        running = dict.fromkeys(COLUMNS, 0)
        for day in sorted(days):
            for name in TREND_COLUMNS:
                running[name] += days[day][name]
            rows.append(VillageCount.from_dict({"village": village, "day": day, "year": year, **running}))
    for start in range(0, len(rows), 1000):
        await VillageCount.insert(*rows[start : start + 1000])


async def stored_trend(
    scope: str, args: list[Any], days: list[date], by: str = "id"
) -> dict[int, list[Counts]]:
    """The villages in `scope` (a condition on table `village`, with `{}` placeholders) summed by `by` (a
    column of `village`: `id`, `ward`): their counts on each of `days`, each village's last row on or
    before that day (none: zeros). One query, an index lookup per village and day, a row per key and day."""
    found: dict[int, list[Counts]] = {}
    if not days:
        return found
    param = "CAST({} AS DATE)" if isinstance(current_engine(), PostgresEngine) else "{}"
    values = " UNION ALL ".join(f"SELECT {i} AS i, {param} AS d" for i in range(len(days)))
    sums = ", ".join(f"SUM(c.{c}) AS {c}" for c in COLUMNS)
    rows = await VillageCount.raw(
        f"""WITH w AS ({values}),
        latest AS (
            SELECT v.{by} AS key, v.id AS village, w.i AS i,
                (SELECT MAX(c.day) FROM village_count c WHERE c.village = v.id AND c.day <= w.d) AS day
            FROM village v CROSS JOIN w WHERE {scope}
        )
        SELECT latest.key, latest.i, {sums} FROM latest
        JOIN village_count c ON c.village = latest.village AND c.day = latest.day
        GROUP BY latest.key, latest.i""",
        *[d if param != "{}" else d.isoformat() for d in days],
        *args,
    )
    for r in rows:
        points = found.setdefault(int(r["key"]), [dict.fromkeys(COLUMNS, 0) for _ in days])
        points[int(r["i"])] = {c: int(r[c] or 0) for c in COLUMNS}
    return found


async def stored_counts(scope: str, *args: Any) -> dict[int, Counts]:
    """The latest stored counts of each village in `scope` (a condition on table `village`, with `{}`
    placeholders); a village without a row has no households yet, and one counted in an earlier year
    is counted live."""
    rows = await VillageCount.raw(
        f"""SELECT v.id AS village_id, c.* FROM village v
        LEFT JOIN (
            SELECT village, MAX(day) AS day FROM village_count
            WHERE village IN (SELECT id FROM village WHERE {scope}) GROUP BY village
        ) latest ON latest.village = v.id
        LEFT JOIN village_count c ON c.village = latest.village AND c.day = latest.day
        WHERE {scope}""",
        *args,
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


async def ward_counts(ward_id: int) -> dict[int, Counts]:
    """Each village of the ward: its counts (stored, or live when `COUNTS_READ` is off)."""
    if counts_read():
        return await stored_counts("ward = {}", ward_id)
    ids = [int(r["id"]) for r in await Village.select(Village.id).where(Village.ward == ward_id)]
    return await count_villages(ids)


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
