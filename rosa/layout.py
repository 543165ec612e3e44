"""A deterministic left-to-right layout of a process map in two horizontal lanes.

The front office ("front") is the top lane, the back office ("back") the one below;
a work step with no actor is drawn in the back lane. Routing nodes (gateways,
events) take the lane of their predecessor (or, for a start, their successor).

Columns come from longest-path layering on the map with its back edges left out
(found by a depth-first search from the start nodes, in node order), so a cycle
does not stop the layout. Within a lane, nodes of one column are put on separate
rows, preferring the row of a predecessor so straight sequences stay straight.

Flows are routed orthogonally: vertical segments run in the gaps between columns
and horizontal detours along the boundaries between rows, so a flow never crosses
a node box. The same coordinates feed the BPMN diagram interchange (rosa.bpmn) and
the SVG drawing (rosa.diagram).
"""

from dataclasses import dataclass

import networkx as nx

TASK_WIDTH, TASK_HEIGHT = 120, 64
GATEWAY_SIZE = 50
EVENT_SIZE = 36
COLUMN_WIDTH = 170
ROW_HEIGHT = 96
POOL_HEADER = 30
LANE_HEADER = 30
MARGIN = 20
LANE_PADDING = 12
LANE_ORDER = ("front", "back")
_WORK_KINDS = ("task", "subprocess")
_EVENT_KINDS = ("start", "end", "event")
# Never 0, so a detour does not run along the bends of direct flows.
_OFFSETS = (6, -6, 12, -12)

Point = tuple[float, float]


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    width: float
    height: float

    @property
    def cx(self) -> float:
        return self.x + self.width / 2

    @property
    def cy(self) -> float:
        return self.y + self.height / 2

    @property
    def right(self) -> float:
        return self.x + self.width

    @property
    def bottom(self) -> float:
        return self.y + self.height

    def overlaps(self, other: "Box") -> bool:
        return (
            self.x < other.right
            and other.x < self.right
            and self.y < other.bottom
            and other.y < self.bottom
        )

    def contains(self, other: "Box") -> bool:
        return (
            self.x <= other.x
            and self.y <= other.y
            and other.right <= self.right
            and other.bottom <= self.bottom
        )


@dataclass(frozen=True)
class Lane:
    actor: str  # "front" | "back"
    box: Box


@dataclass
class Layout:
    """Coordinates of a map; `pool` surrounds everything, lanes start after its header."""

    boxes: dict[str, Box]
    lanes: dict[str, Lane]
    lane_of: dict[str, str]
    columns: dict[str, int]
    rows: dict[str, int]
    edges: dict[tuple[str, str], list[Point]]
    back_edges: set[tuple[str, str]]
    width: float
    height: float

    @property
    def pool(self) -> Box:
        return Box(0, 0, self.width, self.height)


def node_size(kind: str | None) -> tuple[int, int]:
    if kind == "gateway":
        return GATEWAY_SIZE, GATEWAY_SIZE
    if kind in _EVENT_KINDS:
        return EVENT_SIZE, EVENT_SIZE
    return TASK_WIDTH, TASK_HEIGHT


def _neighbours(graph: nx.DiGraph) -> tuple[dict, dict]:
    """Successors and predecessors in node order, so equal graphs lay out alike.

    (networkx keeps neighbours in insertion order, which a copy does not preserve.)
    """
    index = {n: i for i, n in enumerate(graph)}
    succ = {n: sorted(graph.successors(n), key=index.__getitem__) for n in graph}
    pred = {n: sorted(graph.predecessors(n), key=index.__getitem__) for n in graph}
    return succ, pred


def actor_lanes(graph: nx.DiGraph) -> dict[str, str]:
    """The lane ("front" or "back") of every node.

    Work steps go by their actor (no actor: back). A routing node with an actor of
    its own keeps it; otherwise it follows the first predecessor chain back to a
    placed node, or failing that the first successor chain forward, else "back".
    """
    succ, pred = _neighbours(graph)
    lane: dict[str, str] = {}
    for node, attrs in graph.nodes(data=True):
        actor = attrs.get("actor")
        if attrs.get("kind", "task") in _WORK_KINDS:
            lane[node] = "front" if actor == "front" else "back"
        elif actor in LANE_ORDER:
            lane[node] = actor
    for node in graph:
        if node in lane:
            continue
        found = None
        for neighbours in (pred, succ):
            chain, current, seen = [], node, {node}
            while True:
                following = next((n for n in neighbours[current] if n not in seen), None)
                if following is None:
                    break
                if following in lane:
                    found = lane[following]
                    break
                chain.append(following)
                seen.add(following)
                current = following
            if found is not None:
                for item in chain:
                    lane.setdefault(item, found)
                break
        lane[node] = found or "back"
    return lane


def _back_edges(succ: dict, pred: dict, order: list[str]) -> set[tuple[str, str]]:
    """Edges closing a cycle in a depth-first search from the starts, then the rest."""
    starts = [n for n in order if not pred[n]]
    state: dict[str, int] = {}  # 1 = on the stack, 2 = done
    back: set[tuple[str, str]] = set()
    for root in starts + order:
        if root in state:
            continue
        state[root] = 1
        stack = [(root, iter(succ[root]))]
        while stack:
            node, successors = stack[-1]
            for following in successors:
                seen = state.get(following)
                if seen == 1:
                    back.add((node, following))
                elif seen is None:
                    state[following] = 1
                    stack.append((following, iter(succ[following])))
                    break
            else:
                state[node] = 2
                stack.pop()
    return back


