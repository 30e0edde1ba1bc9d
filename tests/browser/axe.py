"""axe-core in the page under test: the accessibility rules (WCAG 2.x A and AA and axe's best
practices) a volunteer's page must pass. The engine is vendored under `vendor/axe-core/` (a test tool,
never served) and injected with Playwright, so the page's context must bypass its CSP."""

from __future__ import annotations

from pathlib import Path
from typing import Any

AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"

RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => n.target.join(' ') + ': ' + n.failureSummary.split('\\n').slice(1).join(' ')),
  }));
}"""


# htmx marks a request in flight and, for 20 ms after a swap, copies the old elements' classes onto
# the new ones (settling): a form that was sending keeps its dimmed buttons until then. axe measures
# the page a volunteer reads, once htmx is done with it.
QUIET = "!document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')"


async def violations(page: Any) -> list[dict[str, Any]]:
    """What axe-core finds wrong on the page as it is now (after any taps that changed it, once
    htmx has finished swapping them in)."""
    await page.wait_for_function(QUIET, timeout=10_000)
    if not await page.evaluate("typeof window.axe !== 'undefined'"):
        await page.add_script_tag(path=str(AXE))
    return list(await page.evaluate(RUN))


async def assert_accessible(page: Any) -> None:
    """Fail with each rule broken and where, when axe-core finds any violation on the page."""
    found = await violations(page)
    report = "\n".join(f"{v['id']} ({v['impact']}): {v['help']}\n  " + "\n  ".join(v["nodes"]) for v in found)
    assert not found, f"{page.url}\n{report}"
