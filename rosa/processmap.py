"""Process maps: a case type's steps and flows as a networkx DiGraph, and what they tell.

Nodes are step ids with the attributes of `Step` (name, level, actor, minutes,
share, kind, lane, count). Edges carry `share` (fraction of the cases leaving the
source that take this flow), `count` (from an event log) and `name` (a
condition label from BPMN). Routing nodes (gateways, events) are kept so a map
read from BPMN can be written back, but analyses look at work steps only.
"""

import math
import re
from dataclasses import asdict, dataclass, field
from typing import Any

import networkx as nx

from rosa.levels import MAX_LEVEL, MIN_LEVEL

ACTORS = ("front", "back")
WORK_KINDS = ("task", "subprocess")
ROUTING_KINDS = ("gateway", "start", "end", "event")
STEP_KINDS = WORK_KINDS + ROUTING_KINDS
ID_MAX = 100
NAME_MAX = 200
MAX_STEPS = 2000
# Enumerating every simple path is exponential; maps from real tools stay far below this.
PATH_LIMIT = 500
# Path search stops after this many steps visited, whatever the map's shape.
SEARCH_BUDGET = 50_000
NUMBER_MAX = 10**12


class ProcessMapError(ValueError):
    """A map that cannot be used; `place` names the element or field at fault."""

    def __init__(self, place: str, message: str) -> None:
        super().__init__(f"{place}: {message}")
        self.place = place
        self.message = message


@dataclass
class Step:
    id: str
    name: str
    level: int | None = None
    actor: str | None = None
    minutes: float | None = None
    share: float | None = None
    kind: str = "task"
    lane: str = ""
    count: int | None = None


@dataclass
class Flow:
    source: str
    target: str
    share: float | None = None
    count: int | None = None
    name: str = ""


def _number(value: Any, place: str, *, low: float, high: float | None, integer=False):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ProcessMapError(place, "ska vara ett tal")
    # Infinity, NaN and numbers beyond any real count would break later arithmetic.
    if isinstance(value, float) and not math.isfinite(value):
        raise ProcessMapError(place, "ska vara ett ändligt tal")
    high = NUMBER_MAX if high is None else high
    if value < low or value > high:
        raise ProcessMapError(place, f"ska vara {low}–{high}")
    if integer and int(value) != value:
        raise ProcessMapError(place, "ska vara ett heltal")
    return int(value) if integer else float(value)


def _text(value: Any, place: str, max_length: int, *, required: bool) -> str:
    if value is None:
        if required:
            raise ProcessMapError(place, "saknas")
        return ""
    if not isinstance(value, str):
        raise ProcessMapError(place, "ska vara en sträng")
    value = value.strip()
    if required and not value:
        raise ProcessMapError(place, "får inte vara tom")
    if len(value) > max_length:
        raise ProcessMapError(place, f"högst {max_length} tecken")
    if "\x00" in value:
        raise ProcessMapError(place, "innehåller otillåtna tecken")
    return value


def check_step(step: Step, place: str) -> Step:
    """Validate and normalise one step; ProcessMapError names the field."""
    step.id = _text(step.id, f"{place}.id", ID_MAX, required=True)
    step.name = _text(step.name, f"{place}.name", NAME_MAX, required=False) or step.id
    level = _number(step.level, f"{place}.level", low=MIN_LEVEL, high=MAX_LEVEL, integer=True)
    step.level = level
    if step.actor is not None and step.actor not in ACTORS:
        raise ProcessMapError(f"{place}.actor", "ska vara front eller back")
    step.minutes = _number(step.minutes, f"{place}.minutes", low=0, high=100_000)
    step.share = _number(step.share, f"{place}.share", low=0, high=1)
    step.count = _number(step.count, f"{place}.count", low=0, high=None, integer=True)
    if step.kind not in STEP_KINDS:
        raise ProcessMapError(f"{place}.kind", f"ska vara en av {', '.join(STEP_KINDS)}")
    step.lane = _text(step.lane, f"{place}.lane", NAME_MAX, required=False)
    return step


