"""Referrals as the API takes and gives them: one model each, which also documents it.

The limits and rules are the back office's (the reason's and the answer's lengths, the
parking date, where an answer may go); the models say where they apply, and the HTML
forms (backoffice/forms.py) use the same constants and functions.
"""

from datetime import date
from typing import Annotated, Literal

from flask import url_for
from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    ValidationError,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from frontdesk.api.spec import Body, Error, Out, Query, text
from frontdesk.backoffice import operations
from frontdesk.backoffice.operations import AnswerDelivery, check_park_date
from frontdesk.backoffice.queries import MAX_INT_ARG, MAX_PER_PAGE
from frontdesk.counter.schemas import Channel, Citizen, Code, Level, Timestamp, iso
from frontdesk.models import AuditEvent, InboxMessage, Referral
from frontdesk.models.catalog import REASON_MAX
from frontdesk.models.inbox import INBOX_CHANNELS
from frontdesk.models.referral import ANSWER_MAX_LENGTH, REFERRAL_STATUSES
from frontdesk.timeutil import utcnow

Status = Literal[tuple(REFERRAL_STATUSES)]


def refusal(place: str, message: str) -> ValidationError:
    """A model's own refusal of one field, named as the client wrote it (raise it in a
    model validator: pydantic prefixes the place with the model's own)."""
    error = PydanticCustomError("value_error", "{error}", {"error": message})
    return ValidationError.from_exception_data(
        "refusal", [InitErrorDetails(type=error, loc=(place,), input=None)]
    )


def _date_text(value):
    # A date is written as text: a number is no date (pydantic would read it as seconds).
    if not isinstance(value, str):
        raise ValueError("Ange datum som ÅÅÅÅ-MM-DD.")
    return value


def _park_date(until: date) -> date:
    message = check_park_date(until)
    if message:
        raise ValueError(message)
    return until


# A reason (to park, to forward) fits the column a parking reason is kept in.
Reason = text(REASON_MAX, required=True)
ParkDate = Annotated[date, AfterValidator(_park_date), BeforeValidator(_date_text)]


# --- In ----------------------------------------------------------------------


class ReferralQuery(Query):
    queue: str = Field("", description="Queue code.", examples=["TEK-GATA"])
    status: Literal[(*REFERRAL_STATUSES, "alla")] = Field(
        "alla", description="One status, or `alla`."
    )
    sort: Literal["new", "due"] = Field(
        "new", description="`new`: newest first; `due`: earliest due first."
    )
    page: int = Field(1, ge=1, le=MAX_INT_ARG, description="Page number.")
    per_page: int = Field(
        50, ge=1, le=MAX_INT_ARG, description=f"Page size; at most {MAX_PER_PAGE} are answered."
    )


class ParkInput(Body):
    until: ParkDate = Field(description="A date after today, at most a year ahead (YYYY-MM-DD).")
    reason: Reason


class ForwardInput(Body):
    queue: str = Field(description="Another organisation's queue code.")
    reason: Reason


EITHER_WAY = "Välj antingen e-post (send_email) eller återkoppling (callback)."


class AnswerInput(Body):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "anyOf": [
                {
                    "required": ["callback"],
                    "properties": {
                        "callback": {"type": "boolean"},
                        "send_email": {"enum": [False, None]},
                    },
                },
                {
                    "required": ["send_email"],
                    "properties": {
                        "send_email": {"const": True},
                        "callback": {"enum": [False, None]},
                    },
                },
            ]
        },
    )

    answer: text(ANSWER_MAX_LENGTH, required=True)
    callback: StrictBool | None = Field(
        None,
        description=(
            "true: the front desk calls the citizen back (status aterford); "
            "false: the referral is closed. Required unless `send_email` is true."
        ),
    )
    send_email: StrictBool | None = Field(
        None,
        description=(
            "true: the answer is mailed to the citizen's address (or the source "
            "message's sender) and the referral is closed; 422 `send_email` when "
            "there is no address, or when `callback` is true as well."
        ),
    )

    @model_validator(mode="after")
    def _one_way(self) -> "AnswerInput":
        if self.send_email and self.callback:
            raise refusal("send_email", EITHER_WAY)
        if not self.send_email and self.callback is None:
            raise refusal("callback", "Ska vara true eller false.")
        return self

    @property
    def delivery(self) -> AnswerDelivery:
        if self.send_email:
            return AnswerDelivery.EMAIL
        return AnswerDelivery.CALLBACK if self.callback else AnswerDelivery.CLOSE


# --- Out ---------------------------------------------------------------------


