"""Taking, calling and settling queue tickets. The pages and the API both call these.

Each change is one guarded UPDATE (`WHERE status = ...`), as the back office's claims:
two guides pressing *Nästa* at the same moment never get the same visitor, and a
ticket already settled is not settled again.
"""

from dataclasses import dataclass

import sqlalchemy as sa

from frontdesk.audit import record
from frontdesk.cache import OfficeInfo, catalogue
from frontdesk.database import lock_for_the_transaction
from frontdesk.extensions import db
from frontdesk.models import Office, QueueTicket, TicketStatus, User
from frontdesk.models.visit import CATEGORY_MAX, DESK_MAX, seconds_waited
from frontdesk.roles import Role
from frontdesk.timeutil import LOCAL_TZ, UTCDateTime, utcnow

_TICKETS = QueueTicket.__table__
# Tries of Nästa when another desk took the oldest ticket in between.
CALL_ATTEMPTS = 20


class QueueError(Exception):
    """A queue rule refused the change; the message is Swedish and shown to the user."""

    def __init__(self, message: str, field: str | None = None, status: int = 409):
        super().__init__(message)
        self.field = field
        self.status = status


NOT_YOUR_OFFICE = "Du kan bara hantera kön på ditt eget kontor."
ALREADY_SETTLED = "Kölappen har redan hanterats vid en annan disk."


def categories() -> list[str]:
    """What a visitor may choose at the kiosk: the active case types' categories."""
    return sorted({c.category for c in catalogue().active_case_types() if c.category})


def check_office(office: Office | OfficeInfo, user: User | None) -> None:
    """A guide works the queue of their own office; managers any office's."""
    if user is not None and user.role == Role.VAGLEDARE and user.office_id != office.id:
        raise QueueError(NOT_YOUR_OFFICE, status=403)


def check_desk(desk: str) -> str:
    desk = (desk or "").strip()
    if not desk:
        raise QueueError("Ange vilken disk du sitter vid.", "desk", 422)
    if len(desk) > DESK_MAX:
        raise QueueError(f"Högst {DESK_MAX} tecken.", "desk", 422)
    return desk


@dataclass(frozen=True)
class IssuedTicket:
    id: int
    number: int
    waiting_ahead: int


def take_ticket(office: Office | OfficeInfo, category: str = "", user: User | None = None):
    """A new ticket at the office: the day's next number, and how many wait before it.

    `user` is None at the kiosk (a visitor); an API client is a member of staff.
    """
    check_office(office, user)
    category = (category or "").strip()
    if category and category not in categories():
        raise QueueError("Okänd kategori.", "category", 422)
    now = utcnow()
    day = now.astimezone(LOCAL_TZ).date()
    # Numbers are counted per office and day: the lock makes max()+1 exact across
    # processes on PostgreSQL (SQLite's writers are serialised already).
    lock_for_the_transaction(f"queue-number:{office.id}")
    number = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.max(QueueTicket.number), 0) + 1).where(
            QueueTicket.office_id == office.id, QueueTicket.day == day
        )
    )
    ticket_id = db.session.execute(
        sa.insert(_TICKETS).returning(_TICKETS.c.id),
        {
            "office_id": office.id,
            "day": day,
            "number": number,
            "category": category[:CATEGORY_MAX],
            "status": TicketStatus.VANTAR.value,
            "issued_at": now,
            "desk": "",
        },
    ).scalar_one()
    ahead = db.session.scalar(
        sa.select(sa.func.count()).where(
            QueueTicket.office_id == office.id,
            QueueTicket.status == TicketStatus.VANTAR.value,
            QueueTicket.id != ticket_id,
        )
    )
    record("ticket.taken", "queue_ticket", ticket_id, user, office=office.code, number=number)
    return IssuedTicket(ticket_id, number, ahead)


