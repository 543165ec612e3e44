"""kanaler.calls: reading a telephony platform's call export."""

import io
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kanaler import calls
from kanaler.calls import CallRecord, parse_calls

DATA = Path(__file__).parent / "data" / "calls.csv"


def parse_text(text: str, encoding: str = "utf-8"):
    return parse_calls(io.BytesIO(text.encode(encoding)))


def one_record(text: str) -> CallRecord:
    result = parse_text(text)
    assert result.errors == []
    assert len(result.records) == 1
    return result.records[0]


# --- The realistic export -----------------------------------------------------------------


def test_export_fixture_is_windows_1252():
    raw = DATA.read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert raw.decode("cp1252").startswith("Starttid;Kö;Utfall;Väntetid;Samtalstid;")


def test_export_fixture_records_and_errors():
    with DATA.open("rb") as stream:
        result = parse_calls(stream)

    # 30 data rows on lines 2-31 (line 32 is an empty ";;;;;" row, skipped), 4 bad rows.
    assert result.errors == [
        (10, "Väntetid: negativ tid ”-12”"),
        (13, "Samtalstid: ett avbrutet samtal kan inte ha samtalstid (”0:00:40”)"),
        (16, "Utfall: okänt utfall ”Röstbrevlåda” (ange besvarat eller avbrutet)"),
        (22, "Starttid: ogiltig tid ”2024-02-30 09:00:00”"),
    ]
    assert len(result.records) == 30 - 4

    # Växel: lines 2, 3, 9, 14, 19, 24, 27, 29 (10, 16, 22 are bad) = 8
    # Bygg & miljö: 4, 5, 11, 15, 20, 25, 31 = 7
    # Äldreomsorg: 6, 7, 17, 21, 26, 30 (13 is bad) = 6
    # Skola/förskola: 8, 12, 18, 23, 28 = 5
    assert Counter(record.queue for record in result.records) == {
        "Växel": 8,
        "Bygg & miljö": 7,
        "Äldreomsorg": 6,
        "Skola/förskola": 5,
    }
    # Avbrutet/Tappat on lines 4, 7, 15, 21, 27; the other 21 answered.
    abandoned = [record for record in result.records if not record.answered]
    assert len(abandoned) == 5
    assert all(record.talk_seconds == 0 for record in abandoned)
    # 35 + 65 + 130 + 95 + 20 + 180 + 45 + 10 + 100 + 30 + 15 + 300 + 50 + 25 + 5 + 70
    # + 150 + 40 + 25 + 110 + 35 + 90 + 55 + 20 + 60 + 15 = 1775
    assert sum(record.wait_seconds for record in result.records) == 1775


def test_export_fixture_values():
    with DATA.open("rb") as stream:
        records = parse_calls(stream).records
    # Line 2: 08:01:12 in March is CET (UTC+1); 0:02:15 talk = 135 s.
    assert records[0] == CallRecord(
        called_at=datetime(2024, 3, 4, 7, 1, 12, tzinfo=UTC),
        queue="Växel",
        answered=True,
        wait_seconds=35,
        talk_seconds=135,
    )
    # Line 3: waits 0:01:05 = 65 s, talks 0:04:00 = 240 s.
    assert (records[1].wait_seconds, records[1].talk_seconds) == (65, 240)
    # Line 4: MM:SS 2:10 = 130 s, talk time left blank on an abandoned call.
    assert (records[2].answered, records[2].wait_seconds, records[2].talk_seconds) == (
        False,
        130,
        0,
    )
    # Line 29: 2024-03-31 03:15, after the switch to summer time that night (UTC+2).
    assert records[-3].called_at == datetime(2024, 3, 31, 1, 15, tzinfo=UTC)
    assert all(record.called_at.tzinfo is UTC for record in records)


# --- Encodings, delimiters, header names --------------------------------------------------


