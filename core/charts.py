"""Server-side SVG charts, the one chart module: pure Python, no Django.

Each function returns a self-contained ``<svg>`` string (presentation
attributes, no CSS classes, no script), so the same markup works in a page, an
e-mail and a WeasyPrint PDF; text is escaped.

* ``availability_chart``: availability per period against the target (the
  availability page, the service report, the annual review packet and the
  renewal reminder all draw it with this code).
* ``trend_chart``: any other metric per period on a fixed scale (share of
  incidents within target, satisfaction), for the review packet.
* ``sparkline``: a row of small bars per period with no axes, for a
  dashboard card (availability per period, zoomed to the range that matters).
* ``stacked_bar``: one horizontal bar split into labelled parts (breaches by
  severity, credits applied against credits still owed).

Every chart carries its figures in its ``aria-label`` and ``<title>``; a page
that shows one next to nothing else adds a visually hidden table too.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from xml.sax.saxutils import escape, quoteattr

__all__ = ["ChartPoint", "Point", "Segment", "availability_chart", "sparkline", "stacked_bar", "trend_chart"]

OK = "#1b7f3b"
BAD = "#b3261e"
OK_SOFT = "#86c79b"
BAD_SOFT = "#e8a39d"
INK = "#0f2740"
MUTED = "#6b7280"
GRID = "#e5e7eb"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
STEPS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 25.0)
NONE = "#cbd5e1"  # outline of a period without a figure (trend chart)
TARGET = INK  # the target line
NEUTRAL = "#334e68"  # a figure with no target to meet


@dataclass(frozen=True)
class ChartPoint:
    label: str  # axis label, e.g. "Oct 26"
    availability: Decimal | None  # percent; None: no measured time
    partial: bool = False  # the period so far
    title: str = ""  # tooltip, e.g. "October 2026: 99.982 %"


def _fmt(value: float, step: float) -> str:
    decimals = max(0, -math.floor(math.log10(step))) if step < 1 else 0
    return f"{value:.{decimals}f}"


def _axis(values: Sequence[float], target: float) -> tuple[float, float]:
    """(axis minimum, tick step): 100 at the top, room below the lowest value and the target."""
    low = min([target, *values])
    gap = max(100.0 - low, 0.02)
    floor_value = max(0.0, low - gap * 0.3)
    for step in STEPS:
        if (100.0 - floor_value) / step <= 5:
            return max(0.0, math.floor(floor_value / step + 1e-9) * step), step
    return 0.0, 25.0


def availability_chart(
    points: Sequence[ChartPoint],
    *,
    target: Decimal,
    width: int = 760,
    height: int = 280,
    title: str = "Availability per period",
) -> str:
    """Bars per period (green: target met, red: missed, paler: the period so
    far) against a dashed target line; the y axis zooms to the range that
    matters (100 % at the top)."""
    left, right, top, bottom = 62, 104, 46, 44
    plot_w, plot_h = width - left - right, height - top - bottom
    measured = [float(p.availability) for p in points if p.availability is not None]
    target_f = float(target)
    axis_min, step = _axis(measured, target_f)
    span = 100.0 - axis_min or 1.0

    def y(value: float) -> float:
        return top + plot_h * (100.0 - min(100.0, max(axis_min, value))) / span

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label={quoteattr(title)} style="max-width:100%;height:auto;font-family:{escape(FONT)}">',
        f"<title>{escape(title)}</title>",
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
    ]
    # Grid and y labels.
    ticks = int(round(span / step))
    for i in range(ticks + 1):
        value = axis_min + i * step
        if value > 100.0 + 1e-9:
            break
        ty = y(value)
        out.append(
            f'<line x1="{left}" y1="{ty:.1f}" x2="{width - right}" y2="{ty:.1f}" stroke="{GRID}" stroke-width="1"/>'
        )
        out.append(
            f'<text x="{left - 8}" y="{ty + 4:.1f}" font-size="11" fill="{MUTED}" text-anchor="end">{_fmt(value, step)} %</text>'
        )
    # Bars.
    count = max(len(points), 1)
    slot = plot_w / count
    bar_w = min(46.0, slot * 0.62)
    base = y(axis_min)
    for i, point in enumerate(points):
        cx = left + slot * (i + 0.5)
        x = cx - bar_w / 2
        tooltip = f"<title>{escape(point.title or point.label)}</title>"
        if point.availability is None:
            out.append(
                f'<rect x="{x:.1f}" y="{top + plot_h - 18:.1f}" width="{bar_w:.1f}" height="18" fill="#f3f4f6" '
                f'stroke="{GRID}" stroke-dasharray="3 2">{tooltip}</rect>'
            )
            out.append(
                f'<text x="{cx:.1f}" y="{top + plot_h - 24:.1f}" font-size="10" fill="{MUTED}" text-anchor="middle">no data</text>'
            )
        else:
            value = float(point.availability)
            met = point.availability >= target
            colour = (OK_SOFT if met else BAD_SOFT) if point.partial else (OK if met else BAD)
            by = y(value)
            h = max(base - by, 1.5)
            extra = f' stroke="{OK if met else BAD}" stroke-width="1.5" stroke-dasharray="4 2"' if point.partial else ""
            out.append(
                f'<rect x="{x:.1f}" y="{base - h:.1f}" width="{bar_w:.1f}" height="{h:.1f}" rx="2" fill="{colour}"{extra}>{tooltip}</rect>'
            )
            label = f"{point.availability:.3f}".rstrip("0").rstrip(".")
            out.append(
                f'<text x="{cx:.1f}" y="{base - h - 5:.1f}" font-size="10.5" font-weight="600" fill="{INK if met else BAD}" '
                f'text-anchor="middle">{escape(label)}</text>'
            )
        out.append(
            f'<text x="{cx:.1f}" y="{top + plot_h + 17:.1f}" font-size="11" fill="{INK}" text-anchor="middle">{escape(point.label)}</text>'
        )
        if point.partial:
            out.append(
                f'<text x="{cx:.1f}" y="{top + plot_h + 31:.1f}" font-size="10" fill="{MUTED}" text-anchor="middle">so far</text>'
            )
    # Target line last, over the bars.
    ty = y(target_f)
    out.append(
        f'<line x1="{left}" y1="{ty:.1f}" x2="{width - right}" y2="{ty:.1f}" stroke="{INK}" stroke-width="1.5" stroke-dasharray="6 4"/>'
    )
    # The target's label sits in the right margin, level with its line.
    out.append(
        f'<text x="{width - right + 8}" y="{ty - 2:.1f}" font-size="11" font-weight="600" fill="{INK}">target</text>'
        f'<text x="{width - right + 8}" y="{ty + 11:.1f}" font-size="11" font-weight="600" fill="{INK}">'
        f"{escape(f'{target.normalize():f} %')}</text>"
    )
    out.append(
        f'<line x1="{left}" y1="{base:.1f}" x2="{width - right}" y2="{base:.1f}" stroke="#9ca3af" stroke-width="1"/>'
    )
    out.append(f'<text x="{left}" y="20" font-size="13" font-weight="600" fill="{INK}">{escape(title)}</text>')
    out.append("</svg>")
    return "".join(out)


# -- other metrics: trend per period ------------------------------------------------------


@dataclass(frozen=True)
class Point:
    label: str  # axis label ("Oct 26")
    value: Decimal | None  # None: no figure for that period
    met: bool | None = None  # None: no target to meet (or nothing decided)


def _fmt_places(value: Decimal, places: int) -> str:
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
            f"{escape(_fmt_places(tick, 0 if step >= 1 else 1))}{escape(unit)}</text>"
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
            f"{escape(_fmt_places(p.value, places))}</text>"
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


# -- dashboard cards: sparkline and stacked bar ---------------------------------------------


def sparkline(
    points: Sequence[Point],
    *,
    title: str,
    width: int = 168,
    height: int = 40,
    unit: str = " %",
    places: int = 3,
) -> str:
    """Small bars, one per period, oldest first, with no axis: green when the
    target was met, red when missed, grey when there is no target to judge.
    The bottom of the scale sits below the lowest value (as ``availability_chart``
    zooms), so 99.9 and 98.5 look different; a period without a figure is a
    dashed stub. ``title`` is what a screen reader hears: put the figures in it."""
    pad = 2
    plot_h = height - 2 * pad
    values = [float(p.value) for p in points if p.value is not None]
    axis_min, _ = _axis(values, min(values) if values else 100.0)
    span = 100.0 - axis_min or 1.0
    n = max(len(points), 1)
    slot = (width - 2 * pad) / n
    bar_w = max(min(slot * 0.72, 14.0), 1.0)
    base = height - pad
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label={quoteattr(title)} class="sparkline">',
        f"<title>{escape(title)}</title>",
        f'<line x1="{pad}" y1="{base + 0.5:.1f}" x2="{width - pad}" y2="{base + 0.5:.1f}" stroke="{GRID}" stroke-width="1"/>',
    ]
    for i, p in enumerate(points):
        x = pad + slot * i + (slot - bar_w) / 2
        tip = escape(
            f"{p.label}: {_fmt_places(p.value, places)}{unit}" if p.value is not None else f"{p.label}: no figure"
        )
        if p.value is None:
            out.append(
                f'<rect x="{x:.1f}" y="{base - 4:.1f}" width="{bar_w:.1f}" height="4" fill="none" '
                f'stroke="{NONE}" stroke-dasharray="2 1"><title>{tip}</title></rect>'
            )
            continue
        share = (min(100.0, max(axis_min, float(p.value))) - axis_min) / span
        h = max(plot_h * share, 2.0)
        colour = NEUTRAL if p.met is None else OK if p.met else BAD
        out.append(
            f'<rect x="{x:.1f}" y="{base - h:.1f}" width="{bar_w:.1f}" height="{h:.1f}" rx="1" fill="{colour}">'
            f"<title>{tip}</title></rect>"
        )
    out.append("</svg>")
    return "".join(out)


@dataclass(frozen=True)
class Segment:
    label: str  # "Critical", "Applied"
    value: Decimal | int  # a count or an amount; zero parts are left out
    colour: str  # a fill colour
    text: str = ""  # the figure as a person reads it ("EUR 1,200.00"); the value when empty


SEVERITY_COLOURS = {"critical": BAD, "high": "#d97706", "medium": "#eab308", "low": "#64748b"}
APPLIED = OK
OWED = "#d97706"


def stacked_bar(
    segments: Sequence[Segment],
    *,
    title: str,
    width: int = 240,
    height: int = 14,
    empty_label: str = "none",
) -> str:
    """One horizontal bar split in proportion to each part's value, in the
    order given; an all-zero bar is an empty outline. ``title`` (and each
    part's tooltip) carry the figures for a screen reader."""
    total = sum((Decimal(s.value) for s in segments), Decimal(0))
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" height="{height}" '
        f'preserveAspectRatio="none" role="img" aria-label={quoteattr(title)} class="stacked-bar">',
        f"<title>{escape(title)}</title>",
    ]
    if total <= 0:
        out.append(
            f'<rect x="0.5" y="0.5" width="{width - 1}" height="{height - 1}" rx="3" fill="#f8fafc" stroke="{GRID}">'
            f"<title>{escape(empty_label)}</title></rect>"
        )
    else:
        x = 0.0
        for s in segments:
            if Decimal(s.value) <= 0:
                continue
            w = float(Decimal(s.value) / total) * width
            out.append(
                f'<rect x="{x:.2f}" y="0" width="{w:.2f}" height="{height}" fill="{s.colour}">'
                f"<title>{escape(f'{s.label}: {s.text or s.value}')}</title></rect>"
            )
            x += w
    out.append("</svg>")
    return "".join(out)
