"""The cores this process may use: pools of threads or processes are sized by it, never by the host's
count (a container or `taskset` may give a process 2 cores of a 64-core host)."""

from __future__ import annotations

import os


def usable_cores() -> int:
    """The cores this process may run on: its CPU affinity where the system says (Linux), else the
    machine's count (`os.process_cpu_count` of Python 3.13 says the same)."""
    counted = getattr(os, "process_cpu_count", None)
    if counted is not None:
        return max(1, counted() or 1)
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)
