"""Event log export: XES and CSV of the contacts with their referrals' events, streamed."""

import csv
import io
import itertools
from datetime import UTC, datetime, timedelta

import defusedxml.ElementTree as SafeET
import pytest
import sqlalchemy as sa

from frontdesk.exports.eventlog import CSV_COLUMNS, csv_export, iter_traces, xes_export
from frontdesk.extensions import db
from frontdesk.models import CaseType, Contact, Office, Queue, Referral, User
from frontdesk.timeutil import utcnow
from rosa.discovery import discover
from rosa.eventlog import CSV_HEADER, XES_NAMESPACE, LogEvent, Trace, csv_chunks, xes_chunks

NS = {"x": XES_NAMESPACE}
CONTACT = {"office": "K1", "channel": "telefon", "case_type": "PARK"}
# Personal data and free text that must never leave the database through the log.
SECRETS = (
    "850312",
    "XXXXXX-1234",
    "anna.svensson@example.se",
    "Storgatan",
    "hemlig fritext",
    "Beviljas med villkor",
    "Gäller bistånd",
)
HISTORY = [
    ("Kontakt", "anna"),
    ("Remiss skapad", "TEK"),
    ("Tagen", "erik"),
    ("Besvarad", "erik"),
    ("Medborgaren uppringd, avslutad", "anna"),
]


def _referral_action(api, referral_id, action, as_user="erik", **kwargs):
    response = api.post(f"/referrals/{referral_id}/{action}", as_user=as_user, **kwargs)
    assert response.status_code == 200, response.get_json()
    return response


@pytest.fixture
def logged(api):
    """Four contacts logged through the API: two referred (one called back, one
    forwarded to another organisation), two answered at the desk."""
    called_back = api.post(
        "/contacts",
        json={
            **CONTACT,
            "rosa_level": 5,
            "note": "pnr 850312-1234, anna.svensson@example.se, Storgatan 5, hemlig fritext",
        },
    ).get_json()
    referral_id = called_back["referral"]["id"]
    _referral_action(api, referral_id, "claim")
    _referral_action(
        api,
        referral_id,
        "answer",
        json={"answer": "Beviljas med villkor, Storgatan 5", "callback": True},
    )
    _referral_action(api, referral_id, "callback-done", as_user="anna")
    at_desk = api.post(
        "/contacts",
        json={**CONTACT, "channel": "besok", "case_type": "EKB", "rosa_level": 1, "note": "hemlig"},
    ).get_json()
    within = api.post("/contacts", json={**CONTACT, "rosa_level": 2}).get_json()
    forwarded = api.post("/contacts", json={**CONTACT, "rosa_level": 6}).get_json()
    _referral_action(
        api,
        forwarded["referral"]["id"],
        "forward",
        json={"queue": "SOC", "reason": "Gäller bistånd, 850312-1234"},
    )
    return {
        "called_back": called_back["id"],
        "at_desk": at_desk["id"],
        "within": within["id"],
        "forwarded": forwarded["id"],
    }


def _xes(app, conditions=(), **kwargs) -> bytes:
    with app.app_context():
        return b"".join(xes_export(list(conditions), **kwargs))


def _csv(app, conditions=()) -> str:
    with app.app_context():
        return "".join(csv_export(list(conditions)))


def _value(element, key):
    found = [child for child in element if child.get("key") == key]
    return found[0].get("value") if found else None


def _traces(data: bytes) -> dict[str, list]:
    """Trace name → its <event> elements, in document order."""
    root = SafeET.fromstring(data)
    assert root.tag == f"{{{XES_NAMESPACE}}}log"
    return {
        _value(trace, "concept:name"): trace.findall("x:event", NS)
        for trace in root.findall("x:trace", NS)
    }


def _times(events) -> list[datetime]:
    return [datetime.fromisoformat(_value(event, "time:timestamp")) for event in events]


