"""Queue tickets as the API takes and gives them."""

from pydantic import Field

from frontdesk.api.spec import Body, Out, Query, text
from frontdesk.models.visit import CATEGORY_MAX, DESK_MAX


class TicketBody(Body):
    office: str = Field(description="Office code.")
    category: text(CATEGORY_MAX, description="One of the active case types' categories.") | None = (
        None
    )


class TicketIssued(Out):
    id: int
    number: int = Field(description="The day's number at the office, from 1.")
    office: str
    waiting_ahead: int


class CallNextBody(Body):
    office: str = Field(description="Office code.")
    desk: text(DESK_MAX, required=True, description="Where the visitor is called to.")


class TicketCalled(Out):
    id: int
    number: int
    desk: str
    waited_seconds: int


class QueueStatusQuery(Query):
    office: str = Field(description="Office code.")


class QueueStatusOut(Out):
    waiting: int
    longest_wait_seconds: int
