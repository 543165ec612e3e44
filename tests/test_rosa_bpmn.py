"""BPMN 2.0 import and export (rosa.bpmn): the OMG MIWG test suite, round trips, hostile files."""

import re
from pathlib import Path

import defusedxml.ElementTree as SafeET
import networkx as nx
import pytest

from rosa.bpmn import (
    BACK_LANE,
    FRONT_LANE,
    MAX_ELEMENTS,
    MAX_WARNINGS,
    ROSA_NS,
    import_bpmn,
    list_processes,
    read_bpmn,
    write_bpmn,
)
from rosa.processmap import (
    STEP_KINDS,
    WORK_KINDS,
    Flow,
    ProcessMapError,
    Step,
    assign_lanes,
    build,
    from_dict,
    lanes,
    to_dict,
)

MIWG = Path(__file__).resolve().parents[2] / "shared" / "data" / "bpmn-miwg"
FILES = sorted(MIWG.rglob("*.bpmn")) if MIWG.is_dir() else []
# Files of the suite that cannot be used, with why and the start of the expected message.
# Every one of the 64 files imports today, so the dict is empty; a file put here must
# fail with a ProcessMapError containing the message.
UNUSABLE: dict[str, tuple[str, str]] = {}

M = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
DI = "{http://www.omg.org/spec/BPMN/20100524/DI}"
DI_WAYPOINT = "{http://www.omg.org/spec/DD/20100524/DI}waypoint"
DC_BOUNDS = "{http://www.omg.org/spec/DD/20100524/DC}Bounds"
R = f"{{{ROSA_NS}}}"
NCNAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")


def miwg(name: str) -> bytes:
    return (MIWG / name).read_bytes()


def names(graph: nx.DiGraph, kind: str | None = None) -> list[str]:
    return [a["name"] for _, a in graph.nodes(data=True) if kind is None or a["kind"] == kind]


def by_name(graph: nx.DiGraph) -> dict[str, str]:
    return {a["name"]: n for n, a in graph.nodes(data=True)}


def bpmn(body: str, extra_ns: str = "") -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"'
        f' xmlns:rosa="{ROSA_NS}" {extra_ns} id="d" targetNamespace="x">\n'
        f"{body}\n</definitions>"
    ).encode()


SIMPLE = """<process id="P">
  <startEvent id="S" />
  <task id="Task_1" name="Ta emot" {attrs} />
  <endEvent id="E" />
  <sequenceFlow id="F1" sourceRef="S" targetRef="Task_1" />
  <sequenceFlow id="F2" sourceRef="Task_1" targetRef="E" />
</process>"""


def with_actors(graph: nx.DiGraph) -> nx.DiGraph:
    """Give an imported map actors: first lane front, others back; no lanes: alternate."""
    found = lanes(graph)
    if found:
        return assign_lanes(graph, {found[0]: "front"} | {lane: "back" for lane in found[1:]})
    result = graph.copy()
    work = [n for n, a in result.nodes(data=True) if a["kind"] in WORK_KINDS]
    for number, node in enumerate(work):
        result.nodes[node]["actor"] = "front" if number % 3 == 0 else "back"
        result.nodes[node]["level"] = number % 8 + 1
    return result


def assert_same(a: nx.DiGraph, b: nx.DiGraph) -> None:
    assert nx.utils.graphs_equal(a, b)
    assert to_dict(a) == to_dict(b)


# --- The MIWG reference suite ---------------------------------------------------


def test_miwg_suite_is_present():
    assert MIWG.is_dir(), f"BPMN MIWG test files missing: {MIWG}"
    assert len(FILES) == 64
    assert {p.parent.name for p in FILES} == {"reference", "bpmn.io"}


