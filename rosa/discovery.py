"""Process discovery: a process map (directly-follows graph) from an event log.

An event log is a list of events, each naming a case, an activity, a time and
perhaps a resource (who did it). `discover` reads one as CSV or XES and builds a
map with `rosa.processmap.build`: one "task" step per activity, an artificial
start ("__start__") and end ("__end__"), and a flow a → b for every time b
directly follows a within a case.

What the figures mean:

- step `count`: events of the activity; step `share`: fraction of cases with
  the activity at least once. Start and end carry the number of cases.
- flow `count`: how often b directly follows a; flow `share`: that count over
  all flows leaving a (the end flow included), so the shares of a step sum to 1.
- `median_minutes`: per activity, the median time from the previous event of
  the case to this event (when both have a time). Logs usually record when an activity was *completed*,
  so this is waiting plus handling time, a rough upper bound on the handling
  time. None for an activity that only ever opens a case (or has no times).

Times: ISO 8601 with or without an offset ("2010-12-30T14:32:00.000+01:00",
"2010-12-30 14:32", "…Z"). Times with an offset are converted to UTC; times
without one are taken as they are (as if UTC), so a log mixing both is compared
on wall-clock time and gets a warning. A CSV without a time column is read in
file order, without durations.

XES is streamed through expat with defusedxml's guards (no entity
declarations, so no "billion laughs", and no external references). Each
<trace> is a case, also when two traces share a name. An event without a time
keeps its place after the event before it in the trace.

Memory stays bounded for large logs; no list of all events is kept:

- Events normally arrive in time order per case (XES traces, CSV grouped by
  case or sorted by time). Then only each open case's state is kept: last
  time, last activity and the set of activities seen (a bit mask). An XES
  trace is closed at </trace>; CSV cases stay open to the end of the file,
  at most `MAX_OPEN_CASES` of them.
- If an event is older than the one before it in its case, or there are too
  many open cases, the log is read again from the start and the events are
  sorted externally: spooled into a temporary on-disk SQLite database and read
  back ORDER BY case, time, file position, one case at a time. Input that
  cannot seek is first copied to a temporary file so it can be read twice.
- Durations for the medians are kept in a reservoir sample of `RESERVOIR`
  values per activity (algorithm R, fixed seed): exact up to that many
  durations, an unbiased deterministic estimate beyond. The sample depends on
  the order events are read in, so a shuffled copy of a very large log can give
  slightly different medians.
- At most `MAX_ACTIVITIES` distinct activities are read, at most `MAX_FLOWS`
  distinct flows make a map, and at most `MAX_RESOURCES` distinct resources are
  counted per activity.

Rows that cannot be used (blank case or activity, bad time) are skipped and
reported with their line number (for XES, the line of the <event>); a log where more
than half the rows are bad, or no event is usable, is refused.
"""

import csv
import hashlib
import io
import random
import shutil
import sqlite3
import statistics
import tempfile
from collections import Counter, deque
from collections.abc import Iterator
from contextlib import ExitStack, closing
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePath
from typing import BinaryIO
from xml.parsers import expat

import networkx as nx
from defusedxml import DefusedXmlException, EntitiesForbidden, ExternalReferenceForbidden

from rosa.processmap import ID_MAX, MAX_STEPS, NAME_MAX, Flow, ProcessMapError, Step, build

START = "__start__"
END = "__end__"
FORMATS = ("csv", "xes")
# What a readable map can hold, refused while reading rather than after: 1,000 activities
# of a 200,000-event log once made a 64 MB page and a 1.6 GB worker. Real municipal logs
# have tens to a few hundred activities (BPIC 2015's building permits: about 400).
MAX_ACTIVITIES = 500
# Distinct flows (directly-follows pairs, starts and ends); a map of this many flows is
# about a 2 MB page. The BPMN import's bound is on XML elements (rosa.bpmn.MAX_ELEMENTS).
MAX_FLOWS = 5000
MAX_OPEN_CASES = 100_000
MAX_RESOURCES = 1000
RESERVOIR = 10_000
SEED = 20101230
SKIPPED_KEPT = 100
CASE_ID_MAX = 200
PEEK_BYTES = 4096
BATCH = 10_000
CHUNK = 1 << 16
LINE_MAX = 1 << 20

