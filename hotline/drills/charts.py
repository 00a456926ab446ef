"""Trend charts for the drills page, drawn on the server as SVG: pure functions of plain numbers.

No plotting library and no script in the browser (the console's Content-Security-Policy allows
neither inline scripts nor inline styles): a bar per value, a dashed line for the target, every
label escaped. A bar with no value (nobody accepted) is drawn as an empty outline marked "never".
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import TypedDict

from markupsafe import Markup

# Drawn small and scaled up, not large and scaled down: at a phone's 340 px a 12-unit label is
# still 11 px tall (at 640 wide it was 5 px); console.css caps the chart's width on a desk.
WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 360, 220, 44, 40, 20
FONT = 12


class ChartWords(TypedDict):
    """`bar_chart`'s words, translated by the caller, to pass as `**words`."""

    target_word: str
    never_word: str


def bar_chart(chart_id: str, title: str, bars: Sequence[tuple[str, float | None]], unit: str,
              target: float | None = None, top: float | None = None, target_word: str = "target",
              never_word: str = "never") -> Markup:
    """`bars`: (label, value); `top`: the scale's maximum (default: the largest value or target).
    The words come translated by the caller, as the title does. The drawing scales to its box."""
    values = [v for _, v in bars if v is not None]
    scale = top or max([*values, target or 0, 1.0])
    plot_h, plot_w = HEIGHT - BOTTOM - TOP, WIDTH - LEFT - 8
    slot = plot_w / max(len(bars), 1)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" id="{escape(chart_id)}" class="chart" role="img" '
             f'viewBox="0 0 {WIDTH} {HEIGHT}" width="100%">',
             f"<title>{escape(title)}</title>",
             f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - 8}" y2="{TOP + plot_h}" stroke="#555"/>',
             f'<text x="4" y="{TOP - 6}" font-size="{FONT}" fill="#333">{_num(scale)} {escape(unit)}</text>',
             f'<text x="4" y="{TOP + plot_h}" font-size="{FONT}" fill="#333">0 {escape(unit)}</text>']
    fits = max(3, int(slot / (FONT * 0.62)))  # characters of a label that fit under its bar
    for i, (label, value) in enumerate(bars):
        w = min(slot * 0.7, 56.0)
        x = LEFT + i * slot + (slot - w) / 2
        if value is None:
            parts.append(f'<rect class="bar missing" x="{x:.1f}" y="{TOP:.1f}" width="{w:.1f}" height="{plot_h:.1f}" '
                         f'fill="none" stroke="#b00" stroke-dasharray="3 3" data-label="{escape(label)}"/>')
            parts.append(f'<text x="{x + w / 2:.1f}" y="{TOP + 16}" font-size="{FONT}" text-anchor="middle" '
                         f'fill="#b00">{escape(never_word)}</text>')
        else:
            h = plot_h * min(value, scale) / scale
            over = target is not None and value > target
            parts.append(f'<rect class="bar" x="{x:.1f}" y="{TOP + plot_h - h:.1f}" width="{w:.1f}" height="{h:.1f}" '
                         f'fill="{"#c0392b" if over else "#2e7d32"}" data-label="{escape(label)}" '
                         f'data-value="{_num(value)}"><title>{escape(label)}: {_num(value)} {escape(unit)}</title>'
                         f"</rect>")
            parts.append(f'<text class="value" x="{x + w / 2:.1f}" y="{max(TOP + plot_h - h - 3, TOP + FONT):.1f}" '
                         f'font-size="{FONT}" text-anchor="middle" fill="#333">{_num(value)} {escape(unit)}</text>')
        short = label if len(label) <= fits else label[:fits - 1] + "…"
        parts.append(f'<text x="{x + w / 2:.1f}" y="{HEIGHT - BOTTOM + 18}" font-size="{FONT}" text-anchor="middle" '
                     f'fill="#333"><title>{escape(label)}</title>{escape(short)}</text>')
    if target is not None:
        y = TOP + plot_h - plot_h * min(target, scale) / scale
        parts.append(f'<line class="target" x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - 8}" y2="{y:.1f}" stroke="#000" '
                     f'stroke-dasharray="6 4"/>')
        parts.append(f'<text x="{WIDTH - 10}" y="{y - 4:.1f}" font-size="{FONT}" text-anchor="end" fill="#000">'
                     f"{escape(target_word)} {_num(target)} {escape(unit)}</text>")
    parts.append("</svg>")
    return Markup("".join(parts))


def _num(value: float) -> str:
    return f"{value:.0f}" if value >= 10 or value == int(value) else f"{value:.2f}"
