"""The event log of citizen contacts and their referrals, for process mining tools.

One trace per contact (case id "K<contact id>") with the attributes channel,
rosa_level, outcome, office, case_type and organisation (the case type's
owner), all codes or numbers. Its events, in time order:

- "Kontakt" when the contact occurred; resource: the guide's username.
- "Remiss skapad" when the referral was created, if the contact was referred;
  resource: the code of the organisation whose queue first received it.
- One event per audit event of the referral ("referral.claimed", ...), named by
  its Swedish label (the same as the referral history page shows); resource:
  the acting user's username.

Every event carries channel, rosa_level and organisation: the case type's owner
for the contact, and for the referral's events the organisation whose queue the
referral was in after the action (so a forwarding shows where it went).

No personal data of citizens goes into the log: no notes, answers, reasons for
parking or forwarding, or e-mail addresses; only codes, times, levels and staff
usernames. The queries never read those columns.

Contacts are read in keyset batches by id, so memory stays bounded whatever the
number of contacts: per batch one query for the contacts with their referrals
and one for the referrals' audit events; users, queues, offices, case types and
organisations are looked up in dicts loaded once. Iterate inside an application
context (a streamed response needs `stream_with_context`).
"""

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from frontdesk.exports.tables import EXCEL_BOM, EXCEL_SEPARATOR, EXCEL_TIME, CsvDialect
from frontdesk.extensions import db
from frontdesk.models import (
    AuditEvent,
    CaseType,
    Contact,
    Office,
    Organisation,
    Queue,
    Referral,
    User,
)
from frontdesk.models.referral import ReferralStatus
from frontdesk.templating import EVENT_LABELS
from frontdesk.timeutil import to_local
from rosa.eventlog import LogEvent, Trace, csv_chunks, xes_chunks

LOG_NAME = "Medborgarkontoret: kontakter och remisser"
CONTACT_ACTIVITY = "Kontakt"
REFERRAL_ACTIVITY = "Remiss skapad"
TRACE_ATTRIBUTES = ("channel", "rosa_level", "outcome", "office", "case_type", "organisation")
EVENT_ATTRIBUTES = ("channel", "rosa_level", "organisation")
CSV_COLUMNS = [f"case:{key}" for key in TRACE_ATTRIBUTES] + list(EVENT_ATTRIBUTES)
# The excel-sv dialect's headers: CSV_HEADER's four, then CSV_COLUMNS' in their order.
SWEDISH_HEADER = (
    "Ärende",
    "Aktivitet",
    "Tidpunkt",
    "Resurs",
    "Kontaktens kanal",
    "Kontaktens ROSA-nivå",
    "Utfall",
    "Kontor",
    "Ärendetyp",
    "Ägare",
    "Kanal",
    "ROSA-nivå",
    "Organisation",
)
BATCH = 2000

_ROW_COLUMNS = (
    Contact.id,
    Contact.occurred_at,
    Contact.channel,
    Contact.rosa_level,
    Contact.outcome,
    Contact.office_id,
    Contact.case_type_id,
    Contact.staff_id,
    Referral.id.label("referral_id"),
    Referral.queue_id,
    Referral.original_queue_id,
    Referral.status,
    Referral.created_at,
    Referral.claimed_at,
    Referral.claimed_by_id,
    Referral.parked_at,
    Referral.answered_at,
    Referral.answered_by_id,
    Referral.callback,
    Referral.closed_at,
)


@dataclass(frozen=True)
class _Catalog:
    """The small tables, read once per export: id → code (and queue → organisation)."""

    usernames: dict[int, str]
    offices: dict[int, str]
    case_types: dict[int, tuple[str, str]]  # id → (code, organisation code)
    queues: dict[int, str]  # id → organisation code
    queue_codes: dict[str, str]  # queue code → organisation code

    @classmethod
    def load(cls) -> "_Catalog":
        session = db.session
        organisations = dict(session.execute(sa.select(Organisation.id, Organisation.code)).all())
        queues = session.execute(sa.select(Queue.id, Queue.code, Queue.organisation_id)).all()
        case_types = session.execute(
            sa.select(CaseType.id, CaseType.code, CaseType.organisation_id)
        ).all()
        return cls(
            usernames=dict(session.execute(sa.select(User.id, User.username)).all()),
            offices=dict(session.execute(sa.select(Office.id, Office.code)).all()),
            case_types={
                row.id: (row.code, organisations[row.organisation_id]) for row in case_types
            },
            queues={row.id: organisations[row.organisation_id] for row in queues},
            queue_codes={row.code: organisations[row.organisation_id] for row in queues},
        )

    def username(self, user_id: int | None) -> str | None:
        return None if user_id is None else self.usernames.get(user_id)


def _label(action: str) -> str:
    return EVENT_LABELS.get(action, action)