def test_utf8_with_bom_comma_and_english_headers():
    text = (
        "\ufeffcalled_at,queue,answered,wait_seconds,talk_seconds\n"
        "2024-03-04T08:00:00Z,Switchboard,yes,12,34\n"
        "2024-03-04T10:00:00+01:00,Växel,false,50,0\n"
    )
    result = parse_text(text)
    assert result.errors == []
    assert result.records == [
        CallRecord(datetime(2024, 3, 4, 8, 0, tzinfo=UTC), "Switchboard", True, 12, 34),
        CallRecord(datetime(2024, 3, 4, 9, 0, tzinfo=UTC), "Växel", False, 50, 0),
    ]


def test_tab_delimiter_and_header_case():
    record = one_record("TID\tKO\tSTATUS\tVANTETID\tTALK\n2024-03-04 08:00\tVäxel\tJA\t7\t8\n")
    assert (record.queue, record.answered, record.wait_seconds, record.talk_seconds) == (
        "Växel",
        True,
        7,
        8,
    )


def test_delimiter_is_the_one_that_makes_the_header_readable():
    # One comma in the header, but the semicolons give the known columns.
    record = one_record("Tid;Grupp;Besvarad;Kötid;Samtalstid, sek\n2024-03-04 08:00;A;1;5;9\n")
    assert record.queue == "A"
    # "Samtalstid, sek" is not a talk column: talk time defaults to 0.
    assert record.talk_seconds == 0


def test_invalid_cp1252_bytes_do_not_stop_the_import():
    # 0x81 is undefined in Windows-1252; the row is still read.
    raw = "Tid;Kö;Utfall;Väntetid\n2024-03-04 08:00;Kö ".encode("cp1252") + b"\x81"
    raw += b";besvarat;5\n"
    result = parse_calls(io.BytesIO(raw))
    assert result.errors == []
    assert result.records[0].queue == "Kö \ufffd"


def test_bom_followed_by_windows_1252():
    raw = b"\xef\xbb\xbf" + "Tid;Kö;Utfall;Väntetid\n2024-03-04 08:00;Växel;ja;5\n".encode("cp1252")
    result = parse_calls(io.BytesIO(raw))
    assert result.errors == []
    assert result.records[0].queue == "Växel"


def test_utf16_is_refused_with_a_hint():
    result = parse_calls(io.BytesIO("Tid;Kö\n".encode("utf-16")))
    assert result.records == []
    assert result.errors == [
        (1, "filen är kodad som UTF-16; spara den som CSV (UTF-8 eller Windows-1252)")
    ]


def test_missing_columns_single_error_at_line_1():
    result = parse_text("Tid;Kö;Samtalstid\n2024-03-04 08:00;Växel;30\n")
    assert result.records == []
    assert result.errors == [
        (
            1,
            "saknar kolumn för utfall (t.ex. besvarat, status, utfall) och väntetid "
            "(t.ex. väntetid, kötid, wait_seconds); hittade: Tid, Kö, Samtalstid",
        )
    ]


@pytest.mark.parametrize("text", ["", "\n\n", "\r\n   \r\n"])
def test_empty_file(text):
    assert parse_text(text).errors == [(1, "filen är tom")]


def test_caller_stream_stays_open_and_non_seekable_streams_work():
    raw = "Tid;Kö;Utfall;Väntetid\n2024-03-04 08:00;Växel;ja;5\n".encode("cp1252")
    stream = io.BytesIO(raw)
    parse_calls(stream)
    assert not stream.closed

    class Pipe(io.RawIOBase):
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

    result = parse_calls(io.BufferedReader(Pipe(raw)))
    assert result.errors == []
    assert result.records[0].queue == "Växel"


# --- Values -------------------------------------------------------------------------------


