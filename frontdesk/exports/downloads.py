"""What the overview's downloads and the API's exports stream: one body per kind of file.

The pages (Swedish file names) and the API (English ones) both come here, so a list,
its download and the API's export select the same rows.
"""

import sqlalchemy as sa
from flask import Response, g, stream_with_context

from frontdesk.audit import record
from frontdesk.exports import eventlog, tables
from frontdesk.models import Referral
from frontdesk.models.referral import ReferralStatus, overdue_clause
from frontdesk.overview.filters import FilterError, OverviewFilters, contact_conditions
from frontdesk.timeutil import utcnow
from frontdesk.web import as_download

REFERRAL_STATES = {
    "besvarade": "Besvarade",
    "forsenade": "Försenade",
    "vantar-pa-aterkoppling": "Väntar på återkoppling",
}


def referral_conditions(filters: OverviewFilters, state: str | None = None) -> list:
    """Referrals created in the period (as the figures count them), of the filtered contacts."""
    start, end = filters.period.bounds
    return [
        Referral.created_at >= start,
        Referral.created_at < end,
        _referral_state_condition(state),
        *contact_conditions(filters, dated=False),
    ]


def _referral_state_condition(state: str | None):
    if state == "besvarade":
        return Referral.answered_at.is_not(None)
    if state == "forsenade":
        return overdue_clause(utcnow())
    if state == "vantar-pa-aterkoppling":
        return Referral.status == ReferralStatus.ATERFORD
    return sa.true()


MIMETYPES = {
    "csv": "text/csv",  # Werkzeug adds "; charset=utf-8" to text types itself
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "xes": "application/xml",
}


def read_dialect(args) -> tables.CsvDialect | None:
    """`?dialect=` of a CSV download; FilterError (Swedish, naming the field) if unknown."""
    value = args.get("dialect") or None
    if value is None:
        return None
    try:
        return tables.CsvDialect(value)
    except ValueError:
        known = ", ".join(d.value for d in tables.CsvDialect)
        raise FilterError({"dialect": f"Okänt CSV-format: välj {known}."}) from None


def record_download(
    name: str,
    filters: OverviewFilters,
    state: str | None = None,
    dialect: tables.CsvDialect | None = None,
) -> None:
    """Audit a download: who took which file of which selection (contacts leave the app)."""
    chosen = {
        "office": filters.office.code if filters.office else None,
        "organisation": filters.organisation.code if filters.organisation else None,
        "case_type": filters.case_type.code if filters.case_type else None,
        "channel": filters.channel,
        "state": state,
        "dialect": dialect.value if dialect else None,
    }
    record(
        "export.downloaded",
        "export",
        None,
        g.user,
        file=name,
        first=filters.period.first.isoformat(),
        last=filters.period.last.isoformat(),
        **{key: value for key, value in chosen.items() if value},
    )


def download_body(
    kind: str,
    filters: OverviewFilters,
    narrowing_extra: list | None = None,
    state: str | None = None,
    dialect: tables.CsvDialect | None = None,
):
    """The streamed body of one download: chunks of text or bytes.

    `narrowing_extra` narrows the contacts (a figure's level, outcome, ...), `state`
    the referrals (answered, overdue, waiting for the call-back); `dialect` is the CSV's
    (None: the plain format, which the history import reads).
    """
    conditions = contact_conditions(filters) + (narrowing_extra or [])
    if kind == "contacts_csv":
        return tables.csv_chunks(tables.CONTACT_COLUMNS, tables.contact_rows(conditions), dialect)
    if kind == "contacts_xlsx":
        return tables.xlsx_chunks(
            "Kontakter", tables.CONTACT_COLUMNS, tables.contact_rows(conditions)
        )
    if kind in ("referrals_csv", "referrals_xlsx"):
        rows = tables.referral_rows(referral_conditions(filters, state) + (narrowing_extra or []))
        if kind == "referrals_csv":
            return tables.csv_chunks(tables.REFERRAL_COLUMNS, rows, dialect)
        return tables.xlsx_chunks("Remisser", tables.REFERRAL_COLUMNS, rows)
    if kind == "eventlog_xes":
        return eventlog.xes_export(conditions)
    return eventlog.csv_export(conditions, dialect)


def streamed(filename: str, body) -> Response:
    """A download, its type read from the file name's extension."""
    mimetype = MIMETYPES[filename.rsplit(".", 1)[1]]
    response = Response(stream_with_context(body), mimetype=mimetype)
    as_download(response, filename)
    response.headers["Cache-Control"] = "no-store"
    return response