def test_xes_has_one_trace_per_contact_with_events_in_time_order(app, logged):
    data = _xes(app)
    root = SafeET.fromstring(data)
    assert root.get("xes.version") == "1849-2016"
    prefixes = {ext.get("prefix") for ext in root.findall("x:extension", NS)}
    assert prefixes == {"concept", "time", "org", "lifecycle"}
    assert {g.get("scope") for g in root.findall("x:global", NS)} == {"trace", "event"}
    assert root.findall("x:classifier", NS)
    traces = _traces(data)
    assert list(traces) == [f"K{contact_id}" for contact_id in logged.values()]
    assert len(root.findall("x:trace", NS)) == len(logged)
    for events in traces.values():
        times = _times(events)
        assert times == sorted(times)
        assert all(time.utcoffset() is not None for time in times)
        assert all(_value(event, "lifecycle:transition") == "complete" for event in events)


def test_the_referred_contact_holds_its_history_with_resources(app, logged):
    data = _xes(app)
    events = _traces(data)[f"K{logged['called_back']}"]
    assert [(_value(e, "concept:name"), _value(e, "org:resource")) for e in events] == HISTORY
    for event in events:
        assert _value(event, "channel") == "telefon"
        assert _value(event, "organisation") == "TEK"
        level = [child for child in event if child.get("key") == "rosa_level"][0]
        assert level.tag == f"{{{XES_NAMESPACE}}}int" and level.get("value") == "5"
    trace = SafeET.fromstring(data).findall("x:trace", NS)[0]
    assert {key: _value(trace, key) for key in ("channel", "office", "case_type")} == {
        "channel": "telefon",
        "office": "K1",
        "case_type": "PARK",
    }
    assert _value(trace, "outcome") == "eskalerat" and _value(trace, "organisation") == "TEK"
    # A contact answered at the desk is a trace of one event; the guide is its resource.
    at_desk = _traces(data)[f"K{logged['at_desk']}"]
    assert [(_value(e, "concept:name"), _value(e, "org:resource")) for e in at_desk] == [
        ("Kontakt", "anna")
    ]


def test_a_forwarded_referral_moves_to_the_other_organisation(app, logged):
    events = _traces(_xes(app))[f"K{logged['forwarded']}"]
    assert [
        (_value(e, "concept:name"), _value(e, "org:resource"), _value(e, "organisation"))
        for e in events
    ] == [
        ("Kontakt", "anna", "TEK"),
        ("Remiss skapad", "TEK", "TEK"),
        ("Skickad vidare", "erik", "SOC"),
    ]


def test_xes_and_csv_read_back_with_discovery(app, logged):
    data = _xes(app)
    events = sum(len(trace) for trace in _traces(data).values())
    from_xes = discover(io.BytesIO(data), "xes")
    assert (from_xes.cases, from_xes.events, from_xes.skipped_total) == (len(logged), events, 0)
    from_csv = discover(io.BytesIO(_csv(app).encode()), "csv")
    assert (from_csv.cases, from_csv.events, from_csv.skipped_total) == (len(logged), events, 0)
    assert set(from_xes.resources["Tagen"]) == {"erik"}


def test_csv_has_the_standard_header_and_a_row_per_event(app, logged):
    rows = list(csv.reader(io.StringIO(_csv(app))))
    assert rows[0] == [*CSV_HEADER, *CSV_COLUMNS]
    assert rows[0][:4] == ["case:concept:name", "concept:name", "time:timestamp", "org:resource"]
    events = sum(len(trace) for trace in _traces(_xes(app)).values())
    assert len(rows) - 1 == events
    records = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    history = [r for r in records if r["case:concept:name"] == f"K{logged['called_back']}"]
    assert [(r["concept:name"], r["org:resource"]) for r in history] == HISTORY
    assert {r["case:channel"] for r in history} == {"telefon"}
    assert {r["case:case_type"] for r in history} == {"PARK"}
    assert {r["case:rosa_level"] for r in history} == {"5"}


def test_no_notes_answers_or_reasons_in_the_log(app, logged):
    outputs = (_xes(app).decode(), _csv(app))
    for text in outputs:
        for secret in SECRETS:
            assert secret not in text


