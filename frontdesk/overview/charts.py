"""Charts drawn on the server as inline SVG: lines, stacked bars, horizontal bars, a heat map.

Pure (standard library and markupsafe only), so views and tests call it without an app.
Every chart returns Markup for `{{ chart }}` in a template. The drawings have no script
and no style element or attribute (the Content-Security-Policy forbids them), and no
colour carries meaning alone: lines differ by dash pattern and marker shape, bars by grey
shade and fill pattern, and figures are written out as text, so a black-and-white
printout reads the same. `title` is the accessible name; the visible heading belongs to
the template (a figcaption). Labels are escaped, they may contain anything.
"""

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from markupsafe import Markup, escape

from svformat import NBSP
from svformat import number as format_number
from svformat import percent as format_percent

NO_DATA = "Inga data för urvalet."

MAX_SERIES = 8

_WIDTH = 720
_FONT = 14
_SMALL = 12
_INK = "#1a1d21"
_WHITE = "#ffffff"
_GRID = "#c9ccd1"
_BAR = "#4a5058"
_PLOT_HEIGHT = 240
_X_AXIS_HEIGHT = 30
_XML_BAD = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_ID_BAD = re.compile(r"[^a-z0-9-]+")

# Line series: a dash pattern and a marker each, solid first. Markers sit in a 10 x 10 box.
_DASHES = ("none", "10 5", "2 4", "12 4 3 4", "5 3", "16 4 3 4 3 4", "22 6", "8 3 2 3 2 3 2 3")
_HOLLOW = f'fill="{_WHITE}" stroke="{_INK}" stroke-width="1.5"'
_CROSS = f'fill="none" stroke="{_INK}" stroke-width="2"'
_MARKERS = (
    ("circle", f'<circle cx="5" cy="5" r="4" fill="{_INK}"/>'),
    ("square", f'<rect x="1.5" y="1.5" width="7" height="7" {_HOLLOW}/>'),
    ("triangle", f'<path d="M5 0.5L9.5 9H0.5Z" fill="{_INK}"/>'),
    ("diamond", f'<path d="M5 0.5L9.5 5L5 9.5L0.5 5Z" {_HOLLOW}/>'),
    ("plus", f'<path d="M5 0.5V9.5M0.5 5H9.5" {_CROSS}/>'),
    ("cross", f'<path d="M1 1L9 9M9 1L1 9" {_CROSS}/>'),
    ("triangle-down", f'<path d="M0.5 1H9.5L5 9.5Z" fill="{_INK}"/>'),
    ("ring", f'<circle cx="5" cy="5" r="3.5" {_HOLLOW}/>'),
)
# Stacked series: grey shade light to dark (ROSA level 1 to 8) and a pattern in an 8 x 8 tile.
_FILLS = (
    ("#f2f2f2", ""),
    ("#d9d9d9", '<path d="M-2 2L2-2M0 8L8 0M6 10L10 6" stroke="{fg}" stroke-width="1.2"/>'),
    (
        "#c0c0c0",
        '<circle cx="2" cy="2" r="1.3" fill="{fg}"/><circle cx="6" cy="6" r="1.3" fill="{fg}"/>',
    ),
    ("#a6a6a6", '<path d="M0 4H8" stroke="{fg}" stroke-width="1.5"/>'),
    ("#8c8c8c", '<path d="M0 0L8 8M0 8L8 0" stroke="{fg}" stroke-width="1"/>'),
    ("#707070", '<path d="M-2 6L2 10M0 0L8 8M6-2L10 2" stroke="{fg}" stroke-width="1.2"/>'),
    ("#525252", '<path d="M4 0V8" stroke="{fg}" stroke-width="1.5"/>'),
    ("#262626", ""),
)


