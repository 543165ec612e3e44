"""Process discovery from event logs: the running example, CSV dialects, order, bad input."""

import io
import random
from pathlib import Path

import pytest

import rosa.discovery
from rosa.discovery import END, START, discover
from rosa.processmap import ID_MAX, NAME_MAX, ProcessMapError, to_dict

EVENTLOGS = Path(__file__).resolve().parents[2] / "shared" / "data" / "eventlogs"
CSV_LOG = EVENTLOGS / "running-example.csv"
XES_LOG = EVENTLOGS / "running-example.xes"

# Counted by hand from running-example.csv (42 data rows, 6 distinct case:concept:name):
#   tail -n +2 running-example.csv | cut -d, -f2 | sort | uniq -c
# and the same from the XES: grep 'key="concept:name"' inside <event> elements.
EVENT_COUNTS = {
    "register request": 6,
    "examine casually": 6,
    "check ticket": 9,
    "examine thoroughly": 3,
    "decide": 9,
    "pay compensation": 3,
    "reinitiate request": 3,
    "reject request": 3,
}
# Cases containing the activity at least once:
#   tail -n +2 running-example.csv | awk -F, '{print $8","$2}' | sort -u | cut -d, -f2 | uniq -c
CASES_WITH = {
    "register request": 6,
    "examine casually": 4,
    "check ticket": 6,
    "examine thoroughly": 3,
    "decide": 6,
    "pay compensation": 3,
    "reinitiate request": 2,
    "reject request": 3,
}
# Directly-follows counts from the traces (the file is grouped by case and in time order
# within each case, checked with awk), counted with
#   tail -n +2 running-example.csv | awk -F, '{ if ($8==pc) print pa" -> "$2;
#     else { print "START -> "$2; if (pc!="") print pa" -> END" } pc=$8; pa=$2 }
#     END { print pa" -> END" }' | sort | uniq -c
# and checked against the six traces:
#   3: register, ex. casually, check, decide, reinitiate, ex. thoroughly, check, decide, pay
#   2: register, check, ex. casually, decide, pay
#   1: register, ex. thoroughly, check, decide, reject
#   6: register, ex. casually, check, decide, pay
#   5: register, ex. casually, check, decide, reinitiate, check, ex. casually, decide,
#      reinitiate, ex. casually, check, decide, reject
#   4: register, check, ex. thoroughly, decide, reject
FOLLOWS = {
    (START, "register request"): 6,
    ("register request", "examine casually"): 3,
    ("register request", "check ticket"): 2,
    ("register request", "examine thoroughly"): 1,
    ("examine casually", "check ticket"): 4,
    ("examine casually", "decide"): 2,
    ("check ticket", "decide"): 6,
    ("check ticket", "examine casually"): 2,
    ("check ticket", "examine thoroughly"): 1,
    ("examine thoroughly", "check ticket"): 2,
    ("examine thoroughly", "decide"): 1,
    ("decide", "reinitiate request"): 3,
    ("decide", "pay compensation"): 3,
    ("decide", "reject request"): 3,
    ("reinitiate request", "examine casually"): 1,
    ("reinitiate request", "check ticket"): 1,
    ("reinitiate request", "examine thoroughly"): 1,
    ("pay compensation", END): 3,
    ("reject request", END): 3,
}


def read(path: Path, **kwargs):
    with path.open("rb") as stream:
        return discover(stream, filename=path.name, **kwargs)


def from_text(text: str, **kwargs):
    return discover(io.BytesIO(text.encode("utf-8")), **kwargs)


def flows(result) -> dict[tuple[str, str], int]:
    return {(a, b): attrs["count"] for a, b, attrs in result.graph.edges(data=True)}