def call_next(office: Office | OfficeInfo, desk: str, user: User) -> QueueTicket | None:
    """Call the oldest waiting ticket to `desk`; None when nobody waits."""
    check_office(office, user)
    desk = check_desk(desk)
    for _ in range(CALL_ATTEMPTS):
        oldest = db.session.scalar(
            sa.select(QueueTicket.id)
            .where(
                QueueTicket.office_id == office.id,
                QueueTicket.status == TicketStatus.VANTAR.value,
            )
            .order_by(QueueTicket.issued_at, QueueTicket.id)
            .limit(1)
        )
        if oldest is None:
            return None
        now = utcnow()
        # The guard: another desk that called it first leaves no row to update here
        # (PostgreSQL re-reads the status after the other transaction commits).
        taken = db.session.execute(
            sa.update(_TICKETS)
            .where(_TICKETS.c.id == oldest, _TICKETS.c.status == TicketStatus.VANTAR.value)
            .values(
                status=TicketStatus.INROPAD.value,
                called_at=sa.func.coalesce(_TICKETS.c.called_at, _moment(now)),
                shown_at=now,
                desk=desk,
                called_by_id=user.id,
            )
        ).rowcount
        if taken:
            ticket = db.session.get(QueueTicket, oldest, populate_existing=True)
            record("ticket.called", "queue_ticket", oldest, user, desk=desk, number=ticket.number)
            return ticket
    raise QueueError("Många diskar ropade samtidigt: tryck Nästa igen.")


# What each desk action does: from which statuses, to which, and its audit action.
_MOVES = {
    "no_show": ((TicketStatus.INROPAD,), TicketStatus.EJ_PA_PLATS, "ticket.no_show"),
    "park": ((TicketStatus.INROPAD,), TicketStatus.PARKERAD, "ticket.parked"),
    "recall": (
        (TicketStatus.PARKERAD, TicketStatus.EJ_PA_PLATS),
        TicketStatus.INROPAD,
        "ticket.recalled",
    ),
}


def move_ticket(ticket: QueueTicket, action: str, user: User, desk: str = "") -> QueueTicket:
    """*Ej på plats*, *Parkera* or *Kalla igen* (to `desk`), guarded by the ticket's status."""
    check_office(ticket.office, user)
    allowed, to, audit = _MOVES[action]
    values = {"status": to.value}
    if to is TicketStatus.INROPAD:
        values.update(desk=check_desk(desk), shown_at=utcnow(), called_by_id=user.id)
    done = db.session.execute(
        sa.update(_TICKETS)
        .where(_TICKETS.c.id == ticket.id, _TICKETS.c.status.in_([s.value for s in allowed]))
        .values(**values)
    ).rowcount
    if not done:
        raise QueueError(ALREADY_SETTLED)
    db.session.refresh(ticket)
    record(audit, "queue_ticket", ticket.id, user, number=ticket.number, desk=ticket.desk)
    return ticket


def _moment(now):
    """`now` as a bound value stored like the columns (naive UTC)."""
    return sa.literal(now, UTCDateTime())


def serve(ticket_id: int, office_id: int, now) -> int | None:
    """Mark the ticket served by the contact being logged; the visitor's wait in seconds.

    The guard lets one contact serve a ticket: a second one finds it settled and the
    caller refuses the contact (409). A ticket never called counts as called now.
    """
    row = db.session.execute(
        sa.update(_TICKETS)
        .where(
            _TICKETS.c.id == ticket_id,
            _TICKETS.c.office_id == office_id,
            _TICKETS.c.status != TicketStatus.BETJANAD.value,
        )
        .values(
            status=TicketStatus.BETJANAD.value,
            called_at=sa.func.coalesce(_TICKETS.c.called_at, _moment(now)),
        )
        .returning(_TICKETS.c.issued_at, _TICKETS.c.called_at)
    ).first()
    if row is None:
        return None
    return seconds_waited(row.issued_at, row.called_at)


def unserve(ticket_id: int) -> None:
    """The contact that served the ticket was deleted: the ticket is called again."""
    db.session.execute(
        sa.update(_TICKETS)
        .where(_TICKETS.c.id == ticket_id, _TICKETS.c.status == TicketStatus.BETJANAD.value)
        .values(status=TicketStatus.INROPAD.value)
    )
