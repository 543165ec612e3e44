"""The contact as the API takes and gives it: one model each, which also documents it.

The rules are the domain's (kanaler's channels, phone numbers and addresses, the
timeutil's moments, the columns' limits); the models only say where they apply.
"""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    StrictBool,
    StrictInt,
    StringConstraints,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)

from frontdesk.api.spec import Body, Id, Out, text
from frontdesk.models import Contact
from frontdesk.models.contact import MAX_DURATION_SECONDS, NOTE_MAX_LENGTH, QUESTION_MAX_LENGTH
from frontdesk.models.referral import REFERRAL_STATUSES
from frontdesk.timeutil import parse_moment, to_local
from kanaler import CHANNEL_CODES, parse_channel
from kanaler.citizen import (
    EMAIL_MAX,
    NAME_MAX,
    PHONE_MAX,
    ReachBy,
    display_phone,
    normalise_email,
    normalise_phone,
    reach_by_choice,
)
from rosa import OUTCOMES
from rosa.levels import MAX_LEVEL, MIN_LEVEL


def _channel(written: str) -> str:
    channel = parse_channel(written)
    if channel is None:
        raise ValueError("Okänd kanal.")
    return channel


Level = Annotated[
    StrictInt, Field(ge=MIN_LEVEL, le=MAX_LEVEL, description=f"ROSA level {MIN_LEVEL}–{MAX_LEVEL}.")
]


# A moment a client gives: ISO 8601, local time without an offset; never future, never
# before 2000.
def _moment(value) -> datetime:
    if not isinstance(value, str):  # pydantic would read a number as seconds since 1970
        raise ValueError("Ska vara en sträng (ISO 8601).")
    return parse_moment(value)


Moment = Annotated[
    datetime,
    BeforeValidator(_moment),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]
Timestamp = Annotated[
    str,
    Field(
        description="ISO 8601 with the local UTC offset.", json_schema_extra={"format": "date-time"}
    ),
]
Code = Annotated[str, Field(description="A catalogue code.")]
Channel = Literal[tuple(CHANNEL_CODES)]
OutcomeCode = Literal[tuple(OUTCOMES)]
ReachByCode = Literal[tuple(r.value for r in ReachBy)]


# A choice left blank ("" or spaces, as a form would send it) is no choice.
BlankIsNone = BeforeValidator(
    lambda value: None if isinstance(value, str) and not value.strip() else value
)


def iso(moment: datetime | None) -> str | None:
    """A stored moment as the API shows it: ISO 8601 in the office's time zone."""
    return None if moment is None else to_local(moment).isoformat()


# --- In ----------------------------------------------------------------------


class CitizenInput(Body):
    """Who to reach about the matter; every field optional, blanks count as not given.

    A wrong field is 422 naming `citizen.name`, `citizen.phone`, … (an unknown one
    `citizen.<key>`).
    """

    name: text(NAME_MAX) | None = None
    phone: (
        Annotated[
            str,
            StringConstraints(max_length=PHONE_MAX),
            AfterValidator(normalise_phone),
            Field(
                description=(
                    "A Swedish number (070-123 45 67) or an international one (+47 …, 0047 …); "
                    "422 `citizen.phone` when it is no valid number. Stored in E.164."
                )
            ),
        ]
        | None
    ) = None
    email: (
        Annotated[
            str,
            StringConstraints(max_length=EMAIL_MAX),
            AfterValidator(normalise_email),
            Field(description="An e-mail address; 422 `citizen.email` when it is not one."),
        ]
        | None
    ) = None
    reach_by: Annotated[ReachByCode | None, BlankIsNone] = Field(
        None,
        validate_default=True,
        description=(
            "How the citizen wants to be reached: `telefon` needs `phone`, `epost` needs "
            "`email` (else 422 `citizen.reach_by`). Default: a call when a phone is given, "
            "else e-mail when an address is."
        ),
    )

    @field_validator("reach_by")
    @classmethod
    def _reachable(cls, choice: str | None, info: ValidationInfo) -> str:
        # Runs after phone and email (declared before it), with their normalised values.
        return reach_by_choice(
            choice or "", info.data.get("phone") or "", info.data.get("email") or ""
        )