CASE_COLUMNS = ("case:concept:name", "case_id", "case", "caseid", "ärende", "arende")
ACTIVITY_COLUMNS = ("concept:name", "activity", "aktivitet", "event")
TIME_COLUMNS = ("time:timestamp", "timestamp", "tid", "time")
RESOURCE_COLUMNS = ("org:resource", "resource", "resurs", "user")
DELIMITERS = (",", ";", "\t")
XES_ATTRIBUTES = ("string", "date", "int", "float", "boolean", "id")
XES_KEYS = ("concept:name", "time:timestamp", "org:resource")
_EPOCH = datetime(1970, 1, 1)
# Sort key for an XES event before the first timed event of its trace.
_EARLIEST = -1e300


@dataclass
class Discovery:
    """A discovered map and what was read. Dict keys are the step ids of `graph`
    (the activity name, unless it is longer than 100 characters)."""

    graph: nx.DiGraph
    format: str
    cases: int
    events: int
    activities: int
    # Activity → its most frequent resources (top 3, most frequent first); empty
    # when the log names no resources.
    resources: dict[str, list[str]] = field(default_factory=dict)
    median_minutes: dict[str, float | None] = field(default_factory=dict)
    # (line number, reason): the CSV row, or the line where the XES <event> starts;
    # the first 100 only.
    skipped: list[tuple[int, str]] = field(default_factory=list)
    skipped_total: int = 0
    warnings: list[str] = field(default_factory=list)
    # True when the events were sorted through a temporary database (out of time order
    # within a case, or too many cases open at once).
    external_sort: bool = False


class _Restart(Exception):
    """The events are not in time order per case: read again and sort externally."""


@dataclass
class _Report:
    rows: int = 0
    skipped: list[tuple[int, str]] = field(default_factory=list)
    skipped_total: int = 0
    warnings: dict[str, None] = field(default_factory=dict)
    has_resources: bool = False
    naive_times: bool = False
    aware_times: bool = False

    def skip(self, place: int, reason: str) -> None:
        self.skipped_total += 1
        if len(self.skipped) < SKIPPED_KEPT:
            self.skipped.append((place, reason))

    def warn(self, message: str) -> None:
        self.warnings[message] = None

    def parse_time(self, text: str) -> float | None:
        """Seconds since the epoch, UTC for times with an offset; None if unreadable."""
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            return None
        if moment.tzinfo is None:
            self.naive_times = True
            return (moment - _EPOCH).total_seconds()
        self.aware_times = True
        return moment.timestamp()


# An event: (case, sort key, time or None, activity, resource or None). An XES
# reader also yields (case, None, None, None, None) when a trace ends.
Event = tuple[object, float | None, float | None, str | None, str | None]


def _activity_name(text: str) -> str:
    """The activity as read, cut to what a step name may hold."""
    text = text.strip()
    if len(text) > NAME_MAX:
        text = text[: NAME_MAX - 1].rstrip() + "…"
    return text


def _resource_name(text: str | None) -> str | None:
    text = (text or "").strip()
    return text[:NAME_MAX] or None


# --- Reading CSV ------------------------------------------------------------------------


def _column(header: list[str], aliases: tuple[str, ...]) -> int | None:
    for alias in aliases:
        if alias in header:
            return header.index(alias)
    return None


def _read_csv(stream: BinaryIO, report: _Report) -> Iterator[Event]:
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    try:
        yield from _csv_events(text, report)
    except UnicodeDecodeError as error:
        raise ProcessMapError(
            "fil", "filen är inte kodad som UTF-8 (spara den som ”CSV UTF-8”)"
        ) from error
    finally:
        # Leave the caller's stream open: closing the wrapper would close it.
        text.detach()


def _lines(text: io.TextIOWrapper, first: int) -> Iterator[str]:
    """The lines of the file, each read with a bound so that a file without line
    breaks cannot fill the memory."""
    number = first
    while line := text.readline(LINE_MAX):
        if len(line) >= LINE_MAX and not line.endswith(("\n", "\r")):
            raise ProcessMapError(f"rad {number}", f"raden är längre än {LINE_MAX} tecken")
        number += 1
        yield line


