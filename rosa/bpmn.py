"""BPMN 2.0 import and export of process maps.

Import (`read_bpmn`) reads one process of a BPMN 2.0 file into the map form of
rosa.processmap. Elements are matched by local name in the BPMN MODEL namespace,
whatever the prefix, and the XML is parsed with defusedxml: a DTD (and with it
every entity trick) is refused outright, since BPMN files have no use for one.

- Tasks of every kind and call activities become work steps of kind "task";
  sub-processes, transactions and ad-hoc sub-processes become ONE step of kind
  "subprocess". Their inner elements are ignored rather than flattened: ROSA levels
  are set for the work as the citizen office sees it, a sub-process often has
  several starts, event sub-processes and boundary events of its own, and wiring
  those into the parent flow would invent paths the model does not have. A
  collapsed step also survives a round trip through write_bpmn unchanged.
- Gateways become "gateway", start and end events "start"/"end", every other event
  "event". A boundary event gets a flow from the activity it is attached to.
- Data objects, stores, annotations, associations, groups and message flows are
  ignored.
- A step's `lane` is the name of the innermost lane whose flowNodeRef lists it.
- With several processes (a collaboration of pools), the one with the most work
  steps is read unless `process_id` (a process id or the id of its participant)
  says otherwise.
- ROSA data can ride along in the namespace ROSA_NS, as attributes
  (rosa:level="3") or as elements in extensionElements (<rosa:level>3</rosa:level>):
  level, actor, minutes, share, count, plus stepId and lane which write_bpmn uses
  so an exported map reads back as the same map.

Export (`write_bpmn`) writes one pool with the two lanes "Främre ledet" and "Bakre
ledet" and a full diagram (rosa.layout) so BPMN tools such as bpmn.io draw it.
"""

import hashlib
import math
import re
from collections import deque
from dataclasses import dataclass, field
from xml.etree.ElementTree import Element, ParseError, TreeBuilder
from xml.sax.saxutils import quoteattr

import networkx as nx
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

from rosa.layout import layout
from rosa.levels import MAX_LEVEL, MIN_LEVEL
from rosa.processmap import (
    ACTORS,
    ID_MAX,
    NAME_MAX,
    WORK_KINDS,
    Flow,
    ProcessMapError,
    Step,
    build,
    unique_ids,
)

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
DC_NS = "http://www.omg.org/spec/DD/20100524/DC"
DI_NS = "http://www.omg.org/spec/DD/20100524/DI"
ROSA_NS = "https://medborgarkontoret.se/rosa"
MAX_ELEMENTS = 20_000
FRONT_LANE = "Främre ledet"
BACK_LANE = "Bakre ledet"

TASK_TAGS = frozenset(
    {
        "task",
        "userTask",
        "serviceTask",
        "manualTask",
        "scriptTask",
        "sendTask",
        "receiveTask",
        "businessRuleTask",
        "callActivity",
    }
)
SUBPROCESS_TAGS = frozenset({"subProcess", "transaction", "adHocSubProcess"})
GATEWAY_TAGS = frozenset(
    {
        "exclusiveGateway",
        "inclusiveGateway",
        "parallelGateway",
        "eventBasedGateway",
        "complexGateway",
    }
)
EVENT_KINDS = {
    "startEvent": "start",
    "endEvent": "end",
    "intermediateCatchEvent": "event",
    "intermediateThrowEvent": "event",
    "boundaryEvent": "event",
    "implicitThrowEvent": "event",
}

_M = f"{{{BPMN_NS}}}"
_R = f"{{{ROSA_NS}}}"
_ROSA_FIELDS = ("stepId", "level", "actor", "minutes", "share", "count", "lane")


def _kind(local: str) -> str | None:
    if local in TASK_TAGS:
        return "task"
    if local in SUBPROCESS_TAGS:
        return "subprocess"
    if local in GATEWAY_TAGS:
        return "gateway"
    return EVENT_KINDS.get(local)


# --- Parsing ------------------------------------------------------------------


class _TooLarge(Exception):
    pass


