"""Contact history from a previous system: a CSV file loaded in bulk.

The file is UTF-8 (a BOM is fine), comma separated, with a header row naming the columns in
any order. Required: occurred_at, office, channel, case_type, rosa_level; optional: outcome,
duration_seconds, repeat. Other columns are ignored, so the app's own contact export (which
adds id, organisation, referral_status ...) imports unchanged.

Imported contacts are statistics of closed history. They never create referrals: a back
office's queue must not fill with matters that were settled years ago. A row without an
outcome is routed as the counter routes it, by the mandate the office had for the case type
when the contact happened.

The file is streamed: rows are checked, inserted in batches and counted for the tallies as
they go, so a million rows need neither a million objects nor a recount of every contact.
A row that cannot be read is reported with its line number and column, never guessed.
"""

import csv
import json
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import BinaryIO

import sqlalchemy as sa

from frontdesk.audit import record
from frontdesk.demo.seed import bulk_insert
from frontdesk.extensions import db
from frontdesk.mandates.history import MandateHistory
from frontdesk.models import CaseType, Contact, Office
from frontdesk.models.contact import MAX_DURATION_SECONDS
from frontdesk.tallies import CONTACT_FIELDS, Counts, add_counts
from frontdesk.timeutil import CLOCK_SKEW, EARLIEST_YEAR, LOCAL_TZ, utcnow
from kanaler import CHANNEL_CODES, mask_personnummer, parse_channel
from rosa import OUTCOMES, route

REQUIRED_COLUMNS = ("occurred_at", "office", "channel", "case_type", "rosa_level")
OPTIONAL_COLUMNS = ("outcome", "duration_seconds", "repeat")
# The tallies' fields first, in the order of tallies.RAW_COLUMNS, so one tuple serves both.
CONTACT_COLUMNS = (*CONTACT_FIELDS, "staff_id", "note", "created_at")
BATCH = 10_000
# Tally rows counted in memory (about 400 bytes each) before they are added to the tables:
# a year of many case types can have nearly as many distinct (day, office, case type ...)
# rows as contacts. Every flush upserts rows a later one may add to again, so not too often.
TALLY_ROWS_IN_MEMORY = 1_000_000
# Bounded reads: a file without line breaks must not fill the memory.
LINE_MAX = 100_000
# Errors listed one by one; beyond this they are only counted.
MAX_LISTED_ERRORS = 1_000

LEVELS = {str(level): level for level in range(1, 9)}
OUTCOME_CODES = {outcome: outcome for outcome in OUTCOMES}
CHANNELS = {code: code for code in CHANNEL_CODES}
REPEAT_VALUES = {
    "": False,
    "false": False,
    "0": False,
    "nej": False,
    "true": True,
    "1": True,
    "ja": True,
}
# rosa.route for every level and mandate, looked up instead of called per row.
ROUTED = {
    (level, mandate): route(level, mandate, put_through=False).value
    for level in range(1, 9)
    for mandate in range(1, 9)
}


_MISSING = object()


class _BadValue(ValueError):
    """A cell that cannot be read; the message is Swedish and shown to the user."""


