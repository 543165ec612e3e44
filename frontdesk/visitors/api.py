"""The waiting room over the API: take a ticket, call the next visitor, read the queue."""

from flask import g, request

from frontdesk.api import bp
from frontdesk.api.errors import ApiError
from frontdesk.api.spec import operation
from frontdesk.cache import catalogue
from frontdesk.roles import DESK_ROLES
from frontdesk.visitors import operations, queries
from frontdesk.visitors.operations import QueueError
from frontdesk.visitors.schemas import (
    CallNextBody,
    QueueStatusOut,
    QueueStatusQuery,
    TicketBody,
    TicketCalled,
    TicketIssued,
)


def _office(code: str, refused: str):
    office = catalogue().office_by_code(code)
    if office is None:
        raise ApiError(422, refused, {"office": "Okänt kontor."})
    return office


def _queue_error(error: QueueError, refused: str) -> ApiError:
    if error.field:
        return ApiError(error.status, refused, {error.field: str(error)})
    return ApiError(error.status, str(error))


@bp.post("/queue/tickets")
@operation(
    tag="queue",
    roles=DESK_ROLES,
    who="a vägledare for their own office (a kiosk of one's own)",
    body=TicketBody,
    out=TicketIssued,
    ok=201,
    errors=(403, 422),
    refused="Kölappen kunde inte skapas.",
)
def take_ticket():
    """Take a queue ticket: the day's next number"""
    body: TicketBody = request.context.json
    office = _office(body.office, "Kölappen kunde inte skapas.")
    try:
        issued = operations.take_ticket(office, body.category or "", g.user)
    except QueueError as error:
        raise _queue_error(error, "Kölappen kunde inte skapas.") from error
    return TicketIssued(
        id=issued.id, number=issued.number, office=office.code, waiting_ahead=issued.waiting_ahead
    ), 201


@bp.post("/queue/call-next")
@operation(
    tag="queue",
    roles=DESK_ROLES,
    who="a vägledare for their own office",
    body=CallNextBody,
    out=TicketCalled,
    errors=(403, 404, 422),
    refused="Ingen kunde ropas in.",
)
def call_next():
    """Call the oldest waiting visitor to a desk; 404 when nobody waits

    Desks calling at once never get the same ticket.
    """
    body: CallNextBody = request.context.json
    office = _office(body.office, "Ingen kunde ropas in.")
    try:
        ticket = operations.call_next(office, body.desk, g.user)
    except QueueError as error:
        raise _queue_error(error, "Ingen kunde ropas in.") from error
    if ticket is None:
        raise ApiError(404, "Ingen väntar.")
    return TicketCalled(
        id=ticket.id, number=ticket.number, desk=ticket.desk, waited_seconds=ticket.wait_seconds
    )


@bp.get("/queue/status")
@operation(
    tag="queue",
    roles=DESK_ROLES,
    who="a vägledare for their own office",
    query=QueueStatusQuery,
    out=QueueStatusOut,
    errors=(403, 422),
)
def queue_status():
    """How many wait at an office, and the longest wait so far"""
    query: QueueStatusQuery = request.context.query
    office = _office(query.office, "Ogiltigt filter.")
    try:
        operations.check_office(office, g.user)
    except QueueError as error:
        raise ApiError(403, str(error)) from error
    status = queries.status(office.id)
    return QueueStatusOut(waiting=status.waiting, longest_wait_seconds=status.longest_wait_seconds)