def _csv_events(text: io.TextIOWrapper, report: _Report) -> Iterator[Event]:
    header_line, lines_before = "", 0
    while not header_line.strip():
        header_line = next(_lines(text, lines_before + 1), "")
        lines_before += 1
        if not header_line:
            raise ProcessMapError("fil", "filen är tom")
    delimiter = max(DELIMITERS, key=header_line.count)
    header = next(csv.reader([header_line], delimiter=delimiter), [])
    names = [name.strip().lower() for name in header]
    case_at = _column(names, CASE_COLUMNS)
    activity_at = _column(names, ACTIVITY_COLUMNS)
    time_at = _column(names, TIME_COLUMNS)
    resource_at = _column(names, RESOURCE_COLUMNS)
    missing = [
        f"{what} (t.ex. {', '.join(aliases[:3])})"
        for what, at, aliases in (
            ("ärende-id", case_at, CASE_COLUMNS),
            ("aktivitet", activity_at, ACTIVITY_COLUMNS),
        )
        if at is None
    ]
    if missing:
        found = ", ".join(name for name in header[:20] if name.strip()) or "inga"
        raise ProcessMapError(
            "kolumn", f"saknar kolumn för {' och '.join(missing)}; hittade: {found}"
        )
    if time_at is None:
        report.warn(
            "Loggen har ingen tidskolumn: händelserna ordnas som i filen "
            "och handläggningstider kan inte räknas."
        )
    report.has_resources = resource_at is not None
    needed = max(at for at in (case_at, activity_at, time_at) if at is not None)
    reader = csv.reader(_lines(text, lines_before + 1), delimiter=delimiter)
    try:
        for row in reader:
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            report.rows += 1
            line = lines_before + reader.line_num
            if len(row) <= needed:
                report.skip(line, "för få kolumner")
                continue
            case = row[case_at].strip()
            activity = _activity_name(row[activity_at])
            if not case:
                report.skip(line, "ärende-id saknas")
                continue
            if len(case) > CASE_ID_MAX:
                report.skip(line, f"ärende-id längre än {CASE_ID_MAX} tecken")
                continue
            if not activity:
                report.skip(line, "aktivitet saknas")
                continue
            if "\x00" in activity:
                report.skip(line, "aktiviteten innehåller otillåtna tecken")
                continue
            moment = None
            if time_at is not None:
                raw = row[time_at].strip()
                moment = report.parse_time(raw)
                if moment is None:
                    report.skip(line, f"ogiltig tidsstämpel: ”{raw[:40]}”" if raw else "tid saknas")
                    continue
            resource = None
            if resource_at is not None and resource_at < len(row):
                resource = _resource_name(row[resource_at])
            yield case, (moment if moment is not None else 0.0), moment, activity, resource
    except csv.Error as error:
        raise ProcessMapError(
            f"rad {lines_before + reader.line_num}", f"kan inte läsas som CSV ({error})"
        ) from error


# --- Reading XES ------------------------------------------------------------------------


def _forbid_entity(name, *_):
    raise EntitiesForbidden(name, None, None, None, None, None)


def _forbid_external(context, base, sysid, pubid):
    raise ExternalReferenceForbidden(context, base, sysid, pubid)


def _xes_parser() -> "expat.XMLParserType":
    """A streaming expat parser with defusedxml's guards: no entity declarations (so no
    billion laughs) and no external references. defusedxml.ElementTree.iterparse sets
    the same handlers, but builds an element and two Python events per XML element
    through its pure-Python parser; that alone took 3 s for 100,000 XES events."""
    parser = expat.ParserCreate(namespace_separator="}")
    parser.EntityDeclHandler = _forbid_entity
    parser.UnparsedEntityDeclHandler = _forbid_entity
    parser.ExternalEntityRefHandler = _forbid_external
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    return parser


