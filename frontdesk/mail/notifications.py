"""Notifications for staff through the outbox: new referrals, and the overdue digest."""

from collections import defaultdict
from datetime import datetime

import click
import sqlalchemy as sa
from flask.cli import with_appcontext
from sqlalchemy.orm import joinedload

from frontdesk.audit import record
from frontdesk.extensions import db
from frontdesk.mail import texts
from frontdesk.mail.outbox import enqueue
from frontdesk.models import Contact, MailKind, Organisation, Queue, Referral, User
from frontdesk.models.referral import OPEN_FILTER, overdue_clause
from frontdesk.roles import Role
from frontdesk.timeutil import utcnow


def _handlers(organisation_id: int, *, wanting_news: bool = False) -> list[tuple[int, str]]:
    """(id, e-mail) of the organisation's active handlers who have an address."""
    query = sa.select(User.id, User.email).where(
        User.role == Role.HANDLAGGARE,
        User.organisation_id == organisation_id,
        User.active,
        User.email != "",
    )
    if wanting_news:
        query = query.where(User.notify_new_referrals)
    return list(db.session.execute(query.order_by(User.id)))


def notify_new_referral(
    referral_id: int, queue: Queue, case_type: str, office: str, due_at: datetime
) -> int:
    """Queue a mail to each handler of the queue's organisation who asked for one; how many."""
    handlers = _handlers(queue.organisation_id, wanting_news=True)
    if not handlers:
        return 0
    subject, body = texts.new_referral(referral_id, case_type, office, queue.name, due_at)
    for _user_id, address in handlers:
        enqueue(MailKind.NEW_REFERRAL, address, subject, body, referral_id=referral_id)
    return len(handlers)


def overdue_by_organisation(now: datetime) -> dict[int, list[Referral]]:
    """The open overdue referrals per organisation holding them, earliest due first."""
    referrals = db.session.scalars(
        sa.select(Referral)
        .where(OPEN_FILTER, overdue_clause(now))
        .options(
            joinedload(Referral.queue),
            joinedload(Referral.claimed_by),
            joinedload(Referral.contact).joinedload(Contact.case_type),
        )
        .order_by(Referral.due_at, Referral.id)
    )
    grouped: dict[int, list[Referral]] = defaultdict(list)
    for referral in referrals:
        grouped[referral.queue.organisation_id].append(referral)
    return grouped


def notify_overdue(now: datetime | None = None) -> dict[str, int]:
    """One digest per handler with an address, of their organisation's overdue referrals."""
    now = now or utcnow()
    organisations = {o.id: o for o in db.session.scalars(sa.select(Organisation))}
    counts = {"organisations": 0, "mails": 0, "referrals": 0}
    for organisation_id, referrals in overdue_by_organisation(now).items():
        handlers = _handlers(organisation_id)
        if not handlers:
            continue
        subject, body = texts.overdue_digest(organisations[organisation_id].name, referrals)
        for _user_id, address in handlers:
            enqueue(MailKind.OVERDUE_DIGEST, address, subject, body)
        counts["organisations"] += 1
        counts["mails"] += len(handlers)
        counts["referrals"] += len(referrals)
    record("mail.overdue_digest", "outgoing_mail", None, None, **counts)
    return counts


@click.command("notify-overdue")
@with_appcontext
def notify_overdue_command() -> None:
    """Queue one digest of overdue referrals to each handler of each organisation."""
    counts = notify_overdue()
    db.session.commit()
    click.echo(
        f"Köade {counts['mails']} sammanställningar om {counts['referrals']} försenade "
        f"remisser hos {counts['organisations']} organisationer."
    )