class _CountingBuilder(TreeBuilder):
    """A tree builder that stops once the document has too many elements."""

    def __init__(self) -> None:
        super().__init__()
        self.elements = 0

    def start(self, tag, attrs):
        self.elements += 1
        if self.elements > MAX_ELEMENTS:
            raise _TooLarge
        return super().start(tag, attrs)


def _declared_encoding(data: bytes) -> str:
    match = re.match(rb"\s*<\?xml[^>]*encoding\s*=\s*[\"']([A-Za-z0-9._-]+)", data[:200])
    return match.group(1).decode("ascii").lower() if match else "utf-8"


def _parse(data: bytes, warnings: list[str] | None = None) -> Element:
    """The document's root. A file declared (or defaulting to) UTF-8 whose bytes are not
    valid UTF-8 (a tool that wrote Latin-1) is read with those bytes replaced by U+FFFD
    and a warning, as bpmn.io reads it; any other fault refuses the file with its place."""
    if not isinstance(data, bytes | bytearray):
        raise TypeError("read_bpmn takes bytes")
    if not data.strip():
        raise ProcessMapError("fil", "filen är tom")
    data = bytes(data)
    if warnings is not None and _declared_encoding(data) in ("utf-8", "utf8"):
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            text = data.decode("utf-8", errors="replace")
            warnings.append(
                f"filen är inte giltig UTF-8: {text.count(chr(0xFFFD))} tecken ersattes med �"
            )
            data = text.encode("utf-8")
    parser = DefusedXMLParser(target=_CountingBuilder(), forbid_dtd=True)

    def line() -> str:
        try:
            return f" (rad {parser.parser.CurrentLineNumber})"
        except AttributeError:  # pragma: no cover - the parser is already closed
            return ""

    # Messages never quote the document: an entity or reference could carry anything.
    try:
        parser.feed(bytes(data))
        return parser.close()
    except _TooLarge:
        raise ProcessMapError(
            "fil", f"filen har fler än {MAX_ELEMENTS} XML-element och kan inte läsas"
        ) from None
    except DefusedXmlException:
        raise ProcessMapError(
            "fil",
            "filen innehåller en DTD eller entitetsdeklaration (<!DOCTYPE …>)"
            f"{line()}, vilket inte tillåts i BPMN-filer av säkerhetsskäl",
        ) from None
    except ParseError as error:
        row, column = getattr(error, "position", (0, 0))
        raise ProcessMapError(
            "fil", f"filen är inte giltig XML (fel på rad {row}, kolumn {column + 1})"
        ) from None
    except (UnicodeError, ValueError, LookupError):
        raise ProcessMapError(
            "fil", f"filen kunde inte avkodas{line()}; spara den som UTF-8"
        ) from None


def _local(tag) -> str | None:
    """The local name of a BPMN MODEL element, None for other namespaces and comments."""
    if isinstance(tag, str) and tag.startswith(_M):
        return tag[len(_M) :]
    return None


def _clean_text(value: str | None, limit: int = NAME_MAX) -> str:
    """Whitespace (newlines in labels) folded to single spaces, cut to `limit`."""
    text = " ".join((value or "").split())
    return text[:limit].rstrip()


def _step_id(raw: str) -> str:
    """An element id as a step id; ids longer than ID_MAX get a stable short form."""
    if len(raw) <= ID_MAX:
        return raw
    digest = hashlib.sha1(raw.encode()).hexdigest()[:8]
    return f"{raw[: ID_MAX - 9]}~{digest}"


# --- ROSA extension values ----------------------------------------------------


def _rosa_values(element: Element) -> dict[str, str]:
    """rosa:* attributes, and rosa:* children of extensionElements (attributes win)."""
    values: dict[str, str] = {}
    for child in element:
        if _local(child.tag) == "extensionElements":
            for item in child:
                if isinstance(item.tag, str) and item.tag.startswith(_R):
                    name = item.tag[len(_R) :]
                    if name in _ROSA_FIELDS:
                        values.setdefault(name, item.text or "")
    for key, value in element.attrib.items():
        if key.startswith(_R) and key[len(_R) :] in _ROSA_FIELDS:
            values[key[len(_R) :]] = value
    return values