def _xes_callbacks(parser: "expat.XMLParserType", report: _Report, out: list[Event]):
    """Expat start and end callbacks for the trace and event structure of XES,
    namespaced or not; they append events (and trace ends) to `out`.

    Only attributes directly inside an <event> (activity, time, resource) or a
    <trace> (its name, for messages) are read; nested and global ones are ignored.
    No elements are built, so memory does not grow with the file. Closures rather
    than methods: these run for every element, and that is most of the time spent."""
    stack: list[str] = []
    push, pop = stack.append, stack.pop
    local_names: dict[str, str] = {}
    attrs: dict[str, str] = {}
    traces, line = 0, 0
    trace_name = ""
    last_time: float | None = None

    def start(name: str, attrib: dict[str, str]) -> None:
        nonlocal attrs, line, trace_name, traces, last_time
        tag = local_names.get(name)
        if tag is None:
            tag = name.rsplit("}", 1)[-1]
            if len(local_names) < 1000:
                local_names[name] = tag
        parent = stack[-1] if stack else None
        push(tag)
        if parent == "event":
            key = attrib.get("key")
            if key in XES_KEYS and tag in XES_ATTRIBUTES and "value" in attrib:
                attrs.setdefault(key, attrib["value"])
        elif tag == "event":
            attrs, line = {}, parser.CurrentLineNumber
        elif parent == "trace":
            if attrib.get("key") == "concept:name" and tag in XES_ATTRIBUTES:
                trace_name = attrib.get("value", "")
        elif tag == "trace" and parent == "log":
            traces += 1
            trace_name, last_time = "", None
        elif parent is None and tag != "log":
            raise ProcessMapError("xes", f"rotelementet är <{tag}>, inte <log>")

    def end(_name: str) -> None:
        tag = pop()
        if tag == "event":
            event()
        elif tag == "trace" and len(stack) == 1:
            out.append((traces, None, None, None, None))

    def event() -> None:
        nonlocal last_time
        report.rows += 1
        if len(stack) != 2 or stack[1] != "trace":
            report.skip(line, "händelse utanför ett spår (trace)")
            return
        place = f" i spåret ”{trace_name[:40]}”" if trace_name else ""
        activity = _activity_name(attrs.get("concept:name", ""))
        raw_time = attrs.get("time:timestamp", "").strip()
        moment = report.parse_time(raw_time) if raw_time else None
        if not activity:
            report.skip(line, f"aktivitet (concept:name) saknas{place}")
        elif "\x00" in activity:
            report.skip(line, "aktiviteten innehåller otillåtna tecken")
        elif raw_time and moment is None:
            report.skip(line, f"ogiltig tidsstämpel: ”{raw_time[:40]}”{place}")
        else:
            # An event without a time keeps its place after the one before it.
            if moment is not None:
                last_time = moment
            key = last_time if last_time is not None else _EARLIEST
            resource = _resource_name(attrs.get("org:resource"))
            if resource:
                report.has_resources = True
            out.append((traces, key, moment, activity, resource))

    return start, end


def _read_xes(stream: BinaryIO, report: _Report) -> Iterator[Event]:
    parser = _xes_parser()
    out: list[Event] = []
    parser.StartElementHandler, parser.EndElementHandler = _xes_callbacks(parser, report, out)
    try:
        while True:
            chunk = stream.read(CHUNK)
            parser.Parse(chunk, not chunk)
            yield from out
            out.clear()
            if not chunk:
                return
    except DefusedXmlException as error:
        raise ProcessMapError(
            "xes",
            "filen innehåller DTD-entiteter eller externa referenser, "
            "som inte tillåts av säkerhetsskäl",
        ) from error
    except expat.ExpatError as error:
        message = expat.ErrorString(error.code)
        raise ProcessMapError(
            "xes", f"filen är inte giltig XML (rad {error.lineno}: {message})"
        ) from error
    except ProcessMapError:
        raise
    except (LookupError, ValueError) as error:  # an encoding expat does not know or support
        raise ProcessMapError(
            "xes", "filens teckenkodning stöds inte; spara den som UTF-8"
        ) from error


# --- Mining -----------------------------------------------------------------------------