@pytest.mark.parametrize(
    "path",
    [pytest.param(p, id=str(p.relative_to(MIWG))) for p in FILES]
    or [pytest.param(None, id="miwg-missing")],
)
def test_every_miwg_file_imports(path):
    assert path is not None, f"BPMN MIWG test files missing: {MIWG}"
    unusable = UNUSABLE.get(str(path.relative_to(MIWG)))
    if unusable is not None:
        why, message = unusable
        with pytest.raises(ProcessMapError, match=re.escape(message)):
            read_bpmn(path.read_bytes())
        return
    graph = read_bpmn(path.read_bytes())
    work = [n for n, a in graph.nodes(data=True) if a["kind"] in WORK_KINDS]
    assert work, "no work steps"
    for source, target in graph.edges:
        assert source in graph and target in graph
    for _, attrs in graph.nodes(data=True):
        assert attrs["kind"] in STEP_KINDS
        assert attrs["name"].strip() == attrs["name"] and attrs["name"]
        assert "\n" not in attrs["name"]
    # The map is valid in the JSON form too.
    assert_same(from_dict(to_dict(graph)), graph)
    # And it survives an export once it has actors (exercises lanes and layout).
    mapped = with_actors(graph)
    assert_same(read_bpmn(write_bpmn(mapped)), mapped)


def test_a10_sequence_by_hand():
    # grep -c '<semantic:task ' A.1.0.bpmn -> 3; '<semantic:sequenceFlow ' -> 4
    graph = read_bpmn(miwg("reference/A.1.0.bpmn"))
    assert names(graph) == ["Start Event", "Task 1", "Task 2", "Task 3", "End Event"]
    assert [a["kind"] for _, a in graph.nodes(data=True)] == [
        "start",
        "task",
        "task",
        "task",
        "end",
    ]
    ids = by_name(graph)
    assert ids["Task 1"] == "_ec59e164-68b4-4f94-98de-ffb1c58a84af"
    chain = ["Start Event", "Task 1", "Task 2", "Task 3", "End Event"]
    assert sorted(graph.edges) == sorted(
        (ids[a], ids[b]) for a, b in zip(chain, chain[1:], strict=False)
    )
    assert graph.graph["name"] == "A.1.0"  # no process name: the definitions' name
    assert all(a["lane"] == "" and a["level"] is None for _, a in graph.nodes(data=True))


def test_c10_lanes_and_process_choice_by_hand():
    data = miwg("reference/C.1.0.bpmn")
    # Two pools: "Team-Assistant" (4 tasks) and the process engine (5 user/service tasks).
    processes = list_processes(data)
    assert [(p.name, p.work_steps) for p in processes] == [
        ("Team-Assistant", 4),
        ("BPMN MIWG Test Case C.1.0", 5),
    ]
    graph = read_bpmn(data)
    assert graph.graph["name"] == "BPMN MIWG Test Case C.1.0"
    lane_of = {a["name"]: a["lane"] for _, a in graph.nodes(data=True) if a["kind"] == "task"}
    assert lane_of == {
        "Approve Invoice": "Approver",
        "Assign Approver": "Team Assistant",
        "Rechnung klären": "Team Assistant",  # UTF-8, non-ASCII
        "Prepare Bank Transfer": "Accountant",
        "Archive Invoice": "Accountant",
    }
    assert lanes(graph) == ["Approver", "Team Assistant", "Accountant"]
    assert len(names(graph, "gateway")) == 2 and graph.number_of_edges() == 10
    flow_names = {
        (graph.nodes[s]["name"], graph.nodes[t]["name"]): a["name"]
        for s, t, a in graph.edges(data=True)
    }
    assert flow_names[("Invoice approved?", "Prepare Bank Transfer")] == "yes"
    assert flow_names[("Invoice approved?", "Rechnung klären")] == "no"
    assert flow_names[("Assign Approver", "Approve Invoice")] == ""

    other = read_bpmn(data, process_id="sid-5FBB6CB3-8A7C-42B5-9024-15BB2684EC57")
    assert other.graph["name"] == "Team-Assistant"
    assert names(other, "task") == [
        "Scan Invoice",
        "Archive original",
        "Assign approver",
        "Review and document result",
    ]
    # The participant's id selects the same process.
    by_participant = read_bpmn(data, process_id="sid-46891B57-A9D3-4A8B-AEBF-D4BA5F3961AD")
    assert_same(by_participant, other)


def test_several_collaborations_and_unknown_process():
    data = miwg("reference/C.4.0.bpmn")  # four pools, each in its own collaboration
    assert read_bpmn(data).graph["name"] == "Money Bank - Process"
    it = read_bpmn(data, process_id="_f0035388-f829-470c-b82b-0b15c3da3399")
    assert it.graph["name"] == "IT - Process"
    assert names(it, "task") == [
        "Create domain account",
        "Prepare workstation",
        "Assign required applications and permissions",
        "Configure workstation",
        "Prepare IT part of welcome package",
    ]
    with pytest.raises(ProcessMapError) as error:
        read_bpmn(data, process_id="finns-inte")
    assert error.value.place == "process_id"
    assert "okänd process: finns-inte" in error.value.message