def _audit_events(referral_ids: list[int]) -> dict[int, list[sa.Row]]:
    """The audit events of these referrals in time order, by referral id.

    Only the queue is read out of the event's data: its note may hold free text.
    """
    if not referral_ids:
        return {}
    rows = db.session.execute(
        sa.select(
            AuditEvent.entity_id,
            AuditEvent.at,
            AuditEvent.user_id,
            AuditEvent.action,
            AuditEvent.data["queue"].as_string().label("queue"),
        )
        .where(AuditEvent.entity == "referral", AuditEvent.entity_id.in_(referral_ids))
        .order_by(AuditEvent.entity_id, AuditEvent.at, AuditEvent.id)
    )
    events: dict[int, list[sa.Row]] = defaultdict(list)
    for row in rows:
        events[row.entity_id].append(row)
    return events


def _event(
    activity: str, moment: datetime, resource: str | None, row: sa.Row, organisation: str
) -> LogEvent:
    return LogEvent(
        activity=activity,
        timestamp=to_local(moment),
        resource=resource,
        attributes={
            "channel": row.channel,
            "rosa_level": row.rosa_level,
            "organisation": organisation,
        },
    )


def _referral_events(row: sa.Row, audited: list[sa.Row], catalog: _Catalog) -> list[LogEvent]:
    """The referral's creation and what happened to it in the back office.

    From the audit log when the referral has audit events. Referrals written in bulk
    (demo data, imports) have none; theirs are made from the referral's own time
    columns instead, which keep only the latest of each kind: claimed_at → "Tagen"
    (by the holder), parked_at → "Parkerad" (by the holder), answered_at →
    "Besvarad" (by whoever answered), and closed_at of a closed referral that was
    returned for a call-back → the call-back label, without a resource (the row does
    not say who called). A referral closed by its answer (no call-back) is closed at
    the answer's time, so it gets no event of its own.
    """
    organisation = catalog.queues.get(row.queue_id, "")
    created_in = catalog.queues.get(row.original_queue_id or row.queue_id, organisation)
    events = [_event(REFERRAL_ACTIVITY, row.created_at, created_in, row, created_in)]
    if audited:
        for audit in audited:
            where = catalog.queue_codes.get(audit.queue or "", organisation)
            events.append(
                _event(_label(audit.action), audit.at, catalog.username(audit.user_id), row, where)
            )
        return events
    holder = catalog.username(row.claimed_by_id)
    columns = [
        (row.claimed_at, "referral.claimed", holder),
        (row.parked_at, "referral.parked", holder),
        (row.answered_at, "referral.answered", catalog.username(row.answered_by_id)),
    ]
    if row.status == ReferralStatus.AVSLUTAD and row.callback:
        columns.append((row.closed_at, "referral.callback_done", None))
    for moment, action, resource in columns:
        if moment is not None:
            events.append(_event(_label(action), moment, resource, row, organisation))
    return events


def _trace(row: sa.Row, audited: list[sa.Row], catalog: _Catalog) -> Trace:
    case_type, organisation = catalog.case_types.get(row.case_type_id, ("", ""))
    events = [
        _event(CONTACT_ACTIVITY, row.occurred_at, catalog.username(row.staff_id), row, organisation)
    ]
    if row.referral_id is not None:
        events += _referral_events(row, audited, catalog)
    return Trace(
        case_id=f"K{row.id}",
        attributes={
            "channel": row.channel,
            "rosa_level": row.rosa_level,
            "outcome": row.outcome,
            "office": catalog.offices.get(row.office_id, ""),
            "case_type": case_type,
            "organisation": organisation,
        },
        events=events,
    )


def iter_traces(conditions: list, *, batch: int = BATCH) -> Iterator[Trace]:
    """One trace per contact matching all `conditions` (SQL expressions over Contact;
    none: every contact), in contact id order, read `batch` contacts at a time."""
    catalog = _Catalog.load()
    query = (
        sa.select(*_ROW_COLUMNS)
        .outerjoin(Referral, Referral.contact_id == Contact.id)
        .where(*conditions)
        .order_by(Contact.id)
        .limit(batch)
    )
    last_id = 0
    while True:
        rows = db.session.execute(query.where(Contact.id > last_id)).all()
        if not rows:
            return
        audited = _audit_events([row.referral_id for row in rows if row.referral_id is not None])
        for row in rows:
            yield _trace(row, audited.get(row.referral_id, []), catalog)
        if len(rows) < batch:
            return
        last_id = rows[-1].id


def xes_export(conditions: list, *, log_name: str = LOG_NAME) -> Iterator[bytes]:
    """The contacts' event log as an XES document, in pieces."""
    return xes_chunks(iter_traces(conditions), log_name=log_name)


def csv_export(conditions: list, dialect: CsvDialect | None = None) -> Iterator[str]:
    """The contacts' event log as CSV (one row per event), in pieces."""
    if dialect is CsvDialect.EXCEL_SV:
        return csv_chunks(
            iter_traces(conditions),
            extra_columns=CSV_COLUMNS,
            delimiter=EXCEL_SEPARATOR,
            header=SWEDISH_HEADER,
            time_format=lambda moment: to_local(moment).strftime(EXCEL_TIME),
            preamble=EXCEL_BOM,
        )
    return csv_chunks(iter_traces(conditions), extra_columns=CSV_COLUMNS)
