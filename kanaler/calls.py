"""Call records from a telephony platform's CSV export.

Pure code: the caller opens the file, decides what to do with the rows that could not be
read (the import is all-or-nothing) and stores the records.

The reader is lenient about the shape of the export (delimiter, encoding, column names in
Swedish or English, durations as seconds or H:MM:SS) and strict about the values: a row
with a value it cannot read is reported with its line number and the column's name as
written in the file, never guessed.
"""

import codecs
import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache
from typing import BinaryIO
from zoneinfo import ZoneInfo

import svformat

# Naive times in an export are local time at the office.
LOCAL_ZONE = ZoneInfo("Europe/Stockholm")

MAX_ROWS = 2_000_000
QUEUE_MAX_LENGTH = 100
# A call longer than a day is a misread column (minutes taken for seconds, a timestamp).
MAX_DURATION_SECONDS = 24 * 60 * 60
# Bounded reads: a file without line breaks must not fill the memory.
LINE_MAX = 10_000
# Errors listed one by one; beyond this a single line says how many more there were.
MAX_LISTED_ERRORS = 1_000

DELIMITERS = (";", ",", "\t")

# Aliases in order of preference, lower case.
TIME_COLUMNS = ("time", "tid", "called_at", "datum", "starttid", "start")
QUEUE_COLUMNS = ("queue", "kö", "ko", "grupp")
ANSWERED_COLUMNS = ("answered", "besvarad", "besvarat", "status", "utfall")
WAIT_COLUMNS = ("wait_seconds", "väntetid", "vantetid", "wait", "kötid")
TALK_COLUMNS = ("talk_seconds", "samtalstid", "talk")
# Exports that split the moment in two columns: a date column next to a clock-time column.
DATE_COLUMNS = ("datum", "date")

ANSWERED_VALUES = frozenset({"answered", "besvarad", "besvarat", "ja", "yes", "1", "true"})
ABANDONED_VALUES = frozenset(
    {"abandoned", "avbrutet", "avbruten", "tappat", "nej", "no", "0", "false"}
)

_DATETIME = re.compile(
    r"(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})[T ](?P<hour>\d{1,2}):(?P<minute>\d{2})"
    r"(?::(?P<second>\d{2})(?:[.,](?P<fraction>\d{1,6}))?)?"
    r"\s*(?P<zone>Z|[+-]\d{2}(?::?\d{2})?)?",
    re.ASCII,
)
_CLOCK = re.compile(r"\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d{1,6})?)?", re.ASCII)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_MINUS_SIGNS = ("-", "\u2212")


@dataclass(frozen=True, slots=True)
class CallRecord:
    called_at: datetime  # aware, UTC
    queue: str
    answered: bool
    wait_seconds: int
    talk_seconds: int


@dataclass
class CallsFile:
    records: list[CallRecord] = field(default_factory=list)
    # (line number in the file, Swedish message naming the column)
    errors: list[tuple[int, str]] = field(default_factory=list)


class _BadValue(ValueError):
    """A cell that cannot be read; the message is Swedish and shown to the user."""


@dataclass(frozen=True)
class _Columns:
    time: int
    queue: int
    answered: int
    wait: int
    talk: int | None
    date: int | None
    names: list[str]  # as written in the file

    @property
    def needed(self) -> int:
        return max(self.time, self.queue, self.answered, self.wait)


class _Errors:
    """The error list, capped so that a file of two million bad rows stays small."""

    def __init__(self, errors: list[tuple[int, str]]) -> None:
        self.errors = errors
        self.unlisted = 0
        self.first_unlisted_line = 0

    def add(self, line: int, message: str) -> None:
        if len(self.errors) < MAX_LISTED_ERRORS:
            self.errors.append((line, message))
            return
        if not self.unlisted:
            self.first_unlisted_line = line
        self.unlisted += 1

    def finish(self) -> None:
        if self.unlisted:
            self.errors.append(
                (self.first_unlisted_line, f"ytterligare {self.unlisted} fel visas inte")
            )


def parse_calls(stream: BinaryIO) -> CallsFile:
    """Read the call records of a CSV export; rows that cannot be read become errors.

    The file is read as UTF-8 (with or without BOM); if it is not valid UTF-8 it is read
    again as Windows-1252, which Swedish telephony platforms and Excel often write. The
    delimiter is `;`, `,` or tab, whichever makes the header recognisable. A missing
    required column gives a single error at the header line and no records.
    """
    if not stream.seekable():
        stream = io.BytesIO(stream.read())
    start = stream.tell()
    head = stream.read(3)
    stream.seek(start)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return CallsFile(
            [], [(1, "filen är kodad som UTF-16; spara den som CSV (UTF-8 eller Windows-1252)")]
        )
    if _is_utf8(stream):
        stream.seek(start)
        return _parse(stream, "utf-8-sig", "strict")
    # A BOM followed by invalid UTF-8: skip the BOM rather than read it as "ï»¿".
    stream.seek(start + 3 if head == b"\xef\xbb\xbf" else start)
    # Five byte values are undefined in Windows-1252; they become U+FFFD.
    return _parse(stream, "cp1252", "replace")


