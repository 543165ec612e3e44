"""Event logs written out for process mining: XES (IEEE 1849-2016) and CSV, streamed.

A log is a sequence of traces (one per case), each holding its events. The
writers take the traces as an iterable and yield the document in pieces, so
a log of a million events is never held in memory: the caller can hand the
pieces straight to an HTTP response or a file.

- `xes_chunks` writes an XES document: extensions Concept, Time, Organizational
  and Lifecycle, global defaults for the keys every trace and event carries,
  an activity classifier, then each trace with its attributes and events.
- `csv_chunks` writes one row per event with the column names that process
  mining tools (and `rosa.discovery`) recognise: `case:concept:name`,
  `concept:name`, `time:timestamp`, `org:resource`, then the extra columns.

Within a trace the events are written in time order (a stable sort: events
with the same time keep the order they were given in). Times are written in
ISO 8601 with milliseconds and the offset of the datetime given; they must be
time-zone aware.
"""

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from xml.sax.saxutils import quoteattr

XES_NAMESPACE = "http://www.xes-standard.org/"
XES_EXTENSIONS = (
    ("Concept", "concept", "http://www.xes-standard.org/concept.xesext"),
    ("Time", "time", "http://www.xes-standard.org/time.xesext"),
    ("Organizational", "org", "http://www.xes-standard.org/org.xesext"),
    ("Lifecycle", "lifecycle", "http://www.xes-standard.org/lifecycle.xesext"),
)
CSV_HEADER = ("case:concept:name", "concept:name", "time:timestamp", "org:resource")
# Keys the writers set themselves; attributes of the same name are not written twice.
TRACE_KEYS = frozenset({"concept:name"})
EVENT_KEYS = frozenset({"concept:name", "time:timestamp", "org:resource", "lifecycle:transition"})
# A chunk is yielded once it holds about this many characters.
CHUNK_SIZE = 1 << 16

# Characters XML 1.0 does not allow, even escaped: C0 controls other than tab, line
# feed and carriage return, lone surrogates (they cannot be encoded) and U+FFFE/U+FFFF.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# Spreadsheets run a cell that starts like this as a formula (CSV/formula injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

Value = str | int


@dataclass
class LogEvent:
    """One event of a case: what happened, when (aware), who did it (if known), and more."""

    activity: str
    timestamp: datetime
    resource: str | None = None
    attributes: dict[str, Value] = field(default_factory=dict)


@dataclass
class Trace:
    """One case of the log: its id, its case-level attributes and its events."""

    case_id: str
    attributes: dict[str, Value] = field(default_factory=dict)
    events: list[LogEvent] = field(default_factory=list)


def ordered_events(trace: Trace) -> list[LogEvent]:
    """The trace's events in time order; events with the same time keep their order."""
    return sorted(trace.events, key=lambda event: event.timestamp)