def test_sub_processes_are_one_step_and_pools_are_chosen():
    data = miwg("reference/A.4.1.bpmn")
    graph = read_bpmn(data)  # Pool 2: Task 3, Task 5 and two expanded sub-processes
    assert graph.graph["name"] == "Pool 2"
    kinds = {a["name"]: a["kind"] for _, a in graph.nodes(data=True)}
    assert kinds["Expanded Sub-Process 1"] == kinds["Expanded Sub-Process 2"] == "subprocess"
    assert sorted(names(graph, "task")) == ["Task 3", "Task 5"]
    # The sub-processes' inner elements are not part of the map.
    assert not {"Task 4", "Task 6", "Start Event 3", "End Event 4"} & set(names(graph))
    ids = by_name(graph)
    assert (ids["Task 3"], ids["Expanded Sub-Process 1"]) in graph.edges
    assert (ids["Expanded Sub-Process 1"], ids["Task 5"]) in graph.edges
    assert {a["name"]: a["lane"] for _, a in graph.nodes(data=True)} == {
        "End Event 2": "Lane 2",
        "Task 3": "Lane 2",
        "Expanded Sub-Process 1": "Lane 2",
        "Task 5": "Lane 2",
        "Start Event 2": "Lane 2",
        "End Event 5": "Lane 3",
        "Expanded Sub-Process 2": "Lane 3",
    }
    pool1 = read_bpmn(data, process_id="sid-34746A54-1D7D-46CA-B219-0C4CEAE51170")
    assert pool1.graph["name"] == "Pool 1"
    assert names(pool1, "task") == ["Task 1", "Task 2"]
    assert {a["lane"] for _, a in pool1.nodes(data=True)} == {"Lane 1"}


def test_boundary_events_hang_off_their_activity():
    graph = read_bpmn(miwg("reference/A.3.0.bpmn"))
    ids = by_name(graph)
    sub = ids["Collapsed Sub-Process"]
    assert graph.nodes[sub]["kind"] == "subprocess"
    for event, after in (
        ("Boundary Intermediate Event Non-Interrupting Message", "Task 3"),
        ("Boundary Intermediate Event Interrupting Escalation", "Task 4"),
    ):
        assert graph.nodes[ids[event]]["kind"] == "event"
        assert (sub, ids[event]) in graph.edges
        assert (ids[event], ids[after]) in graph.edges


def test_iso_8859_1_names_decode():
    data = miwg("reference/A.1.0.bpmn")
    assert data.startswith(b'<?xml version="1.0" encoding="ISO-8859-1"')
    changed = data.replace(b'name="Task 1"', 'name="Ansökan för bygglov ÅÄÖ"'.encode("latin-1"))
    changed = changed.replace(b'name="Task 2"', 'name="Granska ärende"'.encode("latin-1"))
    graph = read_bpmn(changed)
    assert names(graph, "task") == ["Ansökan för bygglov ÅÄÖ", "Granska ärende", "Task 3"]


def test_names_are_folded_and_fall_back_to_the_id():
    graph = read_bpmn(
        bpmn(
            """<process id="P" name="  Min\n process ">
  <task id="T1" name="  Ta\n   emot\tansökan " />
  <task id="T2" />
  <sequenceFlow id="F" sourceRef="T1" targetRef="T2" name=" om \n komplett " />
</process>"""
        )
    )
    assert graph.graph["name"] == "Min process"
    assert names(graph) == ["Ta emot ansökan", "T2"]
    assert graph.edges["T1", "T2"]["name"] == "om komplett"