class _Miner:
    """Counts for events fed in time order per case."""

    def __init__(self, report: _Report) -> None:
        self.report = report
        self.index: dict[str, int] = {}
        self.names: list[str] = []
        self.event_count: list[int] = []
        self.case_count: list[int] = []
        self.samples: list[list[float]] = []
        self.seen: list[int] = []
        self.resources: list[Counter[str]] = []
        self.follows: Counter[int] = Counter()  # (a << 16) | b → count
        self.starts: Counter[int] = Counter()
        self.ends: Counter[int] = Counter()
        # case → [last sort key, last time, last activity, bit mask of activities seen]
        self.open: dict[object, list] = {}
        self.cases = 0
        self.events = 0
        self.random = random.Random(SEED)

    def activity(self, name: str) -> int:
        number = self.index.get(name)
        if number is None:
            number = len(self.names)
            if number >= MAX_ACTIVITIES:
                raise _too_many_activities()
            self.index[name] = number
            self.names.append(name)
            self.event_count.append(0)
            self.case_count.append(0)
            self.samples.append([])
            self.seen.append(0)
            self.resources.append(Counter())
        return number

    def add(self, case: object, key: float, moment: float | None, name: str, resource) -> None:
        """One event; `key` orders the events of a case (the time, or for an event
        without one the time before it), `moment` is its time if it has one."""
        number = self.activity(name)
        state = self.open.get(case)
        if state is None:
            if len(self.open) >= MAX_OPEN_CASES:
                raise _Restart
            self.open[case] = [key, moment, number, 1 << number]
            self.starts[number] += 1
        else:
            last_key, last, previous, mask = state
            if key < last_key:
                raise _Restart
            if moment is not None and last is not None:
                self.sample(number, (moment - last) / 60)
            self.follows[(previous << 16) | number] += 1
            state[0], state[1], state[2], state[3] = key, moment, number, mask | (1 << number)
        self.events += 1
        self.event_count[number] += 1
        if resource:
            counter = self.resources[number]
            if resource in counter or len(counter) < MAX_RESOURCES:
                counter[resource] += 1
            else:
                self.report.warn(
                    f"Fler än {MAX_RESOURCES} olika resurser för en aktivitet: "
                    "resursstatistiken är ofullständig."
                )

    def sample(self, number: int, minutes: float) -> None:
        """Reservoir sampling (algorithm R) of the durations of one activity."""
        seen = self.seen[number]
        self.seen[number] = seen + 1
        kept = self.samples[number]
        if seen < RESERVOIR:
            kept.append(minutes)
        else:
            slot = self.random.randrange(seen + 1)
            if slot < RESERVOIR:
                kept[slot] = minutes

    def close(self, case: object) -> None:
        state = self.open.pop(case, None)
        if state is None:
            return
        self.cases += 1
        self.ends[state[2]] += 1
        mask = state[3]
        while mask:
            low = mask & -mask
            self.case_count[low.bit_length() - 1] += 1
            mask ^= low

    def close_all(self) -> None:
        for case in list(self.open):
            self.close(case)


def _too_many_activities() -> ProcessMapError:
    return ProcessMapError(
        "aktiviteter",
        f"för många olika aktiviteter (fler än {MAX_ACTIVITIES}); "
        "är rätt kolumn vald som aktivitet? Annars: dela upp loggen per ärendetyp.",
    )


def _mine_in_order(events: Iterator[Event], miner: _Miner) -> None:
    for case, key, moment, activity, resource in events:
        if activity is None:
            if key is None:
                miner.close(case)
            continue
        miner.add(case, key, moment, activity, resource)
    miner.close_all()


def _mine_sorted(events: Iterator[Event], miner: _Miner) -> None:
    """Spool the events to a temporary SQLite file and mine them case by case in time order."""
    with tempfile.TemporaryDirectory(prefix="discovery-") as folder:
        database = sqlite3.connect(Path(folder) / "events.sqlite3")
        try:
            database.execute("PRAGMA journal_mode=OFF")
            database.execute("PRAGMA synchronous=OFF")
            database.execute("CREATE TABLE event (c, k REAL, s INTEGER, t REAL, a TEXT, r TEXT)")
            names: set[str] = set()
            batch: list[tuple] = []
            for sequence, (case, key, moment, activity, resource) in enumerate(events):
                if activity is None:
                    continue
                if activity not in names:
                    if len(names) >= MAX_ACTIVITIES:
                        raise _too_many_activities()
                    names.add(activity)
                batch.append((case, key, sequence, moment, activity, resource))
                if len(batch) >= BATCH:
                    database.executemany("INSERT INTO event VALUES (?, ?, ?, ?, ?, ?)", batch)
                    batch.clear()
            database.executemany("INSERT INTO event VALUES (?, ?, ?, ?, ?, ?)", batch)
            del batch, names
            current = None
            rows = database.execute("SELECT c, k, t, a, r FROM event ORDER BY c, k, s")
            for case, key, moment, activity, resource in rows:
                if case != current:
                    miner.close(current)
                    current = case
                miner.add(case, key, moment, activity, resource)
            miner.close(current)
        finally:
            database.close()