def _is_utf8(stream: BinaryIO) -> bool:
    """Whether the rest of the stream is valid UTF-8: a quick pass before the real one, so
    that a Windows-1252 file whose first non-ASCII letter comes late is not parsed twice."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        while chunk := stream.read(1 << 20):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _parse(stream: BinaryIO, encoding: str, decode_errors: str) -> CallsFile:
    result = CallsFile()
    text = io.TextIOWrapper(stream, encoding=encoding, errors=decode_errors, newline="")
    try:
        _read(text, result)
    finally:
        # Leave the caller's stream open: closing the wrapper would close it.
        text.detach()
    return result


def _lines(text: io.TextIOWrapper, first: int, errors: _Errors) -> Iterator[str]:
    number = first
    while line := text.readline(LINE_MAX):
        if len(line) >= LINE_MAX and not line.endswith(("\n", "\r")):
            errors.add(number, f"raden är längre än {LINE_MAX} tecken")
            return
        number += 1
        yield line


def _read(text: io.TextIOWrapper, result: CallsFile) -> None:
    errors = _Errors(result.errors)
    header_line, header_at = "", 0
    while not header_line.strip():
        header_at += 1
        header_line = next(_lines(text, header_at, errors), "")
        if not header_line:
            if not errors.errors:
                errors.add(1, "filen är tom")
            return
    delimiter, header = _header(header_line)
    columns = _columns(header)
    if isinstance(columns, str):
        errors.add(header_at, columns)
        return
    reader = csv.reader(_lines(text, header_at + 1, errors), delimiter=delimiter)
    queues: dict[str, str] = {}
    rows = 0
    line = header_at
    try:
        for row in reader:
            line = header_at + reader.line_num
            if not "".join(row).strip():
                continue  # blank lines and the ";;;;" rows spreadsheets leave behind
            rows += 1
            if rows > MAX_ROWS:
                errors.finish()
                limit = svformat.number(MAX_ROWS, 0)
                result.errors.append((line, f"filen har fler än {limit} rader; dela upp den"))
                return
            record = _record(row, columns, errors, line, queues)
            if record is not None:
                result.records.append(record)
    except csv.Error as error:
        errors.add(line + 1, f"raden kan inte läsas som CSV ({error})")
    errors.finish()


def _header(line: str) -> tuple[str, list[str]]:
    """The delimiter that makes the most columns recognisable, and the header it gives."""
    known = set(TIME_COLUMNS + QUEUE_COLUMNS + ANSWERED_COLUMNS + WAIT_COLUMNS + TALK_COLUMNS)

    def score(delimiter: str) -> tuple[int, int]:
        cells = next(csv.reader([line], delimiter=delimiter), [])
        return sum(cell.strip().lower() in known for cell in cells), line.count(delimiter)

    delimiter = max(DELIMITERS, key=score)
    return delimiter, next(csv.reader([line], delimiter=delimiter), [])


def _columns(header: list[str]) -> _Columns | str:
    """Where each column is, or the Swedish message saying which are missing."""
    names = [name.strip() for name in header]
    lowered = [name.lower() for name in names]

    def find(aliases: tuple[str, ...]) -> int | None:
        for alias in aliases:
            if alias in lowered:
                return lowered.index(alias)
        return None

    found = {
        "tid": (find(TIME_COLUMNS), "tid, starttid, time"),
        "kö": (find(QUEUE_COLUMNS), "kö, grupp, queue"),
        "utfall": (find(ANSWERED_COLUMNS), "besvarat, status, utfall"),
        "väntetid": (find(WAIT_COLUMNS), "väntetid, kötid, wait_seconds"),
    }
    missing = [f"{what} (t.ex. {examples})" for what, (at, examples) in found.items() if at is None]
    if missing:
        seen = ", ".join(name for name in names[:20] if name) or "inga"
        listed = ", ".join(missing[:-1]) + " och " + missing[-1] if len(missing) > 1 else missing[0]
        return f"saknar kolumn för {listed}; hittade: {seen}"
    time_at = found["tid"][0]
    date_at = find(DATE_COLUMNS)
    return _Columns(
        time=time_at,
        queue=found["kö"][0],
        answered=found["utfall"][0],
        wait=found["väntetid"][0],
        talk=find(TALK_COLUMNS),
        date=date_at if date_at != time_at else None,
        names=names,
    )


def _cell(row: list[str], at: int | None) -> str:
    return row[at].strip() if at is not None and at < len(row) else ""


def _record(
    row: list[str], columns: _Columns, errors: _Errors, line: int, queues: dict[str, str]
) -> CallRecord | None:
    if len(row) <= columns.needed:
        errors.add(line, f"för få kolumner ({len(row)} av minst {columns.needed + 1})")
        return None
    try:
        called_at = _parse_time(row[columns.time].strip(), _cell(row, columns.date))
        queue = _parse_queue(row[columns.queue].strip())
        answered = _parse_answered(row[columns.answered].strip())
        wait = _parse_duration(row[columns.wait].strip(), True)
        talk = _parse_duration(_cell(row, columns.talk), False)
    except _BadValue:
        _report(row, columns, errors, line)
        return None
    if not answered and talk:
        _report(row, columns, errors, line)
        return None
    # One string object per queue name: two million records share a handful of names.
    return CallRecord(called_at, queues.setdefault(queue, queue), answered, wait, talk)


def _report(row: list[str], columns: _Columns, errors: _Errors, line: int) -> None:
    """Every problem of a row that could not be read, each naming its column."""
    parsed = {}
    checks = (
        (columns.time, lambda raw: _parse_time(raw, _cell(row, columns.date))),
        (columns.queue, _parse_queue),
        (columns.answered, _parse_answered),
        (columns.wait, lambda raw: _parse_duration(raw, True)),
        (columns.talk, lambda raw: _parse_duration(raw, False)),
    )
    for at, parse in checks:
        if at is None:
            continue
        try:
            parsed[at] = parse(_cell(row, at))
        except _BadValue as bad:
            errors.add(line, f"{columns.names[at]}: {bad}")
    if parsed.get(columns.answered) is False and parsed.get(columns.talk):
        errors.add(
            line,
            f"{columns.names[columns.talk]}: ett avbrutet samtal kan inte ha samtalstid "
            f"(”{_cell(row, columns.talk)[:40]}”)",
        )


def _parse_time(raw: str, date_cell: str) -> datetime:
    if not raw:
        raise _BadValue("tid saknas")
    if date_cell and _CLOCK.fullmatch(raw) and _DATE.match(date_cell):
        raw = f"{date_cell[:10]} {raw}"
    match = _DATETIME.fullmatch(raw)
    if match is None:
        raise _BadValue(f"ogiltig tid ”{raw[:40]}” (ange t.ex. 2024-03-04 08:15)")
    try:
        zone = match["zone"]
        # Naive: fold=0, so an hour repeated when summer time ends is read as its first
        # occurrence, and a skipped hour in spring as if summer time had not begun.
        return datetime(
            int(match["year"]),
            int(match["month"]),
            int(match["day"]),
            int(match["hour"]),
            int(match["minute"]),
            int(match["second"] or 0),
            int((match["fraction"] or "0").ljust(6, "0")),
            tzinfo=LOCAL_ZONE if zone is None else _offset(zone),
        ).astimezone(UTC)
    except (ValueError, OverflowError):
        raise _BadValue(f"ogiltig tid ”{raw[:40]}”") from None


def _offset(zone: str) -> timezone:
    if zone == "Z":
        return UTC
    digits = zone[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:] or 0)
    if hours > 23 or minutes > 59:
        raise ValueError(zone)
    sign = -1 if zone[0] == "-" else 1
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


# The parsers of repeated values are cached: a file has a handful of queues, outcomes and
# durations, repeated over up to two million rows. Exceptions are not cached.
@lru_cache(maxsize=4096)
def _parse_queue(raw: str) -> str:
    if not raw:
        raise _BadValue("kö saknas")
    if len(raw) > QUEUE_MAX_LENGTH:
        raise _BadValue(f"kön är längre än {QUEUE_MAX_LENGTH} tecken")
    if _CONTROL.search(raw):
        raise _BadValue("kön innehåller otillåtna tecken")
    return raw


@lru_cache(maxsize=64)
def _parse_answered(raw: str) -> bool:
    value = raw.lower()
    if value in ANSWERED_VALUES:
        return True
    if value in ABANDONED_VALUES:
        return False
    if not value:
        raise _BadValue("utfall saknas (ange besvarat eller avbrutet)")
    raise _BadValue(f"okänt utfall ”{raw[:40]}” (ange besvarat eller avbrutet)")


@lru_cache(maxsize=4096)
def _parse_duration(raw: str, required: bool) -> int:
    """Seconds from "75", "1:15" (MM:SS) or "0:01:15" (H:MM:SS)."""
    if not raw:
        if required:
            raise _BadValue("värde saknas")
        return 0  # talk time is often left blank on abandoned calls
    value = raw
    if value.startswith(_MINUS_SIGNS):
        if value[1:].strip() and _duration(value[1:].strip()) is not None:
            raise _BadValue(f"negativ tid ”{raw[:40]}”")
        raise _BadValue(f"ogiltig tid ”{raw[:40]}” (ange sekunder eller H:MM:SS)")
    seconds = _duration(value)
    if seconds is None:
        raise _BadValue(f"ogiltig tid ”{raw[:40]}” (ange sekunder eller H:MM:SS)")
    if seconds > MAX_DURATION_SECONDS:
        raise _BadValue(f"orimligt lång tid ”{raw[:40]}” (mer än ett dygn)")
    return seconds


def _duration(value: str) -> int | None:
    parts = value.split(":")
    if len(parts) > 3 or not all(part.isascii() and part.isdigit() for part in parts):
        return None
    if len(parts) == 1:
        return int(parts[0])
    # The leading part may be any size ("75:10" is 75 minutes); the rest are two digits < 60.
    if any(len(part) != 2 or int(part) >= 60 for part in parts[1:]):
        return None
    seconds = 0
    for part in parts:
        seconds = seconds * 60 + int(part)
    return seconds