def test_nested_lanes_give_the_innermost_name():
    graph = read_bpmn(
        bpmn(
            """<process id="P">
  <laneSet id="LS">
    <lane id="L1" name="Kommunen">
      <flowNodeRef>A</flowNodeRef><flowNodeRef>B</flowNodeRef><flowNodeRef>C</flowNodeRef>
      <childLaneSet id="CLS">
        <lane id="L11" name="Kundcenter"><flowNodeRef>A</flowNodeRef></lane>
        <lane id="L12"><flowNodeRef>B</flowNodeRef></lane>
      </childLaneSet>
    </lane>
  </laneSet>
  <userTask id="A" name="A" /><serviceTask id="B" name="B" /><manualTask id="C" name="C" />
  <sequenceFlow id="F1" sourceRef="A" targetRef="B" />
  <sequenceFlow id="F2" sourceRef="B" targetRef="C" />
</process>"""
        )
    )
    assert {n: a["lane"] for n, a in graph.nodes(data=True)} == {
        "A": "Kundcenter",
        "B": "L12",  # an unnamed lane goes by its id
        "C": "Kommunen",
    }


def test_prefixed_namespace_and_every_task_kind():
    tags = [
        "task",
        "userTask",
        "serviceTask",
        "manualTask",
        "scriptTask",
        "sendTask",
        "receiveTask",
        "businessRuleTask",
        "callActivity",
        "subProcess",
        "transaction",
        "adHocSubProcess",
        "exclusiveGateway",
        "parallelGateway",
        "intermediateCatchEvent",
        "startEvent",
        "endEvent",
    ]
    body = "".join(f'<b:{tag} id="n{i}" name="{tag}" />' for i, tag in enumerate(tags))
    data = (
        '<b:definitions xmlns:b="http://www.omg.org/spec/BPMN/20100524/MODEL">'
        f'<b:process id="P">{body}<b:dataObject id="D" /><b:textAnnotation id="A" />'
        "</b:process></b:definitions>"
    ).encode()
    graph = read_bpmn(data)
    kinds = [a["kind"] for _, a in graph.nodes(data=True)]
    assert kinds == ["task"] * 9 + ["subprocess"] * 3 + ["gateway"] * 2 + [
        "event",
        "start",
        "end",
    ]


# --- ROSA extension values ------------------------------------------------------


def test_rosa_attributes_and_extension_elements():
    data = bpmn(
        """<process id="P">
  <task id="A" name="A" rosa:level="3" rosa:actor="front" rosa:minutes="4.5" />
  <task id="B" name="B">
    <extensionElements>
      <r:level xmlns:r="https://medborgarkontoret.se/rosa"> 6 </r:level>
      <r:actor xmlns:r="https://medborgarkontoret.se/rosa">back</r:actor>
      <r:minutes xmlns:r="https://medborgarkontoret.se/rosa">20</r:minutes>
      <other:level xmlns:other="urn:other">1</other:level>
    </extensionElements>
  </task>
  <task id="C" name="C" other:level="2" xmlns:other="urn:other" />
  <sequenceFlow id="F1" sourceRef="A" targetRef="B" rosa:share="0.8" />
  <sequenceFlow id="F2" sourceRef="B" targetRef="C" />
</process>"""
    )
    graph = read_bpmn(data)
    assert {n: (a["level"], a["actor"], a["minutes"]) for n, a in graph.nodes(data=True)} == {
        "A": (3, "front", 4.5),
        "B": (6, "back", 20.0),
        "C": (None, None, None),
    }
    assert graph.edges["A", "B"]["share"] == 0.8


@pytest.mark.parametrize(
    ("attrs", "message"),
    [
        ('rosa:level="9"', "rosa:level ska vara 1–8"),
        ('rosa:level="0"', "rosa:level ska vara 1–8"),
        ('rosa:level="tre"', "rosa:level ska vara 1–8"),
        ('rosa:level="2.5"', "rosa:level ska vara 1–8"),
        ('rosa:actor="mitten"', "rosa:actor ska vara front eller back"),
        ('rosa:minutes="-1"', "rosa:minutes ska vara 0–100000"),
        ('rosa:minutes="mycket"', "rosa:minutes ska vara ett tal"),
        ('rosa:minutes="nan"', "rosa:minutes ska vara 0–100000"),
        ('rosa:share="1.5"', "rosa:share ska vara 0–1"),
    ],
)
def test_bad_rosa_values_are_skipped_and_named(attrs, message):
    result = import_bpmn(bpmn(SIMPLE.format(attrs=attrs)))
    assert result.warnings == [f'<task id="Task_1">: {message}; värdet hoppades över']
    task = result.graph.nodes["Task_1"]
    assert task["name"] == "Ta emot"  # the step is kept, without the bad value
    assert task["level"] is None or "level" not in attrs


