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

A clean CSV (no bad rows; see "Reading CSV column by column") is read by pyarrow a
block at a time into compact integer columns and counted with numpy: about 30 bytes an
event, whatever the order of the rows. Medians are then exact. Any other CSV, and XES,
go through the row-by-row reader below.

For the row-by-row reader, memory stays bounded for large logs; no list of all events is
kept:

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
    # True when the events had to be sorted (out of time order within a case, or too
    # many cases open at once for the row reader): through a temporary database by the
    # row reader, in memory by the columnar one.
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


@dataclass
class _CsvHeader:
    lines_before: int  # lines up to and including the header
    delimiter: str
    names: list[str]  # as written
    case_at: int
    activity_at: int
    time_at: int | None
    resource_at: int | None


def _csv_header(text: io.TextIOWrapper, report: _Report) -> _CsvHeader:
    """The first non-blank line: the delimiter and where the columns are."""
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
    return _CsvHeader(lines_before, delimiter, header, case_at, activity_at, time_at, resource_at)


def _csv_events(text: io.TextIOWrapper, report: _Report) -> Iterator[Event]:
    head = _csv_header(text, report)
    lines_before, delimiter = head.lines_before, head.delimiter
    case_at, activity_at = head.case_at, head.activity_at
    time_at, resource_at = head.time_at, head.resource_at
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


# --- Reading CSV column by column ------------------------------------------------------
#
# A clean CSV (the common case, and every export of a system) is read a block at a time by
# pyarrow's CSV reader in C into compact integer columns (case, activity and resource
# numbers, the time in seconds: about 30 bytes an event, under 10 MB for the largest log the
# app takes, 32 MB), then counted with numpy: sorted by case, time and place in the file,
# the directly-follows pairs are the neighbours within a case. Anything the row-by-row
# reader must judge and report line by line (a blank or over-long value, a bad time, a row
# with too few columns, a line break inside a value, blank lines before the header, more
# than MAX_RESOURCES resources for an activity) sends the whole file to that reader instead,
# so every skipped row is still reported with its line.

# Switch for the tests that check the row-by-row reader's own mechanics.
COLUMNAR_CSV = True
CHUNK_ROWS_BYTES = 1 << 20


class _NotColumnar(Exception):
    """The file needs the row-by-row reader."""


def _trimmed(column, limit: int | None = None):
    import pyarrow.compute as pc

    column = pc.utf8_trim_whitespace(column)
    if pc.any(pc.equal(column, "")).as_py():
        raise _NotColumnar
    if limit is not None and pc.max(pc.utf8_length(column)).as_py() > limit:
        raise _NotColumnar
    return column


def _encode(column, known: dict[str, int], name=None, on_new=None):
    """Global numbers for a block's strings (`known` grows); `name` maps a value first."""
    import numpy as np

    encoded = column.dictionary_encode()
    numbers = []
    for value in encoded.dictionary.to_pylist():
        value = name(value) if name else value
        number = known.get(value)
        if number is None:
            if on_new is not None:
                on_new(len(known))
            number = known[value] = len(known)
        numbers.append(number)
    lookup = np.asarray(numbers, dtype=np.int32)
    return lookup[encoded.indices.to_numpy(zero_copy_only=False)]


def _seconds(column, report: _Report):
    """A block's times as float seconds: UTC for times with a zone, as written without."""
    import numpy as np
    import pyarrow as pa

    for zoned in (True, False):
        try:
            stamps = column.cast(pa.timestamp("us", tz="UTC") if zoned else pa.timestamp("us"))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            continue
        if zoned:
            report.aware_times = True
        else:
            report.naive_times = True
        return stamps.cast(pa.int64()).to_numpy(zero_copy_only=False).astype(np.float64) / 1e6
    raise _NotColumnar


