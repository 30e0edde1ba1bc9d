"""What a household's answers mean: the household as pages and the API show it, with each member's
criteria and the household's derived status (never stored as truth: computed from the answers)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import cache
from typing import Any, Protocol

from piccolo.engine.postgres import PostgresEngine

from surveys import schemas
from surveys.core.clock import this_year
from surveys.core.db import BESIDE, Beside, beside_row, current_engine, fetch, short_statements
from surveys.core.i18n import N_, format_date, gettext
from surveys.core.rows import Row
from surveys.core.settings import get_settings
from surveys.register.consent import consent_current
from surveys.survey.criteria import (
    CoverageRules,
    HouseholdStatus,
    has_vneid,
    household_status,
    is_digital_core,
    needs_identity,
    skills_met,
)
from surveys.tables import Member


class StatusLike(Protocol):
    """A household's derived status, counted in Python (`HouseholdStatus`) or in SQL (`CoverageRow`)."""

    @property
    def visited(self) -> bool: ...
    @property
    def digital_family(self) -> bool: ...
    @property
    def identity_complete(self) -> bool: ...
    @property
    def covered(self) -> bool: ...
    @property
    def reasons(self) -> Sequence[str]: ...
    @property
    def members_without_vneid(self) -> int: ...
    @property
    def members_without_bank(self) -> int: ...


def household_rules(row: dict[str, Any]) -> CoverageRules:
    """The coverage rules of the ward of a row read by `household_by_token`."""
    return CoverageRules.of_ward(row, "rule_")


# The household's own columns its counts read (`HouseholdState.household`).
STATE_COLUMNS = ("archived", "informed_at", "priority_poor", "priority_elderly_alone")
# A household's columns that count, its last visit, whether one was ever completed, and its present
# members, the head first, then by birth year: one statement (a row with no member's columns when it has
# none, none when the household is gone). The last visit and the one completed are each one look-up in the
# index on visit (household, at, id), whatever the history.
_LAST_VISIT = "FROM visit WHERE household = h.id ORDER BY at DESC, id DESC LIMIT 1"


@cache
def _state_sql(beside: tuple[str, ...] = ()) -> str:
    """That statement, with the household's village; `beside`: the columns of a read joined to it
    (`phocap_beside`, `surveys.core.db.Beside`), named `BESIDE` + column."""
    joined = "".join(f', b.{c} AS "{BESIDE}{c}"' for c in beside)
    return f"""SELECT {", ".join(f"h.{c} AS household_{c}" for c in STATE_COLUMNS)}, h.village AS household_village,
    (SELECT outcome {_LAST_VISIT}) AS last_outcome, (SELECT at {_LAST_VISIT}) AS last_at,
    EXISTS (SELECT 1 FROM visit WHERE household = h.id AND outcome = 'done') AS ever_done,
    {", ".join(f"m.{c._meta.db_column_name} AS {c._meta.name}" for c in Member._meta.columns)}{joined}
    FROM household h {"LEFT JOIN phocap_beside b ON TRUE " if beside else ""}LEFT JOIN member m ON m.household = h.id AND m.removed = FALSE
    WHERE h.id = {{}}
    ORDER BY m.is_head DESC, m.birth_year"""  # noqa: S608