def test_bad_level_in_extension_elements_is_skipped():
    data = bpmn(
        SIMPLE.format(attrs="").replace(
            '<task id="Task_1" name="Ta emot"  />',
            '<task id="Task_1" name="Ta emot"><extensionElements>'
            "<rosa:level>12</rosa:level></extensionElements></task>",
        )
    )
    result = import_bpmn(data)
    assert result.graph.nodes["Task_1"]["level"] is None
    assert result.warnings == ['<task id="Task_1">: rosa:level ska vara 1–8; värdet hoppades över']


# --- Hostile and broken input ---------------------------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol9 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
]>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL">
<process id="P"><task id="T" name="&lol9;" /></process></definitions>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE definitions [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL">
<process id="P"><task id="T" name="&xxe;" /></process></definitions>"""

EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE definitions SYSTEM "http://example.invalid/evil.dtd">
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" />"""


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param(BILLION_LAUGHS, "DTD", id="billion-laughs"),
        pytest.param(EXTERNAL_ENTITY, "DTD", id="external-entity"),
        pytest.param(EXTERNAL_DTD, "DTD", id="external-dtd"),
        pytest.param(b"", "filen är tom", id="empty"),
        pytest.param(b"  \n ", "filen är tom", id="blank"),
        pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "inte giltig XML", id="png"),
        pytest.param(b"Task 1, Task 2\n", "inte giltig XML (fel på rad 1", id="text"),
        pytest.param(b"<definitions><process>", "inte giltig XML", id="truncated"),
        pytest.param(b"<html><body>hej</body></html>", "rotelementet är <html>", id="html"),
        pytest.param(
            b'<definitions xmlns="http://schema.omg.org/spec/BPMN/2.0"/>',
            "fel namnrymd",
            id="wrong-namespace",
        ),
    ],
)
def test_hostile_and_broken_files_give_clear_errors(data, expected):
    with pytest.raises(ProcessMapError) as error:
        read_bpmn(data)
    assert expected in str(error.value)
    text = str(error.value)
    for leaked in ("root:", "/etc/passwd", "lol", "evil", "IHDR", "Task 1"):
        assert leaked not in text


def test_dtd_error_gives_the_line():
    with pytest.raises(ProcessMapError, match=r"rad 2"):
        read_bpmn(EXTERNAL_ENTITY)


@pytest.mark.parametrize(
    ("data", "warning"),
    [
        (bpmn('<collaboration id="C" />'), "filen innehåller ingen process"),
        (bpmn('<process id="Tom"><laneSet id="LS" /></process>'), '<process id="Tom">'),
    ],
)
def test_no_process_or_an_empty_one_gives_an_empty_map_and_says_so(data, warning):
    result = import_bpmn(data)
    assert result.graph.number_of_nodes() == 0
    assert len(result.warnings) == 1 and warning in result.warnings[0]
    assert "kartan är tom" in result.warnings[0]


def test_a_flow_to_a_missing_node_is_skipped_and_named():
    data = bpmn(
        """<process id="P">
  <task id="A" name="A" />
  <task id="B" name="B" />
  <sequenceFlow id="Flow_1" sourceRef="A" targetRef="B" />
  <sequenceFlow id="Flow_9" sourceRef="A" targetRef="Borta" />
</process>"""
    )
    result = import_bpmn(data)
    assert list(result.graph.edges) == [("A", "B")]
    assert result.warnings == [
        '<sequenceFlow id="Flow_9">: targetRef pekar på Borta, som inte finns i processen; '
        "hoppades över"
    ]


def test_a_flow_into_a_sub_process_ends_at_the_sub_process():
    data = bpmn(
        """<process id="P">
  <task id="A" name="A" />
  <subProcess id="S"><task id="Inner" /><task id="Inner2" />
    <sequenceFlow id="FI" sourceRef="Inner" targetRef="Inner2" /></subProcess>
  <sequenceFlow id="F" sourceRef="A" targetRef="Inner" />
  <sequenceFlow id="G" sourceRef="Inner" targetRef="Inner2" />
</process>"""
    )
    result = import_bpmn(data)
    assert set(result.graph.edges) == {("A", "S")}
    assert result.warnings[0].startswith('<sequenceFlow id="F">: targetRef pekar på Inner inuti')
    assert '<sequenceFlow id="G">: ligger inom delprocessen S' in result.warnings[-1]


