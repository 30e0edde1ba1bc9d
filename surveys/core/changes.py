"""Who is told when households change: the per-village daily counts (`surveys.reporting.village_counts`)
sit above the register and the survey that write, so they listen here instead of being imported by the
writers. Every write that changes a household's or a member's status calls `households_changed` inside
its write transaction, once; the listeners run in that same transaction."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable

Listener = Callable[[list[int], list[int]], Awaitable[None]]
_listeners: list[Listener] = []


def on_households_changed(listener: Listener) -> Listener:
    """Register `listener(household_ids, village_ids)`; registering twice is harmless."""
    if listener not in _listeners:
        _listeners.append(listener)
    return listener


async def households_changed(household_ids: Iterable[int], villages: Iterable[int] = ()) -> None:
    """Inside a write transaction: these households (and, for a move, these villages too) changed."""
    ids, village_ids = sorted({int(i) for i in household_ids}), sorted({int(v) for v in villages})
    for listener in _listeners:
        await listener(ids, village_ids)
