"""What the benchmarks print from their rounds (they run on demand, not here: their arithmetic does)."""

from __future__ import annotations

from tests.benchmarks.visit_cpu import summary


def test_visit_cpu_gives_the_ratio_of_the_rounds_means_and_the_ratios_range() -> None:
    rounds = [
        {"skeleton_cpu_ms": 0.40, "phocap_cpu_ms": 1.10, "ratio": 2.75, "pair_ratio_range": [2.5, 3.1],
         "skeleton_visits_per_s": 2000, "phocap_visits_per_s": 700},
        {"skeleton_cpu_ms": 0.50, "phocap_cpu_ms": 1.60, "ratio": 3.2, "pair_ratio_range": [2.9, 3.4],
         "skeleton_visits_per_s": 1800, "phocap_visits_per_s": 600},
    ]  # fmt: skip
    got = summary(rounds)
    assert got["rounds"] == 2
    assert got["skeleton_cpu_ms_mean"] == 0.45 and got["phocap_cpu_ms_mean"] == 1.35
    # 1.35 / 0.45, not the mean of 2.75 and 3.2
    assert got["ratio_of_means"] == 3.0
    assert got["ratio_range"] == [2.75, 3.2]
    # The database's CPU only when every round measured it (PostgreSQL on this machine).
    assert "phocap_database_cpu_ms_mean" not in got
    for r, database in zip(rounds, (0.8, 1.0), strict=True):
        r["phocap_database_cpu_ms"] = database
    assert summary(rounds)["phocap_database_cpu_ms_mean"] == 0.9
