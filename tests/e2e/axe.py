"""axe-core in the browser tests: inject the vendored copy, run it, fail on what matters.

``check_accessibility(page, context="…")`` runs axe-core (vendored by
``scripts/vendor_js.py`` into ``tests/e2e/vendor/``, used by the tests only)
on the page as it is, with the WCAG 2.0 A/AA and 2.1 AA rules, and fails
with a readable list — rule, impact, the elements' selectors, the help
page — of every *serious* or *critical* violation. Minor and moderate ones
are returned for whoever wants to look at them.

The script is added through Playwright's ``add_script_tag(content=…)``,
which the page's CSP (``script-src 'self'``) would refuse; so the caller's
browser context must be made with ``bypass_csp=True`` (the test's own
context, not the site's policy, is what changes).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

AXE_JS: Final = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
TAGS: Final = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")
BLOCKING: Final = frozenset({"serious", "critical"})


class AccessibilityViolations(AssertionError):
    """axe-core found serious or critical violations on a page."""


def _describe(violation: dict[str, Any]) -> str:
    targets = [
        " ".join(str(part) for part in node.get("target", []))
        for node in violation.get("nodes", [])
    ]
    summaries = {
        (node.get("failureSummary") or "").splitlines()[-1].strip()
        for node in violation.get("nodes", [])
        if node.get("failureSummary")
    }
    lines = [
        f"- {violation['id']} ({violation.get('impact')}): {violation.get('help')}",
        f"  {violation.get('helpUrl')}",
        *(f"  at {target}" for target in targets[:8]),
    ]
    if len(targets) > 8:
        lines.append(f"  … and {len(targets) - 8} more")
    lines.extend(f"  why: {summary}" for summary in sorted(summaries)[:3])
    return "\n".join(lines)


def run_axe(page: Any) -> list[dict[str, Any]]:
    """axe-core's violations on ``page`` (every impact), for the WCAG 2.x A/AA tags."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=AXE_JS.read_text(encoding="utf-8"))
    result = page.evaluate(
        """async (tags) => {
            const r = await window.axe.run(document, {
                runOnly: {type: "tag", values: tags},
                resultTypes: ["violations"],
            });
            return r.violations;
        }""",
        list(TAGS),
    )
    return list(result)


def check_accessibility(page: Any, *, context: str = "") -> list[dict[str, Any]]:
    """Fail with a readable list when axe-core finds serious or critical violations.

    :param context: what is being checked ("card at 360 px"), put in the failure.
    :returns: the remaining (minor and moderate) violations.
    """
    violations = run_axe(page)
    blocking = [v for v in violations if v.get("impact") in BLOCKING]
    if blocking:
        where = f"{context} ({page.url})" if context else page.url
        report = "\n".join(_describe(v) for v in blocking)
        raise AccessibilityViolations(
            f"axe-core: {len(blocking)} serious/critical violation(s) on {where}:\n{report}"
        )
    return [v for v in violations if v.get("impact") not in BLOCKING]
