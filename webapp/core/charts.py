"""Charts of the summary pages (APP-05) as plain data for an inline SVG template: no
JavaScript, no inline styles (the CSP forbids both); colours come from CSS classes.

A view turns its figures into shapes in SVG user units with these helpers; the template
only draws them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass
class Bar:
    """One rectangle, with the tooltip a pointer or a screen reader gets. `height` None:
    the chart's common bar height."""

    x: float
    y: float
    width: float
    css: str
    title: str
    height: float | None = None


def scale(largest: float, span: float) -> float:
    """User units per unit of value, so that `largest` fills `span` (an empty chart is
    drawn as if its largest value were 1, never divided by zero)."""
    return span / max(1, largest)


def nice_ceiling(largest: float) -> int:
    """The axis maximum: `largest` rounded up to 1, 2 or 5 times a power of ten
    (7 → 10, 23 → 50, 0 → 1)."""
    if largest <= 1:
        return 1
    power = 10 ** math.floor(math.log10(largest))
    for step in (1, 2, 5, 10):
        if largest <= step * power:
            return int(step * power)
    return int(10 * power)


def axis(largest: float, count: int = 4) -> tuple[int, list[int]]:
    """A value axis for `largest`: (its top, the gridline values from 0), at most about
    `count` steps of a round size (7 → 8 with 0, 2, 4, 6, 8; 23 → 30 by tens)."""
    step = nice_ceiling(largest / count)
    top = max(step, step * math.ceil(largest / step))
    return top, list(range(0, top + 1, step))
