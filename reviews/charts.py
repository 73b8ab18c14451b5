"""Trend charts for the annual review packet: pure Python, no Django.

Availability uses the report's own chart (``core.charts.availability_chart``)
so the packet and the monthly reports draw it the same way. The other metrics
(share of incidents within target, satisfaction score) use ``trend_chart``:
one bar per period on a fixed scale, green where the period met its target,
red where it missed, navy where there is no target, a dashed outline where
there is no figure. Same palette and font as the report chart; inline SVG,
which WeasyPrint and browsers both render.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from xml.sax.saxutils import escape, quoteattr

from core.charts import BAD, FONT, GRID, INK, MUTED, NONE, OK, TARGET

__all__ = ["Point", "trend_chart"]

NEUTRAL = "#334e68"


@dataclass(frozen=True)
class Point:
    label: str  # axis label ("Oct 26")
    value: Decimal | None  # None: no figure for that period
    met: bool | None = None  # None: no target to meet (or nothing decided)


def _fmt(value: Decimal, places: int) -> str:
    return f"{value:.{places}f}"


def trend_chart(
    points: Sequence[Point],
    *,
    title: str,
    low: Decimal,
    high: Decimal,
    step: Decimal,
    unit: str = "",
    places: int = 0,
    target: Decimal | None = None,
    target_label: str = "",
    missing_label: str = "n/a",
    width: int = 640,
    height: int = 200,
) -> str:
    """Bars from ``low`` up to each value on a fixed ``low``..``high`` axis."""
    left, right, top, bottom = 46, 12, 22, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    span = high - low or Decimal(1)

    def y(v: Decimal) -> float:
        v = min(max(v, low), high)
        return top + float((high - v) / span) * plot_h

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
        f'role="img" aria-label={quoteattr(title)} font-family={quoteattr(FONT)} class="chart">',
        f"<title>{escape(title)}</title>",
    ]
    tick = high
    while tick >= low:
        ty = y(tick)
        out.append(
            f'<line x1="{left}" y1="{ty:.1f}" x2="{width - right}" y2="{ty:.1f}" stroke="{GRID}" stroke-width="1"/>'
        )
        out.append(
            f'<text x="{left - 6}" y="{ty + 3.5:.1f}" font-size="10" fill="{MUTED}" text-anchor="end">'
            f"{escape(_fmt(tick, 0 if step >= 1 else 1))}{escape(unit)}</text>"
        )
        tick -= step
    n = max(len(points), 1)
    slot = plot_w / n
    bar_w = min(slot * 0.62, 48)
    base = y(low)
    for i, p in enumerate(points):
        cx = left + slot * i + slot / 2
        out.append(
            f'<text x="{cx:.1f}" y="{height - bottom + 15}" font-size="10" fill="{INK}" text-anchor="middle">'
            f"{escape(p.label)}</text>"
        )
        if p.value is None:
            out.append(
                f'<rect x="{cx - bar_w / 2:.1f}" y="{base - 14:.1f}" width="{bar_w:.1f}" height="14" '
                f'fill="none" stroke="{NONE}" stroke-dasharray="3 2"/>'
            )
            out.append(
                f'<text x="{cx:.1f}" y="{base - 18:.1f}" font-size="8" fill="{MUTED}" text-anchor="middle">n/a</text>'
            )
            continue
        colour = NEUTRAL if p.met is None else OK if p.met else BAD
        by = y(p.value)
        h = max(base - by, 1.5)
        out.append(
            f'<rect x="{cx - bar_w / 2:.1f}" y="{base - h:.1f}" width="{bar_w:.1f}" height="{h:.1f}" fill="{colour}"/>'
        )
        inside = h > 18  # a tall bar carries its figure inside, clear of the target line
        out.append(
            f'<text x="{cx:.1f}" y="{base - h + 12 if inside else base - h - 4:.1f}" font-size="9" '
            f'fill="{"#ffffff" if inside else INK}" text-anchor="middle" font-weight="bold">'
            f"{escape(_fmt(p.value, places))}</text>"
        )
    if target is not None:
        ty = y(target)
        out.append(
            f'<line x1="{left}" y1="{ty:.1f}" x2="{width - right}" y2="{ty:.1f}" stroke="{TARGET}" '
            f'stroke-width="1.5" stroke-dasharray="6 3"/>'
        )
        if target_label:
            out.append(
                f'<text x="{left + 4}" y="{max(ty - 5, 10):.1f}" font-size="10" fill="{TARGET}" '
                f'text-anchor="start" font-weight="bold">{escape(target_label)}</text>'
            )
    out.append(
        f'<line x1="{left}" y1="{base:.1f}" x2="{width - right}" y2="{base:.1f}" stroke="{MUTED}" stroke-width="1"/>'
    )
    legend_y = height - 8
    legend = [(OK, "target met"), (BAD, "target missed"), (NEUTRAL, "no target")]
    x = left
    for colour, text in legend:
        out.append(f'<rect x="{x}" y="{legend_y - 8}" width="9" height="9" fill="{colour}"/>')
        out.append(f'<text x="{x + 13}" y="{legend_y}" font-size="9" fill="{INK}">{text}</text>')
        x += 92
    out.append(
        f'<rect x="{x}" y="{legend_y - 8}" width="9" height="9" fill="none" stroke="{NONE}" stroke-dasharray="3 2"/>'
    )
    out.append(f'<text x="{x + 13}" y="{legend_y}" font-size="9" fill="{INK}">{escape(missing_label)}</text>')
    out.append("</svg>")
    return "".join(out)