class _BadFile(Exception):
    """The file as a whole cannot be read (encoding, CSV structure, header)."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


@dataclass
class ImportResult:
    """What an import read, and what it wrote or would write."""

    filename: str
    dry_run: bool = False
    skip_bad: bool = False
    rows: int = 0  # data rows read (blank lines not counted)
    valid: int = 0
    bad: int = 0
    imported: int = 0
    by_outcome: Counter = field(default_factory=Counter)
    # (line number in the file, column name as written, Swedish message); column "" for
    # an error of the file as a whole.
    errors: list[tuple[int, str, str]] = field(default_factory=list)
    unlisted_errors: int = 0
    # The file could not be read to its end: nothing is imported, --skip-bad or not.
    unreadable: bool = False

    @property
    def refused(self) -> bool:
        """Nothing may be written: an unreadable file, or bad rows without --skip-bad."""
        return self.unreadable or (self.bad > 0 and not self.skip_bad)

    @property
    def ok(self) -> bool:
        """Whether the caller should commit what the import wrote."""
        return not self.refused and not self.dry_run

    def add_error(self, line: int, column: str, message: str) -> None:
        if len(self.errors) < MAX_LISTED_ERRORS:
            self.errors.append((line, column, message))
        else:
            self.unlisted_errors += 1


def import_contacts(
    stream: BinaryIO,
    filename: str,
    *,
    skip_bad: bool = False,
    dry_run: bool = False,
    now: datetime | None = None,
) -> ImportResult:
    """Read contacts from a CSV file and insert them with their tallies and one audit event.

    Writes in the session's transaction and never commits. Rows may have been inserted
    before a later row turns out bad, so the caller commits only when `result.ok` and
    rolls back otherwise (a dry run or a refused file).
    """
    result = ImportResult(filename, dry_run=dry_run, skip_bad=skip_bad)
    now = now or utcnow()
    try:
        _import(stream, result, now)
    except _BadFile as error:
        result.unreadable = True
        result.add_error(error.line, "", error.message)
    if result.refused or dry_run:
        result.imported = 0
    return result


def _import(stream: BinaryIO, result: ImportResult, now: datetime) -> None:
    reader = csv.reader(_lines(stream))
    writer = None
    try:
        header = _first_row(reader)
        columns = _Columns.of(header, reader.line_num)
        cells = _Cells(_Catalogue.load(), now)
        read = cells.reader(columns)
        writer = None if result.dry_run else _Writer()
        for row in reader:
            contact = read(row)
            if contact is None:
                if _blank(row):
                    continue
                result.rows += 1
                result.bad += 1
                _report(row, columns, cells, reader.line_num, result)
                if writer is not None and not result.skip_bad:
                    # Nothing will be kept: stop writing, go on checking.
                    writer.close()
                    writer = None
                continue
            result.rows += 1
            result.valid += 1
            result.by_outcome[contact[5]] += 1
            if writer is not None:
                writer.add(contact)
        if writer is not None:
            result.imported = writer.finish()
    except csv.Error as error:
        raise _BadFile(max(reader.line_num, 1), f"raden kan inte läsas som CSV ({error})") from None
    finally:
        if writer is not None:
            writer.close()
    if writer is not None and not result.refused:
        # One event for the whole file, not one per contact.
        record(
            "contacts.imported",
            "contact",
            None,
            None,
            file=mask_personnummer(result.filename),
            rows=result.rows,
            imported=result.imported,
            skipped=result.bad,
        )


def _lines(stream: BinaryIO) -> Iterator[str]:
    """The file's lines as text, each decoded on its own so an error names its line."""
    number = 0
    while raw := stream.readline(LINE_MAX):
        number += 1
        if len(raw) >= LINE_MAX and not raw.endswith(b"\n"):
            raise _BadFile(number, f"raden är längre än {LINE_MAX} tecken; är filen en CSV-fil?")
        if number == 1:
            if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
                raise _BadFile(1, "filen är kodad som UTF-16; spara den som CSV (UTF-8)")
            raw = raw.removeprefix(b"\xef\xbb\xbf")
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError:
            raise _BadFile(
                number, "filen är inte UTF-8-kodad text; spara den som CSV (UTF-8)"
            ) from None


def _blank(row: list[str]) -> bool:
    # Blank lines and the ",,,," rows spreadsheets leave behind.
    return not "".join(row).strip()


def _first_row(reader) -> list[str]:
    for row in reader:
        if not _blank(row):
            return row
    raise _BadFile(max(reader.line_num, 1), "filen är tom (en rubrikrad behövs)")


@dataclass(frozen=True)
class _Columns:
    """The names as the header writes them, and where each known column is."""

    names: list[str]
    at: dict[str, int]  # known column -> index; the optional ones only when present

    @property
    def width(self) -> int:
        """The fewest cells a row needs to hold every known column."""
        return 1 + max(self.at.values())

    @classmethod
    def of(cls, header: list[str], line: int) -> "_Columns":
        names = [name.strip() for name in header]
        at: dict[str, int] = {}
        for index, name in enumerate(names):
            key = name.lower()
            if key in REQUIRED_COLUMNS + OPTIONAL_COLUMNS:
                if key in at:
                    raise _BadFile(line, f"kolumnen {key} finns två gånger i rubrikraden")
                at[key] = index
        missing = [name for name in REQUIRED_COLUMNS if name not in at]
        if missing:
            found = ", ".join(name for name in names[:20] if name) or "inga"
            message = f"rubrikraden saknar {_listed(missing)}; hittade: {found}"
            if len(header) == 1 and ";" in header[0]:
                message += " (kolumnerna ska skiljas med komma, inte semikolon)"
            raise _BadFile(line, message)
        return cls(names, at)


