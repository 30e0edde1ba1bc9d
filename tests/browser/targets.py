"""The tap targets of a page as a thumb meets them: every link, button, summary and field, a box or
radio measured by the label that wraps it (what is tapped)."""

from __future__ import annotations

from typing import Any

TAP_TARGETS = """() => {
  const seen = new Set(); const found = [];
  for (const el of document.querySelectorAll('a[href], button, summary, select, input, textarea')) {
    if (el.type === 'hidden') continue;
    const target = (el.matches('input') && el.closest('label')) || el;
    if (seen.has(target)) continue; seen.add(target);
    const r = target.getBoundingClientRect();
    if (r.width === 0 || r.height === 0 || getComputedStyle(target).visibility === 'hidden') continue;
    found.push({w: Math.round(r.width), h: Math.round(r.height),
      what: (target.tagName.toLowerCase() + ' ' + (target.textContent || target.name || '').trim()).slice(0, 40)});
  }
  return found;
}"""

# WCAG 2.5.5 (target size, enhanced) and the goal for a phone used with one hand outdoors.
MIN_TARGET = 44


async def tap_targets(page: Any) -> list[dict[str, Any]]:
    """Every visible tap target of the page: width, height (CSS px) and what it is."""
    return list(await page.evaluate(TAP_TARGETS))


async def small_targets(page: Any) -> list[dict[str, Any]]:
    """The tap targets narrower or lower than 44 CSS px."""
    return [t for t in await tap_targets(page) if min(t["w"], t["h"]) < MIN_TARGET]


async def smallest_target(page: Any) -> dict[str, Any]:
    """The smallest tap target (by its shorter side), with how many are under 44 CSS px."""
    targets = await tap_targets(page)
    smallest = min(targets, key=lambda t: min(t["w"], t["h"]))
    return {**smallest, "under_44": sum(min(t["w"], t["h"]) < MIN_TARGET for t in targets)}