def nice_ticks(maximum: float, *, integer: bool = False, count: int = 5) -> list[float]:
    """About `count` steps of 1, 2 or 5 x 10^n from 0 to the first step at or above maximum."""
    if not maximum > 0 or not math.isfinite(maximum):
        return [0, 1]
    raw = maximum / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw * (1 - 1e-9))
    if integer:
        step = max(step, 1)
    # The tolerance keeps 0.3 * 100 (= 30.000000000000004) from adding a step.
    steps = max(1, math.ceil(maximum / step - 1e-9))
    return [round(i * step, 10) for i in range(steps + 1)]


# --- text, ids and the svg root ------------------------------------------------------------


def _esc(value: object) -> str:
    return str(escape(_XML_BAD.sub("", str(value))))


def _n(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def _width(text: str, size: float = _FONT) -> float:
    """A generous estimate of rendered width; no font metrics on the server."""
    return len(text) * size * 0.62 + 2


def _truncate(text: object, limit: int) -> str:
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _chart_id(raw: str) -> str:
    cid = _ID_BAD.sub("-", str(raw).lower()).strip("-") or "chart"
    return cid if cid[0].isalpha() else f"c-{cid}"


def _href(href: str) -> str:
    # Browsers drop leading spaces and control characters: " javascript:" is still a scheme.
    cleaned = href.strip("".join(map(chr, range(33))))
    if urlsplit(cleaned).scheme not in ("", "http", "https"):
        raise ValueError(f"chart links must be relative or http(s): {href!r}")
    return _esc(cleaned)


def _link(href: str | None, inner: str, cls: str) -> str:
    if href is None:
        return f'<g class="{cls}">{inner}</g>'
    return f'<a class="{cls}" href="{_href(href)}">{inner}</a>'


def _svg(cid, kind, title, desc, body, *, height, width=_WIDTH, links=False) -> Markup:
    # Links inside role="img" would be hidden from assistive technology: use a group then.
    role = "group" if links else "img"
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" id="{cid}" class="svg-chart svg-chart-{kind}"'
        f' viewBox="0 0 {_n(width)} {_n(height)}" width="100%" role="{role}"'
        f' aria-labelledby="{cid}-title {cid}-desc" font-family="inherit" font-size="{_FONT}"'
        f' fill="{_INK}"><title id="{cid}-title">{_esc(title)}</title>'
        f'<desc id="{cid}-desc">{_esc(desc)}</desc>{"".join(body)}</svg>'
    )


def _empty(cid: str, title: str) -> Markup:
    text = f'<text class="chart-empty" x="12" y="30">{NO_DATA}</text>'
    return _svg(cid, "empty", title, NO_DATA, [text], height=48)


# --- checks ------------------------------------------------------------------------------


def _check_values(values: Sequence[float]) -> None:
    for value in values:
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"chart values must be finite and not negative: {value!r}")


def _check_series(
    x_labels: Sequence[str], series: Sequence[tuple[str, Sequence[float]]], *, lengths=True
) -> None:
    if len(series) > MAX_SERIES:
        raise ValueError(f"at most {MAX_SERIES} series, got {len(series)}")
    for name, values in series:
        if lengths and len(values) != len(x_labels):
            raise ValueError(f"series {name!r} has {len(values)} values for {len(x_labels)} labels")
        _check_values(values)


def _integers(values: Sequence[float]) -> bool:
    return all(float(v).is_integer() for v in values)


# --- value axis, x axis, legend ----------------------------------------------------------


@dataclass(frozen=True)
class _Plot:
    """The plotting rectangle and the value axis that spans its height."""

    left: float
    top: float
    width: float
    ticks: list[float]  # in display units: percentage points when percent
    percent: bool
    height: float = _PLOT_HEIGHT

    @property
    def bottom(self) -> float:
        return self.top + self.height

    @property
    def right(self) -> float:
        return self.left + self.width

    def y(self, value: float) -> float:
        shown = value * 100 if self.percent else value
        return self.bottom - shown / self.ticks[-1] * self.height

    def tick_labels(self) -> list[str]:
        step = self.ticks[1] - self.ticks[0]
        decimals = max(0, -math.floor(math.log10(step) + 1e-9))
        suffix = f"{NBSP}%" if self.percent else ""
        return [format_number(t, decimals) + suffix for t in self.ticks]


