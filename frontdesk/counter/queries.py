"""Read-only queries behind the counter page."""

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from frontdesk.cache import catalogue
from frontdesk.extensions import db
from frontdesk.mandates.operations import mandate_level
from frontdesk.models import CaseType, Contact, InboxMessage, Office, Queue, Referral
from frontdesk.timeutil import local_day_bounds, local_today, utcnow
from rosa import LEVELS, Outcome, route

# Usage over this window decides the type-ahead's order: recent habits, not last year's.
USAGE_WINDOW = timedelta(days=90)


def usage_counts(office: Office) -> dict[int, int]:
    """Contacts per case type at this office over the usage window."""
    since = utcnow() - USAGE_WINDOW
    rows = db.session.execute(
        sa.select(Contact.case_type_id, sa.func.count())
        .where(Contact.office_id == office.id, Contact.occurred_at >= since)
        .group_by(Contact.case_type_id)
    )
    return dict(rows.all())


def catalogue_for(office: Office) -> list[dict]:
    """Active case types with this office's mandate, most used here first.

    What the type-ahead shows (name, code, owner, mandate); what a level leads to is
    the server's to say (`route_preview`), so no queue and no rule travel to the page.
    From the catalogue cache; only the usage counts are read.
    """
    known = catalogue()
    uses = usage_counts(office)
    entries = []
    for case_type in known.active_case_types():
        entries.append(
            {
                "code": case_type.code,
                "name": case_type.name,
                "category": case_type.category,
                "owner": case_type.organisation.name,
                "mandate": known.mandate_level(office.id, case_type.id),
                "uses": uses.get(case_type.id, 0),
            }
        )
    entries.sort(key=lambda e: (-e["uses"], e["name"].lower()))
    return entries


def catalogue_version(office: Office) -> str:
    """A short hash of what the counter's preview reads: case types, queues and mandates.

    From the catalogue cache, no query: the page polls it every few seconds.
    """
    known = catalogue()
    rows = [
        (c.id, c.code, c.name, c.queue.id if c.queue else None, c.organisation.id)
        for c in known.active_case_types()
    ]
    mandates = sorted(known.mandate_levels(office.id).items())
    digest = hashlib.sha256(repr((rows, mandates)).encode())
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class RoutePreview:
    """What logging a contact would do now: the counter page shows it before sending."""

    case_type: CaseType
    mandate: int
    level: int | None  # None: a case type without a level yet
    outcome: Outcome | None
    queue: Queue | None  # where a referral goes; looked up only for a referral
    referred_levels: tuple[int, ...]  # the levels rosa.route sends to the back office


def route_preview(
    office: Office, case_type: CaseType, level: int | None, put_through: bool
) -> RoutePreview:
    """The routing decision for the office, case type and level, as log_contact will take it.

    One read (the mandate) beyond the case type the caller has; the owner's queues only
    when the answer is a referral without a queue of the case type's own.
    """
    mandate = mandate_level(office, case_type)
    outcome = None if level is None else route(level, mandate, put_through)
    referred = tuple(n.number for n in LEVELS if route(n.number, mandate) is Outcome.ESKALERAT)
    queue = case_type.referral_queue() if outcome is Outcome.ESKALERAT else None
    return RoutePreview(case_type, mandate, level, outcome, queue, referred)


def todays_contacts(office: Office, limit: int = 300) -> list[Contact]:
    """Today's contacts of the office, newest first."""
    start, end = local_day_bounds(local_today())
    return list(
        db.session.scalars(
            sa.select(Contact)
            .where(
                Contact.office_id == office.id,
                Contact.occurred_at >= start,
                Contact.occurred_at < end,
            )
            .options(
                joinedload(Contact.case_type),
                joinedload(Contact.staff),
                joinedload(Contact.referral).joinedload(Referral.queue),
            )
            .order_by(Contact.occurred_at.desc(), Contact.id.desc())
            .limit(limit)
        )
    )


def today(office: Office) -> dict:
    """Today's contacts; for those from the inbox, their messages (id, receipt); and when
    the contacts that repeats were found to repeat took place.

    One query each for the whole list, none per row: a contact from the inbox is changed
    through its message, so the list links there instead of offering Ändra and Ta bort.
    """
    contacts = todays_contacts(office)
    messages: dict[int, tuple[int, str]] = {}
    earlier: dict[int, datetime] = {}
    if contacts:
        rows = db.session.execute(
            sa.select(InboxMessage.contact_id, InboxMessage.id, InboxMessage.receipt).where(
                InboxMessage.contact_id.in_([c.id for c in contacts])
            )
        )
        messages = {contact_id: (message_id, receipt) for contact_id, message_id, receipt in rows}
        repeated = {c.repeat_of_id for c in contacts if c.repeat_of_id is not None}
        if repeated:
            earlier = dict(
                db.session.execute(
                    sa.select(Contact.id, Contact.occurred_at).where(Contact.id.in_(repeated))
                ).all()
            )
    return {"contacts": contacts, "messages": messages, "earlier": earlier}