def _rosa_number(values, key, place, *, low, high, integer=False):
    raw = values.get(key, "").strip()
    if not raw:
        return None
    bound = f"{low}–{high}" if high is not None else f"minst {low}"
    what = "ett heltal" if integer else "ett tal"
    message = f"rosa:{key} ska vara {bound}" if key == "level" else f"rosa:{key} ska vara {what}"
    try:
        number = int(raw) if integer else float(raw.replace(",", "."))
    except ValueError:
        raise ProcessMapError(place, message) from None
    # A 400-digit integer is fine for int() but not for float comparisons or isfinite.
    if integer and (number < low or number > 10**12):
        raise ProcessMapError(place, f"rosa:{key} ska vara {bound}")
    if not math.isfinite(number) or number < low or (high is not None and number > high):
        raise ProcessMapError(place, f"rosa:{key} ska vara {bound}")
    return number


def _lenient(warnings: list[str], what: str, read, *args, **kwargs):
    """`read(...)`, or None with a warning naming the element when its value is unusable."""
    try:
        return read(*args, **kwargs)
    except ProcessMapError as error:
        warnings.append(f"{what}: {error.message}; värdet hoppades över")
        return None


def _rosa_step(values: dict[str, str], place: str, warnings: list[str], what: str) -> dict:
    bounds = {
        "level": {"low": MIN_LEVEL, "high": MAX_LEVEL, "integer": True},
        "minutes": {"low": 0, "high": 100_000},
        "share": {"low": 0, "high": 1},
        "count": {"low": 0, "high": None, "integer": True},
    }
    result: dict = {
        key: _lenient(warnings, what, _rosa_number, values, key, place, **limits)
        for key, limits in bounds.items()
    }
    actor = values.get("actor", "").strip().lower()
    if actor and actor not in ACTORS:
        warnings.append(f"{what}: rosa:actor ska vara front eller back; värdet hoppades över")
        actor = ""
    result["actor"] = actor or None
    return result


# --- Reading ------------------------------------------------------------------


@dataclass
class ProcessInfo:
    """One process of a BPMN file, for choosing which one to import."""

    id: str
    name: str
    participant_id: str = ""
    work_steps: int = 0
    flow_nodes: int = 0
    element: Element | None = field(default=None, repr=False, compare=False)


def _processes(root: Element) -> list[ProcessInfo]:
    if _local(root.tag) != "definitions":
        if isinstance(root.tag, str) and root.tag.endswith("}definitions"):
            raise ProcessMapError(
                "fil", f"filen är inte BPMN 2.0: fel namnrymd (väntade {BPMN_NS})"
            )
        local = str(root.tag).rsplit("}", 1)[-1][:40]
        raise ProcessMapError(
            "fil", f"filen är inte BPMN 2.0: rotelementet är <{local}>, inte <definitions>"
        )
    participants: dict[str, tuple[str, str]] = {}
    for child in root:
        if _local(child.tag) == "collaboration":
            for item in child:
                if _local(item.tag) == "participant" and item.get("processRef"):
                    ref = item.get("processRef", "").strip()
                    participants.setdefault(ref, (item.get("id", ""), item.get("name", "")))
    found = []
    for child in root:
        if _local(child.tag) != "process":
            continue
        kinds = [_kind(_local(item.tag) or "") for item in child]
        pid = child.get("id", "")
        participant_id, participant_name = participants.get(pid, ("", ""))
        found.append(
            ProcessInfo(
                id=pid,
                name=_clean_text(child.get("name")) or _clean_text(participant_name),
                participant_id=participant_id,
                work_steps=sum(1 for k in kinds if k in WORK_KINDS),
                flow_nodes=sum(1 for k in kinds if k is not None),
                element=child,
            )
        )
    return found


def list_processes(data: bytes) -> list[ProcessInfo]:
    """The processes of a BPMN file (id, name, participant id, work steps), in file order."""
    return _processes(_parse(data))