def _plot(peak: float, *, percent: bool, integer: bool, y_label: str, right: float) -> _Plot:
    ticks = nice_ticks(peak * 100 if percent else peak, integer=integer and not percent)
    probe = _Plot(0, 0, 1, ticks, percent)
    left = 12 + (24 if y_label else 0) + max(_width(t, _SMALL) for t in probe.tick_labels())
    return _Plot(left, 16, _WIDTH - left - right, ticks, percent)


def _axes(plot: _Plot, y_label: str) -> list[str]:
    out = []
    for tick, label in zip(plot.ticks, plot.tick_labels(), strict=True):
        y = _n(plot.y(tick / 100 if plot.percent else tick))
        colour = _INK if tick == 0 else _GRID
        out.append(
            f'<line class="grid" x1="{_n(plot.left)}" x2="{_n(plot.right)}" y1="{y}" y2="{y}"'
            f' stroke="{colour}" stroke-width="1"/><text class="tick-label" x="{_n(plot.left - 6)}"'
            f' y="{y}" dy="0.35em" text-anchor="end" font-size="{_SMALL}">{label}</text>'
        )
    if y_label:
        x, y = 16, _n(plot.top + plot.height / 2)
        out.append(
            f'<text class="axis-label" x="{x}" y="{y}" text-anchor="middle"'
            f' transform="rotate(-90 {x} {y})">{_esc(y_label)}</text>'
        )
    return out


def _x_axis(labels: Sequence[str], xs: list[float], spacing: float, y: float) -> list[str]:
    """Every n-th label under the plot: at most 12, and never so close that they overlap."""
    texts = [_truncate(label, 16) for label in labels]
    widest = max(_width(text, _SMALL) for text in texts)
    # Labels are kept inside the drawing, so the first may be pushed right of its tick.
    overhang = max(0, widest / 2 + 4 - xs[0])
    every = max(math.ceil(len(labels) / 12), math.ceil((widest + 16 + overhang) / spacing))
    out = []
    for i in range(0, len(labels), every):
        half = _width(texts[i], _SMALL) / 2
        x = min(max(xs[i], half + 4), _WIDTH - half - 4)
        out.append(
            f'<line class="tick" x1="{_n(xs[i])}" x2="{_n(xs[i])}" y1="{_n(y)}" y2="{_n(y + 4)}"'
            f' stroke="{_INK}" stroke-width="1"/><text class="tick-label" x="{_n(x)}"'
            f' y="{_n(y + 18)}" text-anchor="middle" font-size="{_SMALL}">{_esc(texts[i])}</text>'
        )
    return out


