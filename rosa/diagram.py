"""An inline SVG drawing of a process map: two office lanes, steps coloured by ROSA level.

The SVG has no scripts, no external resources and no <style> element (a style
element in inline SVG would apply to the whole page): everything is presentation
attributes. Every step shows its level as text ("Nivå 3"), so the drawing reads in
black and white too; colours only repeat it. Text is escaped, names may contain
anything.
"""

import re
import textwrap
from xml.sax.saxutils import escape, quoteattr

import networkx as nx

import svformat
from rosa.layout import LANE_HEADER, POOL_HEADER, TASK_WIDTH, Box, layout
from rosa.processmap import unique_ids

# ColorBrewer "Blues", light to dark. Dark text on 1-5, white on 6-8: every pair
# has a contrast ratio of at least 4.5:1 (checked in tests/test_rosa_diagram.py).
LEVEL_COLOURS: dict[int, str] = {
    1: "#deebf7",
    2: "#c6dbef",
    3: "#9ecae1",
    4: "#6baed6",
    5: "#4292c6",
    6: "#2171b5",
    7: "#08519c",
    8: "#08306b",
}
DARK_TEXT = "#1a1a1a"
LIGHT_TEXT = "#ffffff"
LEVEL_TEXT_COLOURS: dict[int, str] = {
    level: DARK_TEXT if level <= 5 else LIGHT_TEXT for level in LEVEL_COLOURS
}
UNKNOWN_FILL = "#ececec"
UNKNOWN_HATCH = "#c4c4c4"
LANE_NAMES = {"front": "Främre ledet", "back": "Bakre ledet"}
NO_ACTOR = "aktör saknas"

_LINE = "#5a5f66"
_BORDER = "#3d4148"
_HEADER = POOL_HEADER + LANE_HEADER
_ID_BAD = re.compile(r"[^A-Za-z0-9_-]")
_XML_BAD = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value) -> str:
    return escape(_XML_BAD.sub("", str(value)))


def _attr(value) -> str:
    return quoteattr(_XML_BAD.sub("", str(value)), {"\n": "&#10;", "\r": "&#13;", "\t": "&#9;"})


