"""Filtered lists of contacts and referrals as CSV or Excel, streamed.

Rows are read in keyset batches (by id, never OFFSET) and written as they come, so a
million rows pass through a few megabytes of memory. The plain contact CSV is the history
import's format (`flask import-contacts`): an export re-imports unchanged.

Each list's columns are declared once (`Column`: the import format's name, the Swedish
header, the kind of value); the row producers yield plain values (datetimes, booleans,
numbers, codes) and each way of writing formats them:

- plain CSV: comma, ISO timestamps with the offset, `true`/`false`, codes: for programs;
- the `excel-sv` CSV dialect: what Swedish Excel opens as is (a UTF-8 byte order mark, `;`
  between cells, a decimal comma, local "YYYY-MM-DD HH:MM:SS" times, Swedish headers and
  Swedish values for channels, outcomes, statuses and yes/no);
- XLSX: the Swedish headers and values, real date/time and number cells, a frozen header
  row, an autofilter and column widths that fit the headers.
"""

import csv
import io
import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from enum import Enum, StrEnum

import sqlalchemy as sa
import xlsxwriter

import svformat
from frontdesk.extensions import db
from frontdesk.models import CaseType, Contact, Office, Organisation, Queue, Referral
from frontdesk.models.referral import ReferralStatus
from frontdesk.timeutil import to_local
from kanaler import channel_label
from rosa.routing import Outcome


class CsvDialect(StrEnum):
    """`?dialect=` of the CSV downloads; without it, the plain (import) format."""

    EXCEL_SV = "excel-sv"


DIALECT_DESCRIPTION = (
    "`excel-sv`: for Swedish Excel (UTF-8 byte order mark, `;` separators, decimal comma, "
    "local times, Swedish headers and values). Without it: the plain CSV (the import format)."
)
EXCEL_BOM = "\ufeff"
EXCEL_SEPARATOR = ";"
EXCEL_TIME = "%Y-%m-%d %H:%M:%S"


class Kind(Enum):
    """How a column's values are written."""

    CODE = "code"
    INTEGER = "integer"
    DECIMAL = "decimal"
    MOMENT = "moment"
    FLAG = "flag"
    CHANNEL = "channel"
    OUTCOME = "outcome"
    STATUS = "status"


@dataclass(frozen=True)
class Column:
    key: str  # the plain CSV's header (the import format)
    header: str  # the Swedish header (excel-sv CSV, XLSX)
    kind: Kind = Kind.CODE
    width: int = 12  # XLSX characters


BATCH = 5000
EXCEL_MAX_ROWS = 1_048_575  # a sheet's rows below the header
CONTACT_COLUMNS = (
    Column("occurred_at", "Datum och tid", Kind.MOMENT, 19),
    Column("office", "Kontor"),
    Column("channel", "Kanal", Kind.CHANNEL, 14),
    Column("case_type", "Ärendetyp", width=14),
    Column("rosa_level", "ROSA-nivå", Kind.INTEGER, 10),
    Column("outcome", "Utfall", Kind.OUTCOME, 18),
    Column("duration_seconds", "Längd (sekunder)", Kind.INTEGER, 16),
    Column("repeat", "Upprepad kontakt", Kind.FLAG, 16),
    Column("id", "Kontakt-id", Kind.INTEGER, 11),
    Column("organisation", "Organisation", width=13),
    Column("referral_status", "Remissens status", Kind.STATUS, 16),
)
REFERRAL_COLUMNS = (
    Column("id", "Remiss-id", Kind.INTEGER, 10),
    Column("contact_id", "Kontakt-id", Kind.INTEGER, 11),
    Column("created_at", "Skapad", Kind.MOMENT, 19),
    Column("office", "Kontor"),
    Column("channel", "Kanal", Kind.CHANNEL, 14),
    Column("case_type", "Ärendetyp", width=14),
    Column("rosa_level", "ROSA-nivå", Kind.INTEGER, 10),
    Column("organisation", "Organisation", width=13),
    Column("queue", "Kö", width=14),
    Column("status", "Status", Kind.STATUS),
    Column("due_at", "Senast besvarad", Kind.MOMENT, 19),
    Column("claimed_at", "Tagen", Kind.MOMENT, 19),
    Column("answered_at", "Besvarad", Kind.MOMENT, 19),
    Column("closed_at", "Avslutad", Kind.MOMENT, 19),
    Column("hours_to_answer", "Timmar till svar", Kind.DECIMAL, 16),
)