def _legend(names: Sequence[str], swatch: Callable[[int, float, float], str], top: float):
    """Swatch and name in as many columns as fit the width."""
    texts = [_truncate(name, 30) for name in names]
    column = 60 + max(_width(t) for t in texts)
    per_row = max(1, int((_WIDTH - 24) // column))
    out = ['<g class="legend">']
    for i, text in enumerate(texts):
        x = 12 + (i % per_row) * column
        y = top + 12 + (i // per_row) * 24
        out.append(swatch(i, x, y))
        out.append(f'<text x="{_n(x + 42)}" y="{_n(y)}" dy="0.35em">{_esc(text)}</text>')
    out.append("</g>")
    return out, math.ceil(len(texts) / per_row) * 24 + 8


def _spread(ys: list[float], gap: float, bottom: float) -> list[float]:
    """Move end labels apart vertically, keeping their order, so they don't overlap."""
    order = sorted(range(len(ys)), key=ys.__getitem__)
    placed = list(ys)
    previous = -math.inf
    for i in order:
        placed[i] = previous = max(ys[i], previous + gap)
    following = bottom + gap
    for i in reversed(order):
        placed[i] = following = min(placed[i], following - gap)
    return placed


def _direct_labels(
    names: Sequence[str], anchors: list[tuple[int, float]], x: float, bottom: float
) -> list[str]:
    """Series names right of x at their (series, y) anchors, moved apart, with leader lines."""
    ys = _spread([y for _, y in anchors], _FONT + 2, bottom)
    return [
        f'<path class="label-leader" d="M{_n(x)},{_n(anchor)}L{_n(x + 8)},{_n(y)}" fill="none"'
        f' stroke="{_INK}" stroke-width="1"/><text class="series-label" x="{_n(x + 12)}"'
        f' y="{_n(y)}" dy="0.35em">{_esc(names[i])}</text>'
        for (i, anchor), y in zip(anchors, ys, strict=True)
    ]


def _describe_periods(x_labels: Sequence[str]) -> str:
    text = _count(len(x_labels), "period", "perioder")
    return f"{text}, från {x_labels[0]} till {x_labels[-1]}" if len(x_labels) > 1 else text


# --- the charts -----------------------------------------------------------------------------


def _marker_defs(cid: str, count: int) -> str:
    markers = "".join(
        f'<marker id="{cid}-m{i}" class="marker marker-{shape}" viewBox="0 0 10 10" refX="5"'
        f' refY="5" markerWidth="10" markerHeight="10" markerUnits="userSpaceOnUse"'
        f' stroke-dasharray="none">{drawing}</marker>'
        for i, (shape, drawing) in enumerate(_MARKERS[:count])
    )
    return f"<defs>{markers}</defs>"


def _line_swatch(cid: str) -> Callable[[int, float, float], str]:
    def swatch(i: int, x: float, y: float) -> str:
        return (
            f'<path d="M{_n(x)},{_n(y)}h17h17" fill="none" stroke="{_INK}" stroke-width="2"'
            f' stroke-dasharray="{_DASHES[i]}" marker-mid="url(#{cid}-m{i})"/>'
        )

    return swatch


def line_chart(
    chart_id: str,
    title: str,
    x_labels: list[str],
    series: list[tuple[str, list[float | int | None]]],
    *,
    y_label: str = "",
    percent: bool = False,
) -> Markup:
    """Up to 8 lines over periods; `percent` takes fractions 0..1 and draws a 0-100 % axis.

    A value of None is a gap (a share of no contacts is no figure, not zero): the line
    breaks there.
    """
    cid = _chart_id(chart_id)
    _check_series(
        x_labels,
        [(name, [v for v in values if v is not None]) for name, values in series],
        lengths=False,
    )
    if any(len(values) != len(x_labels) for _, values in series):
        raise ValueError("every series needs one value (or None) per label")
    everything = [v for _, values in series for v in values if v is not None]
    peak = max(everything, default=0)
    if not x_labels or peak <= 0:
        return _empty(cid, title)
    names = [_truncate(name, 20) for name, _ in series]
    plot = _plot(
        peak,
        percent=percent,
        integer=_integers(everything),
        y_label=y_label,
        right=24 + max(_width(name) for name in names),
    )
    n = len(x_labels)
    spacing = plot.width / max(n - 1, 1)
    xs = [plot.left + plot.width / 2] if n == 1 else [plot.left + i * spacing for i in range(n)]
    body = [_marker_defs(cid, len(series)), *_axes(plot, y_label)]
    body += _x_axis(x_labels, xs, spacing, plot.bottom)
    for i, (name, values) in enumerate(series):
        points = _line_path(xs, values, plot.y)
        if not points:
            continue
        marker = f"url(#{cid}-m{i})"
        # Over 40 points the markers would merge into a thick line: keep only the last one.
        marks = f'marker-end="{marker}"'
        if n <= 40:
            marks = f'marker-start="{marker}" marker-mid="{marker}" {marks}'
        body.append(
            f'<path class="series-line" d="{points}" fill="none" stroke="{_INK}"'
            f' stroke-width="2" stroke-dasharray="{_DASHES[i]}" stroke-linejoin="round" {marks}>'
            f"<title>{_esc(name)}</title></path>"
        )
    ends = [
        (i, plot.y(known[-1]))
        for i, (_, values) in enumerate(series)
        if (known := [v for v in values if v is not None])
    ]
    body += _direct_labels(names, ends, xs[-1] + 6, plot.bottom)
    legend, legend_height = _legend(
        [name for name, _ in series], _line_swatch(cid), plot.bottom + _X_AXIS_HEIGHT
    )
    body += legend
    top_value = format_percent(peak) if percent else format_number(peak)
    desc = (
        f"Linjediagram med {_count(len(series), 'serie', 'serier')} över"
        f" {_describe_periods(x_labels)}; högsta värde {top_value}."
        f" Serier: {', '.join(name for name, _ in series)}."
    )
    height = plot.bottom + _X_AXIS_HEIGHT + legend_height
    return _svg(cid, "line", title, desc, body, height=height)


def _line_path(xs: Sequence[float], values: Sequence[float | None], y) -> str:
    """SVG path data through the points, lifting the pen over gaps (None)."""
    parts, drawing = [], False
    for x, value in zip(xs, values, strict=True):
        if value is None:
            drawing = False
            continue
        parts.append(f"{'L' if drawing else 'M'}{_n(x)},{_n(y(value))}")
        drawing = True
    return "".join(parts)


def _pattern_defs(cid: str, count: int) -> str:
    patterns = []
    for i, (shade, overlay) in enumerate(_FILLS[:count]):
        fg = _INK if i < 5 else _WHITE
        patterns.append(
            f'<pattern id="{cid}-p{i}" class="fill-pattern" width="8" height="8"'
            f' patternUnits="userSpaceOnUse"><rect width="8" height="8" fill="{shade}"/>'
            f"{overlay.format(fg=fg)}</pattern>"
        )
    return f"<defs>{''.join(patterns)}</defs>"


def _bar_swatch(cid: str) -> Callable[[int, float, float], str]:
    def swatch(i: int, x: float, y: float) -> str:
        return (
            f'<rect x="{_n(x)}" y="{_n(y - 8)}" width="34" height="16" fill="url(#{cid}-p{i})"'
            f' stroke="{_INK}" stroke-width="1"/>'
        )

    return swatch


def _stack(plot: _Plot, column: Sequence[float]) -> list[tuple[int, float, float]]:
    """(series, top, bottom) of each non-empty segment of one bar, bottom segment first."""
    segments, base = [], 0.0
    for i, value in enumerate(column):
        if value > 0:
            segments.append((i, plot.y(base + value), plot.y(base)))
            base += value
    return segments


def stacked_bar_chart(
    chart_id: str,
    title: str,
    x_labels: list[str],
    series: list[tuple[str, list[float | int]]],
    *,
    y_label: str = "",
) -> Markup:
    """Vertical bars stacked from the first series up, each series its own shade and pattern."""
    cid = _chart_id(chart_id)
    _check_series(x_labels, series)
    columns = [[values[j] for _, values in series] for j in range(len(x_labels))]
    totals = [sum(column) for column in columns]
    peak = max(totals, default=0)
    if not series or peak <= 0:
        return _empty(cid, title)
    names = [_truncate(name, 20) for name, _ in series]
    plot = _plot(
        peak,
        percent=False,
        integer=_integers(totals),
        y_label=y_label,
        right=28 + max(_width(name) for name in names),
    )
    band = plot.width / len(x_labels)
    bar = band * 0.7 if band >= 6 else band
    xs = [plot.left + (j + 0.5) * band for j in range(len(x_labels))]
    body = [_pattern_defs(cid, len(series)), *_axes(plot, y_label)]
    body += _x_axis(x_labels, xs, band, plot.bottom)
    for x, label, column in zip(xs, x_labels, columns, strict=True):
        segments = _stack(plot, column)
        for i, top, bottom in segments:
            body.append(
                f'<rect class="bar-segment" x="{_n(x - bar / 2)}" y="{_n(top)}" width="{_n(bar)}"'
                f' height="{_n(bottom - top)}" fill="url(#{cid}-p{i})" stroke="{_INK}"'
                f' stroke-width="0.75"><title>{_esc(series[i][0])}, {_esc(label)}:'
                f" {format_number(column[i])}</title></rect>"
            )
        if band >= 36 and segments:
            body.append(
                f'<text class="bar-total" x="{_n(x)}" y="{_n(segments[-1][1] - 5)}"'
                f' text-anchor="middle" font-size="{_SMALL}">{format_number(sum(column))}</text>'
            )
    # Direct labels beside the last bar, one for each series it contains.
    middles = [(i, (top + bottom) / 2) for i, top, bottom in _stack(plot, columns[-1])]
    body += _direct_labels(names, middles, xs[-1] + bar / 2 + 2, plot.bottom)
    legend, legend_height = _legend(
        [name for name, _ in series], _bar_swatch(cid), plot.bottom + _X_AXIS_HEIGHT
    )
    body += legend
    desc = (
        f"Staplat stapeldiagram med {_count(len(series), 'serie', 'serier')} över"
        f" {_describe_periods(x_labels)}; högsta summa {format_number(peak)}."
        f" Serier nerifrån och upp: {', '.join(name for name, _ in series)}."
    )
    height = plot.bottom + _X_AXIS_HEIGHT + legend_height
    return _svg(cid, "stacked", title, desc, body, height=height)


def bar_chart(
    chart_id: str,
    title: str,
    labels: list[str],
    values: list[float],
    *,
    percent: bool = False,
    links: list[str | None] | None = None,
) -> Markup:
    """Horizontal bars, label left and value right; `links` makes each row a link."""
    cid = _chart_id(chart_id)
    if len(values) != len(labels) or (links is not None and len(links) != len(labels)):
        raise ValueError("bar_chart needs as many values (and links) as labels")
    _check_values(values)
    peak = max(values, default=0)
    if peak <= 0:
        return _empty(cid, title)
    shown = [_truncate(label, 32) for label in labels]
    figures = [format_percent(v) if percent else format_number(v) for v in values]
    left = 20 + min(260, max(_width(label) for label in shown))
    length = _WIDTH - left - 18 - max(_width(figure) for figure in figures)
    full = max(1, peak) if percent else peak  # a share is drawn against the whole
    body = []
    for k, (label, text, value, figure) in enumerate(
        zip(labels, shown, values, figures, strict=True)
    ):
        y = 8 + k * 30
        width = value / full * length
        row = (
            f"<title>{_esc(label)}: {figure}</title>"
            f'<rect class="bar-hit" x="0" y="{y}" width="{_WIDTH}" height="30" fill="{_WHITE}"'
            f' fill-opacity="0"/><text class="bar-label" x="{_n(left - 8)}" y="{y + 15}"'
            f' dy="0.35em" text-anchor="end">{_esc(text)}</text><rect class="bar" x="{_n(left)}"'
            f' y="{y + 6}" width="{_n(width)}" height="18" fill="{_BAR}"/><text class="bar-value"'
            f' x="{_n(left + width + 6)}" y="{y + 15}" dy="0.35em">{figure}</text>'
        )
        body.append(_link(links[k] if links else None, row, "bar-row"))
    top = max(range(len(values)), key=values.__getitem__)
    desc = (
        f"Stapeldiagram med {_count(len(values), 'stapel', 'staplar')}; högsta värde"
        f" {figures[top]} ({labels[top]})."
    )
    has_links = links is not None and any(links)
    return _svg(cid, "bar", title, desc, body, height=16 + len(values) * 30, links=has_links)


def _luminance(colour: str) -> float:
    """Relative luminance of "#rrggbb" (WCAG 2)."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _shade(fraction: float) -> tuple[str, str]:
    """A fill from white (0) to near-black (1) and the text colour that contrasts more with it."""
    grey = round(255 - fraction * (255 - 0x1A))
    fill = f"#{grey:02x}{grey:02x}{grey:02x}"
    # Pure black, not the ink colour: only black or white reach 4.5:1 on every grey.
    light = _luminance(fill)
    on_light = (light + 0.05) / 0.05
    on_dark = 1.05 / (light + 0.05)
    return fill, _WHITE if on_dark > on_light else "#000000"


def heat_map(
    chart_id: str,
    title: str,
    row_labels: list[str],
    column_labels: list[str],
    values: list[list[int]],
    *,
    links: list[list[str | None]] | None = None,
) -> Markup:
    """A grid shaded white to near-black by value, each non-empty cell showing its number."""
    cid = _chart_id(chart_id)
    shape = [len(row_labels)] + [len(column_labels)] * len(row_labels)
    if [len(values)] + [len(row) for row in values] != shape or (
        links is not None and [len(links)] + [len(row) for row in links] != shape
    ):
        raise ValueError("heat_map needs one row of values (and links) per row label")
    for row in values:
        _check_values(row)
    peak = max((v for row in values for v in row), default=0)
    if not column_labels or peak <= 0:
        return _empty(cid, title)
    left = 20 + max(_width(_truncate(label, 24)) for label in row_labels)
    cell = max(32, _width(format_number(peak), _SMALL) + 8)
    heads = [_truncate(label, 10) for label in column_labels]
    every = math.ceil((max(_width(head, _SMALL) for head in heads) + 4) / cell)
    body = [
        f'<text class="tick-label" x="{_n(left + (c + 0.5) * cell)}" y="20" text-anchor="middle"'
        f' font-size="{_SMALL}">{_esc(heads[c])}</text>'
        for c in range(0, len(heads), every)
    ]
    for r, (label, row) in enumerate(zip(row_labels, values, strict=True)):
        y = 28 + r * 30
        body.append(
            f'<text class="tick-label" x="{_n(left - 8)}" y="{y + 15}" dy="0.35em"'
            f' text-anchor="end">{_esc(_truncate(label, 24))}</text>'
        )
        for c, value in enumerate(row):
            x = left + c * cell
            fill, ink = _shade(0.1 + 0.9 * value / peak if value > 0 else 0)
            inner = (
                f"<title>{_esc(label)}, {_esc(column_labels[c])}: {format_number(value)}</title>"
                f'<rect class="cell" x="{_n(x)}" y="{y}" width="{_n(cell)}" height="30"'
                f' fill="{fill}" stroke="{_GRID}" stroke-width="1"/>'
            )
            if value > 0:
                inner += (
                    f'<text class="cell-value" x="{_n(x + cell / 2)}" y="{y + 15}" dy="0.35em"'
                    f' text-anchor="middle" font-size="{_SMALL}" fill="{ink}">'
                    f"{format_number(value)}</text>"
                )
            body.append(_link(links[r][c] if links else None, inner, "cell-group"))
    top_r, top_c = max(
        ((r, c) for r, row in enumerate(values) for c in range(len(row))),
        key=lambda rc: values[rc[0]][rc[1]],
    )
    desc = (
        f"Värmekarta med {_count(len(row_labels), 'rad', 'rader')} och"
        f" {_count(len(column_labels), 'kolumn', 'kolumner')}; högsta värde {format_number(peak)}"
        f" ({row_labels[top_r]}, {column_labels[top_c]}). Mörkare ruta betyder högre värde;"
        " tomma rutor är noll."
    )
    has_links = links is not None and any(any(row) for row in links)
    width = left + len(column_labels) * cell + 12
    height = 40 + len(row_labels) * 30
    return _svg(cid, "heat", title, desc, body, height=height, width=width, links=has_links)
