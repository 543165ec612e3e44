"""What the waiting room, the desk and the overview read about the queue."""

import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa

from frontdesk.extensions import db
from frontdesk.models import QueueTicket, TicketStatus, User
from frontdesk.models.visit import seconds_waited
from frontdesk.timeutil import LOCAL_TZ, local_day_bounds, local_today, utcnow

# How many calls the waiting-room screen lists (the newest first, large).
SCREEN_CALLS = 6


@dataclass(frozen=True)
class QueueStatus:
    waiting: int
    longest_wait_seconds: int


def status(office_id: int) -> QueueStatus:
    """How many wait at the office now, and for how long the first of them has waited."""
    count, first = db.session.execute(
        sa.select(sa.func.count(), sa.func.min(QueueTicket.issued_at)).where(
            QueueTicket.office_id == office_id,
            QueueTicket.status == TicketStatus.VANTAR.value,
        )
    ).one()
    if first is None:
        return QueueStatus(0, 0)
    first = first if first.tzinfo else first.replace(tzinfo=utcnow().tzinfo)
    return QueueStatus(count, max(0, int((utcnow() - first).total_seconds())))


def screen_calls(office_id: int, limit: int = SCREEN_CALLS) -> list[QueueTicket]:
    """Today's latest calls at the office, newest first: what the waiting room sees."""
    return list(
        db.session.scalars(
            sa.select(QueueTicket)
            .where(
                QueueTicket.office_id == office_id,
                QueueTicket.day == local_today(),
                QueueTicket.shown_at.is_not(None),
                QueueTicket.status.in_([TicketStatus.INROPAD.value, TicketStatus.BETJANAD.value]),
            )
            .order_by(QueueTicket.shown_at.desc(), QueueTicket.id.desc())
            .limit(limit)
        )
    )


@dataclass(frozen=True)
class DeskQueue:
    """The desk's view of the queue: the waiting room, the visitor called here, the set-aside."""

    status: QueueStatus
    called: QueueTicket | None
    parked: list[QueueTicket]


def desk_queue(office_id: int, user: User) -> DeskQueue:
    today = local_today()
    called = db.session.scalar(
        sa.select(QueueTicket)
        .where(
            QueueTicket.office_id == office_id,
            QueueTicket.status == TicketStatus.INROPAD.value,
            QueueTicket.called_by_id == user.id,
            QueueTicket.day == today,
        )
        .order_by(QueueTicket.shown_at.desc())
        .limit(1)
    )
    parked = db.session.scalars(
        sa.select(QueueTicket)
        .where(
            QueueTicket.office_id == office_id,
            QueueTicket.day == today,
            QueueTicket.status.in_([TicketStatus.PARKERAD.value, TicketStatus.EJ_PA_PLATS.value]),
        )
        .order_by(QueueTicket.number)
    ).all()
    return DeskQueue(status(office_id), called, list(parked))


# --- Waiting times for the overview -------------------------------------------


@dataclass(frozen=True)
class WaitFigures:
    """Visitors called in a group of tickets: how many, the median and 90th percentile wait
    (seconds), and the share called within the target."""

    visitors: int
    median: float | None
    p90: float | None
    within_share: float | None


def wait_figures(waits: list[int], target_seconds: int) -> WaitFigures:
    if not waits:
        return WaitFigures(0, None, None, None)
    ordered = sorted(waits)
    # The 90th percentile as spreadsheets compute it (inclusive); one wait is its own p90.
    p90 = (
        statistics.quantiles(ordered, n=10, method="inclusive")[-1]
        if len(ordered) > 1
        else ordered[0]
    )
    within = sum(1 for w in ordered if w <= target_seconds) / len(ordered)
    return WaitFigures(len(ordered), statistics.median(ordered), p90, within)


def called_tickets(first: date, last: date, office_id: int | None) -> list[tuple[datetime, int]]:
    """(issued at, wait in seconds) of every ticket called in the period (days included)."""
    start, _ = local_day_bounds(first)
    _, end = local_day_bounds(last)
    query = sa.select(QueueTicket.issued_at, QueueTicket.called_at).where(
        QueueTicket.issued_at >= start,
        QueueTicket.issued_at < end,
        QueueTicket.called_at.is_not(None),
    )
    if office_id is not None:
        query = query.where(QueueTicket.office_id == office_id)
    return [
        (issued, seconds_waited(issued, called)) for issued, called in db.session.execute(query)
    ]


def waits_by(tickets: list[tuple[datetime, int]], key) -> dict:
    """The waits grouped by `key(local issue time)`."""
    groups = defaultdict(list)
    for issued, wait in tickets:
        groups[key(issued.astimezone(LOCAL_TZ))].append(wait)
    return groups


def ticket_exists(ticket_id: int, office_id: int) -> bool:
    return bool(
        db.session.scalar(
            sa.select(
                sa.exists().where(QueueTicket.id == ticket_id, QueueTicket.office_id == office_id)
            )
        )
    )