class ContactInput(Body):
    office: str = Field(description="Office code (any letter case).")
    channel: Annotated[
        str,
        AfterValidator(_channel),
        Field(
            description=(
                f"One of {', '.join(CHANNEL_CODES)}, their Swedish labels, or "
                "`besök`, `e-post`, `mejl`, `e-mail`."
            ),
            examples=list(CHANNEL_CODES),
        ),
    ]
    case_type: str = Field(description="Case type code, name, or `CODE – name`.")
    rosa_level: Level
    # Kept as written (as the counter's form keeps it), personnummer masked on the way in.
    note: Annotated[str, StringConstraints(max_length=NOTE_MAX_LENGTH)] | None = None
    duration_seconds: Annotated[StrictInt, Field(ge=0, le=MAX_DURATION_SECONDS)] | None = None
    occurred_at: Moment | None = Field(
        None,
        description=(
            "ISO 8601, not in the future, not before 2000; local time (Europe/Stockholm) "
            "when it has no offset. Default: now."
        ),
    )
    outcome: Annotated[Literal["kopplat"] | None, BlankIsNone] = Field(
        None, description="`kopplat` when the contact was put through live."
    )
    repeat: StrictBool | None = None
    citizen: CitizenInput | None = None
    question: (
        text(
            QUESTION_MAX_LENGTH,
            description="The citizen's question to the handler (422 `question`).",
        )
        | None
    ) = None

    ticket: Id | None = Field(
        None,
        description=(
            "The visitor's queue ticket (`POST /queue/tickets`): the contact serves it and "
            "records the wait. 422 `ticket` when the office has no such ticket, 409 when "
            "another contact served it."
        ),
    )

    def citizen_values(self) -> dict:
        """The citizen's details and question as the operation takes them."""
        citizen = self.citizen or CitizenInput()
        return {
            "citizen_name": citizen.name or "",
            "citizen_phone": citizen.phone or "",
            "citizen_email": citizen.email or "",
            "reach_by": citizen.reach_by or "",
            "question": self.question or "",
        }


CONTACT_EXAMPLE = {
    "office": "K1",
    "channel": "telefon",
    "case_type": "PARK",
    "rosa_level": 5,
    "citizen": {"name": "Eva Svensson", "phone": "070-123 45 67", "reach_by": "telefon"},
    "question": "Kan jag få parkeringstillstånd nära jobbet?",
}


# --- Out ---------------------------------------------------------------------


class ReferralSummary(Out):
    id: int
    queue: Code


class ContactCreated(Out):
    """Logged; `referral` when it went to a back-office queue."""

    id: int
    outcome: OutcomeCode
    referral: ReferralSummary | None
    feedback_url: str = Field(
        description=(
            "The citizen's own link to the three NKI questions (no login; it answers once). "
            "Give it on the receipt, in the e-mail answer or as the desk's QR code."
        )
    )


class Citizen(Out):
    """Who to reach; each value null when it was not given (or has been purged)."""

    name: str | None
    phone: Annotated[str, Field(pattern=r"^\+[1-9][0-9]{1,14}$", description="E.164.")] | None
    phone_display: str | None = Field(
        description="The number as people write it: 070-123 45 67 (+47 … abroad)."
    )
    email: str | None
    reach_by: ReachByCode | None

    @classmethod
    def of(cls, contact: Contact) -> "Citizen | None":
        if not contact.has_citizen:
            return None
        return cls(
            name=contact.citizen_name or None,
            phone=contact.citizen_phone or None,
            phone_display=display_phone(contact.citizen_phone) or None,
            email=contact.citizen_email or None,
            reach_by=contact.reach_by or None,
        )


class ContactReferral(Out):
    id: int
    queue: Code
    status: Literal[tuple(REFERRAL_STATUSES)]
    due_at: Timestamp


class ContactOut(Out):
    id: int
    office: Code
    occurred_at: Timestamp
    channel: Channel
    case_type: Code
    rosa_level: Level
    outcome: OutcomeCode
    duration_seconds: int | None
    note: str
    repeat: bool
    repeat_of: int | None = Field(description="The earlier contact of the same citizen, if known.")
    citizen: Citizen | None
    question: str | None
    staff: str | None = Field(description="The user who logged it.")
    referral: ContactReferral | None
    wait_seconds: int | None = Field(
        description="How long the visitor waited for their queue ticket to be called, if any."
    )

    @classmethod
    def of(cls, contact: Contact) -> "ContactOut":
        referral = contact.referral
        return cls(
            id=contact.id,
            office=contact.office.code,
            occurred_at=iso(contact.occurred_at),
            channel=contact.channel,
            case_type=contact.case_type.code,
            rosa_level=contact.rosa_level,
            outcome=contact.outcome,
            duration_seconds=contact.duration_seconds,
            note=contact.note,
            repeat=contact.is_repeat,
            repeat_of=contact.repeat_of_id,
            citizen=Citizen.of(contact),
            question=contact.question or None,
            staff=contact.staff.username if contact.staff else None,
            referral=None
            if referral is None
            else ContactReferral(
                id=referral.id,
                queue=referral.queue.code,
                status=referral.status,
                due_at=iso(referral.due_at),
            ),
            wait_seconds=contact.wait_seconds,
        )
