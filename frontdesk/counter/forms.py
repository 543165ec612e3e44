"""The counter's contact form, and finding the office and case type a contact names.

The API validates its JSON with its own schema (counter/schemas.py); the rules both need
(channels, phone numbers, addresses, how to reach the citizen, the lookups) live in one
place each and both call them.
"""

import re
import secrets

import sqlalchemy as sa
from flask_wtf import FlaskForm
from sqlalchemy.orm import joinedload, undefer_group
from wtforms import BooleanField, HiddenField, IntegerField, StringField, TextAreaField
from wtforms.validators import (
    AnyOf,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    StopValidation,
    ValidationError,
)

from frontdesk.extensions import db
from frontdesk.forms import LookupField, WholeNumberField, strip_text
from frontdesk.models import CaseType, Office
from frontdesk.models.contact import NOTE_MAX_LENGTH, QUESTION_MAX_LENGTH, SUBMISSION_KEY_PATTERN
from kanaler import parse_channel
from kanaler.citizen import (
    NAME_MAX,
    ContactDetailError,
    ReachBy,
    normalise_email,
    normalise_phone,
    reach_by_choice,
)
from rosa import OUTCOMES

CHOOSE_CASE_TYPE = "Välj ärendetyp."
UNKNOWN_CASE_TYPE = "Okänd ärendetyp. Sök på namn eller kod och välj i listan."
LEVEL_RANGE = "ROSA-nivån ska vara 1–8."
ONLY_KOPPLAT = "Utfallet kan bara anges som kopplat."


def find_office(code: str) -> Office | None:
    """An office by its code, in any letter case."""
    code = (code or "").strip()
    office = db.session.scalar(sa.select(Office).where(Office.code == code))
    if office is None:
        office = db.session.scalar(
            sa.select(Office).where(sa.func.upper(Office.code) == code.upper())
        )
    return office


def find_case_type(text: str) -> CaseType | None:
    """An active case type by code, or by "CODE – name" as the type-ahead shows it, or by name."""
    text = (text or "").strip()
    if not text:
        return None
    code = text.split(" – ")[0].strip()
    # Routing needs the queue and the owner: one query, not lazy loads mid-transaction.
    query = sa.select(CaseType).options(
        joinedload(CaseType.queue), joinedload(CaseType.organisation), undefer_group("guidance")
    )
    case_type = db.session.scalar(query.where(CaseType.code == code, CaseType.active))
    if case_type is None:
        case_type = db.session.scalar(
            query.where(sa.func.upper(CaseType.code) == code.upper(), CaseType.active)
        )
    if case_type is None:
        case_type = db.session.scalar(
            query.where(sa.func.lower(CaseType.name) == text.lower(), CaseType.active)
        )
    return case_type


def case_type_field(label: str = "Ärendetyp") -> LookupField:
    """A case type as the guide types it (code, name, or "CODE – name" from the type-ahead);
    `.data` is the active CaseType it names. Required: blanks alone are none."""
    return LookupField(
        label,
        [InputRequired(CHOOSE_CASE_TYPE), NotBlank(CHOOSE_CASE_TYPE)],
        lookup=find_case_type,
        unknown=UNKNOWN_CASE_TYPE,
        display=lambda case_type: f"{case_type.code} – {case_type.name}",
    )


def office_field(label: str = "Kontor") -> LookupField:
    """An office by its code (any letter case); optional."""
    return LookupField(
        label,
        [Optional()],
        lookup=find_office,
        unknown="Okänt kontor.",
        display=lambda office: office.code,
    )


class NotBlank:
    """Blanks alone are no answer (InputRequired lets "   " through to the lookup)."""

    def __init__(self, message: str):
        self.message = message

    def __call__(self, form, field):
        if not (field.raw_data and field.raw_data[0].strip()):
            raise StopValidation(self.message)


class _RoutingFields(FlaskForm):
    """What routing reads: the case type, the level and whether the contact was put through."""

    class Meta:
        locales = ["sv_SE", "sv"]

    case_type = case_type_field()
    rosa_level = WholeNumberField(
        "ROSA-nivå",
        validators=[InputRequired("Välj ROSA-nivå."), NumberRange(1, 8, LEVEL_RANGE)],
    )
    outcome = StringField(
        "Kopplat", validators=[Optional(), AnyOf(["kopplat"], message=ONLY_KOPPLAT)]
    )

    @property
    def put_through(self) -> bool:
        return self.outcome.data == "kopplat"