def test_a_boundary_event_on_a_missing_activity_is_kept_without_its_flow():
    data = bpmn(
        """<process id="P"><task id="A" name="A" />
  <boundaryEvent id="B" attachedToRef="Borta" /></process>"""
    )
    result = import_bpmn(data)
    assert set(result.graph.nodes) == {"A", "B"} and not result.graph.edges
    assert result.warnings == [
        '<boundaryEvent id="B">: attachedToRef pekar på Borta, som inte finns i processen; '
        "hoppades över"
    ]


def test_duplicate_ids_missing_ids_and_unknown_elements_are_named():
    data = bpmn(
        '<process id="P"><task id="A" name="Först" /><task id="A" name="Sen" />'
        '<task name="Utan id" /><choreographyTask id="CT" /></process>'
    )
    result = import_bpmn(data)
    assert result.graph.nodes["A"]["name"] == "Först"
    assert "task-3" in result.graph and result.graph.nodes["task-3"]["name"] == "Utan id"
    assert result.warnings == [
        '<task id="A">: id förekommer redan, elementet hoppades över',
        "<task> på plats 3 saknar id: fick id task-3",
        '<choreographyTask id="CT">: okänt element, hoppades över',
    ]


def test_bytes_that_are_not_utf8_are_replaced_with_a_warning():
    data = bpmn('<process id="P"><task id="A" name="Rechnung kl\u00e4ren" /></process>')
    latin = data.replace("kl\u00e4ren".encode(), "kl\u00e4ren".encode("latin-1"))
    result = import_bpmn(latin)
    assert result.graph.nodes["A"]["name"] == "Rechnung kl\ufffdren"
    assert result.warnings == ["filen är inte giltig UTF-8: 1 tecken ersattes med �"]


def test_many_warnings_are_capped():
    flows = "".join(f'<sequenceFlow id="F{i}" sourceRef="A" targetRef="X{i}" />' for i in range(80))
    result = import_bpmn(bpmn(f'<process id="P"><task id="A" />{flows}</process>'))
    assert len(result.warnings) == MAX_WARNINGS
    assert result.warnings[-1] == f"och {80 - MAX_WARNINGS + 1} varningar till"


def test_too_many_elements():
    tasks = "".join(f'<task id="t{i}" />' for i in range(MAX_ELEMENTS + 1))
    with pytest.raises(ProcessMapError, match=f"fler än {MAX_ELEMENTS} XML-element"):
        read_bpmn(bpmn(f'<process id="P">{tasks}</process>'))


def test_long_ids_are_shortened_stably():
    long_id = "x" * 150
    data = bpmn(f'<process id="P"><task id="{long_id}" /><task id="{long_id}y" /></process>')
    first, second = list(read_bpmn(data))
    assert len(first) <= 100 and len(second) <= 100 and first != second
    assert list(read_bpmn(data)) == [first, second]


def test_duplicate_sequence_flows_are_merged():
    data = bpmn(
        """<process id="P">
  <task id="A" /><task id="B" />
  <sequenceFlow id="F1" sourceRef="A" targetRef="B" />
  <sequenceFlow id="F2" sourceRef="A" targetRef="B" name="igen" />
</process>"""
    )
    graph = read_bpmn(data)
    assert list(graph.edges(data="name")) == [("A", "B", "igen")]


# --- Export -------------------------------------------------------------------


