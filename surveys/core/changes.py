"""Who is told when households change: the per-village daily counts (`surveys.reporting.village_counts`)
sit above the register and the survey that write, so they listen here instead of being imported by the
writers. Every write that changes a household's or a member's status calls `households_changed` inside
its write transaction, once; the listeners run in that same transaction.

A writer that knows its households before it writes (a visit, a register edit, a merge…) calls
`households_changing` first, in the same transaction and before any of its reads and writes, and hands
what it returns to `households_changed`. It holds the households until the transaction ends (two writers
of one household take turns, `surveys.core.db.lock_households`), so a listener's snapshot cannot go stale
before the write: the listener then applies only the difference (the daily counts: the household's own
counts before and after, instead of counting its village again). A write of work made earlier (a visit
sent later from the phone) says since when it counts (`since`), so the past days are counted too. A write
that only adds a visit which leaves its household as it was (any outcome but a completed survey) says so
(`added`): a listener that can add such a visit's difference without reading anything does. A writer that
reads its (one) household once held anyway (a visit: its members and last visit, for its answer) reads it
there (`read`), and the listeners count from what it read (`known`) instead of reading it again. A
listener names the keys its snapshot needs held (`holds`; the daily counts: the households' villages):
they are taken once the households are held, by that read when there is one (on PostgreSQL in its own
statement), and before any snapshot. A writer that adds a household names its village (`households_changing([], [village])`) and hands the new
household's id to `households_changed` with what that returned: it joins the counts from nothing, as a
difference, instead of its village being counted again."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from surveys.core.db import Beside, Hold, hold, hold_households, lock_households

Listener = Callable[[list[int], list[int], Any], Awaitable[None]]


@dataclass(frozen=True)
class AddedVisit:
    """The one change of a write that only adds a visit leaving its household as it was: made `at` by
    the user `volunteer`, with this `outcome` (not "done")."""

    at: datetime
    volunteer: int | None
    outcome: str


# A listener's snapshot: `before(households, villages, since, added, known)`, households by id with their
# village as locked, the other villages the write may move them to, the moment the change counts from
# (None: now), the visit that is the write's only change (None: any other write), and what the writer read
# of its household once held (`households_changing`'s `read`; None: nothing).
Snapshot = Callable[[dict[int, int], list[int], datetime | None, AddedVisit | None, Any], Awaitable[Any]]
# The keys a listener's snapshot needs held before it reads (`holds(households, villages, since)`, the
# same arguments): `households_changing` takes them once the households are held, with the writer's
# read when there is one, and then takes the snapshots.
Holds = Callable[[dict[int, int], list[int], datetime | None], list[Hold]]
# What a listener's snapshot reads that can go in the writer's read (`reads(households, villages,
# since)`, the same arguments; None: nothing): the snapshot finds its row in what the writer read.
Reads = Callable[[dict[int, int], list[int], datetime | None], Beside | None]
_listeners: list[tuple[Listener, Snapshot | None, Holds | None, Reads | None]] = []


def on_households_changed(
    listener: Listener, before: Snapshot | None = None, holds: Holds | None = None, reads: Reads | None = None
) -> None:
    """Register `listener(household_ids, village_ids, snapshot)`; `before(households, villages, since,
    added, known)`, if given, is what `households_changing` takes for it (the listener gets None when no
    snapshot was taken), after taking the keys `holds(households, villages, since)` names; `reads`, what
    of the snapshot's reading can go in the writer's read. Registering twice is harmless."""
    if all(known is not listener for known, _, _, _ in _listeners):
        _listeners.append((listener, before, holds, reads))


@dataclass(frozen=True)
class Before:
    """The listeners' snapshots of some households, taken before a write changed them."""

    household_ids: list[int]
    snapshots: tuple[Any, ...]
    # Each household's village as locked, before the write.
    villages: dict[int, int]
    # What the writer's `read` returned, with the households held (None: no `read`).
    known: Any = None


async def households_changing(
    household_ids: Iterable[int],
    villages: Iterable[int] = (),
    since: datetime | None = None,
    added: AddedVisit | None = None,
    read: Callable[[Beside | None], Awaitable[Any]] | None = None,
    expected: Mapping[int, int] | None = None,
) -> Before:
    """Inside a write transaction, before it reads or writes anything: hold these households until it
    ends, and take the listeners' snapshots of them; `villages`: those the write may move them to;
    `since`: when the change was made, for work made earlier and written now (None: now); `added`: the
    write's only change is this visit, which leaves the (one) household as it was; `read(beside)`: the
    writer's read of its (one) household, once held (`surveys.survey.status.household_state`, giving its
    village), returned in `Before.known` and given to the listeners, with a listener's read beside it;
    `expected`: the (one) household's village as the writer read it before its transaction."""
    ids = sorted({int(i) for i in household_ids})
    others = sorted({int(v) for v in villages})
    if read is not None and expected is not None and len(ids) == 1 and list(expected) == ids:
        # The household held and its expected village's keys taken in one statement (on PostgreSQL the
        # transaction's first, with its BEGIN), then read with what the snapshots read beside it.
        keys = _keys(dict(expected), others, since)
        await hold_households(ids, keys)
        known = await read(_beside(dict(expected), others, since))
        village = getattr(known, "village", None)
        locked = {} if village is None else {ids[0]: int(village)}
        if locked and locked != dict(expected):
            # Moved since the writer read it: its village's keys too (the expected one's are held
            # anyway until the end, harmless). Held, the household's read stands.
            await hold([k for k in _keys(locked, others, since) if k not in keys])
    else:
        locked = await lock_households(ids)
        await hold(_keys(locked, others, since))
        known = await read(None) if read is not None and len(locked) == 1 else None
    snapshots = tuple(
        [
            await before(locked, others, since, added, known) if before else None
            for _, before, _, _ in _listeners
        ]
    )
    return Before(ids, snapshots, locked, known)


def _keys(households: dict[int, int], villages: list[int], since: datetime | None) -> list[Hold]:
    """The keys the listeners' snapshots need held, each once, in their order."""
    keys: list[Hold] = []
    for _, _, holds, _ in _listeners:
        keys += [k for k in (holds(households, villages, since) if holds else []) if k not in keys]
    return keys


def _beside(households: dict[int, int], villages: list[int], since: datetime | None) -> Beside | None:
    """The one listener's read that goes in the writer's (None: none, or more than one would)."""
    found = [b for _, _, _, reads in _listeners if reads for b in [reads(households, villages, since)] if b]
    return found[0] if len(found) == 1 else None


async def households_changed(
    household_ids: Iterable[int], villages: Iterable[int] = (), before: Before | None = None
) -> None:
    """Inside a write transaction: these households (and, for a move, these villages too) changed;
    `before` is what `households_changing` returned for the same households in this transaction."""
    ids, village_ids = sorted({int(i) for i in household_ids}), sorted({int(v) for v in villages})
    # The households held before, and any added since (not there then: a listener counts them from nothing).
    usable = (
        before is not None
        and set(before.household_ids) <= set(ids)
        and len(before.snapshots) == len(_listeners)
    )
    for i, (listener, _, _, _) in enumerate(_listeners):
        await listener(ids, village_ids, before.snapshots[i] if usable and before else None)
