"""Accessibility checks of the page open in a `Chromium`: an axe-core audit and kiosk measurements.

`audit` runs the axe-core rules (``tests/browser/node_modules/axe-core``, pinned in
``tests/browser/package.json`` and installed by ``scripts/setup-browser.sh``) for the WCAG 2.2 A
and AA tags. The other helpers measure what the kiosk asks beyond WCAG AA, in the page itself:
text contrast against a stricter minimum (AAA is 7:1), the size of touch targets, and font sizes.

Each helper returns plain data, to assert on with a readable message::

    violations = audit(browser)
    assert not violations, describe(violations)
    assert not text_contrast_problems(browser), text_contrast_problems(browser)
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tests.browser.chromium import Chromium

AXE_SCRIPT = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"

WCAG_22_AA = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa")

# Shared page-side helpers: what counts as visible, and a short name for an element.
_PRELUDE_JS = """
const visible = (el) => {
  if (typeof el.checkVisibility === "function") {
    if (!el.checkVisibility({visibilityProperty: true})) return false;
  } else if (getComputedStyle(el).visibility === "hidden") {
    return false;
  }
  const box = el.getBoundingClientRect();
  return box.width > 0 && box.height > 0;
};
const label = (el) => {
  let name = el.tagName.toLowerCase();
  if (el.id) name += "#" + el.id;
  if (typeof el.className === "string" && el.className.trim()) {
    name += "." + el.className.trim().split(/\\s+/).join(".");
  }
  const text = (el.innerText || el.value || el.getAttribute("aria-label") || "").trim().replace(/\\s+/g, " ");
  return text ? name + " " + JSON.stringify(text.length > 40 ? text.slice(0, 39) + "…" : text) : name;
};
"""

_CONTRAST_JS = """
((selector, minimum) => {
  /* prelude */
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = 1;
  const pen = canvas.getContext("2d", {willReadFrequently: true});
  // Any CSS colour as [r, g, b, a] in sRGB (0-255, alpha 0-1).
  const rgba = (colour) => {
    const match = colour.match(/^rgba?\\(([\\d.]+),\\s*([\\d.]+),\\s*([\\d.]+)(?:,\\s*([\\d.]+))?\\)$/);
    if (match) return [+match[1], +match[2], +match[3], match[4] === undefined ? 1 : +match[4]];
    pen.clearRect(0, 0, 1, 1);
    pen.fillStyle = colour;
    pen.fillRect(0, 0, 1, 1);
    const [r, g, b, a] = pen.getImageData(0, 0, 1, 1).data;
    return [r, g, b, a / 255];
  };
  const over = (top, below) => {
    const a = top[3];
    return [0, 1, 2].map((i) => top[i] * a + below[i] * (1 - a)).concat([1]);
  };
  // The colour behind an element: its own and its ancestors' backgrounds, laid over white.
  const background = (el) => {
    const layers = [];
    for (let node = el; node; node = node.parentElement) {
      const colour = rgba(getComputedStyle(node).backgroundColor);
      if (colour[3] > 0) layers.push(colour);
      if (colour[3] >= 1) break;
    }
    return layers.reverse().reduce((below, top) => over(top, below), [255, 255, 255, 1]);
  };
  const luminance = ([r, g, b]) => {
    const linear = (c) => (c /= 255) <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
  };
  const problems = [];
  for (const el of document.querySelectorAll(selector)) {
    const ownText = [...el.childNodes].some((n) => n.nodeType === Node.TEXT_NODE && n.data.trim());
    if (!ownText || !visible(el)) continue;
    const behind = background(el);
    const text = over(rgba(getComputedStyle(el).color), behind);
    const [light, dark] = [luminance(text), luminance(behind)].sort((x, y) => y - x);
    const ratio = (light + 0.05) / (dark + 0.05);
    if (ratio < minimum) {
      const show = (c) => "rgb(" + c.slice(0, 3).map(Math.round).join(", ") + ")";
      problems.push(label(el) + ": contrast " + ratio.toFixed(2) + ":1 (" + show(text) + " on " +
        show(behind) + "), below " + minimum + ":1");
    }
  }
  return problems;
})
"""

_SMALL_TARGETS_JS = """
((selector, minimum) => {
  /* prelude */
  const small = [];
  for (const el of document.querySelectorAll(selector)) {
    if (!visible(el)) continue;
    const box = el.getBoundingClientRect();
    if (box.width < minimum || box.height < minimum) {
      small.push(label(el) + ": " + Math.round(box.width * 10) / 10 + "x" +
        Math.round(box.height * 10) / 10 + " px, below " + minimum + " px");
    }
  }
  return small;
})
"""

_FONT_SIZES_JS = """
((selector) => {
  /* prelude */
  return [...document.querySelectorAll(selector)].filter(visible)
    .map((el) => parseFloat(getComputedStyle(el).fontSize));
})
"""

_AXE_RUN_JS = """
((context, tags) => axe.run(context, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]})
  .then((results) => results.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    helpUrl: v.helpUrl,
    tags: v.tags,
    nodes: v.nodes.map((n) => ({target: n.target, html: n.html, failureSummary: n.failureSummary})),
  }))))