def _codes() -> tuple[dict, dict, dict, dict]:
    """Ids to codes of the small tables, read once per export."""
    offices = dict(db.session.execute(sa.select(Office.id, Office.code)).all())
    organisations = dict(db.session.execute(sa.select(Organisation.id, Organisation.code)).all())
    case_types = {
        id_: (code, organisations[org_id])
        for id_, code, org_id in db.session.execute(
            sa.select(CaseType.id, CaseType.code, CaseType.organisation_id)
        )
    }
    queues = {
        id_: (code, organisations[org_id])
        for id_, code, org_id in db.session.execute(
            sa.select(Queue.id, Queue.code, Queue.organisation_id)
        )
    }
    return offices, case_types, queues, organisations


def _keyset(query, id_column) -> Iterator:
    """The query's rows in id order, a batch at a time."""
    last = 0
    while True:
        rows = db.session.execute(query.where(id_column > last).order_by(id_column).limit(BATCH))
        rows = rows.all()
        if not rows:
            return
        yield from rows
        last = rows[-1].id


def contact_rows(conditions: list) -> Iterator[tuple]:
    """The filtered contacts as CONTACT_COLUMNS values (no notes: they may hold personal data)."""
    offices, case_types, _, _ = _codes()
    query = (
        sa.select(
            Contact.id,
            Contact.occurred_at,
            Contact.office_id,
            Contact.channel,
            Contact.case_type_id,
            Contact.rosa_level,
            Contact.outcome,
            Contact.duration_seconds,
            Contact.is_repeat,
            Referral.status,
        )
        .outerjoin(Referral, Referral.contact_id == Contact.id)
        .where(*conditions)
    )
    for row in _keyset(query, Contact.id):
        case_type, organisation = case_types[row.case_type_id]
        yield (
            row.occurred_at,
            offices[row.office_id],
            row.channel,
            case_type,
            row.rosa_level,
            row.outcome,
            row.duration_seconds,
            bool(row.is_repeat),
            row.id,
            organisation,
            row.status,
        )


def _by_creation(query) -> Iterator:
    """The query's referrals in (created_at, id) order, a batch at a time.

    Walks the creation-time index: keyed on the id alone, the database would sort the
    period's referrals again for every batch.
    """
    last = None
    while True:
        batch = query
        if last is not None:
            # The plain bound lets the index start where the last batch ended.
            batch = batch.where(
                Referral.created_at >= last[0],
                sa.tuple_(Referral.created_at, Referral.id) > sa.tuple_(*last),
            )
        rows = db.session.execute(
            batch.order_by(Referral.created_at, Referral.id).limit(BATCH)
        ).all()
        if not rows:
            return
        yield from rows
        last = (rows[-1].created_at, rows[-1].id)


def referral_rows(conditions: list) -> Iterator[tuple]:
    """Referrals as REFERRAL_COLUMNS values (no answer texts), oldest first.

    `conditions` are on the referral (its creation time) and its contact.
    """
    offices, case_types, queues, _ = _codes()
    query = (
        sa.select(
            Referral.id,
            Referral.contact_id,
            Referral.created_at,
            Contact.office_id,
            Contact.channel,
            Contact.case_type_id,
            Contact.rosa_level,
            Referral.queue_id,
            Referral.status,
            Referral.due_at,
            Referral.claimed_at,
            Referral.answered_at,
            Referral.closed_at,
        )
        .join(Contact, Contact.id == Referral.contact_id)
        .where(*conditions)
    )
    for row in _by_creation(query):
        queue, organisation = queues[row.queue_id]
        hours = (
            round((row.answered_at - row.created_at).total_seconds() / 3600, 2)
            if row.answered_at
            else None
        )
        yield (
            row.id,
            row.contact_id,
            row.created_at,
            offices[row.office_id],
            row.channel,
            case_types[row.case_type_id][0],
            row.rosa_level,
            organisation,
            queue,
            row.status,
            row.due_at,
            row.claimed_at,
            row.answered_at,
            row.closed_at,
            hours,
        )


