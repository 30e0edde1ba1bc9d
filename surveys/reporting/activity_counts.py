"""Per-village daily activity (docs/scaling.md §4): what was done in each village on each day, in counts
that add up over days, villages and wards (`VillageActivity`), and who did it (`VillageVolunteer`, a row
per village, day and volunteer), so a period's report reads ~villages × days rows, never its visits.

Everything here is a function of the visits alone, each in its household's village now (rewritten when
the household moves or is merged) and on the local day it was made (`Visit.at`, the phone's moment for a
visit sent later): visits, completed, nobody home; and each household's changes of state, counted on the
day its latest completed visit changed it: its first completed visit, covered at the end of the day and
not at the end of the day before (`newly_covered`), or the reverse (`newly_uncovered`). "Covered" is what
the visit left (`surveys.survey.criteria.visit_covered_in_ward_sql`, with the ward's rules now).

Written in the same transaction as every write (`surveys.core.changes`): a writer that names its
households first has their own rows counted from their visits before and after, and only the difference
is added (a visit of today, one made days ago and sent now, a move, a merge: the same code); any other
write, or new rules, counts the villages again from their visits. `rebuild` and the migration that made
the tables count every village so; `recount` is the live count the reports use with `COUNTS_READ` off.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import date
from typing import Any, NamedTuple, cast

from piccolo.engine.postgres import PostgresEngine

from surveys.core.changes import AddedVisit, on_households_changed
from surveys.core.clock import local_date
from surveys.core.db import LOCK_VILLAGE_COUNTS, current_engine, serialise_on, write_later
from surveys.reporting.history import Activity
from surveys.reporting.trend_sql import local_day_sql
from surveys.survey.criteria import visit_covered_in_ward_sql
from surveys.tables import Visit

# The counted columns of a `VillageActivity` row.
ACTIVITY_COLUMNS = ("visits", "completed", "nobody_home", "first_visits", "newly_covered", "newly_uncovered")
Counts = dict[str, int]
# (village, day) → counts; (village, day, volunteer) → visits.
DayCounts = dict[tuple[int, date], Counts]
DayVolunteers = dict[tuple[int, date, int], int]


def _places(ids: list[int]) -> str:
    return ", ".join("{}" for _ in ids)


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _counted_sql(scope: str) -> str:
    """CTEs over the visits of `scope` (a condition on visit `v`): `made`, each visit with its local day
    and whether it left its household covered; `counted`, rows per village and day of the counts of
    `ACTIVITY_COLUMNS` to sum. One pass over the visits, one over each household's days with a completed
    visit (its state at the day's end against the day before's)."""
    covered = visit_covered_in_ward_sql("v", "w")
    return f"""WITH made AS (
        SELECT v.id, v.household, v.village, v.volunteer, v.outcome, v.at, {local_day_sql("v.at")} AS day,
            CASE WHEN {covered} THEN 1 ELSE 0 END AS covered
        FROM visit v JOIN village vl ON vl.id = v.village JOIN ward w ON w.id = vl.ward
        WHERE {scope}
    ),
    day_ends AS (
        SELECT household, village, day, covered,
            ROW_NUMBER() OVER (PARTITION BY household, day ORDER BY at DESC, id DESC) AS newest
        FROM made WHERE outcome = 'done'
    ),
    steps AS (
        SELECT village, day, covered, LAG(covered, 1, -1) OVER (PARTITION BY household ORDER BY day) AS before
        FROM day_ends WHERE newest = 1
    ),
    counted AS (
        SELECT village, day, COUNT(*) AS visits, SUM(CASE WHEN outcome = 'done' THEN 1 ELSE 0 END) AS completed,
            SUM(CASE WHEN outcome = 'nobody_home' THEN 1 ELSE 0 END) AS nobody_home, 0 AS first_visits,
            0 AS newly_covered, 0 AS newly_uncovered
        FROM made GROUP BY village, day
        UNION ALL
        SELECT village, day, 0, 0, 0, SUM(CASE WHEN before = -1 THEN 1 ELSE 0 END),
            SUM(CASE WHEN covered = 1 AND before <> 1 THEN 1 ELSE 0 END),
            SUM(CASE WHEN covered = 0 AND before = 1 THEN 1 ELSE 0 END)
        FROM steps GROUP BY village, day
    )"""


_SUMS = ", ".join(f"SUM({c}) AS {c}" for c in ACTIVITY_COLUMNS)
_DAYS = f"SELECT village, day, {_SUMS} FROM counted GROUP BY village, day"
_VOLUNTEERS = """SELECT village, day, volunteer, COUNT(*) AS visits FROM made WHERE volunteer IS NOT NULL
    GROUP BY village, day, volunteer"""


async def count_visits(scope: str, args: list[Any]) -> tuple[DayCounts, DayVolunteers]:
    """The activity and volunteers of the visits in `scope` (a condition on visit `v` with `{}`
    placeholders for `args`), per village and day: counted from the visits, in one statement."""
    zeros = ", ".join("0" for _ in ACTIVITY_COLUMNS[1:])
    query = f"""{_counted_sql(scope)}
    SELECT NULL AS volunteer, village, day, {_SUMS} FROM counted GROUP BY village, day
    UNION ALL
    SELECT volunteer, village, day, COUNT(*), {zeros} FROM made WHERE volunteer IS NOT NULL
    GROUP BY village, day, volunteer"""
    days: DayCounts = {}
    people: DayVolunteers = {}
    for r in await Visit.raw(query, *args):
        if r["volunteer"] is None:
            days[(int(r["village"]), _day(r["day"]))] = {c: int(r[c] or 0) for c in ACTIVITY_COLUMNS}
        else:
            people[(int(r["village"]), _day(r["day"]), int(r["volunteer"]))] = int(r["visits"])
    return days, people


async def _households(household_ids: list[int]) -> tuple[DayCounts, DayVolunteers]:
    return await count_visits(f"v.household IN ({_places(household_ids)})", household_ids)


def _on(day: date) -> date | str:
    return day if isinstance(current_engine(), PostgresEngine) else day.isoformat()


_ADD_ACTIVITY = f"""INSERT INTO village_activity (village, day, {", ".join(ACTIVITY_COLUMNS)}) VALUES {{rows}}
    ON CONFLICT (village, day) DO UPDATE SET
    {", ".join(f"{c} = village_activity.{c} + excluded.{c}" for c in ACTIVITY_COLUMNS)}"""
_ADD_VOLUNTEERS = """INSERT INTO village_volunteer (village, day, volunteer, visits) VALUES {rows}
    ON CONFLICT (village, day, volunteer) DO UPDATE SET visits = village_volunteer.visits + excluded.visits"""


async def _add(days: DayCounts, people: DayVolunteers) -> None:
    """Add these counts to the stored rows (other writers may add theirs at the same time: each statement
    adds, none replaces; with the transaction's next statement, `write_later`); a volunteer's row left
    with no visit goes."""
    day_rows = sorted((key, counts) for key, counts in days.items() if any(counts.values()))
    for start in range(0, len(day_rows), 200):
        part = day_rows[start : start + 200]
        row = "(" + ", ".join("{}" for _ in range(2 + len(ACTIVITY_COLUMNS))) + ")"
        args = [a for (village, day), counts in part for a in (village, _on(day), *counts.values())]
        await write_later(_ADD_ACTIVITY.format(rows=", ".join(row for _ in part)), *args)
    people_rows = sorted((key, n) for key, n in people.items() if n)
    for start in range(0, len(people_rows), 200):
        part_people = people_rows[start : start + 200]
        args = [a for (village, day, volunteer), n in part_people for a in (village, _on(day), volunteer, n)]
        await write_later(
            _ADD_VOLUNTEERS.format(rows=", ".join("({}, {}, {}, {})" for _ in part_people)), *args
        )
    if any(n < 0 for _, n in people_rows):
        villages = sorted({village for (village, _, _), _ in people_rows})
        await Visit.raw(
            f"DELETE FROM village_volunteer WHERE visits <= 0 AND village IN ({_places(villages)})", *villages
        )


def _minus(after: dict[Any, Any], before: dict[Any, Any]) -> dict[Any, Any]:
    """`after` less `before`, key by key (counts or plain numbers)."""
    found: dict[Any, Any] = {}
    for key in after.keys() | before.keys():
        now, then = after.get(key), before.get(key)
        if isinstance(now or then, dict):
            zero = dict.fromkeys(ACTIVITY_COLUMNS, 0)
            found[key] = {c: (now or zero)[c] - (then or zero)[c] for c in ACTIVITY_COLUMNS}
        else:
            found[key] = (now or 0) - (then or 0)
    return found


async def snapshot(
    households: dict[int, int],
    villages: list[int],
    since: Any = None,
    added: AddedVisit | None = None,
    known: Any = None,
) -> Any:
    """Before a write (`surveys.core.changes.households_changing`): the households' own rows, from their
    visits; for a write that only adds a visit leaving its household as it was, that visit's own rows,
    read from nothing. The daily counts' snapshot, taken just before, holds their villages."""
    if not households:
        return None
    if added is not None and len(households) == 1:
        return _visit_rows(next(iter(households.values())), added)
    return await _households(sorted(households))


class _VisitRows(NamedTuple):
    """The rows one visit adds (`_visit_rows`)."""

    days: DayCounts
    people: DayVolunteers


def _visit_rows(village: int, added: AddedVisit) -> _VisitRows:
    """What one visit that is not a completed survey adds, as `count_visits` would count it: a visit
    (and a "nobody home") on its local day in its household's village, and one for its volunteer. It
    changes no household's state (those count completed visits only)."""
    day = cast(date, local_date(added.at))  # a moment always has a day
    counts = dict.fromkeys(ACTIVITY_COLUMNS, 0)
    counts.update(visits=1, nobody_home=int(added.outcome == "nobody_home"))
    people = {(village, day, added.volunteer): 1} if added.volunteer is not None else {}
    return _VisitRows({(village, day): counts}, people)


async def recount_changed(household_ids: list[int], villages: list[int], before: Any = None) -> None:
    """After a write, in its transaction: with `before` (`snapshot`'s), add the households' rows now
    less then (a visit's own rows as they are); otherwise count their villages (and `villages`) again
    from their visits."""
    if isinstance(before, _VisitRows):
        await _add(before.days, before.people)
        return
    if before is not None and household_ids:
        days, people = await _households(household_ids)
        await _add(_minus(days, before[0]), _minus(people, before[1]))
        return
    if household_ids and not await Visit.exists().where(Visit.household.is_in(household_ids)):
        return  # new households (an import, one registered): nothing done yet
    found = set(villages)
    if household_ids:
        rows = await Visit.raw(
            f"SELECT DISTINCT village FROM visit WHERE household IN ({_places(household_ids)})",
            *household_ids,
        )
        found |= {int(r["village"]) for r in rows if r["village"] is not None}
    await count_villages_again(sorted(found))


on_households_changed(recount_changed, before=snapshot)


async def count_villages_again(village_ids: list[int]) -> None:
    """Inside a write transaction: replace these villages' rows with a count from their visits (new
    rules, a rebuild, a write that named no households), alone in each village while doing it."""
    for village in village_ids:
        await serialise_on(LOCK_VILLAGE_COUNTS, village)
    for start in range(0, len(village_ids), 500):
        ids = village_ids[start : start + 500]
        await Visit.raw(f"DELETE FROM village_activity WHERE village IN ({_places(ids)})", *ids)
        await Visit.raw(f"DELETE FROM village_volunteer WHERE village IN ({_places(ids)})", *ids)
        # Counted and written by the database: a province's year is ~villages × days rows.
        scope = f"v.village IN ({_places(ids)})"
        columns = ", ".join(ACTIVITY_COLUMNS)
        await Visit.raw(
            f"INSERT INTO village_activity (village, day, {columns}) {_counted_sql(scope)} {_DAYS}", *ids
        )
        await Visit.raw(
            f"INSERT INTO village_volunteer (village, day, volunteer, visits) {_counted_sql(scope)} {_VOLUNTEERS}",
            *ids,
        )


# Reading a period.


async def stored_activity(
    area: str, args: list[Any], first: date, last: date
) -> tuple[dict[int, Activity], dict[int, int]]:
    """What was done from `first` to `last` (days, both included) in the villages of `area` (a condition on
    table `village` with `{}` placeholders for `args`), per village id, from the stored rows; and per ward
    id, its volunteers, each once. Two queries over ~villages × days rows; no visit is read."""
    sums = ", ".join(f"SUM(a.{c}) AS {c}" for c in ACTIVITY_COLUMNS)
    rows = await Visit.raw(
        f"""SELECT a.village, {sums} FROM village_activity a
        WHERE a.village IN (SELECT id FROM village WHERE {area}) AND a.day >= {{}} AND a.day <= {{}}
        GROUP BY a.village""",
        *args,
        _on(first),
        _on(last),
    )
    found = {int(r["village"]): {c: int(r[c] or 0) for c in ACTIVITY_COLUMNS} for r in rows}
    people = await Visit.raw(
        f"""WITH active AS (
            SELECT p.village, p.volunteer FROM village_volunteer p
            WHERE p.village IN (SELECT id FROM village WHERE {area}) AND p.day >= {{}} AND p.day <= {{}}
        )
        SELECT village, NULL AS ward, COUNT(DISTINCT volunteer) AS volunteers FROM active GROUP BY village
        UNION ALL
        SELECT NULL, vl.ward, COUNT(DISTINCT active.volunteer) FROM active JOIN village vl ON vl.id = active.village
        GROUP BY vl.ward""",
        *args,
        _on(first),
        _on(last),
    )
    return _activities(found, people)


def _activities(
    found: dict[int, Counts], people: list[dict[str, Any]]
) -> tuple[dict[int, Activity], dict[int, int]]:
    volunteers = {int(r["village"]): int(r["volunteers"]) for r in people if r["village"] is not None}
    wards = {int(r["ward"]): int(r["volunteers"]) for r in people if r["village"] is None}
    activity = {
        village: Activity(**counts, volunteers=volunteers.get(village, 0))
        for village, counts in found.items()
    }
    for village, n in volunteers.items():
        activity.setdefault(village, replace(Activity(), volunteers=n))
    return activity, wards


async def recount(
    area: str, args: list[Any], first: date, last: date
) -> tuple[dict[int, Activity], dict[int, int]]:
    """The same as `stored_activity`, counted from every visit of the villages of `area` (the reports with
    `COUNTS_READ` off, and what the stored rows are tested against)."""
    ids = [int(r["id"]) for r in await Visit.raw(f"SELECT id FROM village WHERE {area}", *args)]
    if not ids:
        return {}, {}
    days, people = await count_visits(f"v.village IN ({_places(ids)})", ids)
    found: dict[int, Counts] = defaultdict(lambda: dict.fromkeys(ACTIVITY_COLUMNS, 0))
    for (village, day), counts in days.items():
        if first <= day <= last:
            for c in ACTIVITY_COLUMNS:
                found[village][c] += counts[c]
    ward_of = {
        int(r["id"]): int(r["ward"])
        for r in await Visit.raw(f"SELECT id, ward FROM village WHERE id IN ({_places(ids)})", *ids)
    }
    by_village: dict[int, set[int]] = defaultdict(set)
    by_ward: dict[int, set[int]] = defaultdict(set)
    for (village, day, volunteer), _ in people.items():
        if first <= day <= last:
            by_village[village].add(volunteer)
            by_ward[ward_of[village]].add(volunteer)
    rows = [{"village": v, "ward": None, "volunteers": len(s)} for v, s in by_village.items()]
    rows += [{"village": None, "ward": w, "volunteers": len(s)} for w, s in by_ward.items()]
    return _activities(dict(found), rows)
