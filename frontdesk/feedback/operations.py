"""Answering the three NKI questions: once per contact, by whoever holds the link."""

from datetime import timedelta

import sqlalchemy as sa

from frontdesk.audit import record
from frontdesk.database import insert_unless_taken
from frontdesk.extensions import db
from frontdesk.feedback.links import contact_id_of, contact_key
from frontdesk.models import Contact, FeedbackAnswer
from frontdesk.models.visit import FEEDBACK_COMMENT_MAX
from frontdesk.timeutil import to_local, utcnow
from kanaler import mask_personnummer

# A citizen answers about a visit they remember; later answers say little about it.
ANSWER_WITHIN = timedelta(days=30)
_ANSWERS = FeedbackAnswer.__table__


class FeedbackRefused(Exception):
    """The link cannot be answered: the message is Swedish and shown to the citizen."""

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


UNKNOWN_LINK = FeedbackRefused("Länken gäller inte. Kontrollera att hela länken kom med.", 404)
ALREADY_ANSWERED = FeedbackRefused("Frågorna är redan besvarade. Tack för ditt svar!", 409)
EXPIRED = FeedbackRefused("Länken gällde i 30 dagar efter besöket och har gått ut.", 410)


def contact_for(token: str) -> Contact:
    """The contact a link is for, if it can still be answered; FeedbackRefused otherwise."""
    contact_id = contact_id_of(token)
    contact = db.session.get(Contact, contact_id) if contact_id is not None else None
    if contact is None:
        raise UNKNOWN_LINK
    if utcnow() - contact.occurred_at > ANSWER_WITHIN:
        raise EXPIRED
    if answered(contact.id):
        raise ALREADY_ANSWERED
    return contact


def answered(contact_id: int) -> bool:
    key = contact_key(contact_id)
    return db.session.scalar(sa.select(sa.exists().where(FeedbackAnswer.contact_key == key)))


def answer(token: str, q1: int, q2: int, q3: int, comment: str = "") -> int:
    """Store the citizen's answer to the contact's link; its id.

    What is kept is what the contact was (office, channel, case type, level, day), not
    who served it. One statement decides between two simultaneous answers.
    """
    contact = contact_for(token)
    answer_id = insert_unless_taken(
        _ANSWERS,
        {
            "contact_key": contact_key(contact.id),
            "office_id": contact.office_id,
            "channel": contact.channel,
            "case_type_id": contact.case_type_id,
            "rosa_level": contact.rosa_level,
            "contact_day": to_local(contact.occurred_at).date(),
            "answered_at": utcnow(),
            "q1": q1,
            "q2": q2,
            "q3": q3,
            "comment": mask_personnummer((comment or "").strip())[:FEEDBACK_COMMENT_MAX],
        },
        ["contact_key"],
    )
    if answer_id is None:
        raise ALREADY_ANSWERED
    record("feedback.answered", "feedback_answer", answer_id, None)
    return answer_id
