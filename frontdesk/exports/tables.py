"""Filtered lists of contacts and referrals as CSV or Excel, streamed.

Rows are read in keyset batches (by id, never OFFSET) and written as they come, so a
million rows pass through a few megabytes of memory. The contact CSV is the history
import's format (`flask import-contacts`): an export re-imports unchanged.
"""

import csv
import io
import os
import tempfile
from collections.abc import Iterator
from datetime import datetime

import sqlalchemy as sa
import xlsxwriter

from frontdesk.extensions import db
from frontdesk.models import CaseType, Contact, Office, Organisation, Queue, Referral
from frontdesk.timeutil import to_local

BATCH = 5000
EXCEL_MAX_ROWS = 1_048_575  # a sheet's rows below the header
CONTACT_COLUMNS = (
    "occurred_at",
    "office",
    "channel",
    "case_type",
    "rosa_level",
    "outcome",
    "duration_seconds",
    "repeat",
    "id",
    "organisation",
    "referral_status",
)
REFERRAL_COLUMNS = (
    "id",
    "contact_id",
    "created_at",
    "office",
    "channel",
    "case_type",
    "rosa_level",
    "organisation",
    "queue",
    "status",
    "due_at",
    "claimed_at",
    "answered_at",
    "closed_at",
    "hours_to_answer",
)


def _stamp(moment: datetime | None) -> str:
    return to_local(moment).isoformat(timespec="seconds") if moment else ""


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
    """The filtered contacts as CONTACT_COLUMNS tuples (no notes: they may hold personal data)."""
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
            _stamp(row.occurred_at),
            offices[row.office_id],
            row.channel,
            case_type,
            row.rosa_level,
            row.outcome,
            "" if row.duration_seconds is None else row.duration_seconds,
            "true" if row.is_repeat else "false",
            row.id,
            organisation,
            row.status or "",
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
    """Referrals as REFERRAL_COLUMNS tuples (no answer texts), oldest first.

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
            else ""
        )
        yield (
            row.id,
            row.contact_id,
            _stamp(row.created_at),
            offices[row.office_id],
            row.channel,
            case_types[row.case_type_id][0],
            row.rosa_level,
            organisation,
            queue,
            row.status,
            _stamp(row.due_at),
            _stamp(row.claimed_at),
            _stamp(row.answered_at),
            _stamp(row.closed_at),
            hours,
        )


def csv_chunks(columns: tuple[str, ...], rows: Iterator[tuple]) -> Iterator[str]:
    """CSV text a few hundred rows at a time.

    Values are catalogue codes, numbers and timestamps, never free text; a code that
    an administrator began with a formula character still gets a leading quote, so a
    spreadsheet shows it rather than running it.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for count, row in enumerate(rows, 1):
        writer.writerow([_inert(value) for value in row])
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


def xlsx_chunks(sheet: str, columns: tuple[str, ...], rows: Iterator[tuple]) -> Iterator[bytes]:
    """An Excel workbook, written row by row to a temporary file and then streamed.

    An XLSX file is a zip whose directory comes last, so it cannot be sent before it
    is finished; XlsxWriter's constant-memory mode keeps only the current row in memory
    and the file is removed once sent (or if the client goes away).
    """
    handle, path = tempfile.mkstemp(prefix="frontdesk-export-", suffix=".xlsx")
    os.close(handle)
    try:
        workbook = xlsxwriter.Workbook(
            path, {"constant_memory": True, "strings_to_formulas": False}
        )
        worksheet = workbook.add_worksheet(sheet)
        bold = workbook.add_format({"bold": True})
        worksheet.write_row(0, 0, columns, bold)
        worksheet.freeze_panes(1, 0)
        for number, row in enumerate(rows, 1):
            if number == EXCEL_MAX_ROWS:
                worksheet.write(number, 0, "Fler rader än Excel rymmer: hämta CSV i stället.")
                break
            worksheet.write_row(number, 0, row)
        workbook.close()
        with open(path, "rb") as file:
            while chunk := file.read(1 << 16):
                yield chunk
    finally:
        os.unlink(path)