def test_conditions_filter_the_contacts(app, logged):
    telephone = _traces(_xes(app, [Contact.channel == "telefon"]))
    assert set(telephone) == {f"K{logged[key]}" for key in ("called_back", "within", "forwarded")}
    referred = _traces(_xes(app, [Contact.channel == "telefon", Contact.rosa_level >= 5]))
    assert set(referred) == {f"K{logged['called_back']}", f"K{logged['forwarded']}"}
    rows = list(csv.DictReader(io.StringIO(_csv(app, [Contact.channel == "besok"]))))
    assert {row["case:concept:name"] for row in rows} == {f"K{logged['at_desk']}"}
    assert _traces(_xes(app, [Contact.channel == "chatt"])) == {}


def test_contacts_are_read_in_keyset_batches_with_few_queries(app, logged):
    statements: list[tuple[str, object]] = []

    def remember(conn, cursor, statement, parameters, context, executemany):
        statements.append((statement, parameters))

    with app.app_context():
        whole = list(iter_traces([]))
        sa.event.listen(db.engine, "before_cursor_execute", remember)
        try:
            batched = list(iter_traces([], batch=2))
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", remember)
        assert list(iter_traces([], batch=1)) == whole
    assert batched == whole
    contact_queries = [(s, p) for s, p in statements if "FROM contacts" in s]
    audit_queries = [s for s, _ in statements if "FROM audit_events" in s]
    # Four contacts two at a time: two full batches and an empty one ends it.
    assert len(contact_queries) == 3
    for statement, parameters in contact_queries:
        assert "contacts.id >" in statement and "LIMIT" in statement.upper()
        # SQLite's dialect always writes "LIMIT ? OFFSET ?", with an offset of 0.
        assert "OFFSET" not in statement.upper() or list(parameters)[-1] == 0
    assert len(audit_queries) == 2
    # The rest: the small catalogue tables, once.
    assert len(statements) - len(contact_queries) - len(audit_queries) <= 5


def test_referrals_written_without_audit_get_events_from_their_columns(app, world):
    start = utcnow().replace(microsecond=0) - timedelta(days=3)
    with app.app_context():

        def by_code(model, code):
            return db.session.scalar(sa.select(model).where(model.code == code))

        office, case_type = by_code(Office, "K1"), by_code(CaseType, "PARK")
        queue = by_code(Queue, "TEK-GATA")
        anna, erik = (
            db.session.get(User, world.users["anna"]),
            db.session.get(User, world.users["erik"]),
        )
        ids = []
        for callback in (True, False):
            contact = Contact(
                occurred_at=start,
                office=office,
                channel="brev",
                case_type=case_type,
                rosa_level=5,
                outcome="eskalerat",
                staff=anna,
                note="hemlig fritext",
            )
            answered = start + timedelta(hours=5)
            db.session.add(contact)
            db.session.add(
                Referral(
                    contact=contact,
                    queue=queue,
                    status="avslutad",
                    created_at=start,
                    due_at=start + timedelta(days=3),
                    claimed_by=erik,
                    claimed_at=start + timedelta(hours=1),
                    answered_at=answered,
                    answered_by=erik,
                    answer="Beviljas med villkor",
                    callback=callback,
                    closed_at=answered + timedelta(hours=2) if callback else answered,
                )
            )
            db.session.flush()
            ids.append(contact.id)
        db.session.commit()
    traces = _traces(_xes(app))
    with_callback, without = (traces[f"K{contact_id}"] for contact_id in ids)
    assert [(_value(e, "concept:name"), _value(e, "org:resource")) for e in with_callback] == [
        *HISTORY[:4],
        ("Medborgaren uppringd, avslutad", None),
    ]
    assert [_value(e, "concept:name") for e in without] == [name for name, _ in HISTORY[:4]]
    assert _times(with_callback)[-1] - _times(with_callback)[0] == timedelta(hours=7)
    assert "hemlig fritext" not in _csv(app)


# --- The pure writer ----------------------------------------------------------------------

MOMENT = datetime(2024, 3, 1, 9, 15, 30, 123456, tzinfo=UTC)