# --- The map ----------------------------------------------------------------------------


def _step_ids(names: list[str]) -> list[str]:
    """A valid, unique id per activity: the name, or for a long name (or one that
    clashes with the start and end ids) its start plus a hash. Independent of order."""
    ids: dict[str, str] = {}
    used = {START, END}
    for name in names:
        if len(name) <= ID_MAX and name not in used:
            ids[name] = name
            used.add(name)
    for name in sorted(set(names) - set(ids)):
        digest = hashlib.sha1(name.encode()).hexdigest()[:8]
        head = name[: ID_MAX - len(digest) - 4].rstrip()
        candidate, extra = f"{head}~{digest}", 1
        while candidate in used:
            extra += 1
            candidate = f"{head}~{digest}{extra}"
        ids[name] = candidate
        used.add(candidate)
    return [ids[name] for name in names]


def _process_order(miner: _Miner) -> list[int]:
    """Activities breadth-first from the start, heaviest flow first: a reading order that
    does not depend on the order of the file."""
    successors: dict[int, list[tuple[int, int]]] = {}
    for pair, count in miner.follows.items():
        successors.setdefault(pair >> 16, []).append((count, pair & 0xFFFF))
    names = miner.names

    def ranked(options) -> list[int]:
        return [b for count, b in sorted(options, key=lambda o: (-o[0], names[o[1]]))]

    order: list[int] = []
    seen: set[int] = set()
    queue = deque(ranked((count, a) for a, count in miner.starts.items()))
    while queue:
        node = queue.popleft()
        if node in seen:
            continue
        seen.add(node)
        order.append(node)
        queue.extend(b for b in ranked(successors.get(node, [])) if b not in seen)
    # Every activity is reachable from the start; this only guards the invariant.
    order.extend(sorted(set(range(len(names))) - seen, key=names.__getitem__))
    return order


