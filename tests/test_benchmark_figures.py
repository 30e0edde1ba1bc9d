"""What the benchmarks print from their rounds (they run on demand, not here: their arithmetic does)."""

from __future__ import annotations

from tests.benchmarks.visit_cpu import summary


def test_visit_cpu_gives_the_ratio_of_the_rounds_means_and_each_ratios_range() -> None:
    rounds = [
        {"skeleton_cpu_ms": 0.40, "first_cpu_ms": 1.20, "first_ratio": 3.0, "first_visits_per_s": 500,
         "repeat_cpu_ms": 1.10, "repeat_ratio": 2.75, "repeat_visits_per_s": 600},
        {"skeleton_cpu_ms": 0.50, "first_cpu_ms": 1.30, "first_ratio": 2.6, "first_visits_per_s": 520,
         "repeat_cpu_ms": 1.60, "repeat_ratio": 3.2, "repeat_visits_per_s": 590},
    ]  # fmt: skip
    got = summary(rounds)
    assert got["rounds"] == 2
    assert got["skeleton_cpu_ms_mean"] == 0.45 and got["repeat_cpu_ms_mean"] == 1.35
    # 1.35 / 0.45, not the mean of 2.75 and 3.2
    assert got["repeat_ratio_of_means"] == 3.0
    assert got["first_ratio_of_means"] == 2.78
    assert got["repeat_ratio_range"] == [2.75, 3.2] and got["first_ratio_range"] == [2.6, 3.0]