def _choose(found: list[ProcessInfo], process_id: str | None) -> ProcessInfo:
    if not found:
        raise ProcessMapError("fil", "filen innehåller ingen process (<process>)")
    if process_id is not None:
        for info in found:
            if process_id in (info.id, info.participant_id):
                return info
        known = ", ".join(info.id for info in found[:10])
        raise ProcessMapError(
            "process_id", f"okänd process: {process_id[:ID_MAX]} (filen har: {known})"
        )
    # Most work steps, then most flow nodes; ties go to the first in the file.
    return max(found, key=lambda info: (info.work_steps, info.flow_nodes, -found.index(info)))


def _lane_names(process: Element) -> dict[str, str]:
    """Flow node id -> name of the innermost lane listing it.

    Lane sets are walked breadth first (no recursion, whatever the nesting), so a
    child lane's name overrides its parent's.
    """
    result: dict[str, str] = {}
    queue = deque(child for child in process if _local(child.tag) == "laneSet")
    while queue:
        for lane in queue.popleft():
            if _local(lane.tag) != "lane":
                continue
            name = _clean_text(lane.get("name")) or _clean_text(lane.get("id"))
            for item in lane:
                local = _local(item.tag)
                if local == "flowNodeRef" and item.text:
                    result[item.text.strip()] = name
                elif local == "childLaneSet":
                    queue.append(item)
    return result


# Children of a process that carry nothing a map uses: skipped without a word.
IGNORED_TAGS = frozenset(
    {
        "laneSet",
        "documentation",
        "extensionElements",
        "ioSpecification",
        "property",
        "dataObject",
        "dataObjectReference",
        "dataStoreReference",
        "dataInputAssociation",
        "dataOutputAssociation",
        "textAnnotation",
        "association",
        "group",
        "auditing",
        "monitoring",
        "resourceRole",
        "performer",
        "humanPerformer",
        "potentialOwner",
        "correlationSubscription",
        "supports",
    }
)
# At most this many warnings are listed; the rest are counted in a last line.
MAX_WARNINGS = 50


@dataclass
class BpmnImport:
    """A map read from BPMN, and what of the file was skipped (Swedish, naming elements)."""

    graph: nx.DiGraph
    warnings: list[str] = field(default_factory=list)


def _describe(element: Element, local: str | None = None) -> str:
    """ "<task id="X">": the element as a warning names it."""
    local = local or _local(element.tag) or str(element.tag).rsplit("}", 1)[-1]
    element_id = (element.get("id") or "").strip()[:ID_MAX]
    return f'<{local[:40]} id="{element_id}">' if element_id else f"<{local[:40]}>"


def _nested_owners(process: Element, step_of: dict[str, str]) -> dict[str, str]:
    """Element id inside a collapsed sub-process -> the sub-process's step id.

    Some tools wire a flow of the parent process to an element inside a sub-process; the
    map keeps the sub-process as one step, so such a flow ends at the sub-process.
    """
    owners: dict[str, str] = {}
    for child in process:
        if _local(child.tag) in SUBPROCESS_TAGS:
            owner = step_of.get((child.get("id") or "").strip())
            if owner is None:
                continue
            for inner in child.iter():
                inner_id = (inner.get("id") or "").strip()
                if inner_id and inner is not child:
                    owners.setdefault(inner_id, owner)
    return owners


