"""Demo history of the waiting room and of citizens' answers, so the pages have figures.

Tickets: the last 60 working days of each office, 25–60 visitors a day in opening
hours, waits drawn from an exponential distribution (mean 6 minutes, longer around
lunch), one in twenty a no-show. NKI answers: about one contact in eight of the last
90 days, scores a little lower the higher the ROSA level (a referral is a longer way to
an answer). Deterministic for a given seed.
"""

import random
from datetime import UTC, datetime, time, timedelta

import sqlalchemy as sa

from frontdesk.extensions import db
from frontdesk.feedback.links import contact_key
from frontdesk.models import Contact, FeedbackAnswer, Office, QueueTicket, TicketStatus
from frontdesk.tallies import working_hours
from frontdesk.timeutil import LOCAL_TZ, to_local
from rosa.staffing import opening_hours

TICKET_DAYS = 60
FEEDBACK_DAYS = 90
ANSWER_SHARE = 1 / 8
COMMENTS = (
    "Snabb och vänlig hjälp, tack!",
    "Fick vänta länge i telefonkön.",
    "Bra att jag kunde få svar direkt i stället för att skickas vidare.",
    "Svårt att förstå vilken blankett jag skulle använda.",
    "Trevligt bemötande vid disken.",
    "Jag fick ringa två gånger om samma sak.",
)


def _ticket_rows(rng: random.Random, office: Office, today) -> list[dict]:
    hours = working_hours(office.opens, office.closes)
    rows, day, days = [], today - timedelta(days=1), 0
    while days < TICKET_DAYS:
        open_hours = opening_hours(day, hours)
        if open_hours:
            days += 1
            for number in range(1, rng.randint(25, 60) + 1):
                hour = rng.choice(open_hours)
                issued = datetime.combine(day, time(hour, rng.randrange(60)), tzinfo=LOCAL_TZ)
                mean = 9 * 60 if hour in (11, 12) else 6 * 60
                called = issued + timedelta(seconds=int(rng.expovariate(1 / mean)))
                status = TicketStatus.EJ_PA_PLATS if rng.random() < 0.05 else TicketStatus.BETJANAD
                rows.append(
                    {
                        "office_id": office.id,
                        "day": day,
                        "number": number,
                        "category": "",
                        "status": status.value,
                        "issued_at": issued.astimezone(UTC),
                        "called_at": called.astimezone(UTC),
                        "shown_at": called.astimezone(UTC),
                        "desk": str(rng.randint(1, 4)),
                    }
                )
        day -= timedelta(days=1)
    return rows


def seed_waiting_room(now: datetime, seed: int = 2026) -> dict[str, int]:
    rng = random.Random(seed)
    today = to_local(now).date()
    tickets = []
    for office in db.session.scalars(sa.select(Office).order_by(Office.code)):
        tickets += _ticket_rows(rng, office, today)
    if tickets:
        db.session.execute(sa.insert(QueueTicket.__table__), tickets)
    contacts = db.session.execute(
        sa.select(
            Contact.id,
            Contact.office_id,
            Contact.channel,
            Contact.case_type_id,
            Contact.rosa_level,
            Contact.occurred_at,
        ).where(Contact.occurred_at >= now - timedelta(days=FEEDBACK_DAYS))
    ).all()
    answers = []
    for row in contacts:
        if rng.random() >= ANSWER_SHARE:
            continue
        base = 8.6 - 0.35 * row.rosa_level
        scores = [max(1, min(10, round(rng.gauss(base + shift, 1.4)))) for shift in (0, -0.4, -0.9)]
        answers.append(
            {
                "contact_key": contact_key(row.id),
                "office_id": row.office_id,
                "channel": row.channel,
                "case_type_id": row.case_type_id,
                "rosa_level": row.rosa_level,
                "contact_day": to_local(row.occurred_at).date(),
                "answered_at": row.occurred_at + timedelta(hours=rng.randint(1, 48)),
                "q1": scores[0],
                "q2": scores[1],
                "q3": scores[2],
                "comment": rng.choice(COMMENTS) if rng.random() < 0.06 else "",
            }
        )
    if answers:
        db.session.execute(sa.insert(FeedbackAnswer.__table__), answers)
    return {"queue_tickets": len(tickets), "feedback_answers": len(answers)}