def _plain(kind: Kind, value):
    """The import format's text of a value."""
    if value is None:
        return ""
    if kind is Kind.MOMENT:
        return to_local(value).isoformat(timespec="seconds")
    if kind is Kind.FLAG:
        return "true" if value else "false"
    return value


def _swedish(kind: Kind, value):
    """A value as a Swedish reader sees it: labels for codes of the app's own vocabulary."""
    if value is None:
        return ""
    if kind is Kind.FLAG:
        return "Ja" if value else "Nej"
    if kind is Kind.CHANNEL:
        return channel_label(value)
    if kind is Kind.OUTCOME:
        return Outcome(value).label
    if kind is Kind.STATUS:
        return ReferralStatus(value).label
    return value


def _excel_sv(kind: Kind, value):
    if kind is Kind.MOMENT and value is not None:
        return to_local(value).strftime(EXCEL_TIME)
    if kind is Kind.DECIMAL and value is not None:
        return svformat.decimal(value, 2)
    return _swedish(kind, value)


def csv_chunks(
    columns: Sequence[Column], rows: Iterator[tuple], dialect: CsvDialect | None = None
) -> Iterator[str]:
    """CSV text a few hundred rows at a time, plain or in a dialect.

    Values are catalogue codes, labels, numbers and timestamps, never free text; a code
    that an administrator began with a formula character still gets a leading quote, so a
    spreadsheet shows it rather than running it.
    """
    excel = dialect is CsvDialect.EXCEL_SV
    cell: Callable = _excel_sv if excel else _plain
    kinds = [column.kind for column in columns]
    buffer = io.StringIO()
    if excel:
        buffer.write(EXCEL_BOM)
        writer = csv.writer(buffer, delimiter=EXCEL_SEPARATOR, lineterminator="\r\n")
        writer.writerow([column.header for column in columns])
    else:
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow([column.key for column in columns])
    for count, row in enumerate(rows, 1):
        writer.writerow([_inert(cell(kind, value)) for kind, value in zip(kinds, row, strict=True)])
        if count % 500 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _inert(value):
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def xlsx_chunks(sheet: str, columns: Sequence[Column], rows: Iterator[tuple]) -> Iterator[bytes]:
    """An Excel workbook, written row by row to a temporary file and then streamed.

    An XLSX file is a zip whose directory comes last, so it cannot be sent before it
    is finished; XlsxWriter's constant-memory mode keeps only the current row in memory
    and the file is removed once sent (or if the client goes away). Times are real
    date/time cells in local time (Excel has no time zones), numbers are numbers.
    """
    handle, path = tempfile.mkstemp(prefix="frontdesk-export-", suffix=".xlsx")
    os.close(handle)
    try:
        workbook = xlsxwriter.Workbook(
            path,
            {"constant_memory": True, "strings_to_formulas": False, "remove_timezone": True},
        )
        worksheet = workbook.add_worksheet(sheet)
        bold = workbook.add_format({"bold": True, "bottom": 1})
        moment = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"})
        decimal = workbook.add_format({"num_format": "0.00"})
        for at, column in enumerate(columns):
            cell_format = {Kind.MOMENT: moment, Kind.DECIMAL: decimal}.get(column.kind)
            worksheet.set_column(at, at, max(column.width, len(column.header) + 2), cell_format)
        worksheet.write_row(0, 0, [column.header for column in columns], bold)
        worksheet.freeze_panes(1, 0)
        written = 0
        for number, row in enumerate(rows, 1):
            if number == EXCEL_MAX_ROWS:
                worksheet.write(number, 0, "Fler rader än Excel rymmer: hämta CSV i stället.")
                break
            for at, (column, value) in enumerate(zip(columns, row, strict=True)):
                if value is None:
                    continue
                if column.kind is Kind.MOMENT:
                    worksheet.write_datetime(number, at, to_local(value), moment)
                else:
                    worksheet.write(number, at, _swedish(column.kind, value))
            written = number
        worksheet.autofilter(0, 0, max(written, 1), len(columns) - 1)
        workbook.close()
        with open(path, "rb") as file:
            while chunk := file.read(1 << 16):
                yield chunk
    finally:
        os.unlink(path)