def _listed(names: list[str]) -> str:
    if len(names) == 1:
        return f"kolumnen {names[0]}"
    return "kolumnerna " + ", ".join(names[:-1]) + " och " + names[-1]


@dataclass
class _Catalogue:
    offices: dict[str, int]
    case_types: dict[str, int]
    mandates: MandateHistory

    @classmethod
    def load(cls) -> "_Catalogue":
        # Inactive case types too: history is about what was handled then.
        return cls(
            dict(db.session.execute(sa.select(Office.code, Office.id)).all()),
            dict(db.session.execute(sa.select(CaseType.code, CaseType.id)).all()),
            MandateHistory(),
        )


class _Cells:
    """Reading the cells of a row.

    `reader` is the fast path. The parsers, one per known column and named after it,
    return the value or raise _BadValue; they answer what the fast path's look-ups miss,
    and name each problem of a bad row.
    """

    def __init__(self, catalogue: _Catalogue, now: datetime) -> None:
        self.catalogue = catalogue
        self.latest = (now + CLOCK_SKEW).astimezone(UTC).replace(tzinfo=None)
        self.earliest = (
            datetime(EARLIEST_YEAR, 1, 1, tzinfo=LOCAL_TZ).astimezone(UTC).replace(tzinfo=None)
        )
        self._offsets: dict[tuple[int, int], timedelta] = {}
        self.now_stamp = now.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")

    def reader(self, columns: _Columns) -> Callable[[list[str]], tuple | None]:
        """A function from a row to its contact tuple (CONTACT_COLUMNS), None if a cell is bad.

        The hot path of a million rows: dictionary look-ups of the values a file repeats,
        bound to local names, with the parsers below only for what the look-ups miss.
        """
        at = columns.at
        i_at, i_office, i_channel = at["occurred_at"], at["office"], at["channel"]
        i_case_type, i_level = at["case_type"], at["rosa_level"]
        i_outcome, i_duration, i_repeat = (at.get(name) for name in OPTIONAL_COLUMNS)
        offices, case_types = self.catalogue.offices, self.catalogue.case_types
        mandate_at = self.catalogue.mandates.at
        occurred_at, office, case_type = self.occurred_at, self.office, self.case_type
        channel, rosa_level = self.channel, self.rosa_level
        outcome_of, duration_of, repeat_of = self.outcome, self.duration_seconds, self.repeat
        durations: dict[str, int | None] = {}
        now_stamp = self.now_stamp

        def read(row: list[str]) -> tuple | None:
            try:
                moment = occurred_at(row[i_at])
                cell = row[i_office]
                office_id = offices.get(cell) or office(cell)
                cell = row[i_case_type]
                case_type_id = case_types.get(cell) or case_type(cell)
                cell = row[i_channel]
                channel_code = CHANNELS.get(cell) or channel(cell)
                cell = row[i_level]
                level = LEVELS.get(cell) or rosa_level(cell)
                outcome = None
                if i_outcome is not None and (cell := row[i_outcome]):
                    outcome = OUTCOME_CODES.get(cell) or outcome_of(cell)
                duration = None
                if i_duration is not None and (cell := row[i_duration]):
                    duration = durations.get(cell, _MISSING)
                    if duration is _MISSING:
                        duration = durations[cell] = duration_of(cell)
                repeat = False
                if i_repeat is not None:
                    cell = row[i_repeat]
                    repeat = REPEAT_VALUES.get(cell)
                    if repeat is None:
                        repeat = repeat_of(cell)
            except (_BadValue, IndexError):
                return None
            if outcome is None:
                # Routed as the counter would have routed it then; never referred (see top).
                outcome = ROUTED[(level, mandate_at(office_id, case_type_id, moment))]
            return (
                moment.isoformat(" ", "microseconds"),  # naive UTC, as the database keeps it
                office_id,
                case_type_id,
                channel_code,
                level,
                outcome,
                duration,
                repeat,
                None,  # staff_id: nobody in this app logged it
                "",
                now_stamp,
            )

        return read

    def parser(self, column: str) -> Callable[[str], object]:
        return getattr(self, column)

    def occurred_at(self, raw: str) -> datetime:
        """Naive UTC from ISO 8601; a time without offset is local (Stockholm) time."""
        try:
            moment = datetime.fromisoformat(raw)
        except ValueError:
            moment = None
        if moment is None:
            text = raw.strip()
            if not text:
                raise _BadValue("tidpunkt saknas")
            try:
                moment = datetime.fromisoformat(text)
            except ValueError:
                raise _BadValue(
                    f"ogiltig tidpunkt ”{text[:40]}” (ange ISO 8601, t.ex. 2026-03-02T09:15:00+01:00)"
                ) from None
        if moment.tzinfo is None:
            # Stockholm's offset changes on the hour, so one look-up per local hour does.
            # fold=0: a repeated autumn hour is read as its first (summer time) occurrence.
            hour = (moment.toordinal(), moment.hour)
            offset = self._offsets.get(hour)
            if offset is None:
                offset = self._offsets[hour] = moment.replace(tzinfo=LOCAL_TZ).utcoffset()
        else:
            offset = moment.utcoffset()
            # Naive: time() leaves the zone out (and is much cheaper than replace()).
            moment = datetime.combine(moment.date(), moment.time())
        if moment.year < EARLIEST_YEAR - 1:
            raise _BadValue(f"tidpunkten ligger före {EARLIEST_YEAR}")
        try:
            moment -= offset
        except OverflowError:
            raise _BadValue("tidpunkten ligger i framtiden") from None
        if moment > self.latest:
            raise _BadValue("tidpunkten ligger i framtiden")
        if moment < self.earliest:
            raise _BadValue(f"tidpunkten ligger före {EARLIEST_YEAR}")
        return moment

    def office(self, raw: str) -> int:
        return _code(self.catalogue.offices, raw, "okänt kontor", "kontor saknas")

    def case_type(self, raw: str) -> int:
        return _code(self.catalogue.case_types, raw, "okänd ärendetyp", "ärendetyp saknas")

    def channel(self, raw: str) -> str:
        # The codes, and what the counter and the API also accept ("Besök", "e-post" ...).
        code = CHANNELS.get(raw) or parse_channel(raw)
        if code is None:
            raise _BadValue(
                f"okänd kanal ”{raw.strip()[:40]}” (ange {', '.join(CHANNEL_CODES)})"
                if raw.strip()
                else "kanal saknas"
            )
        return code

    def rosa_level(self, raw: str) -> int:
        level = LEVELS.get(raw)
        if level is None:
            level = LEVELS.get(raw.strip())
            if level is None:
                raise _BadValue(
                    f"ogiltig ROSA-nivå ”{raw.strip()[:40]}” (ange 1–8)"
                    if raw.strip()
                    else "ROSA-nivå saknas"
                )
        return level

    def outcome(self, raw: str) -> str | None:
        if not raw:
            return None
        outcome = OUTCOME_CODES.get(raw)
        if outcome is None:
            text = raw.strip().lower()
            if not text:
                return None
            outcome = OUTCOME_CODES.get(text)
            if outcome is None:
                raise _BadValue(f"okänt utfall ”{raw.strip()[:40]}” (ange {', '.join(OUTCOMES)})")
        return outcome

    def duration_seconds(self, raw: str) -> int | None:
        text = raw.strip()
        if not text:
            return None
        if not (text.isascii() and text.isdigit()):
            raise _BadValue(f"ogiltig tid ”{text[:40]}” (ange hela sekunder, 0 eller mer)")
        seconds = int(text)
        if seconds > MAX_DURATION_SECONDS:
            raise _BadValue(f"tiden ska vara 0–{MAX_DURATION_SECONDS} sekunder")
        return seconds

    def repeat(self, raw: str) -> bool:
        value = REPEAT_VALUES.get(raw)
        if value is None:
            value = REPEAT_VALUES.get(raw.strip().lower())
            if value is None:
                raise _BadValue(f"ogiltigt värde ”{raw.strip()[:40]}” (ange ja eller nej)")
        return value


