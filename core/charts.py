"""Server-side SVG charts: pure Python, no Django.

A bar chart of availability against the target, with the colour names the
annual review packet's trend charts share. (The service report itself draws
its 12-period chart with ``availability.charts.availability_chart``, the same
code as the availability page.) Text is escaped; sizes are in user units
scaled by the viewBox, so the chart fits any width it is given.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from xml.sax.saxutils import escape, quoteattr

__all__ = ["Bar", "availability_chart"]

OK = "#1b7f3b"
BAD = "#b3261e"
NONE = "#cbd5e1"
INK = "#111827"
MUTED = "#6b7280"
GRID = "#e5e7eb"
TARGET = "#0f2740"
FONT = "DejaVu Sans, Helvetica, Arial, sans-serif"


@dataclass(frozen=True)
class Bar:
    label: str  # axis label ("Oct 26")
    value: Decimal | None  # percent; None: no figure for that period
    highlight: bool = False  # the period the report is about


_STEPS = [Decimal(x) for x in ("0.01", "0.02", "0.05", "0.1", "0.2", "0.25", "0.5", "1", "2", "5", "10", "20", "25")]


def _step(span: Decimal, most: int) -> Decimal:
    return next((s for s in _STEPS if span / s <= most), _STEPS[-1])


def _floor_axis(lowest: Decimal) -> Decimal:
    """A round lower bound a little below ``lowest``, so that the bars'
    differences near 100 % stay visible (the chart says where the axis starts)."""
    span = max(Decimal(100) - lowest, Decimal("0.04"))
    raw = lowest - span * Decimal("0.3")
    step = _step(span * Decimal("1.3"), 8)
    floor = (raw / step).to_integral_value(rounding="ROUND_FLOOR") * step
    return max(floor, Decimal(0))


def _ticks(low: Decimal) -> list[Decimal]:
    step = _step(Decimal(100) - low, 6)
    ticks, t = [], Decimal(100)
    while t >= low:
        ticks.append(t)
        t -= step
    return ticks


def _fmt(value: Decimal) -> str:
    text = f"{value.normalize():f}"
    return text


def availability_chart(
    bars: Sequence[Bar],
    *,
    target: Decimal,
    title: str = "Availability per period",
    width: int = 640,
    height: int = 240,
) -> str:
    """A bar chart of availability against the target: green at or above it,
    red below, grey outline where there is no figure. Returns an <svg> element."""
    values = [b.value for b in bars if b.value is not None]
    low = _floor_axis(min([*values, target]))
    left, right, top, bottom = 46, 12, 22, 40
    plot_w, plot_h = width - left - right, height - top - bottom

    def y(v: Decimal) -> float:
        return top + float((Decimal(100) - v) / (Decimal(100) - low)) * plot_h if low < 100 else top

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
        f'role="img" aria-label={quoteattr(title)} font-family={quoteattr(FONT)} class="chart">',
        f"<title>{escape(title)}</title>",
    ]
    for tick in _ticks(low):
        ty = y(tick)
        out.append(
            f'<line x1="{left}" y1="{ty:.1f}" x2="{width - right}" y2="{ty:.1f}" stroke="{GRID}" stroke-width="1"/>'
        )
        out.append(
            f'<text x="{left - 6}" y="{ty + 3.5:.1f}" font-size="10" fill="{MUTED}" text-anchor="end">{_fmt(tick)} %</text>'
        )
    n = max(len(bars), 1)
    slot = plot_w / n
    bar_w = min(slot * 0.74, 48)
    for i, bar in enumerate(bars):
        cx = left + slot * i + slot / 2
        label_weight = ' font-weight="bold"' if bar.highlight else ""
        out.append(
            f'<text x="{cx:.1f}" y="{height - bottom + 15}" font-size="10" fill="{INK}" '
            f'text-anchor="middle"{label_weight}>{escape(bar.label)}</text>'
        )
        if bar.value is None:
            out.append(
                f'<rect x="{cx - bar_w / 2:.1f}" y="{top + plot_h - 14:.1f}" width="{bar_w:.1f}" height="14" '
                f'fill="none" stroke="{NONE}" stroke-dasharray="3 2"/>'
            )
            out.append(
                f'<text x="{cx:.1f}" y="{top + plot_h - 18:.1f}" font-size="8" fill="{MUTED}" text-anchor="middle">n/a</text>'
            )
            continue
        colour = OK if bar.value >= target else BAD
        by = y(max(bar.value, low))
        h = max(top + plot_h - by, 1.5)
        stroke = f' stroke="{INK}" stroke-width="1.5"' if bar.highlight else ""
        out.append(
            f'<rect x="{cx - bar_w / 2:.1f}" y="{top + plot_h - h:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
            f'fill="{colour}"{stroke}/>'
        )
        inside = h >= 18  # on a tall bar the figure sits inside its top, clear of the target line
        ty_label = top + plot_h - h + 11 if inside else top + plot_h - h - 4
        out.append(
            f'<text x="{cx:.1f}" y="{ty_label:.1f}" font-size="8.5" fill="{"#ffffff" if inside else INK}" '
            f'text-anchor="middle"{label_weight}>{escape(str(bar.value))}</text>'
        )
    ty = y(target)
    out.append(
        f'<line x1="{left}" y1="{ty:.1f}" x2="{width - right}" y2="{ty:.1f}" stroke="{TARGET}" '
        f'stroke-width="1.5" stroke-dasharray="6 3"/>'
    )
    out.append(
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}" stroke="{MUTED}" stroke-width="1"/>'
    )
    legend_y = height - 8
    out.append(f'<rect x="{left}" y="{legend_y - 8}" width="9" height="9" fill="{OK}"/>')
    out.append(f'<text x="{left + 13}" y="{legend_y}" font-size="9" fill="{INK}">target met</text>')
    out.append(f'<rect x="{left + 80}" y="{legend_y - 8}" width="9" height="9" fill="{BAD}"/>')
    out.append(f'<text x="{left + 93}" y="{legend_y}" font-size="9" fill="{INK}">below target</text>')
    out.append(
        f'<rect x="{left + 172}" y="{legend_y - 8}" width="9" height="9" fill="none" stroke="{NONE}" stroke-dasharray="3 2"/>'
    )
    out.append(f'<text x="{left + 185}" y="{legend_y}" font-size="9" fill="{INK}">no report</text>')
    out.append(
        f'<line x1="{left + 250}" y1="{legend_y - 3.5}" x2="{left + 272}" y2="{legend_y - 3.5}" stroke="{TARGET}" '
        f'stroke-width="1.5" stroke-dasharray="6 3"/>'
    )
    out.append(
        f'<text x="{left + 277}" y="{legend_y}" font-size="9" fill="{TARGET}" font-weight="bold">'
        f"target {_fmt(target)} %</text>"
    )
    if low > 0:
        out.append(
            f'<text x="{width - right}" y="{legend_y}" font-size="8" fill="{MUTED}" text-anchor="end">'
            f"axis starts at {_fmt(low)} %</text>"
        )
    out.append("</svg>")
    return "".join(out)