def _n(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def step_dom_ids(graph: nx.DiGraph) -> dict[str, str]:
    """Step id -> the id of its <g> in the SVG ("step-" + the id with other characters as _)."""
    return unique_ids(graph, "step-", _ID_BAD, "-")


def _wrap(name: str, width: int, lines: int) -> list[str]:
    wrapped = textwrap.wrap(
        name, width=width, max_lines=lines, placeholder="…", break_long_words=True
    )
    return wrapped or [""]


def _edge_label(attrs: dict) -> str:
    parts = []
    if attrs.get("name"):
        parts.append(str(attrs["name"]))
    if attrs.get("share") is not None:
        parts.append(svformat.percent(attrs["share"]))
    if attrs.get("count") is not None:
        parts.append(f"n={svformat.number(attrs['count'], 0)}")
    return " · ".join(parts)


def _describe(graph: nx.DiGraph) -> str:
    work = [n for n, a in graph.nodes(data=True) if a.get("kind", "task") in ("task", "subprocess")]
    front = sum(1 for n in work if graph.nodes[n].get("actor") == "front")
    back = sum(1 for n in work if graph.nodes[n].get("actor") == "back")
    unknown = len(work) - front - back
    no_level = sum(1 for n in work if graph.nodes[n].get("level") is None)
    text = (
        f"Processkarta med {len(graph)} steg, varav {len(work)} arbetssteg, "
        f"i två led: {front} i främre ledet, {back} i bakre ledet"
    )
    if unknown:
        text += f" och {unknown} utan angiven aktör (ritade i bakre ledet)"
    text += f". {graph.number_of_edges()} flöden."
    if no_level:
        text += f" {no_level} arbetssteg saknar ROSA-nivå."
    return text


def _step_title(attrs: dict, name: str) -> str:
    level = attrs.get("level")
    actor = attrs.get("actor")
    minutes = attrs.get("minutes")
    parts = [
        name,
        f"Nivå {level}" if level is not None else "Nivå saknas",
        LANE_NAMES.get(actor, NO_ACTOR),
    ]
    if minutes is not None:
        parts.append(svformat.duration(minutes * 60))
    return " — ".join(parts)


def _work_step(out: list[str], box: Box, attrs: dict, name: str, hatch: str) -> None:
    level = attrs.get("level")
    if level in LEVEL_COLOURS:
        fill, ink = LEVEL_COLOURS[level], LEVEL_TEXT_COLOURS[level]
    else:
        fill, ink = f"url(#{hatch})", DARK_TEXT
    dashed = attrs.get("actor") not in LANE_NAMES
    dash = ' stroke-dasharray="5 3"' if dashed else ""
    width = "2" if attrs.get("kind") == "subprocess" else "1.2"
    out.append(
        f'<rect x="{_n(box.x)}" y="{_n(box.y)}" width="{_n(box.width)}"'
        f' height="{_n(box.height)}" rx="8" fill="{fill}" stroke="{_BORDER}"'
        f' stroke-width="{width}"{dash}/>'
    )
    level_text = f"Nivå {level}" if level is not None else "Nivå ?"
    out.append(
        f'<text x="{_n(box.x + 7)}" y="{_n(box.y + 13)}" font-size="10.5"'
        f' font-weight="bold" fill="{ink}">{_text(level_text)}</text>'
    )
    if dashed:
        out.append(
            f'<text x="{_n(box.right - 6)}" y="{_n(box.y + 13)}" font-size="9.5"'
            f' font-style="italic" text-anchor="end" fill="{ink}">{NO_ACTOR}</text>'
        )
    lines = _wrap(name, 18, 3)
    first = box.y + 28 + (3 - len(lines)) * 6.5
    spans = "".join(
        f'<tspan x="{_n(box.cx)}" y="{_n(first + i * 13)}">{_text(line)}</tspan>'
        for i, line in enumerate(lines)
    )
    out.append(f'<text font-size="11.5" text-anchor="middle" fill="{ink}">{spans}</text>')
    if attrs.get("kind") == "subprocess":
        # The collapsed sub-process marker: a small boxed plus at the bottom centre.
        x, y = box.cx - 5, box.bottom - 11
        out.append(
            f'<path d="M{_n(x)} {_n(y)}h10v10h-10z M{_n(x + 5)} {_n(y + 2)}v6'
            f' M{_n(x + 2)} {_n(y + 5)}h6" fill="none" stroke="{ink}" stroke-width="1"/>'
        )


def _routing_step(out: list[str], box: Box, kind: str, name: str) -> None:
    if kind == "gateway":
        out.append(
            f'<polygon points="{_n(box.cx)},{_n(box.y)} {_n(box.right)},{_n(box.cy)}'
            f' {_n(box.cx)},{_n(box.bottom)} {_n(box.x)},{_n(box.cy)}" fill="#ffffff"'
            f' stroke="{_BORDER}" stroke-width="1.2"/>'
        )
        lines = _wrap(name, 26, 2) if name else []
        top = box.y - 6 - (len(lines) - 1) * 12
    else:
        radius = box.width / 2
        stroke = {"start": "1.2", "end": "3"}.get(kind, "1.2")
        out.append(
            f'<circle cx="{_n(box.cx)}" cy="{_n(box.cy)}" r="{_n(radius)}" fill="#ffffff"'
            f' stroke="{_BORDER}" stroke-width="{stroke}"/>'
        )
        if kind == "event":
            out.append(
                f'<circle cx="{_n(box.cx)}" cy="{_n(box.cy)}" r="{_n(radius - 3)}"'
                f' fill="none" stroke="{_BORDER}" stroke-width="1"/>'
            )
        lines = _wrap(name, 26, 2) if name else []
        top = box.bottom + 12
    if lines:
        spans = "".join(
            f'<tspan x="{_n(box.cx)}" y="{_n(top + i * 12)}">{_text(line)}</tspan>'
            for i, line in enumerate(lines)
        )
        out.append(
            f'<text font-size="10" text-anchor="middle" fill="{DARK_TEXT}"'
            f' stroke="#ffffff" stroke-width="3" paint-order="stroke">{spans}</text>'
        )


# Flow labels: 10 px text, about this wide a character (a little more than the average
# of system-ui, so an estimate errs on the side of room), and this much air around them.
LABEL_CHAR_WIDTH = 6.0
LABEL_HEIGHT = 12.0
LABEL_AIR = 4.0
# The widest gap between columns made for labels; longer labels may still need another spot.
LABEL_GAP_MAX = 150


def label_width(text: str) -> float:
    return len(text) * LABEL_CHAR_WIDTH


def _overlaps(a: tuple, b: tuple) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _label_spots(points, source_box: Box, target_box: Box, width: float):
    """Where a flow's label may go, best first, as (x, y, anchor, bounding box)."""
    spots = []
    # Above the middle of its longest horizontal stretch, if the label fits on it.
    runs = [
        (abs(bx - ax), ax, bx, ay)
        for (ax, ay), (bx, by) in zip(points, points[1:], strict=False)
        if ay == by
    ]
    for length, ax, bx, y in sorted(runs, reverse=True):
        if length >= width + 2 * LABEL_AIR:
            middle = (ax + bx) / 2
            spots.append(
                (
                    middle,
                    y - 5,
                    "middle",
                    (middle - width / 2, y - 5 - LABEL_HEIGHT + 2, middle + width / 2, y - 3),
                )
            )
            spots.append(
                (middle, y + 13, "middle", (middle - width / 2, y + 3, middle + width / 2, y + 15))
            )
    # Just before the target, above or below the flow; then just after the source.
    tx, ty = target_box.x - 6, target_box.cy
    spots.append((tx, ty - 5, "end", (tx - width, ty - 5 - LABEL_HEIGHT + 2, tx, ty - 3)))
    spots.append((tx, ty + 13, "end", (tx - width, ty + 3, tx, ty + 15)))
    sx, sy = source_box.right + 6, source_box.cy
    spots.append((sx, sy - 5, "start", (sx, sy - 5 - LABEL_HEIGHT + 2, sx + width, sy - 3)))
    spots.append((sx, sy + 13, "start", (sx, sy + 3, sx + width, sy + 15)))
    return spots


def place_labels(graph: nx.DiGraph, geometry, texts: dict) -> dict:
    """Per flow with a label: (x, y, anchor, bounding box) clear of every step and of the
    labels placed before it, where such a spot exists (else its first choice)."""
    taken = [
        (b.x - LABEL_AIR, b.y - LABEL_AIR, b.right + LABEL_AIR, b.bottom + LABEL_AIR)
        for b in geometry.boxes.values()
    ]
    placed = {}
    for edge, text in texts.items():
        source, target = edge
        spots = _label_spots(
            geometry.edges[edge], geometry.boxes[source], geometry.boxes[target], label_width(text)
        )
        spot = next((s for s in spots if not any(_overlaps(s[3], t) for t in taken)), spots[0])
        placed[edge] = spot
        taken.append(spot[3])
    return placed


def render_svg(
    graph: nx.DiGraph,
    title: str,
    labels: dict | None = None,
    *,
    dom_id: str = "processkarta",
) -> str:
    """The map as an inline SVG string.

    `labels` maps a flow (source, target) to the text written on it, replacing the
    default (its name, share as a percentage and count). `dom_id` prefixes the ids
    of the title, description and definitions; give each SVG on a page its own.
    """
    labels = labels or {}
    texts = {}
    for source, target, attrs in graph.edges(data=True):
        label = labels.get((source, target))
        label = _edge_label(attrs) if label is None else str(label)
        if label:
            texts[(source, target)] = label[:60]
    # Room for the labels between the columns (a discovered map's "38 % · n=1 443").
    widest = max((label_width(t) for t in texts.values()), default=0)
    geometry = layout(graph, TASK_WIDTH + min(widest, LABEL_GAP_MAX) + 4 * LABEL_AIR)
    spots = place_labels(graph, geometry, texts)
    prefix = _ID_BAD.sub("_", dom_id) or "processkarta"
    arrow, hatch = f"{prefix}-arrow", f"{prefix}-hatch"
    title_id, desc_id = f"{prefix}-title", f"{prefix}-desc"
    width, height = geometry.width, geometry.height
    out: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_n(width)} {_n(height)}"'
        f' width="100%" preserveAspectRatio="xMinYMin meet" role="img"'
        f' aria-labelledby="{title_id} {desc_id}" class="processkarta"'
        " font-family=\"system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif\">",
        f'<title id="{title_id}">{_text(title)}</title>',
        f'<desc id="{desc_id}">{_text(_describe(graph))}</desc>',
        "<defs>",
        f'<marker id="{arrow}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7"'
        f' markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z"'
        f' fill="{_LINE}"/></marker>',
        f'<pattern id="{hatch}" width="8" height="8" patternUnits="userSpaceOnUse"'
        f' patternTransform="rotate(45)"><rect width="8" height="8" fill="{UNKNOWN_FILL}"/>'
        f'<line x1="0" y1="0" x2="0" y2="8" stroke="{UNKNOWN_HATCH}" stroke-width="3"/>'
        "</pattern>",
        "</defs>",
        '<g class="lanes">',
    ]
    for actor, lane in geometry.lanes.items():
        box = lane.box
        fill = "#f7f9fb" if actor == "front" else "#fdfdfd"
        middle = box.y + box.height / 2
        out += [
            f'<g class="lane lane-{actor}">',
            f'<rect x="0" y="{_n(box.y)}" width="{_n(width)}" height="{_n(box.height)}"'
            f' fill="{fill}" stroke="#9aa1aa" stroke-width="1"/>',
            f'<rect x="0" y="{_n(box.y)}" width="{_HEADER}" height="{_n(box.height)}"'
            ' fill="#e9edf1" stroke="#9aa1aa" stroke-width="1"/>',
            f'<text x="{_HEADER / 2}" y="{_n(middle)}" font-size="13" font-weight="bold"'
            f' text-anchor="middle" dominant-baseline="central" fill="{DARK_TEXT}"'
            f' transform="rotate(-90 {_HEADER / 2} {_n(middle)})">{LANE_NAMES[actor]}</text>',
            "</g>",
        ]
    out += ["</g>", '<g class="flows">']
    for (source, target), points in geometry.edges.items():
        attrs = graph.edges[source, target]
        path = " ".join(f"{_n(x)},{_n(y)}" for x, y in points)
        out.append(
            f'<g class="flow"><polyline points="{path}" fill="none" stroke="{_LINE}"'
            f' stroke-width="1.5" marker-end="url(#{arrow})"/>'
        )
        out.append("</g>")
    out += ["</g>", '<g class="steps">']
    dom_ids = step_dom_ids(graph)
    for node, attrs in graph.nodes(data=True):
        kind = attrs.get("kind") or "task"
        name = " ".join(str(attrs.get("name") or node).split())
        level = attrs.get("level")
        actor = attrs.get("actor") if attrs.get("actor") in LANE_NAMES else "none"
        classes = f"step kind-{kind} level-{level if level is not None else 'none'} actor-{actor}"
        out.append(
            f'<g id="{dom_ids[node]}" class="{classes}" data-step-id={_attr(node)}>'
            f"<title>{_text(_step_title(attrs, name) if kind in ('task', 'subprocess') else name)}"
            "</title>"
        )
        box = geometry.boxes[node]
        if kind in ("task", "subprocess"):
            _work_step(out, box, attrs, name, hatch)
        else:
            # An unnamed gateway or event got its id as name on import: not worth a label.
            _routing_step(out, box, kind, "" if name == str(node) else name)
        out.append("</g>")
    # Flow labels last, over everything, each clear of the steps and of each other where
    # the map leaves room (place_labels); a white halo keeps crossing lines off the text.
    out += ["</g>", '<g class="flow-labels">']
    for edge, text in texts.items():
        x, y, anchor, _ = spots[edge]
        out.append(
            f'<text x="{_n(x)}" y="{_n(y)}" font-size="10" text-anchor="{anchor}"'
            f' fill="{DARK_TEXT}" stroke="#ffffff" stroke-width="3"'
            f' paint-order="stroke">{_text(text)}</text>'
        )
    out += ["</g>", "</svg>"]
    return "\n".join(out)