def _code(ids: dict[str, int], raw: str, unknown: str, missing: str) -> int:
    text = raw.strip()
    if text in ids:
        return ids[text]
    raise _BadValue(f"{unknown} ”{text[:40]}”" if text else missing)


def _report(
    row: list[str], columns: _Columns, cells: _Cells, line: int, result: ImportResult
) -> None:
    """Every problem of a row that could not be read, each naming its column."""
    if len(row) < columns.width:
        result.add_error(
            line, "", f"raden har {len(row)} kolumner, rubrikraden {len(columns.names)}"
        )
        return
    for column, at in sorted(columns.at.items(), key=lambda item: item[1]):
        try:
            cells.parser(column)(row[at])
        except _BadValue as bad:
            result.add_error(line, columns.names[at], str(bad))


# One statement per batch on SQLite: the rows travel as one JSON array that SQLite takes
# apart itself, so the driver holds Python's GIL once per batch, not once per row.
_JSON_INSERT = (
    f"INSERT INTO contacts ({', '.join(CONTACT_COLUMNS)}) SELECT "
    + ", ".join(f"json_extract(value, '$[{at}]')" for at in range(len(CONTACT_COLUMNS)))
    + " FROM json_each(?)"
)


class _Writer:
    """Contacts inserted in batches, and counted for the tallies as they go.

    On SQLite each batch is inserted on a thread of its own while the next one is read:
    SQLite works without the GIL, so with a second core free the insert and the Python
    reading the file overlap. The main thread touches the connection only once that thread
    is done (`_wait`). PostgreSQL gets each batch by COPY, in line.
    """

    def __init__(self) -> None:
        self.batch: list[tuple] = []
        self.counts = Counts()
        self.written = 0
        # The batches go in through the driver, past SQLAlchemy's events, so on SQLite they
        # would skip the write gate every other writer queues at (database.SQLiteWriteGate).
        # A statement through SQLAlchemy that changes nothing takes the gate, and the
        # database's write lock, before the first batch.
        db.session.execute(sa.update(Contact.__table__).where(sa.false()).values(note=""))
        connection = db.session.connection()
        self._driver = connection.connection.driver_connection
        self._thread = None
        if connection.dialect.name == "sqlite" and _has_json(self._driver):
            self._thread = ThreadPoolExecutor(1, thread_name_prefix="import-contacts")
        self._pending: Future | None = None

    def add(self, contact: tuple) -> None:
        self.batch.append(contact)
        self.counts.add_row(contact[:8])
        if len(self.batch) >= BATCH:
            self._flush()

    def _flush(self) -> None:
        if self.batch:
            if self._thread is None:
                bulk_insert("contacts", CONTACT_COLUMNS, self.batch)
            else:
                rows = json.dumps(self.batch)
                self._wait()
                self._pending = self._thread.submit(self._driver.execute, _JSON_INSERT, (rows,))
            self.written += len(self.batch)
            self.batch = []
        if sum(len(rows) for rows in self.counts.rows.values()) >= TALLY_ROWS_IN_MEMORY:
            self._wait()
            add_counts(self.counts)
            self.counts = Counts()

    def _wait(self) -> None:
        """Wait for the batch being inserted; its error, if any, is raised here."""
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def finish(self) -> int:
        """Write what is left; the number of contacts written."""
        self._flush()
        self._wait()
        add_counts(self.counts)
        return self.written

    def close(self) -> None:
        """Let the insert under way end (also when giving up) before anything else runs."""
        if self._thread is not None:
            if self._pending is not None:
                wait([self._pending])
            self._thread.shutdown()


def _has_json(driver_connection) -> bool:
    """Whether SQLite has its JSON functions (built in since 3.38, usually before too)."""
    try:
        driver_connection.execute("SELECT json_extract('[1]', '$[0]')").fetchone()
    except sqlite3.OperationalError:
        return False
    return True
