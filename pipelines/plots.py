"""Plots as SVG text, drawn here: no chart library, no external service, nothing to load.

``line_chart`` draws one line per series over days, with y ticks at round numbers and a legend.
Every label is escaped (source and watch names come from the configuration, but still)."""
from __future__ import annotations

import math
from datetime import date
from html import escape

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf",
           "#7f7f7f", "#bcbd22")
WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 12, 34
MAX_SERIES = 8


def nice_ticks(top: float, count: int = 4) -> list[float]:
    """Round tick values from 0 to at least ``top``."""
    if top <= 0:
        return [0, 1]
    raw = top / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    return [i * step for i in range(int(math.ceil(top / step)) + 1)]


# Steps a clock reads well: seconds, minutes, hours, days.
TIME_STEPS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400,
              172800, 604800)


def nice_time_ticks(top: float, count: int = 4) -> list[float]:
    """Ticks from 0 to at least ``top`` seconds at a step a clock reads well (5 min, not 3.3 min)."""
    if top <= 0:
        return [0, 1]
    step = next((s for s in TIME_STEPS if s * count >= top), None)
    if step is None:
        return nice_ticks(top, count)
    return [i * step for i in range(int(math.ceil(top / step)) + 1)]


def _label(value: float, unit: str) -> str:
    if unit == "%":
        return f"{value * 100:.0f}%"
    if unit == "s":
        if value >= 172800:
            return f"{value / 86400:.1f}".removesuffix(".0") + " d"
        if value >= 7200:
            return f"{value / 3600:.1f}".removesuffix(".0") + " h"
        return f"{value / 60:.1f}".removesuffix(".0") + " min" if value >= 120 else f"{value:g} s"
    return f"{value:g}"


def line_chart(series: dict[str, dict[date, float]], days: list[date], unit: str = "", fill_zero: bool = True,
               y_max: float | None = None, title: str = "") -> str:
    """An SVG line chart of ``series`` ({name: {day: value}}) over ``days``. The largest series
    are drawn (at most MAX_SERIES; the rest summed as "other"). ``fill_zero``: a day without a
    value is 0 (counts), else the line skips it (rates)."""
    ranked = sorted(series.items(), key=lambda item: -sum(item[1].values()))
    if len(ranked) > MAX_SERIES:
        other: dict[date, float] = {}
        for _, values in ranked[MAX_SERIES - 1:]:
            for day, value in values.items():
                other[day] = other.get(day, 0) + value
        ranked = ranked[:MAX_SERIES - 1] + [("other", other)]
    legend_rows = math.ceil(len(ranked) / 3)
    height = HEIGHT + 18 * legend_rows
    top_value = y_max if y_max is not None else max([v for _, s in ranked for v in s.values()] + [0])
    ticks = nice_time_ticks(top_value) if unit == "s" else nice_ticks(top_value)
    y_top = ticks[-1] or 1
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    n = max(len(days) - 1, 1)

    def x(i: int) -> float:
        return LEFT + plot_w * i / n

    def y(value: float) -> float:
        return TOP + plot_h * (1 - value / y_top)

    out = [f'<svg class="plot" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" role="img" '
           f'aria-label="{escape(title)}">']
    if title:
        out.append(f"<title>{escape(title)}</title>")
    for tick in ticks:
        out.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" stroke="#e3e8ec"/>')
        out.append(f'<text x="{LEFT - 6}" y="{y(tick) + 4:.1f}" text-anchor="end">{escape(_label(tick, unit))}</text>')
    step = max(1, math.ceil(len(days) / 8))
    for i in range(0, len(days), step):
        out.append(f'<text x="{x(i):.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle">'
                   f'{days[i].strftime("%d %b")}</text>')
    out.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(0):.1f}" y2="{y(0):.1f}" stroke="#9aa6b0"/>')
    if not ranked:
        out.append(f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle">no data in this period</text>')
    for index, (name, values) in enumerate(ranked):
        colour = PALETTE[index % len(PALETTE)]
        runs, run = [], []
        for i, day in enumerate(days):
            value = values.get(day, 0 if fill_zero else None)
            if value is None:
                if run:
                    runs.append(run)
                run = []
                continue
            run.append(f"{x(i):.1f},{y(min(value, y_top)):.1f}")
        if run:
            runs.append(run)
        for points in runs:
            if len(points) == 1:
                px, py = points[0].split(",")
                out.append(f'<circle cx="{px}" cy="{py}" r="3" fill="{colour}"/>')
            else:
                out.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{" ".join(points)}"/>')
        lx, ly = LEFT + (index % 3) * (plot_w / 3), HEIGHT + 4 + 18 * (index // 3)
        out.append(f'<rect x="{lx:.1f}" y="{ly}" width="12" height="12" rx="2" fill="{colour}"/>')
        label = name if len(name) <= 28 else name[:27] + "…"
        out.append(f'<text x="{lx + 17:.1f}" y="{ly + 10}">{escape(label)}</text>')
    out.append("</svg>")
    return "".join(out)