def import_bpmn(data: bytes, process_id: str | None = None) -> BpmnImport:
    """One process of a BPMN 2.0 file as a map, as tolerant as bpmn.io's own parser.

    What cannot be used is skipped and listed in `warnings`, each naming the element: a
    flow or boundary event whose other end is missing, an element without an id or with
    one already taken, an unknown element, an unusable rosa:* value, no process or an
    empty one (an empty map). Refused with ProcessMapError, as nothing can be read: XML
    that is not well-formed (line and column), a DTD, a file over MAX_ELEMENTS, a root that
    is not BPMN's <definitions>, an unknown `process_id`, more than MAX_STEPS steps.
    """
    warnings: list[str] = []
    root = _parse(data, warnings)
    found = _processes(root)
    if not found:
        warnings.append("filen innehåller ingen process (<process>): kartan är tom")
        return BpmnImport(build([], [], name=_clean_text(root.get("name"))), warnings)
    info = _choose(found, process_id)
    process = info.element
    if process is None or info.flow_nodes == 0:
        warnings.append(
            f"processen {_describe(process, 'process') if process is not None else ''} innehåller "
            "inga flödesobjekt (aktiviteter, händelser eller gateways): kartan är tom"
        )
        return BpmnImport(build([], [], name=info.name), _capped(warnings))
    lanes = _lane_names(process)
    steps: list[Step] = []
    step_of: dict[str, str] = {}  # element id -> step id
    step_ids: set[str] = set()
    attached: list[tuple[Element, str]] = []  # (boundary event, its attachedToRef)
    flows_raw: list[Element] = []
    for position, child in enumerate(process):
        local = _local(child.tag)
        if local == "sequenceFlow":
            flows_raw.append(child)
            continue
        kind = _kind(local or "")
        if kind is None:
            if local is not None and local not in IGNORED_TAGS:
                warnings.append(f"{_describe(child)}: okänt element, hoppades över")
            continue
        what = _describe(child)
        element_id = (child.get("id") or "").strip()
        if not element_id:
            element_id = f"{local}-{position + 1}"
            warnings.append(f"{what} på plats {position + 1} saknar id: fick id {element_id}")
        if element_id in step_of:
            warnings.append(f"{what}: id förekommer redan, elementet hoppades över")
            continue
        place = element_id[:ID_MAX]
        values = _rosa_values(child)
        step_id = _step_id(_clean_text(values.get("stepId"), ID_MAX) or element_id)
        if step_id in step_ids:
            fallback = _step_id(element_id)
            if fallback in step_ids:
                warnings.append(f"{what}: steg-id {step_id} förekommer redan, hoppades över")
                continue
            warnings.append(f"{what}: rosa:stepId {step_id} förekommer redan, id används")
            step_id = fallback
        step_of[element_id] = step_id
        step_ids.add(step_id)
        lane = _clean_text(values["lane"]) if "lane" in values else lanes.get(element_id, "")
        steps.append(
            Step(
                id=step_id,
                name=_clean_text(child.get("name")) or step_id,
                kind=kind,
                lane=lane,
                **_rosa_step(values, place, warnings, what),
            )
        )
        if local == "boundaryEvent":
            attached.append((child, (child.get("attachedToRef") or "").strip()))
    nested = _nested_owners(process, step_of)

    def end_of(ref: str, what: str, attribute: str) -> str | None:
        if ref in step_of:
            return step_of[ref]
        if ref in nested:
            warnings.append(
                f"{what}: {attribute} pekar på {ref[:ID_MAX]} inuti delprocessen "
                f"{nested[ref]}; flödet knöts till delprocessen"
            )
            return nested[ref]
        shown = ref[:ID_MAX] if ref else "(tomt)"
        warnings.append(
            f"{what}: {attribute} pekar på {shown}, som inte finns i processen; hoppades över"
        )
        return None

    flows: list[Flow] = []
    seen: dict[tuple[str, str], Flow] = {}

    def add(source: str, target: str, name: str, values: dict[str, str], place: str, what: str):
        share = _lenient(warnings, what, _rosa_number, values, "share", place, low=0, high=1)
        count = _lenient(
            warnings, what, _rosa_number, values, "count", place, low=0, high=None, integer=True
        )
        key = (source, target)
        if key in seen:  # a DiGraph keeps one flow per pair: merge what the second one adds
            flow = seen[key]
            flow.name = flow.name or name
            flow.share = flow.share if flow.share is not None else share
            flow.count = flow.count if flow.count is not None else count
            return
        seen[key] = flow = Flow(source, target, share, count, name)
        flows.append(flow)

    # Boundary events first (element order), then the sequence flows in file order.
    for event, activity_id in attached:
        what = _describe(event)
        activity = end_of(activity_id, what, "attachedToRef")
        if activity is not None:
            event_step = step_of[(event.get("id") or "").strip()] if event.get("id") else None
            if event_step is not None:
                add(activity, event_step, "", {}, event_step, what)
    for position, flow in enumerate(flows_raw):
        what = _describe(flow)
        place = (flow.get("id") or f"sequenceFlow[{position}]").strip()[:ID_MAX]
        source_ref = (flow.get("sourceRef") or "").strip()
        target_ref = (flow.get("targetRef") or "").strip()
        source = end_of(source_ref, what, "sourceRef")
        target = end_of(target_ref, what, "targetRef")
        if source is None or target is None:
            continue
        if source == target and (source_ref in nested or target_ref in nested):
            # Both ends inside the same sub-process: a flow within the one step.
            warnings.append(f"{what}: ligger inom delprocessen {source}; hoppades över")
            continue
        add(source, target, _clean_text(flow.get("name")), _rosa_values(flow), place, what)

    graph = build(steps, flows, name=info.name or _clean_text(root.get("name")))
    return BpmnImport(graph, _capped(warnings))