def _columns(succ: dict, order: list[str], back: set[tuple[str, str]]) -> dict[str, int]:
    """Longest-path layering of the acyclic rest, nodes taken in a stable order."""
    index = {n: i for i, n in enumerate(order)}
    remaining = dict.fromkeys(order, 0)
    for source in order:
        for target in succ[source]:
            if (source, target) not in back:
                remaining[target] += 1
    column = dict.fromkeys(order, 0)
    ready = [n for n in order if remaining[n] == 0]
    position = 0
    while position < len(ready):
        node = ready[position]
        position += 1
        released = []
        for following in succ[node]:
            if (node, following) in back:
                continue
            column[following] = max(column[following], column[node] + 1)
            remaining[following] -= 1
            if remaining[following] == 0:
                released.append(following)
        ready.extend(sorted(released, key=index.__getitem__))
    return column


def layout(graph: nx.DiGraph, column_width: float = COLUMN_WIDTH) -> Layout:
    """Boxes, lanes and flow waypoints for `graph`; the same graph gives the same layout.

    `column_width` widens the gaps between columns (rosa.diagram: room for flow labels).
    """
    column_width = max(column_width, COLUMN_WIDTH)
    order = list(graph)
    index = {n: i for i, n in enumerate(order)}
    lane_of = actor_lanes(graph)
    succ, pred = _neighbours(graph)
    back = _back_edges(succ, pred, order)
    column = _columns(succ, order, back)

    rows: dict[str, int] = {}
    taken: dict[tuple[str, int], set[int]] = {}
    for node in sorted(order, key=lambda n: (column[n], index[n])):
        lane = lane_of[node]
        placed = [
            rows[p]
            for p in pred[node]
            if p in rows and lane_of[p] == lane and (p, node) not in back
        ]
        row = min(placed) if placed else 0
        used = taken.setdefault((lane, column[node]), set())
        while row in used:
            row += 1
        used.add(row)
        rows[node] = row

    columns_count = max(column.values(), default=0) + 1
    width = POOL_HEADER + LANE_HEADER + 2 * MARGIN + columns_count * column_width
    lanes: dict[str, Lane] = {}
    top = 0.0
    for actor in LANE_ORDER:
        count = max((rows[n] + 1 for n in order if lane_of[n] == actor), default=1)
        height = count * ROW_HEIGHT + 2 * LANE_PADDING
        lanes[actor] = Lane(actor, Box(POOL_HEADER, top, width - POOL_HEADER, height))
        top += height

    def cell(node: str) -> Box:
        lane = lanes[lane_of[node]].box
        x = POOL_HEADER + LANE_HEADER + MARGIN + column[node] * column_width
        y = lane.y + LANE_PADDING + rows[node] * ROW_HEIGHT
        return Box(x, y, column_width, ROW_HEIGHT)

    cells = {n: cell(n) for n in order}
    boxes = {}
    for node in order:
        w, h = node_size(graph.nodes[node].get("kind"))
        c = cells[node]
        boxes[node] = Box(c.cx - w / 2, c.cy - h / 2, w, h)

    occupied = {(lane_of[n], column[n], rows[n]) for n in order}
    edges: dict[tuple[str, str], list[Point]] = {}
    detours: dict[tuple[str, str], tuple[float, float, float]] = {}
    for source, target in graph.edges:
        route = _route(source, target, boxes, cells, column, rows, lane_of, occupied)
        if isinstance(route, tuple):
            detours[(source, target)] = route
        else:
            edges[(source, target)] = route
    # Detours sharing a row boundary are spread a little apart so they can be told apart.
    sharing: dict[float, list[tuple[str, str]]] = {}
    for edge, (_, channel, _) in detours.items():
        sharing.setdefault(channel, []).append(edge)
    for members in sharing.values():
        for number, edge in enumerate(members):
            offset = _OFFSETS[number % len(_OFFSETS)]
            x1, channel, x2 = detours[edge]
            s, t = boxes[edge[0]], boxes[edge[1]]
            edges[edge] = _clean(
                [
                    (s.right, s.cy),
                    (x1 + offset, s.cy),
                    (x1 + offset, channel + offset),
                    (x2 - offset, channel + offset),
                    (x2 - offset, t.cy),
                    (t.x, t.cy),
                ]
            )
    edges = {edge: edges[edge] for edge in graph.edges}
    return Layout(
        boxes=boxes,
        lanes=lanes,
        lane_of=lane_of,
        columns=column,
        rows=rows,
        edges=edges,
        back_edges=back,
        width=width,
        height=top,
    )


def _route(source, target, boxes, cells, column, rows, lane_of, occupied):
    """Points of a direct flow, or (x1, channel, x2) of one that must go around."""
    s, t = boxes[source], boxes[target]
    sc, tc = cells[source], cells[target]
    start, end = (s.right, s.cy), (t.x, t.cy)
    cs, ct = column[source], column[target]
    if source != target and ct > cs:
        same_row = lane_of[source] == lane_of[target] and rows[source] == rows[target]
        if same_row and not any(
            (lane_of[source], c, rows[source]) in occupied for c in range(cs + 1, ct)
        ):
            return [start, end]
        if ct == cs + 1:
            return _clean([start, (sc.right, s.cy), (sc.right, t.cy), end])
        channel = sc.y if tc.y < sc.y else sc.bottom
    else:
        channel = max(sc.bottom, tc.bottom)
    return (sc.right, channel, tc.x)


def _clean(points: list[Point]) -> list[Point]:
    """Drop repeated points and middle points of straight runs."""
    result: list[Point] = []
    for point in points:
        if result and result[-1] == point:
            continue
        if len(result) >= 2:
            (ax, ay), (bx, by) = result[-2], result[-1]
            if (ax == bx == point[0]) or (ay == by == point[1]):
                result[-1] = point
                continue
        result.append(point)
    return result