"""


def _call(browser: Chromium, function: str, *arguments: Any) -> Any:
    """Call a page-side JavaScript function with JSON arguments and return its value."""
    source = function.replace("/* prelude */", _PRELUDE_JS)
    return browser.evaluate(f"{source}({', '.join(json.dumps(argument) for argument in arguments)})")


def audit(
    browser: Chromium,
    tags: Sequence[str] = WCAG_22_AA,
    context: str = "document",
) -> list[dict[str, Any]]:
    """Run the axe-core rules with the given tags on the page open in the browser.

    axe-core is injected once per page (again after each navigation).

    Args:
        browser: The browser, with the page to check open.
        tags: axe-core rule tags; by default every WCAG 2.0, 2.1 and 2.2 level A and AA rule.
        context: ``"document"`` for the whole page, or a CSS selector of the part to check.

    Returns:
        axe's violations: dicts with ``id``, ``impact``, ``help``, ``helpUrl``, ``tags`` and
        ``nodes`` (each with ``target``, the selectors of a failing element, ``html`` and
        ``failureSummary``). Empty when the page passes.

    Raises:
        FileNotFoundError: axe-core is not installed (run ``bash scripts/setup-browser.sh``).
    """
    if not browser.evaluate("typeof window.axe === 'object' && typeof window.axe.run === 'function'"):
        if not AXE_SCRIPT.is_file():
            raise FileNotFoundError(f"{AXE_SCRIPT} is missing: run `bash scripts/setup-browser.sh`")
        browser.evaluate(AXE_SCRIPT.read_text(encoding="utf-8") + "\n;undefined")
    target = "document" if context == "document" else json.dumps(context)
    expression = f"{_AXE_RUN_JS}({target}, {json.dumps(list(tags))})"
    violations: list[dict[str, Any]] = browser.evaluate(expression, await_promise=True, timeout=60)
    return violations


def describe(violations: Sequence[dict[str, Any]]) -> str:
    """A readable list of axe violations, for an assertion message.

    Args:
        violations: What `audit` returned.

    Returns:
        One paragraph per violation: rule, impact, help and each failing element.
    """
    if not violations:
        return "no accessibility violations"
    lines = [f"{len(violations)} accessibility violation(s):"]
    for violation in violations:
        lines.append(
            f"- {violation['id']} ({violation.get('impact') or 'unknown impact'}): {violation['help']}"
            f" <{violation.get('helpUrl', '')}>"
        )
        for node in violation.get("nodes", []):
            target = " ".join(json.dumps(part, ensure_ascii=False) for part in node.get("target", []))
            lines.append(f"    at {target}: {node.get('html', '')}")
            summary = (node.get("failureSummary") or "").strip().replace("\n", "\n      ")
            if summary:
                lines.append(f"      {summary}")
    return "\n".join(lines)


def text_contrast_problems(browser: Chromium, minimum: float = 7.0, selector: str = "body *") -> list[str]:
    """Visible elements whose own text has less contrast than the minimum against its background.

    Contrast is the WCAG ratio of relative luminances. The background is the element's own
    background colour, or its nearest ancestor's when transparent, with translucent layers laid
    over one another and over white. Background images and gradients are not seen.

    Args:
        browser: The browser, with the page to check open.
        minimum: The least acceptable ratio (7.0 is WCAG AAA for normal text, 4.5 AA).
        selector: Which elements to check; only those with direct, non-blank text count.

    Returns:
        One line per element below the minimum, naming it, its text, the ratio and the colours.
    """
    problems: list[str] = _call(browser, _CONTRAST_JS, selector, minimum)
    return problems


def small_targets(
    browser: Chromium,
    minimum_px: float = 44,
    selector: str = "button, a, input, select, [role=button]",
) -> list[str]:
    """Visible interactive elements narrower or shorter than the minimum (CSS pixels).

    Args:
        browser: The browser, with the page to check open.
        minimum_px: The least acceptable width and height (44 px is WCAG AAA target size).
        selector: Which elements are targets.

    Returns:
        One line per too-small element, naming it and its size.
    """
    small: list[str] = _call(browser, _SMALL_TARGETS_JS, selector, minimum_px)
    return small


def font_sizes(browser: Chromium, selector: str) -> list[float]:
    """The computed font size, in CSS pixels, of each visible element matching the selector.

    Args:
        browser: The browser, with the page to check open.
        selector: Which elements to measure.

    Returns:
        The sizes in document order.
    """
    sizes: list[float] = _call(browser, _FONT_SIZES_JS, selector)
    return [float(size) for size in sizes]