def build(steps: list[Step], flows: list[Flow], name: str = "") -> nx.DiGraph:
    """A validated map from steps and flows; ProcessMapError on the first fault."""
    if len(steps) > MAX_STEPS:
        raise ProcessMapError("steps", f"högst {MAX_STEPS} steg")
    graph = nx.DiGraph(name=name)
    for index, step in enumerate(steps):
        check_step(step, f"steps[{index}]")
        if step.id in graph:
            raise ProcessMapError(f"steps[{index}].id", f"finns redan: {step.id}")
        graph.add_node(step.id, **{k: v for k, v in asdict(step).items() if k != "id"})
    for index, flow in enumerate(flows):
        place = f"flows[{index}]"
        for end, key in ((flow.source, "from"), (flow.target, "to")):
            if not isinstance(end, str) or end not in graph:
                raise ProcessMapError(f"{place}.{key}", f"okänt steg: {end}")
        share = _number(flow.share, f"{place}.share", low=0, high=1)
        count = _number(flow.count, f"{place}.count", low=0, high=None, integer=True)
        label = _text(flow.name, f"{place}.name", NAME_MAX, required=False)
        graph.add_edge(flow.source, flow.target, share=share, count=count, name=label)
    return graph


def from_dict(data: Any, *, allow_empty: bool = False) -> nx.DiGraph:
    """The JSON form {"steps": [...], "flows": [{"from","to","share"}]} as a map.

    A map sent in needs a step; a stored one may be empty (a BPMN file without a process
    imports as an empty map, with a warning), so reading it back allows that.
    """
    if not isinstance(data, dict):
        raise ProcessMapError("body", "ska vara ett JSON-objekt")
    raw_steps, raw_flows = data.get("steps"), data.get("flows", [])
    if not isinstance(raw_steps, list) or not (raw_steps or allow_empty):
        raise ProcessMapError("steps", "ska vara en lista med minst ett steg")
    if not isinstance(raw_flows, list):
        raise ProcessMapError("flows", "ska vara en lista")
    step_keys = {f for f in Step.__dataclass_fields__}
    steps = []
    for index, item in enumerate(raw_steps):
        if not isinstance(item, dict):
            raise ProcessMapError(f"steps[{index}]", "ska vara ett objekt")
        unknown = set(item) - step_keys
        if unknown:
            raise ProcessMapError(f"steps[{index}].{sorted(unknown)[0]}", "okänt fält")
        steps.append(Step(**{"id": item.get("id"), "name": item.get("name")} | item))
    flows = []
    for index, item in enumerate(raw_flows):
        if not isinstance(item, dict):
            raise ProcessMapError(f"flows[{index}]", "ska vara ett objekt")
        unknown = set(item) - {"from", "to", "share", "count", "name"}
        if unknown:
            raise ProcessMapError(f"flows[{index}].{sorted(unknown)[0]}", "okänt fält")
        flows.append(
            Flow(
                item.get("from"),
                item.get("to"),
                item.get("share"),
                item.get("count"),
                item.get("name") or "",
            )
        )
    name = data.get("name") or ""
    return build(steps, flows, name=_text(name, "name", NAME_MAX, required=False))


def steps_of(graph: nx.DiGraph) -> list[Step]:
    return [Step(id=node, **attrs) for node, attrs in graph.nodes(data=True)]


def flow_order(graph: nx.DiGraph) -> list[str]:
    """The steps in the order a case meets them: from the starts along the flows.

    A depth-first walk from each start (start events, else steps nothing leads to), the
    most travelled flow first (count, then share, then the map's own order), listing each
    step after the steps before it where loops allow (reverse post-order); steps no start
    reaches come last, in the map's order. Deterministic for a given map.
    """
    position = {node: place for place, node in enumerate(graph)}

    def weight(source: str, target: str) -> tuple:
        attrs = graph.edges[source, target]
        return (-(attrs.get("count") or 0), -(attrs.get("share") or 0), position[target])

    starts = [n for n, a in graph.nodes(data=True) if a.get("kind") == "start"]
    starts = starts or [n for n in graph if graph.in_degree(n) == 0] or list(graph)[:1]
    done: set[str] = set()
    finished: list[str] = []
    for start in starts:
        if start in done:
            continue
        done.add(start)
        stack = [(start, iter(sorted(graph.successors(start), key=lambda t: weight(start, t))))]
        while stack:
            node, children = stack[-1]
            for child in children:
                if child not in done:
                    done.add(child)
                    ordered = sorted(graph.successors(child), key=lambda t, c=child: weight(c, t))
                    stack.append((child, iter(ordered)))
                    break
            else:
                finished.append(node)
                stack.pop()
    reached = finished[::-1]
    return reached + [n for n in graph if n not in done]