HEADER = "Tid;Kö;Utfall;Väntetid;Samtalstid\n"


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("75", 75),
        ("0", 0),
        ("1:15", 75),  # MM:SS
        ("01:15", 75),
        ("0:01:15", 75),  # H:MM:SS
        ("1:00:00", 3600),
        ("75:10", 75 * 60 + 10),  # minutes beyond an hour in MM:SS
        ("24:00:00", 86_400),
    ],
)
def test_durations(text, seconds):
    record = one_record(f"{HEADER}2024-03-04 08:00;Växel;ja;{text};{text}\n")
    assert record.wait_seconds == seconds
    assert record.talk_seconds == seconds


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("-5", "Väntetid: negativ tid ”-5”"),
        ("-0:00:05", "Väntetid: negativ tid ”-0:00:05”"),
        ("\u22125", "Väntetid: negativ tid ”\u22125”"),
        ("1:5", "Väntetid: ogiltig tid ”1:5” (ange sekunder eller H:MM:SS)"),
        ("1:60", "Väntetid: ogiltig tid ”1:60” (ange sekunder eller H:MM:SS)"),
        ("1.5", "Väntetid: ogiltig tid ”1.5” (ange sekunder eller H:MM:SS)"),
        ("1:00:00:00", "Väntetid: ogiltig tid ”1:00:00:00” (ange sekunder eller H:MM:SS)"),
        ("tio", "Väntetid: ogiltig tid ”tio” (ange sekunder eller H:MM:SS)"),
        ("", "Väntetid: värde saknas"),
        ("86401", "Väntetid: orimligt lång tid ”86401” (mer än ett dygn)"),
    ],
)
def test_bad_wait(text, message):
    result = parse_text(f"{HEADER}2024-03-04 08:00;Växel;ja;{text};0\n")
    assert result.records == []
    assert result.errors == [(2, message)]


def test_negative_talk_time():
    result = parse_text(f"{HEADER}2024-03-04 08:00;Växel;ja;5;-1\n")
    assert result.errors == [(2, "Samtalstid: negativ tid ”-1”")]


def test_all_problems_of_a_row_are_listed():
    result = parse_text(f"{HEADER}igår;;kanske;-1;x\n")
    assert [line for line, _ in result.errors] == [2] * 5
    assert [message.split(":")[0] for _, message in result.errors] == [
        "Tid",
        "Kö",
        "Utfall",
        "Väntetid",
        "Samtalstid",
    ]


@pytest.mark.parametrize(
    "value", ["answered", "Besvarad", "BESVARAT", "ja", "Yes", "1", "true", " ja "]
)
def test_answered_values(value):
    assert one_record(f"{HEADER}2024-03-04 08:00;Växel;{value};5;9\n").answered is True


@pytest.mark.parametrize(
    "value", ["abandoned", "Avbrutet", "avbruten", "TAPPAT", "nej", "no", "0", "False"]
)
def test_abandoned_values(value):
    record = one_record(f"{HEADER}2024-03-04 08:00;Växel;{value};5;0\n")
    assert record.answered is False


def test_answered_call_may_have_zero_talk_time_but_abandoned_not_more():
    assert one_record(f"{HEADER}2024-03-04 08:00;Växel;ja;5;0\n").talk_seconds == 0
    result = parse_text(f"{HEADER}2024-03-04 08:00;Växel;nej;5;1\n")
    assert result.errors == [(2, "Samtalstid: ett avbrutet samtal kan inte ha samtalstid (”1”)")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Winter: CET, UTC+1.
        ("2024-01-15 08:00", datetime(2024, 1, 15, 7, 0, tzinfo=UTC)),
        ("2024-01-15 8:00:30", datetime(2024, 1, 15, 7, 0, 30, tzinfo=UTC)),
        # Summer: CEST, UTC+2.
        ("2024-07-01T12:00:00", datetime(2024, 7, 1, 10, 0, tzinfo=UTC)),
        ("2024-07-01 12:00:00.250", datetime(2024, 7, 1, 10, 0, 0, 250_000, tzinfo=UTC)),
        # 02:30 happens twice on 27 October 2024: the first (still summer time) is taken.
        ("2024-10-27 02:30", datetime(2024, 10, 27, 0, 30, tzinfo=UTC)),
        # Explicit offsets and Z are honoured.
        ("2024-07-01T12:00:00Z", datetime(2024, 7, 1, 12, 0, tzinfo=UTC)),
        ("2024-07-01T12:00:00+0000", datetime(2024, 7, 1, 12, 0, tzinfo=UTC)),
        ("2024-07-01 12:00-05:00", datetime(2024, 7, 1, 17, 0, tzinfo=UTC)),
    ],
)
def test_times(text, expected):
    assert one_record(f"{HEADER}{text};Växel;ja;5;9\n").called_at == expected


