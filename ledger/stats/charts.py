"""Charts as inline SVG, drawn on the server: nothing is fetched, nothing runs in the browser.

Every bar is a link to the items it counts; every text is escaped.
"""
from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup, escape

PALETTE = {"pending": "#9e9e9e", "claimed": "#42a5f5", "in_progress": "#1e88e5", "awaiting_verification": "#ffb300",
           "closed": "#43a047", "cancelled": "#bdbdbd"}
RED, GREEN, BLUE, GREY = "#c62828", "#2e7d32", "#1565c0", "#9e9e9e"


@dataclass
class Bar:
    label: str
    value: float | None
    href: str | None = None
    text: str | None = None  # what is printed beside the bar (default: the value)
    colour: str = BLUE
    count: int | None = None  # the item count the link lists (for data-count)


def _link(href: str | None, inner: str, count: int | None = None) -> str:
    if not href:
        return inner
    data = f' data-count="{count}"' if count is not None else ""
    return f'<a href="{escape(href)}"{data}>{inner}</a>'


def hbars(bars: list[Bar], title: str, scale_max: float | None = None, unit: str = "") -> Markup:
    """Horizontal bars, one row per bar: label, bar, value."""
    if not bars:
        return Markup(f'<p class="text-body-secondary small">{escape(title)}：暂无数据</p>')
    row, label_w, bar_w, top = 28, 120, 210, 6
    width, height = label_w + bar_w + 70, top + row * len(bars) + 4
    peak = scale_max or max((b.value or 0) for b in bars) or 1
    parts = [f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="100%" '
             f'preserveAspectRatio="xMinYMin meet" aria-label="{escape(title)}"><title>{escape(title)}</title>']
    for i, bar in enumerate(bars):
        y = top + i * row
        length = 0 if bar.value is None else max(bar.value / peak * bar_w, 1 if bar.value else 0)
        text = bar.text if bar.text is not None else ("—" if bar.value is None else f"{bar.value:g}{unit}")
        label = bar.label if len(bar.label) <= 8 else bar.label[:7] + "…"
        inner = (f'<text x="{label_w - 6}" y="{y + 17}" text-anchor="end" font-size="13">{escape(label)}</text>'
                 f'<rect x="{label_w}" y="{y + 4}" width="{length:.1f}" height="18" rx="2" fill="{bar.colour}"/>'
                 f'<text x="{label_w + length + 6:.1f}" y="{y + 17}" font-size="13">{escape(text)}</text>')
        parts.append(f"<g><title>{escape(bar.label)}：{escape(text)}</title>{_link(bar.href, inner, bar.count)}</g>")
    parts.append("</svg>")
    return Markup("".join(parts))


@dataclass
class Group:
    label: str
    bars: list[Bar]


def grouped_columns(groups: list[Group], series: list[tuple[str, str]], title: str) -> Markup:
    """Vertical columns grouped per label (e.g. months: opened, closed), with a legend."""
    if not groups:
        return Markup(f'<p class="text-body-secondary small">{escape(title)}：暂无数据</p>')
    slot, col, left, bottom, plot_h, top = 46, 16, 30, 34, 150, 26
    width, height = left + slot * len(groups) + 10, top + plot_h + bottom
    peak = max((b.value or 0) for g in groups for b in g.bars) or 1
    parts = [f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="100%" '
             f'preserveAspectRatio="xMinYMin meet" aria-label="{escape(title)}"><title>{escape(title)}</title>']
    x = left
    for name, colour in series:  # legend
        parts.append(f'<rect x="{x}" y="6" width="12" height="12" fill="{colour}"/>'
                     f'<text x="{x + 16}" y="16" font-size="12">{escape(name)}</text>')
        x += 16 + 14 * len(name) + 16
    base = top + plot_h
    parts.append(f'<line x1="{left - 4}" y1="{base}" x2="{width - 6}" y2="{base}" stroke="#999"/>')
    parts.append(f'<text x="{left - 6}" y="{top + 10}" font-size="11" text-anchor="end">{int(peak)}</text>')
    for i, group in enumerate(groups):
        gx = left + i * slot + (slot - col * len(group.bars)) / 2
        for j, bar in enumerate(group.bars):
            h = 0 if not bar.value else max(bar.value / peak * plot_h, 1)
            bx = gx + j * col
            inner = (f'<rect x="{bx:.1f}" y="{base - h:.1f}" width="{col - 2}" height="{h:.1f}" fill="{bar.colour}"/>'
                     + (f'<text x="{bx + (col - 2) / 2:.1f}" y="{base - h - 3:.1f}" font-size="10" '
                        f'text-anchor="middle">{int(bar.value)}</text>' if bar.value else ""))
            parts.append(f"<g><title>{escape(group.label)} {escape(bar.label)}：{int(bar.value or 0)}</title>"
                         f"{_link(bar.href, inner, bar.count)}</g>")
        parts.append(f'<text x="{left + i * slot + slot / 2:.1f}" y="{base + 16}" font-size="11" '
                     f'text-anchor="middle">{escape(group.label[2:] if len(group.label) == 7 else group.label)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
