"""The inbox as the API takes and gives it: one model each, which also documents it.

The limits are the columns' (models/inbox.py), a moment is the counter's (`Moment`), an
address is kanaler's; triage and reply take the counter's case type and level.
"""

from typing import Annotated, Literal

from pydantic import AfterValidator, ConfigDict, Field, StringConstraints

from frontdesk.api.spec import Body, Error, Out, Query, text
from frontdesk.counter.schemas import Code, Level, Moment, Timestamp, iso
from frontdesk.models import InboxMessage
from frontdesk.models.inbox import (
    BODY_MAX,
    INBOX_CHANNELS,
    INBOX_STATUSES,
    REPLY_MAX,
    SENDER_MAX,
    SUBJECT_MAX,
)
from kanaler.citizen import normalise_email

InboxStatus = Literal[tuple(INBOX_STATUSES)]
InboxChannel = Literal[tuple(INBOX_CHANNELS)]
CASE_TYPE = "Case type code, name, or `CODE – name`."


# --- In ----------------------------------------------------------------------


class InboxMessageInput(Body):
    channel: InboxChannel
    body: text(BODY_MAX, required=True)
    sender: text(SENDER_MAX) | None = None
    reply_to: (
        Annotated[
            str,
            StringConstraints(max_length=SENDER_MAX),
            AfterValidator(normalise_email),
            Field(description="Where to send the answer."),
        ]
        | None
    ) = None
    subject: text(SUBJECT_MAX) | None = None
    received_at: Moment | None = Field(
        None,
        description=(
            "ISO 8601, not in the future, not before 2000; local time when it has no "
            "offset. Default: now."
        ),
    )
    office: str | None = Field(None, description="Office code; default the caller's office.")


class InboxQuery(Query):
    status: InboxStatus = Field("new", description="Default `new`.")


class TriageInput(Body):
    case_type: str = Field(description=CASE_TYPE)
    rosa_level: Level
    office: str | None = Field(None, description="Office code; default the message's.")


class ReplyInput(TriageInput):
    reply: text(
        REPLY_MAX, required=True, description="Mailed to the message's reply address or sender."
    )


# --- Out ---------------------------------------------------------------------


class InboxMessageCreated(Out):
    id: int
    receipt: str = Field(description="Quoted to the citizen.")


class InboxAttachment(Out):
    # As intake listed it; later intakes may list more about a file.
    model_config = ConfigDict(extra="allow")

    filename: str
    content_type: str
    size: int = Field(ge=0)


class InboxMessageOut(Out):
    id: int
    receipt: str
    channel: InboxChannel
    office: Code
    status: InboxStatus
    received_at: Timestamp
    sender: str
    reply_to: str | None
    subject: str
    body: str
    attachments: list[InboxAttachment]
    malformed: bool = Field(description="The message could not be read cleanly (kept as received).")
    contact_id: int | None = Field(description="The contact it became.")

    @classmethod
    def of(cls, message: InboxMessage) -> "InboxMessageOut":
        return cls(
            id=message.id,
            receipt=message.receipt,
            channel=message.channel,
            office=message.office.code,
            status=message.status,
            received_at=iso(message.received_at),
            sender=message.sender,
            reply_to=message.reply_to or None,
            subject=message.subject,
            body=message.body,
            attachments=message.attachments or [],
            malformed=message.malformed,
            contact_id=message.contact_id,
        )


class InboxMessages(Out):
    messages: list[InboxMessageOut]


class InboxConflict(Error):
    """Already handled (`status` is the message's), or routing refused."""

    status: InboxStatus | None = None
