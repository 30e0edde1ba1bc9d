"""Small line charts drawn on the server as SVG coordinates (no chart library, no script)."""

from __future__ import annotations

from dataclasses import dataclass

WIDTH, HEIGHT, PAD = 300, 120, 24


@dataclass(frozen=True)
class Chart:
    """A percentage line over weeks, ready for `_chart.html`: points, labels, the target line."""

    points: str
    dots: list[tuple[float, float, float]]
    target_y: float | None
    first_label: str
    last_label: str
    last_value: float
    width: int = WIDTH
    height: int = HEIGHT
    pad: int = PAD

    @property
    def baseline(self) -> float:
        """The y of 0%."""
        return HEIGHT - PAD

    @property
    def top(self) -> float:
        """The y of 100%."""
        return float(PAD / 2)


def _y(percent: float) -> float:
    return round(HEIGHT - PAD - (HEIGHT - 1.5 * PAD) * max(0.0, min(100.0, percent)) / 100, 1)


def percent_chart(values: list[float], labels: list[str], target: int | None) -> Chart:
    """A chart of `values` (percent, oldest first) labelled by week, with an optional target line."""
    step = (WIDTH - 2 * PAD) / max(1, len(values) - 1)
    dots = [(round(PAD + i * step, 1), _y(v), v) for i, v in enumerate(values)]
    return Chart(
        points=" ".join(f"{x},{y}" for x, y, _ in dots),
        dots=dots,
        target_y=_y(target) if target is not None else None,
        first_label=labels[0] if labels else "",
        last_label=labels[-1] if labels else "",
        last_value=values[-1] if values else 0.0,
    )