def step(graph: nx.DiGraph, step_id: str) -> Step:
    return Step(id=step_id, **graph.nodes[step_id])


def to_dict(graph: nx.DiGraph) -> dict:
    """The JSON form of a map, steps in insertion order."""
    return {
        "name": graph.graph.get("name", ""),
        "steps": [asdict(s) for s in steps_of(graph)],
        "flows": [
            {
                "from": source,
                "to": target,
                "share": attrs.get("share"),
                "count": attrs.get("count"),
                "name": attrs.get("name", ""),
            }
            for source, target, attrs in graph.edges(data=True)
        ],
    }


# --- Analysis ---------------------------------------------------------------


def unique_ids(graph: nx.DiGraph, prefix: str, bad: re.Pattern, joiner: str) -> dict[str, str]:
    """Step id -> prefix + the id with `bad` characters as _, made unique with joiner + N.

    For the ids of other formats (BPMN's NCNames, the SVG's element ids), which
    allow fewer characters than a step id.
    """
    result: dict[str, str] = {}
    used: set[str] = set()
    for node in graph:
        base = prefix + bad.sub("_", str(node))
        candidate, number = base, 2
        while candidate in used:
            candidate = f"{base}{joiner}{number}"
            number += 1
        used.add(candidate)
        result[node] = candidate
    return result


def start_steps(graph: nx.DiGraph) -> list[str]:
    """Where cases enter: nodes without predecessors, or the first node of a cycle-only map."""
    starts = [n for n in graph if graph.in_degree(n) == 0]
    return starts or list(graph)[:1]


def _end_steps(graph: nx.DiGraph) -> set[str]:
    return {n for n in graph if graph.out_degree(n) == 0}


def _flow_weight(graph: nx.DiGraph, source: str, target: str) -> float:
    attrs = graph.edges[source, target]
    if attrs.get("count") is not None:
        return float(attrs["count"])
    if attrs.get("share") is not None:
        return float(attrs["share"])
    target_attrs = graph.nodes[target]
    if target_attrs.get("count") is not None:
        return float(target_attrs["count"])
    if target_attrs.get("share") is not None:
        return float(target_attrs["share"])
    return 1.0 / max(graph.out_degree(source), 1)


def most_common_path(graph: nx.DiGraph) -> list[str]:
    """The path most cases take: from the busiest start, always the heaviest unvisited flow."""
    if not graph:
        return []

    def start_weight(node: str) -> float:
        attrs = graph.nodes[node]
        return float(attrs.get("count") or attrs.get("share") or 0)

    starts = start_steps(graph)
    current = max(starts, key=lambda n: (start_weight(n), -starts.index(n)))
    path, seen = [current], {current}
    while True:
        options = [t for t in graph.successors(current) if t not in seen]
        if not options:
            return path
        # Ties go to the flow listed first, so the result is stable for hand-drawn maps.
        current = max(options, key=lambda t: (_flow_weight(graph, path[-1], t), -options.index(t)))
        path.append(current)
        seen.add(current)


def all_paths(graph: nx.DiGraph, limit: int = PATH_LIMIT) -> list[list[str]]:
    """Simple paths from every start to every end (at most `limit`)."""
    return _search_paths(graph, limit)[0]


def _search_paths(graph: nx.DiGraph, limit: int) -> tuple[list[list[str]], bool]:
    """The paths found, and whether the search saw them all.

    Only steps from which an end can be reached are searched, and the search stops
    after SEARCH_BUDGET steps visited: a densely looped map must not hang a page.
    """
    ends = _end_steps(graph)
    if not ends:
        return ([most_common_path(graph)] if graph else []), True
    reaching = set(ends)
    for end in ends:
        reaching |= nx.ancestors(graph, end)
    found: list[list[str]] = []
    budget = SEARCH_BUDGET
    for start in start_steps(graph):
        if start not in reaching:
            continue
        stack = [(start, [start], {start})]
        while stack and budget > 0:
            node, path, seen = stack.pop()
            budget -= 1
            if node in ends:
                found.append(path)
                if len(found) >= limit:
                    return found, False
                continue
            for target in reversed(list(graph.successors(node))):
                if target in reaching and target not in seen:
                    stack.append((target, [*path, target], seen | {target}))
        if stack:
            return found, False
    return found, True


def work_steps(graph: nx.DiGraph, path: list[str]) -> list[str]:
    return [n for n in path if graph.nodes[n].get("kind", "task") in WORK_KINDS]


