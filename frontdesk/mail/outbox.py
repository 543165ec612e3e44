"""Writing mail to the outbox, in the transaction of the action that causes it.

Nothing here talks to a mail server: a mail is a row until `deliver-mail` sends
it (frontdesk.mail.delivery). If the action rolls back, so does its mail; if it
commits, the mail is there for the deliverer however the request ends.
"""

from email.utils import make_msgid

import sqlalchemy as sa
from flask import current_app

from frontdesk.audit import record
from frontdesk.extensions import db
from frontdesk.models import MailKind, MailState, OutgoingMail, User
from frontdesk.models.mail import MAIL_SUBJECT_MAX
from frontdesk.timeutil import utcnow
from kanaler import mask_personnummer
from kanaler.citizen import address_of

_OUTBOX = OutgoingMail.__table__


def mail_domain() -> str:
    """The domain of MAIL_FROM, for Message-IDs; a reserved name when none is set."""
    address = address_of(current_app.config.get("MAIL_FROM", ""))
    return address.rpartition("@")[2] or "medborgarkontoret.invalid"


def enqueue(
    kind: MailKind,
    to_address: str,
    subject: str,
    body: str,
    *,
    user: User | None = None,
    contact_id: int | None = None,
    referral_id: int | None = None,
    inbox_message_id: int | None = None,
) -> int:
    """Queue one mail; its id. Personnummer are masked here too, whatever the text's source."""
    now = utcnow()
    mail_id = db.session.execute(
        sa.insert(_OUTBOX).returning(_OUTBOX.c.id),
        {
            "kind": kind.value,
            "state": MailState.QUEUED.value,
            "message_id": make_msgid(domain=mail_domain()),
            "to_address": to_address,
            "subject": mask_personnummer(subject)[:MAIL_SUBJECT_MAX],
            "body": mask_personnummer(body),
            "contact_id": contact_id,
            "referral_id": referral_id,
            "inbox_message_id": inbox_message_id,
            "created_by_id": user.id if user else None,
            "created_at": now,
            "attempts": 0,
            "next_attempt_at": now,
            "last_error": "",
        },
    ).scalar_one()
    # The audit says a mail was queued and why, never to whom or what it says.
    record(
        "mail.queued",
        "outgoing_mail",
        mail_id,
        user,
        kind=kind.value,
        contact_id=contact_id,
        referral_id=referral_id,
        inbox_message_id=inbox_message_id,
    )
    return mail_id


# What a citizen receives, as opposed to the staff's notifications.
CITIZEN_MAIL = (MailKind.ANSWER, MailKind.REPLY, MailKind.RECEIPT)


def mails_for(
    *,
    referral_id: int | None = None,
    inbox_message_id: int | None = None,
    kinds=CITIZEN_MAIL,
) -> list:
    """The mails of these kinds about a referral or an inbox message, oldest first."""
    query = (
        sa.select(OutgoingMail)
        .where(OutgoingMail.kind.in_([k.value for k in kinds]))
        .order_by(OutgoingMail.id)
    )
    if referral_id is not None:
        query = query.where(OutgoingMail.referral_id == referral_id)
    elif inbox_message_id is not None:
        query = query.where(OutgoingMail.inbox_message_id == inbox_message_id)
    else:
        return []
    return list(db.session.scalars(query))