class NonSeekable(io.RawIOBase):
    """A pipe-like stream: readable once, no seek."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def readinto(self, buffer) -> int:
        chunk = self._data.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


def test_the_event_logs_are_there():
    assert CSV_LOG.is_file(), f"missing {CSV_LOG}"
    assert XES_LOG.is_file(), f"missing {XES_LOG}"


@pytest.mark.parametrize("path", [CSV_LOG, XES_LOG], ids=["csv", "xes"])
def test_running_example(path):
    result = read(path)
    assert result.format == path.suffix[1:]
    assert (result.cases, result.events, result.activities) == (6, 42, 8)
    assert not result.external_sort
    assert result.skipped == [] and result.skipped_total == 0
    assert result.warnings == []
    graph = result.graph
    tasks = {n: a for n, a in graph.nodes(data=True) if a["kind"] == "task"}
    assert {n: a["count"] for n, a in tasks.items()} == EVENT_COUNTS
    assert {n: a["share"] for n, a in tasks.items()} == {
        n: count / 6 for n, count in CASES_WITH.items()
    }
    assert (graph.nodes[START]["kind"], graph.nodes[START]["name"]) == ("start", "Start")
    assert (graph.nodes[END]["kind"], graph.nodes[END]["name"]) == ("end", "Slut")
    assert flows(result) == FOLLOWS
    # Start: register request opens all six cases.
    assert graph.edges[START, "register request"]["share"] == 1.0
    # Shares are over the source's outgoing flows: decide leaves 9 times, 3 each way.
    assert graph.edges["decide", "reject request"]["share"] == pytest.approx(3 / 9)
    assert graph.edges["pay compensation", END]["share"] == 1.0
    for node in graph:
        out = [graph.edges[node, t]["share"] for t in graph.successors(node)]
        assert node == END or sum(out) == pytest.approx(1.0)
    # Hand-computed: decide → pay compensation in cases 2, 3 and 6 took 4363, 8690 and
    # 12655 minutes; decide → reinitiate request 180, 1610 and 1530 minutes.
    assert result.median_minutes["pay compensation"] == 8690
    assert result.median_minutes["reinitiate request"] == 1530
    assert result.median_minutes["register request"] is None
    # register request: Pete in cases 3, 1, 4; Mike in 2, 6; Ellen in 5.
    assert result.resources["register request"] == ["Pete", "Mike", "Ellen"]
    assert result.resources["decide"] == ["Sara"]


def test_csv_and_xes_give_the_same_map():
    from_csv, from_xes = to_dict(read(CSV_LOG).graph), to_dict(read(XES_LOG).graph)
    from_csv.pop("name"), from_xes.pop("name")
    assert from_csv == from_xes
    assert [s["id"] for s in from_csv["steps"]][:3] == [
        START,
        "register request",
        "examine casually",
    ]


def test_format_is_guessed_from_the_content():
    for path in (CSV_LOG, XES_LOG):
        with path.open("rb") as stream:
            result = discover(stream)
        assert result.format == path.suffix[1:]
        assert result.graph.graph["name"] == ""
    assert read(CSV_LOG).graph.graph["name"] == "running-example"


def shuffled_csv(seed: int = 7) -> bytes:
    header, *rows = CSV_LOG.read_bytes().splitlines(keepends=True)
    random.Random(seed).shuffle(rows)
    return header + b"".join(rows)


def test_shuffled_csv_is_sorted_externally_to_the_same_map():
    expected = read(CSV_LOG)
    result = discover(io.BytesIO(shuffled_csv()), filename="running-example.csv")
    assert result.external_sort
    assert to_dict(result.graph) == to_dict(expected.graph)
    assert result.median_minutes == expected.median_minutes
    assert result.resources == expected.resources
    assert (result.cases, result.events) == (6, 42)


def test_non_seekable_stream_works_also_when_sorting(tmp_path):
    expected = to_dict(read(CSV_LOG).graph)
    for data in (CSV_LOG.read_bytes(), shuffled_csv(11)):
        stream = io.BufferedReader(NonSeekable(data))
        assert not stream.seekable()
        result = discover(stream, filename="running-example.csv")
        assert to_dict(result.graph) == expected
        assert not stream.closed
    stream = io.BufferedReader(NonSeekable(XES_LOG.read_bytes()))
    assert flows(discover(stream)) == FOLLOWS


def test_the_caller_s_stream_stays_open():
    with CSV_LOG.open("rb") as stream:
        discover(stream)
        assert not stream.closed
        stream.seek(0)
        assert stream.read(1) == b","


def test_too_many_open_cases_switch_to_the_external_sort(monkeypatch):
    # The row-by-row reader's own mechanics (the columnar one has no open cases).
    monkeypatch.setattr(rosa.discovery, "COLUMNAR_CSV", False)
    monkeypatch.setattr(rosa.discovery, "MAX_OPEN_CASES", 2)
    result = read(CSV_LOG)
    assert result.external_sort
    monkeypatch.undo()
    assert to_dict(result.graph) == to_dict(read(CSV_LOG).graph)


XES_OUT_OF_ORDER = """<?xml version="1.0" encoding="UTF-8"?>
<log xes.version="1.0" xmlns="http://www.xes-standard.org/">
  <trace>
    <string key="concept:name" value="A1"/>
    <event><string key="concept:name" value="Registrera"/>
      <date key="time:timestamp" value="2024-03-01T09:00:00+01:00"/></event>
    <event><string key="concept:name" value="Besluta"/>
      <date key="time:timestamp" value="2024-03-01T11:00:00+01:00"/></event>
    <event><string key="concept:name" value="Utreda"/>
      <date key="time:timestamp" value="2024-03-01T10:00:00+01:00"/>
      <string key="org:resource" value="Karin"/></event>
  </trace>
  <trace>
    <string key="concept:name" value="A2"/>
    <event><string key="concept:name" value="Registrera"/>
      <date key="time:timestamp" value="2024-03-02T09:00:00Z"/></event>
    <event><string key="concept:name" value="Besluta"/>
      <date key="time:timestamp" value="2024-03-02T09:30:00Z"/></event>
  </trace>