def highest_level(graph: nx.DiGraph, path: list[str]) -> int | None:
    levels = [graph.nodes[n].get("level") for n in path]
    known = [lv for lv in levels if lv is not None]
    return max(known) if known else None


def handoffs(graph: nx.DiGraph, path: list[str], actors: dict[str, str] | None = None) -> int:
    """How often the case changes hands between front and back office along the path.

    Steps with no actor yet do not count either way; `actors` overrides a step's actor
    (used to count the handoffs after a move).
    """
    actors = actors or {}
    sequence = [actors.get(n, graph.nodes[n].get("actor")) for n in work_steps(graph, path)]
    sequence = [a for a in sequence if a]
    return sum(1 for a, b in zip(sequence, sequence[1:], strict=False) if a != b)


@dataclass
class PathSummary:
    steps: list[str]
    highest_level: int | None


@dataclass
class MoveAnalysis:
    """What raising the mandate to `mandate` would do along the most common path."""

    mandate: int
    path: list[str]
    movable: list[str] = field(default_factory=list)
    stranded: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    first_above: str | None = None
    handoffs_before: int = 0
    handoffs_after: int = 0
    minutes_moved: float = 0.0
    warnings: list[str] = field(default_factory=list)

    @property
    def helps(self) -> bool:
        return bool(self.movable)


def analyse_move(graph: nx.DiGraph, mandate: int) -> MoveAnalysis:
    """Which back-office steps could move to the front office under `mandate`.

    Moving helps only when the steps at or below the mandate form the start of the
    process: those are served in one go. A low step that comes after the first step
    above the mandate stays where it is (it is "stranded"), and the result says so.
    """
    path = most_common_path(graph)
    result = MoveAnalysis(mandate=mandate, path=path)
    seen_above = False
    for node in work_steps(graph, path):
        attrs = graph.nodes[node]
        level = attrs.get("level")
        if level is None:
            result.unknown.append(node)
            continue
        if level > mandate:
            if not seen_above:
                result.first_above = node
            seen_above = True
            continue
        if attrs.get("actor") == "front":
            continue
        if seen_above:
            result.stranded.append(node)
        else:
            result.movable.append(node)
            result.minutes_moved += attrs.get("minutes") or 0.0
    result.handoffs_before = handoffs(graph, path)
    result.handoffs_after = handoffs(graph, path, {n: "front" for n in result.movable})
    names = {n: graph.nodes[n].get("name") or n for n in graph}
    if result.stranded and result.first_above:
        stranded = ", ".join(names[n] for n in result.stranded)
        result.warnings.append(
            f"Steg på nivå {mandate} eller lägre ({stranded}) kommer efter "
            f"”{names[result.first_above]}” som ligger över nivå {mandate}: "
            "att flytta dem ger fler överlämningar, inte färre."
        )
    if result.unknown:
        result.warnings.append(
            f"{len(result.unknown)} steg saknar ROSA-nivå: "
            + ", ".join(names[n] for n in result.unknown)
        )
    if not result.movable and not result.stranded:
        result.warnings.append(f"Inga steg i bakre ledet ligger på nivå {mandate} eller lägre.")
    return result


@dataclass
class MapAnalysis:
    paths: list[PathSummary]
    most_common: list[str]
    handoffs: int
    truncated: bool


def analyse(graph: nx.DiGraph) -> MapAnalysis:
    """Highest level on each path and the handoffs along the most common one."""
    paths, complete = _search_paths(graph, PATH_LIMIT)
    common = most_common_path(graph)
    return MapAnalysis(
        paths=[PathSummary(p, highest_level(graph, p)) for p in paths],
        most_common=common,
        handoffs=handoffs(graph, common),
        truncated=not complete,
    )


# --- Editing (every edit returns a new graph; stored versions never change) ----


def _copy(graph: nx.DiGraph) -> nx.DiGraph:
    return graph.copy()