@pytest.mark.parametrize(
    "text", ["2024-03-04", "04/03/2024 08:00", "2024-13-01 08:00", "2024-03-04 25:00", "08:00"]
)
def test_bad_times(text):
    result = parse_text(f"{HEADER}{text};Växel;ja;5;9\n")
    assert result.records == []
    assert len(result.errors) == 1
    line, message = result.errors[0]
    assert line == 2
    assert message.startswith(f"Tid: ogiltig tid ”{text}”")


def test_date_and_clock_time_in_separate_columns():
    record = one_record("Datum;Tid;Kö;Utfall;Väntetid\n2024-07-01;12:15;Växel;ja;5\n")
    assert record.called_at == datetime(2024, 7, 1, 10, 15, tzinfo=UTC)


def test_queue_length_and_characters():
    ok = "K" * 100
    assert one_record(f"{HEADER}2024-03-04 08:00;{ok};ja;5;9\n").queue == ok
    result = parse_text(f"{HEADER}2024-03-04 08:00;{ok}K;ja;5;9\n")
    assert result.errors == [(2, "Kö: kön är längre än 100 tecken")]
    result = parse_text(f"{HEADER}2024-03-04 08:00;Väx\x00el;ja;5;9\n")
    assert result.errors == [(2, "Kö: kön innehåller otillåtna tecken")]


def test_short_rows_and_line_numbers_after_blank_lines():
    result = parse_text(f"\n{HEADER}\n2024-03-04 08:00;Växel\n2024-03-04 08:00;Växel;ja;5;9\n")
    # Header on line 2, a blank line 3, the short row on line 4.
    assert result.errors == [(4, "för få kolumner (2 av minst 4)")]
    assert len(result.records) == 1


def test_quoted_fields():
    record = one_record(f'{HEADER}"2024-03-04 08:00";"Bygg; plan";"ja";"5";"9"\n')
    assert record.queue == "Bygg; plan"


def test_row_cap(monkeypatch):
    monkeypatch.setattr(calls, "MAX_ROWS", 3)
    rows = "".join(f"2024-03-04 08:0{i};Växel;ja;5;9\n" for i in range(5))
    result = parse_text(HEADER + rows)
    assert len(result.records) == 3
    assert result.errors == [(5, "filen har fler än 3 rader; dela upp den")]


def test_row_cap_figure_is_written_the_swedish_way(monkeypatch):
    assert calls.MAX_ROWS == 2_000_000
    monkeypatch.setattr(calls, "MAX_ROWS", 1_000)
    result = parse_text(HEADER + "2024-03-04 08:00;Växel;ja;5;9\n" * 1_001)
    assert len(result.records) == 1_000
    assert result.errors == [(1_002, "filen har fler än 1\u00a0000 rader; dela upp den")]


def test_error_list_is_capped(monkeypatch):
    monkeypatch.setattr(calls, "MAX_LISTED_ERRORS", 2)
    rows = "".join(f"2024-03-04 08:00;Växel;ja;-{i};9\n" for i in range(1, 6))
    result = parse_text(HEADER + rows)
    assert result.errors == [
        (2, "Väntetid: negativ tid ”-1”"),
        (3, "Väntetid: negativ tid ”-2”"),
        (4, "ytterligare 3 fel visas inte"),
    ]


def test_line_without_breaks_is_refused(monkeypatch):
    monkeypatch.setattr(calls, "LINE_MAX", 50)
    result = parse_text(HEADER + "2024-03-04 08:00;" + "V" * 100 + ";ja;5;9\n")
    assert result.records == []
    assert result.errors == [(2, "raden är längre än 50 tecken")]
