"""A morning's post for the demo inbox, and a month of call statistics."""

import random
from datetime import timedelta

import sqlalchemy as sa

from frontdesk.extensions import db
from frontdesk.inbox.intake import store_calls
from frontdesk.inbox.operations import Incoming, receive
from frontdesk.models import InboxMessage, Office
from frontdesk.timeutil import utcnow
from kanaler.calls import CallRecord as Call

MESSAGES = (
    (
        "epost",
        "Eva Lind <eva.lind@example.se>",
        "Parkeringstillstånd",
        "Hej! Min mamma har svårt att gå. Hur ansöker hon om parkeringstillstånd för rörelsehindrade?",
    ),
    (
        "epost",
        "Ahmed Yusuf <ahmed@example.se>",
        "Bygglov altan",
        "Behöver jag bygglov för en altan på 20 kvm som ligger 1,2 meter över marken?",
    ),
    ("webb", "", "Avfall", "När töms kärlen i Norra i jul?"),
    (
        "webb",
        "kim@example.se",
        "Skola och förskola",
        "Hur byter jag förskola för min son? Vi flyttar i mars.",
    ),
    (
        "brev",
        "Gunnel Ek, Storgatan 4",
        "Ekonomiskt bistånd",
        "Brev med fråga om försörjningsstöd och om hon kan få hjälp med en elräkning.",
    ),
    ("chatt", "Chattbesökare", "Öppettider", "Har medborgarkontoret öppet på lördagar?"),
    ("epost", "noreply@vinster.example", "Du har vunnit!!!", "Klicka här för att hämta din vinst."),
)


def seed_inbox() -> dict[str, int]:
    """Messages and calls, once: nothing is added when the inbox already has messages."""
    if db.session.scalar(sa.select(sa.func.count()).select_from(InboxMessage)):
        return {"inbox_messages": 0, "calls": 0}
    offices = db.session.scalars(sa.select(Office).order_by(Office.code)).all()
    now = utcnow()
    for index, (channel, sender, subject, body) in enumerate(MESSAGES):
        receive(
            Incoming(
                channel=channel,
                office=offices[index % len(offices)],
                sender=sender,
                reply_to=sender.split("<")[-1].rstrip(">") if "@" in sender else "",
                subject=subject,
                body=body,
                received_at=now - timedelta(hours=2 * index + 1),
            )
        )
    rng = random.Random(7)
    calls = []
    for day in range(30):
        for _ in range(rng.randint(40, 90)):
            moment = now - timedelta(days=day, minutes=rng.randint(0, 8 * 60))
            answered = rng.random() < 0.86
            wait = int(rng.expovariate(1 / (45 if answered else 120)))
            calls.append(
                Call(
                    moment,
                    rng.choice(("Växel", "Medborgarkontoret")),
                    answered,
                    wait,
                    int(rng.expovariate(1 / 240)) if answered else 0,
                )
            )
    return {"inbox_messages": len(MESSAGES), "calls": store_calls(calls)}
