"""Layout (rosa.layout) and the SVG drawing (rosa.diagram) of process maps."""

import random
import re
from pathlib import Path

import defusedxml.ElementTree as SafeET
import networkx as nx
import pytest

from rosa.bpmn import read_bpmn
from rosa.diagram import (
    LEVEL_COLOURS,
    LEVEL_TEXT_COLOURS,
    _overlaps,
    label_width,
    render_svg,
    step_dom_ids,
)
from rosa.layout import EVENT_SIZE, GATEWAY_SIZE, TASK_HEIGHT, TASK_WIDTH, actor_lanes, layout
from rosa.processmap import Flow, Step, assign_lanes, build, lanes

MIWG = Path(__file__).resolve().parents[2] / "shared" / "data" / "bpmn-miwg"
SVG = "{http://www.w3.org/2000/svg}"


def sample() -> nx.DiGraph:
    steps = [
        Step("start", "Ärende inkommer", kind="start"),
        Step("a", "Ta emot <script>alert('x')</script>", level=1, actor="front", minutes=5),
        Step("b", 'Kontrollera "bilagor" & underskrifter på ansökan', level=3, actor="front"),
        Step("g", "Komplett?", kind="gateway"),
        Step("c", "Begär komplettering", level=2, actor="back"),
        Step("d", "Bedöm rätt till bidrag", level=6, actor="back", minutes=30),
        Step("e", "Fatta beslut"),
        Step("s", "Utredning", level=8, actor="back", kind="subprocess"),
        Step("end", "Klart", kind="end"),
    ]
    flows = [
        Flow("start", "a"),
        Flow("a", "b"),
        Flow("b", "g"),
        Flow("g", "c", share=0.3, name="nej"),
        Flow("g", "d", share=0.7, name="ja"),
        Flow("c", "b"),
        Flow("d", "e", count=12),
        Flow("d", "s"),
        Flow("s", "end"),
        Flow("e", "end"),
    ]
    return build(steps, flows, name="Bostadsanpassning")