class PreviewForm(_RoutingFields):
    """The counter's routing preview asks with the same fields (a GET: no CSRF token)."""

    class Meta:
        csrf = False
        locales = ["sv_SE", "sv"]

    # The level is not chosen yet while the guide picks the case type.
    rosa_level = WholeNumberField(
        "ROSA-nivå", validators=[Optional(), NumberRange(1, 8, LEVEL_RANGE)]
    )
    office = office_field()


class _ContactFields(_RoutingFields):
    channel = StringField("Kanal", validators=[InputRequired("Välj kanal.")])
    note = TextAreaField(
        "Anteckning",
        validators=[
            Optional(),
            Length(max=NOTE_MAX_LENGTH, message="Anteckningen får vara högst 2 000 tecken."),
        ],
    )
    repeat = BooleanField("Upprepad kontakt")
    # Who to reach and what they asked: optional, offered when the contact is referred.
    citizen_name = StringField(
        "Namn",
        filters=[strip_text],
        validators=[Optional(), Length(max=NAME_MAX, message="Namnet får vara högst 200 tecken.")],
    )
    citizen_phone = StringField("Telefon", filters=[strip_text])
    citizen_email = StringField("E-post", filters=[strip_text])
    reach_by = StringField(
        "Vill bli kontaktad via",
        # Blanks alone are no choice: without the strip they passed Optional() and reached
        # the database's check constraint (a 500).
        filters=[strip_text],
        validators=[
            Optional(),
            AnyOf([r.value for r in ReachBy], message="Välj telefon eller e-post."),
        ],
    )
    question = TextAreaField(
        "Fråga till handläggaren",
        filters=[strip_text],
        validators=[
            Optional(),
            Length(max=QUESTION_MAX_LENGTH, message="Frågan får vara högst 2 000 tecken."),
        ],
    )

    def validate_citizen_phone(self, field):
        try:
            field.data = normalise_phone(field.data or "")
        except ContactDetailError as error:
            raise ValidationError(str(error)) from error

    def validate_citizen_email(self, field):
        try:
            field.data = normalise_email(field.data or "")
        except ContactDetailError as error:
            raise ValidationError(str(error)) from error

    def validate_reach_by(self, field):
        try:
            reach_by_choice(field.data or "", self.citizen_phone.data, self.citizen_email.data)
        except ContactDetailError as error:
            raise ValidationError(str(error)) from error

    def citizen_input(self) -> dict:
        """The citizen's details and question as ContactInput takes them."""
        return {
            "citizen_name": self.citizen_name.data or "",
            "citizen_phone": self.citizen_phone.data or "",
            "citizen_email": self.citizen_email.data or "",
            "reach_by": self.reach_by_value,
            "question": self.question.data or "",
        }

    @property
    def reach_by_value(self) -> str:
        """The citizen's choice, or the only way given: a phone number means a call."""
        return reach_by_choice(
            self.reach_by.data or "", self.citizen_phone.data or "", self.citizen_email.data or ""
        )

    def validate_channel(self, field):
        channel = parse_channel(field.data or "")
        if channel is None:
            raise ValidationError("Okänd kanal.")
        field.data = channel


class ContactForm(_ContactFields):
    """The counter's form: the office is the guide's, the time is now, the duration in minutes."""

    # What the page's preview said would happen, so the decision can say when the server
    # (a mandate changed since the page loaded) decided otherwise.
    # Not validated: an odd value only means there is no preview to compare with.
    previewed_outcome = HiddenField()

    @property
    def previewed(self) -> str | None:
        value = self.previewed_outcome.data
        return value if value in OUTCOMES else None

    # A new key with every empty form: the same form posted twice (a double click, the
    # browser resending) logs one contact. Kept when the form comes back with an error.
    submission = HiddenField(default=lambda: secrets.token_urlsafe(18))

    @property
    def submission_key(self) -> str | None:
        """The form's key, or None for a missing or odd one (then no double-submit guard)."""
        value = self.submission.data
        return value if value and re.fullmatch(SUBMISSION_KEY_PATTERN, value) else None

    # The visitor's queue ticket, set by the queue panel's Nästa (frontdesk.visitors).
    ticket = WholeNumberField(validators=[Optional()])

    duration_minutes = IntegerField(
        "Tid (min)",
        validators=[Optional(), NumberRange(0, 480, "Ange tiden i minuter, 0–480.")],
    )

    @property
    def duration_seconds(self) -> int | None:
        minutes = self.duration_minutes.data
        return None if minutes is None else minutes * 60