def test_hostile_values_are_escaped_and_the_document_stays_well_formed():
    hostile = "a<b & \"c\" 'd'\x01\x0b end\n\ttab \ud800"
    cleaned = "a<b & \"c\" 'd' end\n\ttab "
    trace = Trace(
        case_id=f"K{hostile}",
        attributes={"kanal": hostile, "nivå": 3, "<bad key>": "x"},
        events=[LogEvent(f"Ta {hostile}", MOMENT, resource=hostile, attributes={"fri": hostile})],
    )
    data = b"".join(xes_chunks([trace], log_name=hostile))
    root = SafeET.fromstring(data)
    assert _value(root, "concept:name") == cleaned
    [element] = root.findall("x:trace", NS)
    assert _value(element, "concept:name") == f"K{cleaned}"
    assert _value(element, "kanal") == cleaned and _value(element, "nivå") == "3"
    assert _value(element, "<bad key>") == "x"
    [event] = element.findall("x:event", NS)
    assert _value(event, "concept:name") == f"Ta {cleaned}"
    assert _value(event, "org:resource") == cleaned and _value(event, "fri") == cleaned
    assert _value(event, "time:timestamp") == "2024-03-01T09:15:30.123+00:00"


def test_events_are_sorted_by_time_and_equal_times_keep_their_order():
    later = MOMENT + timedelta(minutes=5)
    trace = Trace(
        "T1",
        {},
        [
            LogEvent("C", later),
            LogEvent("A", MOMENT),
            LogEvent("B", MOMENT.astimezone(datetime.now().astimezone().tzinfo)),
        ],
    )
    [events] = _traces(b"".join(xes_chunks([trace], log_name="x"))).values()
    assert [_value(event, "concept:name") for event in events] == ["A", "B", "C"]
    rows = list(csv.reader(io.StringIO("".join(csv_chunks([trace], extra_columns=[])))))
    assert [row[1] for row in rows[1:]] == ["A", "B", "C"]


def test_an_empty_log_is_well_formed():
    root = SafeET.fromstring(b"".join(xes_chunks([], log_name="tom")))
    assert root.findall("x:trace", NS) == []
    assert "".join(csv_chunks([], extra_columns=["a"])) == ",".join([*CSV_HEADER, "a"]) + "\r\n"


def test_naive_times_are_refused():
    trace = Trace("T1", {}, [LogEvent("A", datetime(2024, 3, 1, 9, 0))])
    with pytest.raises(ValueError):
        b"".join(xes_chunks([trace], log_name="x"))


def test_csv_guards_against_formula_injection():
    trace = Trace(
        '=HYPERLINK("http://x")',
        {"kanal": "+46 8 123", "nivå": -5},
        [
            LogEvent("@SUM(A1)", MOMENT, "-user", {"a": "\tx", "b": "\rx", "c": "vanlig", "d": -2}),
        ],
    )
    text = "".join(
        csv_chunks([trace], extra_columns=["case:kanal", "case:nivå", "a", "b", "c", "d", "e"])
    )
    [header, row] = list(csv.reader(io.StringIO(text)))
    assert header[4:] == ["case:kanal", "case:nivå", "a", "b", "c", "d", "e"]
    assert row[0] == '\'=HYPERLINK("http://x")'
    assert row[1:4] == ["'@SUM(A1)", "2024-03-01T09:15:30.123+00:00", "'-user"]
    # Text cells get the apostrophe; numbers stay numbers; a missing value is empty.
    assert row[4:] == ["'+46 8 123", "-5", "'\tx", "'\rx", "vanlig", "-2", ""]


def _endless_traces():
    for number in itertools.count():
        yield Trace(f"T{number}", {"n": number}, [LogEvent("A", MOMENT, "r")])


def test_the_writers_yield_before_they_have_read_everything():
    chunks = xes_chunks(_endless_traces(), log_name="oändlig")
    assert next(chunks).startswith(b"<?xml")
    assert b"<trace>" in next(chunks)
    rows = csv_chunks(_endless_traces(), extra_columns=["case:n"])
    assert next(rows).startswith("case:concept:name,")
    assert "T0,A," in next(rows)