def hand_map() -> nx.DiGraph:
    steps = [
        Step("start", "Ärende inkommer", kind="start"),
        Step("steg 1", "Ta emot ansökan", level=1, actor="front", minutes=5.0, lane="Kundtjänst"),
        Step("2", 'Kontrollera "bilagor" & <underskrift>', level=3, actor="front", minutes=2.5),
        Step("gw", "Komplett?", kind="gateway"),
        Step("ö/ä", "Begär komplettering", level=2, actor="back", share=0.3),
        Step("a b", "Bedöm rätt till bidrag", level=6, actor="back", minutes=45.0, count=120),
        Step("a_b", "Fatta beslut", level=None, actor=None),
        Step("utredning", "Utredning", level=5, actor="back", kind="subprocess"),
        Step("händelse", "Väntar på svar", kind="event"),
        Step("slut", "Klart", kind="end"),
    ]
    flows = [
        Flow("start", "steg 1"),
        Flow("steg 1", "2"),
        Flow("2", "gw"),
        Flow("gw", "ö/ä", share=0.3, name="nej"),
        Flow("gw", "a b", share=0.7, name="ja", count=84),
        Flow("ö/ä", "händelse"),
        Flow("händelse", "2"),
        Flow("a b", "utredning"),
        Flow("utredning", "a_b"),
        Flow("a_b", "slut"),
    ]
    return build(steps, flows, name="Bostadsanpassning")


def test_round_trip_of_a_hand_built_map():
    graph = hand_map()
    data = write_bpmn(graph)
    again = read_bpmn(data)
    assert_same(again, graph)
    # ... and once more, byte for byte.
    assert write_bpmn(again) == data


def test_process_name_argument_wins():
    again = read_bpmn(write_bpmn(hand_map(), process_name="Annat namn"))
    assert again.graph["name"] == "Annat namn"


def test_exported_xml_structure():
    graph = hand_map()
    root = SafeET.fromstring(write_bpmn(graph))
    assert root.tag == f"{M}definitions"
    ids = [e.get("id") for e in root.iter() if e.get("id") is not None]
    assert len(ids) == len(set(ids))
    assert all(NCNAME.match(i) for i in ids), ids

    collaborations = root.findall(f"{M}collaboration")
    assert len(collaborations) == 1
    assert len(collaborations[0].findall(f"{M}participant")) == 1
    (process,) = root.findall(f"{M}process")
    lane_elements = process.findall(f"{M}laneSet/{M}lane")
    assert [lane.get("name") for lane in lane_elements] == [FRONT_LANE, BACK_LANE]

    nodes = [e for e in process if e.get(f"{R}stepId") is not None]
    assert [e.get(f"{R}stepId") for e in nodes] == list(graph)
    node_ids = [e.get("id") for e in nodes]
    refs = [ref.text for lane in lane_elements for ref in lane.findall(f"{M}flowNodeRef")]
    assert sorted(refs) == sorted(node_ids)  # every node in exactly one lane
    lane_of = {
        ref.text: lane.get("name")
        for lane in lane_elements
        for ref in lane.findall(f"{M}flowNodeRef")
    }
    xml_id = {e.get(f"{R}stepId"): e.get("id") for e in nodes}
    assert lane_of[xml_id["steg 1"]] == FRONT_LANE
    assert lane_of[xml_id["2"]] == FRONT_LANE
    assert lane_of[xml_id["start"]] == FRONT_LANE  # routing: follows its neighbour
    assert lane_of[xml_id["gw"]] == FRONT_LANE  # routing: follows its predecessor
    assert lane_of[xml_id["a_b"]] == BACK_LANE  # no actor: back lane
    assert lane_of[xml_id["händelse"]] == BACK_LANE

    tags = {e.get(f"{R}stepId"): e.tag[len(M) :] for e in nodes}
    assert tags == {
        "start": "startEvent",
        "steg 1": "task",
        "2": "task",
        "gw": "exclusiveGateway",
        "ö/ä": "task",
        "a b": "task",
        "a_b": "task",
        "utredning": "subProcess",
        "händelse": "intermediateThrowEvent",
        "slut": "endEvent",
    }

    flows = process.findall(f"{M}sequenceFlow")
    assert len(flows) == graph.number_of_edges()
    by_id = {e.get("id"): e for e in nodes}
    for flow in flows:
        source, target = by_id[flow.get("sourceRef")], by_id[flow.get("targetRef")]
        assert flow.get("id") in [o.text for o in source.findall(f"{M}outgoing")]
        assert flow.get("id") in [i.text for i in target.findall(f"{M}incoming")]

    plane = root.find(f"{DI}BPMNDiagram/{DI}BPMNPlane")
    assert plane.get("bpmnElement") == collaborations[0].get("id")
    shapes = {s.get("bpmnElement"): s for s in plane.findall(f"{DI}BPMNShape")}
    participant = collaborations[0].find(f"{M}participant").get("id")
    lane_ids = [lane.get("id") for lane in lane_elements]
    assert set(shapes) == set(node_ids) | set(lane_ids) | {participant}
    for element in [participant, *lane_ids]:
        assert shapes[element].get("isHorizontal") == "true"
    for shape in shapes.values():
        bounds = shape.find(DC_BOUNDS)
        assert float(bounds.get("width")) > 0 and float(bounds.get("height")) > 0
    edges = {e.get("bpmnElement"): e for e in plane.findall(f"{DI}BPMNEdge")}
    assert set(edges) == {f.get("id") for f in flows}
    assert all(len(e.findall(DI_WAYPOINT)) >= 2 for e in edges.values())

    def box(element_id):
        b = shapes[element_id].find(DC_BOUNDS)
        x, y, w, h = (float(b.get(k)) for k in ("x", "y", "width", "height"))
        return x, y, x + w, y + h

    for node_id in node_ids:
        lane_id = lane_ids[0] if lane_of[node_id] == FRONT_LANE else lane_ids[1]
        nx0, ny0, nx1, ny1 = box(node_id)
        lx0, ly0, lx1, ly1 = box(lane_id)
        assert lx0 <= nx0 and ly0 <= ny0 and nx1 <= lx1 and ny1 <= ly1