@dataclass(frozen=True)
class HouseholdState:
    """What a household's derived status and counts are computed from: its own columns that count
    (`STATE_COLUMNS`), its present members (the head first, then by birth year), its latest visit (None
    when never visited) and whether a visit was ever completed."""

    household: Row
    members: list[Row]
    last_outcome: str | None
    last_at: datetime | None
    ever_done: bool
    # Its village, and the row of the read that went with it (`household_state`'s `beside`: None when
    # there was none, or it found nothing) with what it was read for (`Beside.key`).
    village: int | None = None
    beside: Row | None = None
    beside_key: Any = None
    # What `with_visit` and `status` gave, by their arguments: a visit asks each twice, for its counts
    # and for its answer.
    _worked_out: dict[Any, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    def with_visit(self, outcome: str, at: datetime) -> HouseholdState:
        """The state once a visit made `at` with `outcome` is recorded, its members as they are: the
        latest visit unless one was made after it (recorded last, it wins a tie of time)."""
        key = ("with_visit", outcome, at)
        after: HouseholdState | None = self._worked_out.get(key)
        if after is None:
            at = at.astimezone(UTC)
            latest = self.last_at is None or at >= self.last_at
            after = self._worked_out[key] = replace(
                self,
                last_outcome=outcome if latest else self.last_outcome,
                last_at=at if latest else self.last_at,
                ever_done=self.ever_done or outcome == "done",
            )
        return after

    def status(self, year: int, rules: CoverageRules) -> HouseholdStatus:
        """The household's derived status in `year` under `rules` (`household_status`)."""
        key = ("status", year, rules)
        status: HouseholdStatus | None = self._worked_out.get(key)
        if status is None:
            status = self._worked_out[key] = household_status(
                self.members, self.last_outcome, self.ever_done, year, rules
            )
        return status


async def household_state(household_id: int, beside: Beside | None = None) -> HouseholdState | None:
    """The household's state as it is now (None: no such household): one statement. `beside`: a read of
    one row that goes in the same statement on PostgreSQL (`surveys.core.changes.households_changing`),
    its row in `HouseholdState.beside`."""
    # Every visit reads this, and the household page: written once, not built by Piccolo each time
    # (issues 16 and 27), nor every visit of the household read to find the last.
    with short_statements():
        if beside is not None and isinstance(current_engine(), PostgresEngine):
            found = await fetch(
                f"WITH phocap_beside AS MATERIALIZED ({beside.sql}) {_state_sql(beside.columns)}",
                *beside.args,
                household_id,
            )
        else:
            found = await fetch(_state_sql(), household_id)
    if not found:
        return None
    first = found[0]
    read = beside_row(first) if beside is not None else None
    return HouseholdState(
        household=Row({c: first[f"household_{c}"] for c in STATE_COLUMNS}),
        members=[Row(m) for m in found if m["id"] is not None],
        last_outcome=first["last_outcome"],
        last_at=_moment(first["last_at"]),
        ever_done=bool(first["ever_done"]),
        village=int(first["household_village"]),
        beside=None if read is None else Row(read),
        beside_key=None if beside is None else beside.key,
    )


def member_out(m: Row, year: int, rules: CoverageRules) -> schemas.Member:
    """A member row with what its answers mean."""
    return schemas.Member(
        id=m.id,
        full_name=m.full_name,
        birth_year=m.birth_year,
        age=year - m.birth_year,
        sex=m.sex,
        is_head=m.is_head,
        needs_identity=needs_identity(m, year, rules),
        vneid=m.vneid,
        bank_account=m.bank_account,
        smartphone=m.smartphone,
        skills=skills_met(m),
        skills_confirmed=m.skills_confirmed,
        digital_core=is_digital_core(m, rules),
        has_vneid=has_vneid(m, rules),
        answer_source=m.answer_source,
        uses_ai=m.uses_ai,
    )


async def household_detail(row: Row) -> schemas.Household:
    """The full household (`row`, as `household_by_token` reads it): members, last visit and derived
    status."""
    state = await household_state(row.id)
    if state is None:
        # Gone since `row` was read (erased): as it was, without members or visits.
        state = HouseholdState(Row({c: row[c] for c in STATE_COLUMNS}), [], None, None, False)
    return detail_of(row, state)


def detail_of(row: Row, state: HouseholdState) -> schemas.Household:
    """The full household from its row (`household_by_token`'s) and its state (`household_state`)."""
    year = this_year()
    rules = household_rules(row)
    members = state.members
    status = state.status(year, rules)
    row = Row({**row, **state.household})
    return schemas.Household(
        token=row.token,
        code=row.code,
        village_id=row.village,
        village_name=row.village_name,
        ward_code=row.ward_code,
        ward_name=row.ward_name,
        address=row.address,
        head_name=row.head_name,
        version=row.version,
        informed=row.informed_at is not None,
        consent=consent_current(row.consent_at, row.consent_notice),
        consent_at=row.consent_at,
        consent_notice=row.consent_notice,
        priority_elderly_alone=row.priority_elderly_alone,
        priority_poor=row.priority_poor,
        priority_other=row.priority_other,
        notes=row.notes,
        last_visit_at=state.last_at,
        last_outcome=state.last_outcome,
        status=status_out(status),
        members=[member_out(m, year, rules) for m in members],
    )


def _moment(value: Any) -> datetime | None:
    """A timestamp read from an expression: SQLite gives its stored ISO text."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def status_out(status: StatusLike) -> schemas.Status:
    """A household's derived status, counted in Python or in SQL, as the API and pages show it."""
    return schemas.Status(
        visited=status.visited,
        digital_family=status.digital_family,
        identity_complete=status.identity_complete,
        covered=status.covered,
        reasons=list(status.reasons),
        members_without_vneid=status.members_without_vneid,
        members_without_bank=status.members_without_bank,
    )


# What the household page says of its visits, by the latest visit's outcome when none was completed yet.
VISITED = N_("Visited")
NOT_VISITED = N_("Not visited yet")
ATTEMPTS = {
    "nobody_home": N_("Nobody home (%(date)s)"),
    "declined": N_("Declined (%(date)s)"),
    "come_back": N_("Asked to come back later (%(date)s)"),
}


def visit_fact(h: schemas.Household) -> str:
    """The household's visit fact in the current language: "Visited" once a visit was completed; before
    that, what the latest attempt found, with its day ("Nobody home (06/12/2026)", "Declined (…)",
    "Asked to come back later (…)"); "Not visited yet" only when nobody went."""
    if h.status.visited:
        return gettext(VISITED)
    if h.last_outcome in ATTEMPTS and h.last_visit_at is not None:
        day = format_date(h.last_visit_at, get_settings().timezone)
        return gettext(ATTEMPTS[h.last_outcome]) % {"date": day}
    return gettext(NOT_VISITED)