def format_time(moment: datetime) -> str:
    """ISO 8601 with milliseconds and the offset: 2024-03-01T09:15:00.000+01:00."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"event time without a time zone: {moment.isoformat()}")
    return moment.isoformat(timespec="milliseconds")


# --- XES --------------------------------------------------------------------------------


def _xml_attr(value: object) -> str:
    """An attribute value quoted for XML, without the characters XML cannot hold."""
    return quoteattr(_NOT_XML.sub("", str(value)))


def _xes_attribute(key: str, value: Value) -> str:
    if isinstance(value, bool):
        return f"<boolean key={_xml_attr(key)} value={_xml_attr(str(value).lower())}/>"
    if isinstance(value, int):
        return f"<int key={_xml_attr(key)} value={_xml_attr(value)}/>"
    return f"<string key={_xml_attr(key)} value={_xml_attr(value)}/>"


def _xes_head(log_name: str) -> str:
    extensions = "".join(
        f"  <extension name={_xml_attr(name)} prefix={_xml_attr(prefix)} uri={_xml_attr(uri)}/>\n"
        for name, prefix, uri in XES_EXTENSIONS
    )
    # Globals declare the attributes every trace/event has, with a default value; only
    # the keys the writer always sets qualify (org:resource and the extra attributes may
    # be missing on some events).
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<log xes.version="1849-2016" xes.features="" xmlns="{XES_NAMESPACE}">\n'
        f"{extensions}"
        '  <global scope="trace">\n'
        '    <string key="concept:name" value="__INVALID__"/>\n'
        "  </global>\n"
        '  <global scope="event">\n'
        '    <string key="concept:name" value="__INVALID__"/>\n'
        '    <date key="time:timestamp" value="1970-01-01T00:00:00.000+00:00"/>\n'
        '    <string key="lifecycle:transition" value="complete"/>\n'
        "  </global>\n"
        # A classifier's keys should be global, so events are classified by activity only.
        '  <classifier name="Aktivitet" keys="concept:name"/>\n'
        f"  {_xes_attribute('concept:name', log_name)}\n"
    )


def _xes_trace(trace: Trace) -> str:
    parts = ["  <trace>\n    ", _xes_attribute("concept:name", trace.case_id), "\n"]
    for key, value in trace.attributes.items():
        if key not in TRACE_KEYS:
            parts += ["    ", _xes_attribute(key, value), "\n"]
    for event in ordered_events(trace):
        parts += [
            "    <event>\n      ",
            _xes_attribute("concept:name", event.activity),
            f'\n      <date key="time:timestamp" value={_xml_attr(format_time(event.timestamp))}/>\n',
        ]
        if event.resource is not None:
            parts += ["      ", _xes_attribute("org:resource", event.resource), "\n"]
        parts.append('      <string key="lifecycle:transition" value="complete"/>\n')
        for key, value in event.attributes.items():
            if key not in EVENT_KEYS:
                parts += ["      ", _xes_attribute(key, value), "\n"]
        parts.append("    </event>\n")
    parts.append("  </trace>\n")
    return "".join(parts)


def xes_chunks(traces: Iterable[Trace], *, log_name: str) -> Iterator[bytes]:
    """The log as an XES document in UTF-8, in pieces of about CHUNK_SIZE characters.

    The head (declarations) comes first on its own, so a response can start at once;
    then the traces, a batch at a time, as they are read from `traces`.
    """
    yield _xes_head(log_name).encode()
    pending: list[str] = []
    size = 0
    for trace in traces:
        text = _xes_trace(trace)
        pending.append(text)
        size += len(text)
        if size >= CHUNK_SIZE:
            yield "".join(pending).encode()
            pending, size = [], 0
    pending.append("</log>\n")
    yield "".join(pending).encode()


# --- CSV --------------------------------------------------------------------------------


def _csv_cell(value: Value | None) -> Value:
    """A value safe to open in a spreadsheet.

    Guard against CSV formula injection: a text cell that starts with = + - @, a
    tab or a carriage return would be run as a formula by Excel or LibreOffice, so
    it gets a leading apostrophe (shown as text, and visible as a change). Numbers
    are written as they are.
    """
    if value is None:
        return ""
    if isinstance(value, int):
        return value
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _csv_value(column: str, trace: Trace, event: LogEvent) -> Value | None:
    if column in event.attributes:
        return event.attributes[column]
    if column.startswith("case:"):
        return trace.attributes.get(column.removeprefix("case:"))
    return None


def csv_chunks(
    traces: Iterable[Trace],
    *,
    extra_columns: list[str],
    delimiter: str = ",",
    header: Sequence[str] | None = None,
    time_format: Callable[[datetime], str] = format_time,
    preamble: str = "",
) -> Iterator[str]:
    """The log as CSV text, one row per event, in pieces of about CHUNK_SIZE characters.

    After the four standard columns come `extra_columns`: a column holds the event's
    attribute of that name; a column named `case:<key>` that no event attribute
    claims holds the trace's attribute <key>, repeated on every row of the case.
    Missing values are empty. Rows end in CRLF (RFC 4180); the text has no byte
    order mark unless `preamble` is one.

    A spreadsheet dialect passes its own `delimiter`, `header` (one name per column),
    `time_format` and `preamble` (e.g. the byte order mark Excel looks for).
    """
    buffer = io.StringIO()
    buffer.write(preamble)
    writer = csv.writer(buffer, delimiter=delimiter)

    def take() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    names = (*CSV_HEADER, *extra_columns) if header is None else tuple(header)
    if len(names) != len(CSV_HEADER) + len(extra_columns):
        raise ValueError(
            f"header has {len(names)} names for {len(CSV_HEADER) + len(extra_columns)} columns"
        )
    writer.writerow([_csv_cell(name) for name in names])
    yield take()
    for trace in traces:
        case_id = _csv_cell(trace.case_id)
        for event in ordered_events(trace):
            writer.writerow(
                [
                    case_id,
                    _csv_cell(event.activity),
                    time_format(event.timestamp),
                    _csv_cell(event.resource),
                    *(_csv_cell(_csv_value(column, trace, event)) for column in extra_columns),
                ]
            )
        if buffer.tell() >= CHUNK_SIZE:
            yield take()
    if buffer.tell():
        yield take()