def test_ids_are_unique_ncnames_even_when_sanitising_collides():
    steps = [Step(i, f"Steg {i}") for i in ("a b", "a_b", "a/b", "1", "ö", "Flow_1", "x" * 100)]
    graph = build(steps, [Flow("a b", "a_b"), Flow("a_b", "a/b")])
    data = write_bpmn(graph)
    root = SafeET.fromstring(data)
    ids = [e.get("id") for e in root.iter() if e.get("id") is not None]
    assert len(ids) == len(set(ids)) and all(NCNAME.match(i) for i in ids)
    assert_same(read_bpmn(data), graph)


def test_an_empty_map_exports_as_an_empty_pool():
    again = import_bpmn(write_bpmn(nx.DiGraph(name="")))
    assert again.graph.number_of_nodes() == 0 and "kartan är tom" in again.warnings[0]


def test_export_of_odd_characters_is_well_formed():
    graph = build(
        [Step("t", "Tab\there & \"citat\" 'enkel' <tag> \x01kontroll", level=2)],
        [],
        name='Namn med <> & "',
    )
    again = read_bpmn(write_bpmn(graph))
    assert again.nodes["t"]["name"] == "Tab here & \"citat\" 'enkel' <tag> kontroll"
    assert again.graph["name"] == 'Namn med <> & "'


@pytest.mark.parametrize(
    "name", ["reference/B.2.0.bpmn", "reference/C.5.0.bpmn", "bpmn.io/C.1.0-export.bpmn"]
)
def test_round_trip_of_imported_maps(name):
    graph = with_actors(read_bpmn(miwg(name)))
    assert {a["actor"] for _, a in graph.nodes(data=True) if a["kind"] in WORK_KINDS} == {
        "front",
        "back",
    }
    assert_same(read_bpmn(write_bpmn(graph)), graph)


def test_a_300_step_map_exports():
    steps = [
        Step(f"s{i}", f"Steg {i}", level=i % 8 + 1, actor=("front", "back")[i % 2])
        for i in range(300)
    ]
    flows = [Flow(f"s{i}", f"s{i + 1}") for i in range(299)] + [
        Flow(f"s{i}", f"s{i + 7}") for i in range(0, 290, 10)
    ]
    graph = build(steps, flows)
    assert_same(read_bpmn(write_bpmn(graph)), graph)


def test_deeply_nested_lanes_do_not_recurse():
    depth = 3000
    opening = "".join(
        f'<lane id="L{i}" name="Lane {i}"><childLaneSet id="C{i}">' for i in range(depth)
    )
    closing = "</childLaneSet></lane>" * depth
    inner = '<lane id="Inner" name="Innerst"><flowNodeRef>A</flowNodeRef></lane>'
    data = bpmn(
        f'<process id="P"><laneSet id="LS">{opening}{inner}{closing}</laneSet>'
        '<task id="A" name="A" /></process>'
    )
    assert read_bpmn(data).nodes["A"]["lane"] == "Innerst"