def add_step(graph: nx.DiGraph, new: Step, after: str | None = None) -> nx.DiGraph:
    """Insert a step after `after` (taking over its outgoing flows), or at the end."""
    check_step(new, "step")
    if new.id in graph:
        raise ProcessMapError("step.id", f"finns redan: {new.id}")
    result = _copy(graph)
    if after is None:
        ends = [n for n in graph if graph.out_degree(n) == 0]
        after = ends[-1] if ends else None
    elif after not in graph:
        raise ProcessMapError("after", f"okänt steg: {after}")
    result.add_node(new.id, **{k: v for k, v in asdict(new).items() if k != "id"})
    if after is not None:
        for target in list(graph.successors(after)):
            attrs = graph.edges[after, target]
            result.remove_edge(after, target)
            result.add_edge(new.id, target, **attrs)
        result.add_edge(after, new.id, share=None, count=None, name="")
    return result


def update_step(graph: nx.DiGraph, step_id: str, **changes: Any) -> nx.DiGraph:
    """Rename, relevel, set actor or minutes of one step."""
    if step_id not in graph:
        raise ProcessMapError("step", f"okänt steg: {step_id}")
    current = step(graph, step_id)
    for key, value in changes.items():
        if key == "id" or key not in Step.__dataclass_fields__:
            raise ProcessMapError(key, "kan inte ändras")
        setattr(current, key, value)
    check_step(current, "step")
    result = _copy(graph)
    result.nodes[step_id].update({k: v for k, v in asdict(current).items() if k != "id"})
    return result


def remove_step(graph: nx.DiGraph, step_id: str) -> nx.DiGraph:
    """Remove a step, joining its predecessors to its successors."""
    if step_id not in graph:
        raise ProcessMapError("step", f"okänt steg: {step_id}")
    if len(graph) == 1:
        raise ProcessMapError("step", "en karta måste ha minst ett steg")
    result = _copy(graph)
    for source in graph.predecessors(step_id):
        for target in graph.successors(step_id):
            joinable = source != target and step_id not in (source, target)
            if joinable and not result.has_edge(source, target):
                result.add_edge(source, target, share=None, count=None, name="")
    result.remove_node(step_id)
    return result


def move_earlier(graph: nx.DiGraph, step_id: str) -> nx.DiGraph:
    """Swap a step with the step before it, where the two follow each other in a plain sequence."""
    if step_id not in graph:
        raise ProcessMapError("step", f"okänt steg: {step_id}")
    before = list(graph.predecessors(step_id))
    if len(before) != 1 or list(graph.successors(before[0])) != [step_id]:
        raise ProcessMapError(
            "step", "bara steg i en rak följd (ett steg före, ingen förgrening) kan flyttas"
        )
    previous = before[0]
    if graph.has_edge(step_id, previous):
        raise ProcessMapError("step", "steg som leder tillbaka till varandra kan inte byta plats")
    result = _copy(graph)
    # previous -> step -> rest becomes step -> previous -> rest, and whatever led to
    # previous now leads to step.
    for source in list(graph.predecessors(previous)):
        attrs = graph.edges[source, previous]
        result.remove_edge(source, previous)
        result.add_edge(source, step_id, **attrs)
    for target in list(graph.successors(step_id)):
        attrs = graph.edges[step_id, target]
        result.remove_edge(step_id, target)
        result.add_edge(previous, target, **attrs)
    attrs = graph.edges[previous, step_id]
    result.remove_edge(previous, step_id)
    result.add_edge(step_id, previous, **attrs)
    # Keep the node order (used for listing steps) in step with the flow.
    ordered = list(result.nodes(data=True))
    i, j = [n for n, _ in ordered].index(previous), [n for n, _ in ordered].index(step_id)
    ordered[i], ordered[j] = ordered[j], ordered[i]
    reordered = nx.DiGraph(**result.graph)
    reordered.add_nodes_from(ordered)
    reordered.add_edges_from(result.edges(data=True))
    return reordered


def assign_lanes(graph: nx.DiGraph, lane_actors: dict[str, str]) -> nx.DiGraph:
    """Set the actor of every step in a lane (a BPMN import keeps lane names on steps)."""
    for lane, actor in lane_actors.items():
        if actor not in ACTORS:
            raise ProcessMapError(f"lanes.{lane}", "ska vara front eller back")
    result = _copy(graph)
    for _node, attrs in result.nodes(data=True):
        if attrs.get("lane") in lane_actors:
            attrs["actor"] = lane_actors[attrs["lane"]]
    return result


def lanes(graph: nx.DiGraph) -> list[str]:
    """Lane names in first-seen order."""
    seen: dict[str, None] = {}
    for _, attrs in graph.nodes(data=True):
        if attrs.get("lane"):
            seen.setdefault(attrs["lane"], None)
    return list(seen)