def _cases_with(c, a, first, count: int) -> list[int]:
    """Per activity, the cases it occurs in (events sorted by case; `first` marks each
    case's first event): a bit mask per case OR-ed together for up to 63 activities."""
    import numpy as np

    if count > 63:
        seen = np.unique(c.astype(np.int64) * count + a) % count
        return np.bincount(seen, minlength=count).tolist()
    masks = np.bitwise_or.reduceat(
        np.left_shift(np.int64(1), a.astype(np.int64)), np.flatnonzero(first)
    )
    return [int(np.count_nonzero(masks & (1 << j))) for j in range(count)]


def _columnar_csv(stream: BinaryIO, report: _Report) -> tuple["_Miner", bool]:
    """The miner's counts of a clean CSV, and whether events were out of order in a case."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pa_csv

    start = stream.tell()
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    try:
        head = _csv_header(text, report)
    except UnicodeDecodeError:
        raise _NotColumnar from None
    finally:
        text.detach()
    if head.lines_before != 1:
        raise _NotColumnar
    wanted = [head.case_at, head.activity_at, head.time_at, head.resource_at]
    columns = [head.names[at] for at in wanted if at is not None]
    if len(set(columns)) != len(columns) or len(set(head.names)) != len(head.names):
        raise _NotColumnar
    stream.seek(start)
    if stream.read(3) != b"\xef\xbb\xbf":
        stream.seek(start)
    stream.readline(LINE_MAX)  # the header, read above
    # Blocks of whole lines parsed one at a time: pyarrow's own streaming reader held
    # about the whole file in memory. A value with a line break in it fails to parse and
    # sends the file to the row reader.
    read_options = pa_csv.ReadOptions(column_names=head.names, use_threads=False)
    parse_options = pa_csv.ParseOptions(delimiter=head.delimiter)
    convert_options = pa_csv.ConvertOptions(
        include_columns=columns,
        column_types=dict.fromkeys(columns, pa.string()),
        strings_can_be_null=False,
        quoted_strings_can_be_null=False,
    )

    def batches():
        rest = b""
        while True:
            chunk = stream.read(CHUNK_ROWS_BYTES)
            data = rest + chunk
            if chunk:
                cut = data.rfind(b"\n") + 1
                if not cut:
                    if len(data) >= LINE_MAX:
                        raise _NotColumnar  # the row reader names the line
                    rest = data
                    continue
                data, rest = data[:cut], data[cut:]
            if data.strip():
                table = pa_csv.read_csv(
                    io.BytesIO(data),
                    read_options=read_options,
                    parse_options=parse_options,
                    convert_options=convert_options,
                )
                yield from table.combine_chunks().to_batches()
                del table
                # Give the block's memory back, or the allocator keeps a file's worth.
                pool.release_unused()
            if not chunk:
                return

    pool = pa.default_memory_pool()
    reader = batches()
    cases: dict[str, int] = {}
    activities: dict[str, int] = {}
    resources: dict[str | None, int] = {}

    def new_activity(count: int) -> None:
        if count >= MAX_ACTIVITIES:
            raise _too_many_activities()

    parts: dict[str, list] = {"case": [], "activity": [], "key": [], "resource": []}
    names = {"case": head.names[head.case_at], "activity": head.names[head.activity_at]}
    try:
        for batch in reader:
            if not batch.num_rows:
                continue
            report.rows += batch.num_rows
            if any(pc.max(pc.utf8_length(column)).as_py() >= LINE_MAX for column in batch.columns):
                raise _NotColumnar  # the row reader says which line is too long
            case = _trimmed(batch.column(names["case"]), CASE_ID_MAX)
            activity = _trimmed(batch.column(names["activity"]), NAME_MAX)
            if pc.any(pc.match_substring(activity, "\x00")).as_py():
                raise _NotColumnar
            parts["case"].append(_encode(case, cases))
            parts["activity"].append(_encode(activity, activities, on_new=new_activity))
            if head.time_at is not None:
                times = _trimmed(batch.column(head.names[head.time_at]))
                parts["key"].append(_seconds(times, report))
            if head.resource_at is not None:
                raw = pc.utf8_trim_whitespace(batch.column(head.names[head.resource_at]))
                parts["resource"].append(_encode(raw, resources, name=_resource_name))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, UnicodeDecodeError):
        raise _NotColumnar from None
    if report.naive_times and report.aware_times:
        # The row reader compares them on wall-clock time and warns; let it.
        raise _NotColumnar
    miner = _Miner(report)
    if not parts["case"]:
        return miner, False
    # Sorted by case, time and place in the file; each column is taken in that order once
    # and the unsorted one dropped, so the peak is a few arrays of 4-8 bytes an event.
    case = np.concatenate(parts.pop("case"))
    events = len(case)
    timed = head.time_at is not None
    key = np.concatenate(parts.pop("key")) if timed else np.zeros(events)
    order = np.lexsort((np.arange(events, dtype=np.int32), key, case))
    c = case[order]
    del case
    k = key[order]
    del key
    a = np.concatenate(parts.pop("activity"))[order]
    same = c[1:] == c[:-1]
    # Out of order: within a case, a later row of the file comes first in time.
    unsorted = bool(np.any((order[1:] < order[:-1]) & same))
    count = len(activities)
    miner.names = list(activities)
    miner.index = dict(activities)
    miner.event_count = np.bincount(a, minlength=count).tolist()
    first = np.ones(events, dtype=bool)
    first[1:] = ~same
    last = np.ones(events, dtype=bool)
    last[:-1] = ~same
    miner.starts = Counter(dict(enumerate(np.bincount(a[first], minlength=count).tolist())))
    miner.ends = Counter(dict(enumerate(np.bincount(a[last], minlength=count).tolist())))
    miner.starts = +miner.starts  # drop the zeros
    miner.ends = +miner.ends
    # Counted with bincount over small codes (at most MAX_ACTIVITIES² pairs), not sorted.
    pair_counts = np.bincount(
        a[:-1][same].astype(np.int64) * count + a[1:][same], minlength=count * count
    )
    miner.follows = Counter(
        {
            (int(p) // count) << 16 | int(p) % count: int(pair_counts[p])
            for p in np.flatnonzero(pair_counts)
        }
    )
    miner.case_count = _cases_with(c, a, first, count)
    miner.cases = int(first.sum())
    miner.events = events
    miner.medians = [None] * count
    if timed:
        minutes = (k[1:] - k[:-1])[same] / 60
        of = a[1:][same]
        by_activity = np.argsort(of, kind="stable")
        groups = np.split(minutes[by_activity], np.cumsum(np.bincount(of, minlength=count))[:-1])
        miner.medians = [float(np.median(g)) if len(g) else None for g in groups]
    if head.resource_at is not None:
        res = np.concatenate(parts.pop("resource"))[order]
        names_of = list(resources)
        none = resources.get(None)
        keep = res != none if none is not None else np.ones(events, dtype=bool)
        pair = a[keep].astype(np.int64) * len(names_of) + res[keep]
        if count * len(names_of) <= 1 << 22:
            counts = np.bincount(pair, minlength=count * len(names_of))
            codes = np.flatnonzero(counts)
            counts = counts[codes]
        else:
            codes, counts = np.unique(pair, return_counts=True)
        miner.resources = [Counter() for _ in range(count)]
        for code, n in zip(codes.tolist(), counts.tolist(), strict=True):
            miner.resources[code // len(names_of)][names_of[code % len(names_of)]] = n
        if any(len(counter) > MAX_RESOURCES for counter in miner.resources):
            raise _NotColumnar
    else:
        miner.resources = [Counter() for _ in range(count)]
    return miner, unsorted


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
        # Exact medians per activity, when the columnar reader counted them.
        self.medians: list[float | None] | None = None

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
            ids[n]: (
                miner.medians[n]
                if miner.medians is not None
                else statistics.median(miner.samples[n])
                if miner.samples[n]
                else None
            )
            for n in order
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
        if fmt == "csv" and COLUMNAR_CSV:
            report = _Report()
            try:
                miner, unsorted = _columnar_csv(stream, report)
            except _NotColumnar:
                stream.seek(start)
            else:
                return _result(miner, report, fmt, _map_name(filename), unsorted)
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