def _result(miner: _Miner, report: _Report, fmt: str, name: str, external: bool) -> Discovery:
    if report.skipped_total * 2 > report.rows:
        line, reason = report.skipped[0]
        what = "rader" if fmt == "csv" else "händelser"
        raise ProcessMapError(
            "fil",
            f"{report.skipped_total} av {report.rows} {what} kunde inte läsas "
            f"(första: rad {line}: {reason})",
        )
    if not miner.events:
        raise ProcessMapError("fil", "loggen innehåller inga användbara händelser")
    count = len(miner.names)
    if count > MAX_STEPS - 2:
        raise ProcessMapError(
            "aktiviteter",
            f"{count} olika aktiviteter; en processkarta får ha högst {MAX_STEPS - 2}",
        )
    flow_count = len(miner.follows) + len(miner.starts) + len(miner.ends)
    if flow_count > MAX_FLOWS:
        raise ProcessMapError(
            "flöden",
            f"loggen ger {flow_count} olika flöden mellan aktiviteterna; en upptäckt "
            f"processkarta får ha högst {MAX_FLOWS}. Dela upp loggen per ärendetyp "
            "eller slå ihop aktiviteter.",
        )
    ids = _step_ids(miner.names)
    order = _process_order(miner)
    position = {number: place for place, number in enumerate(order)}
    cases = miner.cases
    steps = [Step(START, "Start", kind="start", count=cases, share=1.0)]
    for number in order:
        steps.append(
            Step(
                ids[number],
                miner.names[number],
                kind="task",
                count=miner.event_count[number],
                share=miner.case_count[number] / cases,
            )
        )
    steps.append(Step(END, "Slut", kind="end", count=cases, share=1.0))
    # Outgoing flows per source, end flow included: (count, target position, target id).
    outgoing: dict[int, list[tuple[int, float, str]]] = {}
    for pair, flow_count in miner.follows.items():
        a, b = pair >> 16, pair & 0xFFFF
        outgoing.setdefault(a, []).append((flow_count, position[b], ids[b]))
    for a, flow_count in miner.ends.items():
        outgoing.setdefault(a, []).append((flow_count, float("inf"), END))
    flows = [
        Flow(START, ids[a], share=miner.starts[a] / cases, count=miner.starts[a])
        for a in sorted(miner.starts, key=position.__getitem__)
    ]
    for a in order:
        targets = sorted(outgoing.get(a, []), key=lambda t: (-t[0], t[1]))
        total = sum(t[0] for t in targets)
        flows.extend(Flow(ids[a], target, share=c / total, count=c) for c, _, target in targets)
    graph = build(steps, flows, name)
    if report.naive_times and report.aware_times:
        report.warn("Loggen blandar tider med och utan tidszon; tider utan zon har lästs som UTC.")
    if report.skipped_total:
        what = "rader" if fmt == "csv" else "händelser"
        report.warn(f"{report.skipped_total} {what} hoppades över.")
    return Discovery(
        graph=graph,
        format=fmt,
        cases=cases,
        events=miner.events,
        activities=count,
        resources=(
            {
                ids[n]: [r for r, _ in sorted(miner.resources[n].items(), key=_by_count)[:3]]
                for n in order
            }
            if report.has_resources
            else {}
        ),
        median_minutes={
            ids[n]: statistics.median(miner.samples[n]) if miner.samples[n] else None for n in order
        },
        skipped=list(report.skipped),
        skipped_total=report.skipped_total,
        warnings=list(report.warnings),
        external_sort=external,
    )


def _by_count(item: tuple[str, int]) -> tuple[int, str]:
    return -item[1], item[0]


# --- Entry point ------------------------------------------------------------------------


def _format(stream: BinaryIO, fmt: str | None, filename: str) -> str:
    if fmt is not None:
        if fmt not in FORMATS:
            raise ProcessMapError("format", "ska vara csv eller xes")
        return fmt
    start = stream.tell()
    head = stream.read(PEEK_BYTES)
    stream.seek(start)
    if head.startswith(b"\x1f\x8b") or head.startswith(b"PK\x03\x04"):
        raise ProcessMapError("fil", "komprimerade filer stöds inte; packa upp filen först")
    suffix = PurePath(filename).suffix.lower()
    if suffix in (".csv", ".tsv", ".txt"):
        return "csv"
    if suffix in (".xes", ".xml"):
        return "xes"
    head = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if not head:
        raise ProcessMapError("fil", "filen är tom")
    return "xes" if head.startswith(b"<") else "csv"


def _map_name(filename: str) -> str:
    stem = PurePath(filename.replace("\\", "/")).stem if filename else ""
    return stem.replace("\x00", "").strip()[:NAME_MAX].strip()


def discover(stream: BinaryIO, fmt: str | None = None, filename: str = "") -> Discovery:
    """The process map of an event log read from a binary stream.

    `fmt` is "csv" or "xes"; by default it follows the file name's extension, or
    the content (XES starts with "<"). The stream is read twice when its events
    are out of order; a stream that cannot seek is first copied to a temporary
    file. The stream is left open. ProcessMapError when the log cannot be used.
    """
    with ExitStack() as stack:
        if not stream.seekable():
            copy = stack.enter_context(tempfile.TemporaryFile())
            shutil.copyfileobj(stream, copy, 1 << 20)
            copy.seek(0)
            stream = copy
        start = stream.tell()
        fmt = _format(stream, fmt, filename)
        read = _read_csv if fmt == "csv" else _read_xes
        report = _Report()
        miner = _Miner(report)
        external = False
        try:
            with closing(read(stream, report)) as events:
                _mine_in_order(events, miner)
        except _Restart:
            external = True
            stream.seek(start)
            report = _Report()
            miner = _Miner(report)
            with closing(read(stream, report)) as events:
                _mine_sorted(events, miner)
        return _result(miner, report, fmt, _map_name(filename), external)