class AttachmentLink(Out):
    name: str
    size: Annotated[int, Field(ge=0)] | None
    url: str = Field(
        description="GET it for the file: /api/v1/referrals/{referral_id}/attachments/{index}."
    )


class SourceMessage(Out):
    """The inbox message the referral came from."""

    id: int
    channel: Literal[INBOX_CHANNELS]
    sender: str
    subject: str
    body: str
    received_at: Timestamp
    attachments: list[AttachmentLink]

    @classmethod
    def of(cls, referral: Referral, message: InboxMessage | None) -> "SourceMessage | None":
        """The message as the handler reads it (plain text), its files as links."""
        if message is None:
            return None
        return cls(
            id=message.id,
            channel=message.channel,
            sender=message.sender,
            subject=message.subject,
            body=message.body,
            received_at=iso(message.received_at),
            attachments=[
                AttachmentLink(
                    name=item.get("filename", ""),
                    size=item.get("size"),
                    url=url_for("api.referral_attachment", referral_id=referral.id, index=index),
                )
                for index, item in enumerate(message.attachments or [])
            ],
        )


_UNREAD = object()


class ReferralOut(Out):
    """A referral with its contact's citizen, question and source message."""

    id: int
    status: Status
    queue: Code
    original_queue: str | None = Field(description="Set once it was forwarded.")
    contact_id: int
    office: Code
    channel: Channel
    case_type: Code
    rosa_level: Level
    note: str
    created_at: Timestamp
    due_at: Timestamp
    overdue: bool
    claimed_by: str | None
    parked_until: date | None
    park_reason: str | None
    answer: str | None
    callback: bool
    answered_at: Timestamp | None
    closed_at: Timestamp | None
    version: int = Field(ge=1, description="Also the ETag.")
    citizen: Citizen | None
    question: str | None
    repeat: bool
    repeat_of: int | None = Field(description="The earlier contact of the same citizen, if known.")
    message: SourceMessage | None

    @classmethod
    def of(cls, referral: Referral, message=_UNREAD) -> "ReferralOut":
        """The referral; its source message is read here unless the caller has it."""
        contact = referral.contact
        if message is _UNREAD:
            message = operations.source_message(referral)
        return cls(
            id=referral.id,
            status=referral.status,
            queue=referral.queue.code,
            original_queue=referral.original_queue.code if referral.original_queue else None,
            contact_id=contact.id,
            office=contact.office.code,
            channel=contact.channel,
            case_type=contact.case_type.code,
            rosa_level=contact.rosa_level,
            note=contact.note,
            created_at=iso(referral.created_at),
            due_at=iso(referral.due_at),
            overdue=referral.is_overdue(utcnow()),
            claimed_by=referral.claimed_by.username if referral.claimed_by else None,
            parked_until=referral.parked_until,
            park_reason=referral.park_reason or None,
            answer=referral.answer or None,
            callback=referral.callback,
            answered_at=iso(referral.answered_at),
            closed_at=iso(referral.closed_at),
            version=referral.version,
            citizen=Citizen.of(contact),
            question=contact.question or None,
            repeat=contact.is_repeat,
            repeat_of=contact.repeat_of_id,
            message=SourceMessage.of(referral, message),
        )


class ReferralPage(Out):
    referrals: list[ReferralOut]
    page: int = Field(ge=1)
    per_page: int = Field(ge=1, le=MAX_PER_PAGE)
    total: int = Field(ge=0)
    next: str | None = Field(description="The next page's URL, if there is one.")


class ReferralEvent(Out):
    at: Timestamp
    action: str
    user: str | None
    old_status: str | None
    new_status: str | None
    note: str | None

    @classmethod
    def of(cls, event: AuditEvent) -> "ReferralEvent":
        return cls(
            at=iso(event.at),
            action=event.action,
            user=event.user.username if event.user else None,
            old_status=event.data.get("old_status"),
            # The contact that created the referral is where it became `ny`.
            new_status=event.data.get("new_status", "ny" if event.entity == "contact" else None),
            note=event.data.get("note") or None,
        )


class ReferralHistory(Out):
    events: list[ReferralEvent]


class ReferralConflict(Error):
    """The referral as it is now."""

    status: Status
    claimed_by: str | None

    @classmethod
    def of(cls, conflict: operations.ReferralConflict) -> "ReferralConflict":
        referral = conflict.referral
        return cls(
            error=conflict.message,
            fields={},
            status=referral.status,
            claimed_by=referral.claimed_by.username if referral.claimed_by else None,
        )