def random_map(size: int, seed: int) -> nx.DiGraph:
    rng = random.Random(seed)
    kinds = ["task"] * 6 + ["subprocess", "gateway", "event"]
    steps = [Step("start", "Start", kind="start")]
    for i in range(1, size - 1):
        kind = rng.choice(kinds)
        work = kind in ("task", "subprocess")
        steps.append(
            Step(
                f"n{i}",
                f"Steg {i}",
                kind=kind,
                level=rng.choice([None, *range(1, 9)]) if work else None,
                actor=rng.choice([None, "front", "back"]) if work else None,
            )
        )
    steps.append(Step("end", "Slut", kind="end"))
    ids = [s.id for s in steps]
    edges = {(ids[i], ids[i + 1]) for i in range(size - 1)}
    for _ in range(size // 3):
        a, b = rng.randrange(size), rng.randrange(size)
        edges.add((ids[a], ids[b]))  # forward jumps, back edges and self-loops
    return build(steps, [Flow(a, b) for a, b in sorted(edges)])


def miwg_maps() -> list[nx.DiGraph]:
    assert MIWG.is_dir(), f"BPMN MIWG test files missing: {MIWG}"
    result = []
    for path in sorted(MIWG.rglob("*.bpmn")):
        graph = read_bpmn(path.read_bytes())
        found = lanes(graph)
        if found:
            graph = assign_lanes(graph, {found[0]: "front"})
        result.append(graph)
    return result


def cycle() -> nx.DiGraph:
    return build(
        [Step(i, i, level=2, actor="front" if i == "b" else "back") for i in "abc"],
        [Flow("a", "b"), Flow("b", "c"), Flow("c", "a")],
    )


# --- Layout -------------------------------------------------------------------


def check_layout(graph: nx.DiGraph) -> None:
    result = layout(graph)
    assert set(result.boxes) == set(graph)
    boxes = list(result.boxes.items())
    for i, (a, box_a) in enumerate(boxes):
        for b, box_b in boxes[i + 1 :]:
            assert not box_a.overlaps(box_b), (a, b)
    lane_of = actor_lanes(graph)
    assert lane_of == result.lane_of
    for node, attrs in graph.nodes(data=True):
        lane = result.lane_of[node]
        if attrs["kind"] in ("task", "subprocess"):
            assert lane == ("front" if attrs["actor"] == "front" else "back")
        assert result.lanes[lane].box.contains(result.boxes[node]), node
        assert result.pool.contains(result.boxes[node])
    front, back = result.lanes["front"].box, result.lanes["back"].box
    assert front.y == 0 and front.bottom == back.y and back.bottom == result.height
    assert front.right == back.right == result.width
    assert set(result.edges) == set(graph.edges)
    for (source, target), points in result.edges.items():
        assert len(points) >= 2
        s, t = result.boxes[source], result.boxes[target]
        assert points[0] == (s.right, s.cy)
        assert points[-1] == (t.x, t.cy)
        for (x0, y0), (x1, y1) in zip(points, points[1:], strict=False):
            assert x0 == x1 or y0 == y1  # orthogonal


def test_layout_of_sample_and_miwg_maps():
    check_layout(sample())
    for graph in miwg_maps():
        check_layout(graph)


@pytest.mark.parametrize("seed", range(5))
def test_layout_of_random_maps(seed):
    check_layout(random_map(120, seed))


def test_layout_of_a_cycle_single_node_and_loose_nodes():
    check_layout(cycle())
    result = layout(cycle())
    assert len(result.back_edges) == 1
    single = build([Step("x", "Ensam")], [])
    check_layout(single)
    assert layout(single).boxes["x"].width == TASK_WIDTH
    loose = build([Step(i, i, actor="front") for i in "pqr"], [])
    check_layout(loose)
    assert len({layout(loose).rows[n] for n in "pqr"}) == 3  # one column, three rows
    looped = build([Step("a", "a")], [Flow("a", "a")])
    check_layout(looped)
    check_layout(nx.DiGraph())


def test_sizes_by_kind():
    result = layout(sample())
    assert (result.boxes["a"].width, result.boxes["a"].height) == (TASK_WIDTH, TASK_HEIGHT)
    assert result.boxes["g"].width == result.boxes["g"].height == GATEWAY_SIZE
    assert result.boxes["start"].width == result.boxes["end"].width == EVENT_SIZE


def test_columns_follow_the_flow_and_branches_get_rows():
    result = layout(sample())
    col = result.columns
    assert col["start"] < col["a"] < col["b"] < col["g"] < col["c"] == col["d"]
    assert ("c", "b") in result.back_edges
    assert col["end"] > col["s"] > col["d"]
    # d's two successors share a column in the back lane: different rows.
    assert col["e"] == col["s"] and result.rows["e"] != result.rows["s"]
    # Routing nodes follow their neighbours; no actor goes to the back lane.
    assert result.lane_of["start"] == result.lane_of["g"] == "front"
    assert result.lane_of["e"] == "back"


def test_layout_is_deterministic():
    graph = random_map(300, 7)
    first = layout(graph)
    assert layout(graph) == first
    assert layout(graph.copy()) == first


# --- Drawing ------------------------------------------------------------------


def parse(svg: str):
    return SafeET.fromstring(svg.encode())


def step_groups(root):
    return [g for g in root.iter(f"{SVG}g") if "step" in (g.get("class") or "").split()]


def test_svg_parses_and_is_accessible():
    graph = sample()
    svg = render_svg(graph, "Bostadsanpassning & <bygglov>")
    root = parse(svg)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.get("width") == "100%" and root.get("viewBox").startswith("0 0 ")
    title = root.find(f"{SVG}title")
    desc = root.find(f"{SVG}desc")
    assert title.text == "Bostadsanpassning & <bygglov>"
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    assert "9 steg" in desc.text and "6 arbetssteg" in desc.text
    assert "2 i främre ledet" in desc.text and "3 i bakre ledet" in desc.text
    assert "1 utan angiven aktör" in desc.text
    lane_labels = [
        t.text for t in root.iter(f"{SVG}text") if t.text in ("Främre ledet", "Bakre ledet")
    ]
    assert lane_labels == ["Främre ledet", "Bakre ledet"]


def test_one_group_per_step_with_tooltip():
    graph = sample()
    root = parse(render_svg(graph, "Karta"))
    groups = step_groups(root)
    assert [g.get("data-step-id") for g in groups] == list(graph)
    dom_ids = [g.get("id") for g in groups]
    assert dom_ids == [f"step-{n}" for n in graph]
    assert len(set(dom_ids)) == len(dom_ids)
    tooltip = {g.get("data-step-id"): g.find(f"{SVG}title").text for g in groups}
    assert tooltip["d"] == "Bedöm rätt till bidrag — Nivå 6 — Bakre ledet — 30\u00a0min"
    assert tooltip["e"] == "Fatta beslut — Nivå saknas — aktör saknas"
    assert "level-6" in groups[list(graph).index("d")].get("class")


def test_script_names_are_escaped():
    svg = render_svg(sample(), "<script>alert(1)</script>")
    assert "<script" not in svg
    assert "&lt;script&gt;" in svg
    root = parse(svg)
    assert not list(root.iter(f"{SVG}script"))
    assert not list(root.iter(f"{SVG}style"))
    assert not list(root.iter(f"{SVG}foreignObject"))
    texts = "".join("".join(t.itertext()) for t in root.iter(f"{SVG}text"))
    assert "<script>alert('x')" in texts.replace(" ", "") or "<script>" in texts
    # Nothing is loaded from outside.
    assert not re.search(r"(href|src)=", svg)
    assert set(re.findall(r"https?://[^\"' ]+", svg)) == {"http://www.w3.org/2000/svg"}


def test_levels_are_written_and_unknowns_marked():
    root = parse(render_svg(sample(), "Karta"))
    groups = {g.get("data-step-id"): g for g in step_groups(root)}
    texts = {n: [" ".join(t.itertext()) for t in g.iter(f"{SVG}text")] for n, g in groups.items()}
    assert "Nivå 3" in texts["b"]
    assert "Nivå 8" in texts["s"]
    assert "Nivå ?" in texts["e"] and "aktör saknas" in texts["e"]
    assert "aktör saknas" not in texts["d"]
    rect_e = groups["e"].find(f"{SVG}rect")
    assert rect_e.get("stroke-dasharray") and rect_e.get("fill").startswith("url(#")
    rect_d = groups["d"].find(f"{SVG}rect")
    assert rect_d.get("fill") == LEVEL_COLOURS[6] and rect_d.get("stroke-dasharray") is None
    assert groups["g"].find(f"{SVG}polygon") is not None
    assert groups["start"].find(f"{SVG}circle") is not None


def test_flows_have_arrows_and_labels():
    graph = sample()
    svg = render_svg(graph, "Karta")
    root = parse(svg)
    lines = list(root.iter(f"{SVG}polyline"))
    assert len(lines) == graph.number_of_edges()
    marker = root.find(f"{SVG}defs/{SVG}marker")
    assert all(line.get("marker-end") == f"url(#{marker.get('id')})" for line in lines)
    texts = [" ".join(t.itertext()) for t in root.iter(f"{SVG}text")]
    assert "nej · 30\u00a0%" in texts and "ja · 70\u00a0%" in texts and "n=12" in texts
    custom = render_svg(graph, "Karta", labels={("d", "e"): "60 ärenden <mest>"})
    assert "60 ärenden &lt;mest&gt;" in custom and "n=12" not in custom


def test_odd_step_ids_and_dom_id():
    graph = build(
        [Step('a"b', "Citat"), Step("a b", "Mellanslag"), Step("a_b", "Understreck")],
        [Flow('a"b', "a b")],
    )
    svg = render_svg(graph, "Karta", dom_id="karta-2")
    root = parse(svg)
    ids = [g.get("id") for g in step_groups(root)]
    assert ids == list(step_dom_ids(graph).values())
    assert len(set(ids)) == 3 and all(re.fullmatch(r"step-[A-Za-z0-9_-]+", i) for i in ids)
    assert [g.get("data-step-id") for g in step_groups(root)] == ['a"b', "a b", "a_b"]
    assert root.find(f"{SVG}title").get("id") == "karta-2-title"


def test_render_of_miwg_maps_and_a_big_map():
    for graph in [*miwg_maps(), random_map(300, 3)]:
        root = parse(render_svg(graph, graph.graph.get("name") or "Karta"))
        assert len(step_groups(root)) == len(graph)


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_palette_is_light_to_dark_with_readable_text():
    assert sorted(LEVEL_COLOURS) == list(range(1, 9))
    shades = [_luminance(LEVEL_COLOURS[level]) for level in range(1, 9)]
    assert shades == sorted(shades, reverse=True)
    for level, fill in LEVEL_COLOURS.items():
        assert _contrast(fill, LEVEL_TEXT_COLOURS[level]) >= 4.5, level


SVG_NS = "{http://www.w3.org/2000/svg}"
EVENTLOG = Path(__file__).resolve().parents[2] / "shared" / "data" / "eventlogs"


def _discovered() -> list[nx.DiGraph]:
    from rosa.discovery import discover

    maps = []
    with (EVENTLOG / "running-example.csv").open("rb") as stream:
        maps.append(discover(stream).graph)
    # A busier log: 40 cases over 8 activities with loops and choices.
    rng = random.Random(5)
    rows = ["case,activity,timestamp"]
    for case in range(40):
        steps = ["Ta emot"] + rng.sample(["Kontrollera", "Utreda", "Komplettera", "Remiss"], 3)
        steps += rng.choice(
            [["Besluta", "Bevilja"], ["Besluta", "Avslå"], ["Återremittera", "Besluta", "Bevilja"]]
        )
        rows += [f"{case},{s},2026-01-{1 + i:02d}T09:00:00Z" for i, s in enumerate(steps)]
    maps.append(discover(__import__("io").BytesIO("\n".join(rows).encode()), fmt="csv").graph)
    return maps


@pytest.mark.parametrize("index", range(2))
def test_a_discovered_maps_labels_sit_clear_of_steps_and_of_each_other(index):
    graph = _discovered()[index]
    svg = render_svg(graph, "Upptäckt karta")
    root = SafeET.fromstring(svg)
    groups = {g.get("class"): g for g in root.iter(f"{SVG_NS}g") if g.get("class")}
    order = [g.get("class") for g in root if g.tag == f"{SVG_NS}g"]
    assert order[-1] == "flow-labels"  # drawn last: nothing covers a label
    boxes = [
        (float(r.get("x")), float(r.get("y")), float(r.get("x")) + float(r.get("width")),
         float(r.get("y")) + float(r.get("height")))
        for r in groups["steps"].iter(f"{SVG_NS}rect")
    ]  # fmt: skip
    labels = []
    for text in groups["flow-labels"].iter(f"{SVG_NS}text"):
        width = label_width(text.text)
        x, y = float(text.get("x")), float(text.get("y"))
        left = {"start": x, "middle": x - width / 2, "end": x - width}[text.get("text-anchor")]
        labels.append((left, y - 10, left + width, y + 2, text.text))
    assert len(labels) == graph.number_of_edges()
    for label in labels:
        hits = [b for b in boxes if _overlaps(label[:4], b)]
        assert not hits, f"label {label[4]!r} on a step"
    for i, a in enumerate(labels):
        for b in labels[i + 1 :]:
            assert not _overlaps(a[:4], b[:4]), f"labels {a[4]!r} and {b[4]!r} overlap"
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert not _overlaps(a, b) or a == b