def _capped(warnings: list[str]) -> list[str]:
    if len(warnings) <= MAX_WARNINGS:
        return warnings
    rest = len(warnings) - MAX_WARNINGS + 1
    return warnings[: MAX_WARNINGS - 1] + [f"och {rest} varningar till"]


def read_bpmn(data: bytes, process_id: str | None = None) -> nx.DiGraph:
    """One process of a BPMN 2.0 file as a map (import_bpmn without its warnings)."""
    return import_bpmn(data, process_id).graph


# --- Writing ------------------------------------------------------------------

_NCNAME_BAD = re.compile(r"[^A-Za-z0-9_.-]")
_XML_BAD = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _attr(value) -> str:
    text = _XML_BAD.sub("", str(value))
    return quoteattr(text, {"\n": "&#10;", "\r": "&#13;", "\t": "&#9;"})


def _number(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def xml_ids(graph: nx.DiGraph) -> dict[str, str]:
    """Step id -> a unique XML NCName for its BPMN element ("Step_" + sanitised id)."""
    return unique_ids(graph, "Step_", _NCNAME_BAD, "_")


_ELEMENT_OF_KIND = {
    "task": "task",
    "subprocess": "subProcess",
    "gateway": "exclusiveGateway",
    "start": "startEvent",
    "end": "endEvent",
    "event": "intermediateThrowEvent",
}


def _rosa_attrs(attrs: dict, keys: tuple[str, ...]) -> str:
    parts = []
    for key in keys:
        value = attrs.get(key)
        if value is None:
            continue
        text = repr(float(value)) if isinstance(value, float) else str(value)
        parts.append(f" rosa:{key}={_attr(text)}")
    return "".join(parts)


def write_bpmn(graph: nx.DiGraph, process_name: str = "") -> bytes:
    """The map as BPMN 2.0 XML (UTF-8): one pool, the two office lanes and a diagram.

    An empty map (imported from a file without a process) is an empty pool.
    """
    name = _clean_text(process_name or graph.graph.get("name") or "")
    ids = xml_ids(graph)
    flow_ids = {edge: f"Flow_{i}" for i, edge in enumerate(graph.edges, start=1)}
    geometry = layout(graph)
    incoming: dict[str, list[str]] = {n: [] for n in graph}
    outgoing: dict[str, list[str]] = {n: [] for n in graph}
    for (source, target), flow_id in flow_ids.items():
        outgoing[source].append(flow_id)
        incoming[target].append(flow_id)

    name_attr = f" name={_attr(name)}" if name else ""
    out: list[str] = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<definitions xmlns="{BPMN_NS}" xmlns:bpmndi="{BPMNDI_NS}" xmlns:dc="{DC_NS}"'
        f' xmlns:di="{DI_NS}" xmlns:rosa="{ROSA_NS}" id="Definitions_1"'
        ' targetNamespace="https://medborgarkontoret.se/rosa/processkarta"'
        ' exporter="Medborgarkontoret" exporterVersion="1">',
        '  <collaboration id="Collaboration_1">',
        f'    <participant id="Participant_1"{name_attr} processRef="Process_1" />',
        "  </collaboration>",
        f'  <process id="Process_1"{name_attr} isExecutable="false">',
        '    <laneSet id="LaneSet_1">',
    ]
    for actor, lane_id, lane_name in (
        ("front", "Lane_front", FRONT_LANE),
        ("back", "Lane_back", BACK_LANE),
    ):
        out.append(f'      <lane id="{lane_id}" name="{lane_name}">')
        for node in graph:
            if geometry.lane_of[node] == actor:
                out.append(f"        <flowNodeRef>{ids[node]}</flowNodeRef>")
        out.append("      </lane>")
    out.append("    </laneSet>")
    for node, attrs in graph.nodes(data=True):
        tag = _ELEMENT_OF_KIND.get(attrs.get("kind") or "task", "task")
        label = _clean_text(attrs.get("name")) or str(node)
        extra = _rosa_attrs(attrs, ("level", "actor", "minutes", "share", "count"))
        out.append(
            f"    <{tag} id={_attr(ids[node])} name={_attr(label)}"
            f" rosa:stepId={_attr(node)}{extra} rosa:lane={_attr(attrs.get('lane') or '')}>"
        )
        out.extend(f"      <incoming>{f}</incoming>" for f in incoming[node])
        out.extend(f"      <outgoing>{f}</outgoing>" for f in outgoing[node])
        out.append(f"    </{tag}>")
    for (source, target), flow_id in flow_ids.items():
        attrs = graph.edges[source, target]
        label = f" name={_attr(attrs['name'])}" if attrs.get("name") else ""
        extra = _rosa_attrs(attrs, ("share", "count"))
        out.append(
            f'    <sequenceFlow id="{flow_id}"{label} sourceRef="{ids[source]}"'
            f' targetRef="{ids[target]}"{extra} />'
        )
    out.append("  </process>")

    def bounds(box) -> str:
        return (
            f'<dc:Bounds x="{_number(box.x)}" y="{_number(box.y)}"'
            f' width="{_number(box.width)}" height="{_number(box.height)}" />'
        )

    out += [
        '  <bpmndi:BPMNDiagram id="BPMNDiagram_1">',
        '    <bpmndi:BPMNPlane id="BPMNPlane_1" bpmnElement="Collaboration_1">',
        '      <bpmndi:BPMNShape id="DI_Participant_1" bpmnElement="Participant_1"'
        ' isHorizontal="true">',
        f"        {bounds(geometry.pool)}",
        "      </bpmndi:BPMNShape>",
    ]
    for actor in ("front", "back"):
        out += [
            f'      <bpmndi:BPMNShape id="DI_Lane_{actor}" bpmnElement="Lane_{actor}"'
            ' isHorizontal="true">',
            f"        {bounds(geometry.lanes[actor].box)}",
            "      </bpmndi:BPMNShape>",
        ]
    for node, attrs in graph.nodes(data=True):
        kind = attrs.get("kind") or "task"
        extra = ""
        if kind == "gateway":
            extra = ' isMarkerVisible="true"'
        elif kind == "subprocess":
            extra = ' isExpanded="false"'
        out += [
            f'      <bpmndi:BPMNShape id="DI_{ids[node]}" bpmnElement="{ids[node]}"{extra}>',
            f"        {bounds(geometry.boxes[node])}",
            "      </bpmndi:BPMNShape>",
        ]
    for edge, flow_id in flow_ids.items():
        out.append(f'      <bpmndi:BPMNEdge id="DI_{flow_id}" bpmnElement="{flow_id}">')
        out += [
            f'        <di:waypoint x="{_number(x)}" y="{_number(y)}" />'
            for x, y in geometry.edges[edge]
        ]
        out.append("      </bpmndi:BPMNEdge>")
    out += ["    </bpmndi:BPMNPlane>", "  </bpmndi:BPMNDiagram>", "</definitions>", ""]
    return "\n".join(out).encode("utf-8")


__all__ = [
    "BACK_LANE",
    "FRONT_LANE",
    "MAX_ELEMENTS",
    "ROSA_NS",
    "ProcessInfo",
    "list_processes",
    "read_bpmn",
    "write_bpmn",
    "xml_ids",
]