</log>
"""


def test_namespaced_xes_out_of_order_within_a_trace():
    result = from_text(XES_OUT_OF_ORDER)
    assert result.external_sort
    assert flows(result) == {
        (START, "Registrera"): 2,
        ("Registrera", "Utreda"): 1,
        ("Utreda", "Besluta"): 1,
        ("Registrera", "Besluta"): 1,
        ("Besluta", END): 2,
    }
    assert result.median_minutes == {"Registrera": None, "Utreda": 60, "Besluta": 45}
    assert result.resources == {"Registrera": [], "Utreda": ["Karin"], "Besluta": []}


def test_semicolon_csv_with_swedish_columns():
    text = (
        "Ärende;Aktivitet;Tid;Resurs\n"
        "A1;Ta emot;2024-03-01 09:00;Anna\n"
        "A1;Utreda;2024-03-01 09:30;Bo\n"
        "A1;Besluta;2024-03-01T10:30:00;Bo\n"
        "A2;Ta emot;2024-03-01 10:00;Anna\n"
        "A2;Besluta;2024-03-01 10:20;Cia\n"
    )
    result = from_text(text)
    assert (result.format, result.cases, result.events, result.activities) == ("csv", 2, 5, 3)
    assert flows(result) == {
        (START, "Ta emot"): 2,
        ("Ta emot", "Utreda"): 1,
        ("Ta emot", "Besluta"): 1,
        ("Utreda", "Besluta"): 1,
        ("Besluta", END): 2,
    }
    assert result.graph.edges["Ta emot", "Utreda"]["share"] == 0.5
    assert result.median_minutes == {"Ta emot": None, "Utreda": 30, "Besluta": 40}
    assert result.resources["Besluta"] == ["Bo", "Cia"]


def test_tab_separated_with_alias_columns_and_utc_conversion():
    # 01:30 CET and 03:30 CEST on the night clocks go forward are one hour apart.
    text = (
        "case_id\tactivity\ttimestamp\n"
        "1\ta\t2024-03-31T01:30:00+01:00\n"
        "1\tb\t2024-03-31T03:30:00+02:00\n"
    )
    result = from_text(text, fmt="csv")
    assert result.median_minutes == {"a": None, "b": 60}
    assert result.resources == {}


def test_csv_without_a_time_column_keeps_file_order():
    result = from_text("case,event\n1,a\n1,b\n2,a\n")
    assert flows(result) == {(START, "a"): 2, ("a", "b"): 1, ("b", END): 1, ("a", END): 1}
    assert result.median_minutes == {"a": None, "b": None}
    assert any("tidskolumn" in w for w in result.warnings)


def test_bad_rows_are_skipped_with_their_line_numbers():
    text = (
        "case,activity,timestamp\n"  # line 1
        "1,a,2024-01-01 08:00\n"
        "1,b,2024-01-01 09:00\n"
        ",b,2024-01-01 09:00\n"  # line 4: no case
        "1,c,2024-01-01 10:00\n"
        "\n"  # line 6: blank, ignored
        "2, ,2024-01-01 10:00\n"  # line 7: no activity
        "2,a,igår\n"  # line 8: bad time
        "2,a,2024-01-01 11:00\n"
        "2,c\n"  # line 10: too few columns
        "2,c,2024-01-01 12:00\n"
    )
    result = from_text(text)
    assert result.skipped_total == 4
    assert [line for line, _ in result.skipped] == [4, 7, 8, 10]
    reasons = dict(result.skipped)
    assert "ärende" in reasons[4]
    assert "aktivitet" in reasons[7]
    assert "igår" in reasons[8]
    assert "kolumner" in reasons[10]
    assert (result.cases, result.events) == (2, 5)
    assert any("4 rader hoppades över" in w for w in result.warnings)


def test_skipped_list_is_capped_but_counted():
    good = "".join(f"{n},a,2024-01-01 08:00\n" for n in range(150))
    bad = "".join(f"{n},a,inte en tid\n" for n in range(120))
    result = from_text("case,activity,time\n" + good + bad)
    assert result.skipped_total == 120
    assert len(result.skipped) == 100
    assert result.skipped[0][0] == 152


def test_mostly_bad_rows_are_refused():
    text = "case,activity,time\n1,a,2024-01-01\n1,b,fel\n2,a,fel\n"
    with pytest.raises(ProcessMapError) as error:
        from_text(text)
    assert error.value.place == "fil"
    assert "2 av 3 rader" in error.value.message
    assert "rad 3" in error.value.message


def test_missing_columns():
    with pytest.raises(ProcessMapError) as error:
        from_text("id,what,when\n1,a,2024-01-01\n")
    assert error.value.place == "kolumn"
    assert "ärende-id" in error.value.message and "aktivitet" in error.value.message
    assert "id, what, when" in error.value.message
    with pytest.raises(ProcessMapError, match="aktivitet") as error:
        from_text("case:concept:name;tid\n1;2024-01-01\n")
    assert "ärende-id" not in error.value.message


@pytest.mark.parametrize(
    "data",
    [b"", b"  \n\n", b"\xef\xbb\xbf", b"case,activity,time\n", b"case,activity\n\n\n"],
    ids=["empty", "blank", "bom", "header only", "header and blank lines"],
)
def test_empty_logs(data):
    with pytest.raises(ProcessMapError):
        discover(io.BytesIO(data))
    with pytest.raises(ProcessMapError):
        discover(io.BytesIO(data), filename="log.csv")


def test_empty_xes():
    with pytest.raises(ProcessMapError) as error:
        discover(io.BytesIO(b""), fmt="xes")
    assert error.value.place == "xes"
    with pytest.raises(ProcessMapError, match="inga användbara"):
        from_text("<log><trace></trace></log>")


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE log [
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<log><trace><event><string key="concept:name" value="&lol4;"/></event></trace></log>
"""
EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE log [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<log><trace><event><string key="concept:name" value="x"/>&secret;</event></trace></log>
"""


@pytest.mark.parametrize("text", [BILLION_LAUGHS, EXTERNAL_ENTITY], ids=["laughs", "external"])
def test_hostile_xes_is_refused(text):
    with pytest.raises(ProcessMapError) as error:
        from_text(text, filename="log.xes")
    assert error.value.place == "xes"
    assert "säkerhetsskäl" in error.value.message


def test_broken_xes():
    with pytest.raises(ProcessMapError, match="inte giltig XML"):
        from_text("<log><trace><event></trace></log>")
    with pytest.raises(ProcessMapError, match="inte <log>"):
        from_text("<html><body/></html>")


def test_compressed_and_unknown_input():
    with pytest.raises(ProcessMapError, match="komprimerade"):
        discover(io.BytesIO(b"\x1f\x8b\x08\x00rest"), filename="log.xes.gz")
    with pytest.raises(ProcessMapError, match="UTF-8"):
        discover(io.BytesIO("case,activity\n1,Överklaga\n".encode("latin-1")))
    with pytest.raises(ProcessMapError) as error:
        from_text("case,activity\n1,a\n", fmt="json")
    assert error.value.place == "format"


def test_long_activity_names_get_short_stable_ids():
    long_a, long_b = "a" * 150, "a" * 149 + "b"
    huge = "x" * 500
    text = f"case,activity\n1,{long_a}\n1,{long_b}\n1,{huge}\n1,{START}\n"
    result = from_text(text)
    ids = [n for n, a in result.graph.nodes(data=True) if a["kind"] == "task"]
    assert len(set(ids)) == 4
    assert all(len(i) <= ID_MAX for i in ids)
    names = {result.graph.nodes[i]["name"] for i in ids}
    assert {long_a, long_b, START} <= names
    assert "x" * (NAME_MAX - 1) + "…" in names
    assert ids == [n for n, a in from_text(text).graph.nodes(data=True) if a["kind"] == "task"]
    assert result.graph.nodes[START]["kind"] == "start"


def test_too_many_activities():
    rows = "".join(f"{n},a{n}\n" for n in range(rosa.discovery.MAX_ACTIVITIES + 1))
    with pytest.raises(ProcessMapError, match="för många olika aktiviteter"):
        from_text("case,activity\n" + rows)
    assert rosa.discovery.MAX_ACTIVITIES <= rosa.processmap.MAX_STEPS - 2


def test_too_many_flows_are_refused_with_the_bound():
    """80 activities where every one follows every other: 6,320 flows, too many to read."""
    names = [f"a{n}" for n in range(80)]
    pairs = [(a, b) for a in names for b in names if a != b]
    rows = "".join(f"{case},{a}\n{case},{b}\n" for case, (a, b) in enumerate(pairs))
    with pytest.raises(ProcessMapError, match=f"högst {rosa.discovery.MAX_FLOWS}") as refused:
        from_text("case,activity\n" + rows)
    assert refused.value.place == "flöden"
    # Fewer pairs are fine: the first 4,000 cases give at most 4,160 flows.
    assert from_text("case,activity\n" + "".join(rows.splitlines(True)[:8000])).cases == 4000


XES_WITH_BAD_EVENTS = """<?xml version="1.0" encoding="UTF-8"?>
<log>
  <global scope="event"><string key="concept:name" value="__INVALID__"/></global>
  <trace>
    <string key="concept:name" value="A1"/>
    <event><string key="concept:name" value="a"/>
      <date key="time:timestamp" value="2024-03-01T09:00:00"/></event>
    <event><string key="org:resource" value="Bo"/></event>
    <event><string key="concept:name" value="b"/>
      <date key="time:timestamp" value="i morgon"/></event>
    <event><string key="concept:name" value="b"/>
      <list key="nested"><string key="concept:name" value="inte detta"/></list>
      <date key="time:timestamp" value="2024-03-01T09:10:00"/></event>
    <event><string key="concept:name" value="c"/></event>
    <event><string key="concept:name" value="d"/>
      <date key="time:timestamp" value="2024-03-01T09:40:00"/></event>
  </trace>
</log>
"""


def test_xes_bad_events_are_skipped_with_their_line_numbers():
    result = from_text(XES_WITH_BAD_EVENTS)
    assert [line for line, _ in result.skipped] == [8, 9]
    assert "concept:name" in result.skipped[0][1] and "A1" in result.skipped[0][1]
    assert "i morgon" in result.skipped[1][1]
    # c has no time: it stays between b and d, and neither c nor d gets a duration.
    assert flows(result) == {
        (START, "a"): 1,
        ("a", "b"): 1,
        ("b", "c"): 1,
        ("c", "d"): 1,
        ("d", END): 1,
    }
    assert result.median_minutes == {"a": None, "b": 10, "c": None, "d": None}
    assert result.resources == {}
    assert any("2 händelser hoppades över" in w for w in result.warnings)


def test_mixed_time_zones_and_a_missing_optional_resource():
    text = (
        "case,activity,time,resource\n"
        "1,a,2024-03-01 09:00:00+01:00,Anna\n"
        "1,b,2024-03-01 08:30:00\n"  # no offset: read as UTC, 30 minutes after a
    )
    result = from_text(text)
    assert result.median_minutes == {"a": None, "b": 30}
    assert result.resources == {"a": ["Anna"], "b": []}
    assert any("tidszon" in w for w in result.warnings)


def test_a_line_without_end_is_refused(monkeypatch):
    monkeypatch.setattr(rosa.discovery, "LINE_MAX", 64)
    with pytest.raises(ProcessMapError) as error:
        from_text("case,activity\n1," + "a" * 100)
    assert error.value.place == "rad 2"


def _both_readers(data: bytes, monkeypatch) -> tuple:
    columnar = discover(io.BytesIO(data), filename="log.csv")
    monkeypatch.setattr(rosa.discovery, "COLUMNAR_CSV", False)
    rows = discover(io.BytesIO(data), filename="log.csv")
    monkeypatch.undo()
    return columnar, rows


def _variants() -> dict[str, bytes]:
    plain = CSV_LOG.read_bytes()
    header, *rows = plain.decode().splitlines(keepends=True)
    return {
        "as is": plain,
        "shuffled": shuffled_csv(3),
        "byte order mark": b"\xef\xbb\xbf" + plain,
        "semicolons": plain.decode().replace(",", ";").encode(),
        "no time column": b"case,activity\n1,a\n1,b\n2,a\n2,c\n2,b\n",
        "times without zone": b"case,activity,timestamp\n1,a,2024-01-01 09:00\n"
        b"1,b,2024-01-01 10:30\n2,a,2024-01-02 09:00\n2,b,2024-01-02 09:45\n",
        "quoted values": b'case,activity,timestamp\n"1","Ta emot, registrera",2024-01-01T09:00Z\n'
        b'"1","Besluta",2024-01-01T10:00Z\n',
        "spaces around": b" case , activity \n 1 , a \n 1 , b \n",
    }


@pytest.mark.parametrize("name", list(_variants()))
def test_the_columnar_and_the_row_reader_agree(name, monkeypatch):
    columnar, rows = _both_readers(_variants()[name], monkeypatch)
    assert to_dict(columnar.graph) == to_dict(rows.graph)
    assert columnar.median_minutes == rows.median_minutes
    assert columnar.resources == rows.resources
    assert columnar.warnings == rows.warnings
    assert (columnar.cases, columnar.events, columnar.activities) == (
        rows.cases,
        rows.events,
        rows.activities,
    )
    assert columnar.external_sort == rows.external_sort


@pytest.mark.parametrize(
    "text",
    [
        "case,activity,timestamp\n1,a,2024-01-01T09:00Z\n,b,2024-01-01T10:00Z\n1,c,2024-01-01T11:00Z\n",
        "case,activity,timestamp\n1,a,2024-01-01T09:00Z\n1,b,igår\n1,c,2024-01-01T11:00Z\n",
        "case,activity,timestamp\n1,a,2024-01-01T09:00Z\n1,b\n1,c,2024-01-01T11:00Z\n",
        'case,activity\n1,"två\nrader"\n1,b\n',
        "case,activity,timestamp\n1,a,2024-01-01T09:00Z\n1,b,2024-01-01 10:00\n",
    ],
    ids=["blank case", "bad time", "short row", "line break in a value", "mixed zones"],
)
def test_files_the_columnar_reader_cannot_judge_get_the_row_reader_s_report(text, monkeypatch):
    columnar, rows = _both_readers(text.encode(), monkeypatch)
    assert to_dict(columnar.graph) == to_dict(rows.graph)
    assert columnar.skipped == rows.skipped and columnar.warnings == rows.warnings
