"""The contact form. The API validates JSON with the same form, so both give the same answers."""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask_wtf import FlaskForm
from sqlalchemy.orm import joinedload
from wtforms import BooleanField, IntegerField, StringField, TextAreaField
from wtforms.validators import AnyOf, InputRequired, Length, NumberRange, Optional, ValidationError

from frontdesk.extensions import db
from frontdesk.models import CaseType, Office
from frontdesk.models.contact import NOTE_MAX_LENGTH
from frontdesk.timeutil import LOCAL_TZ, utcnow
from kanaler import parse_channel

# Clocks on phones and PCs drift; a minute ahead is not "in the future".
CLOCK_SKEW = timedelta(minutes=1)
MAX_DURATION_SECONDS = 8 * 3600
# Older contacts belong to an archive, not to a log of the office's work.
EARLIEST_YEAR = 2000


def find_case_type(text: str) -> CaseType | None:
    """An active case type by code, or by "CODE – name" as the type-ahead shows it, or by name."""
    text = (text or "").strip()
    if not text:
        return None
    code = text.split(" – ")[0].strip()
    # Routing needs the queue and the owner: one query, not lazy loads mid-transaction.
    query = sa.select(CaseType).options(
        joinedload(CaseType.queue), joinedload(CaseType.organisation)
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


class _ContactFields(FlaskForm):
    class Meta:
        locales = ["sv_SE", "sv"]

    channel = StringField("Kanal", validators=[InputRequired("Välj kanal.")])
    case_type = StringField("Ärendetyp", validators=[InputRequired("Välj ärendetyp.")])
    rosa_level = IntegerField(
        "ROSA-nivå",
        validators=[
            InputRequired("Välj ROSA-nivå."),
            NumberRange(1, 8, "ROSA-nivån ska vara 1–8."),
        ],
    )
    note = TextAreaField(
        "Anteckning",
        validators=[
            Optional(),
            Length(max=NOTE_MAX_LENGTH, message="Anteckningen får vara högst 2 000 tecken."),
        ],
    )
    outcome = StringField(
        "Kopplat",
        validators=[Optional(), AnyOf(["kopplat"], message="Utfallet kan bara anges som kopplat.")],
    )
    repeat = BooleanField("Upprepad kontakt")

    def validate_channel(self, field):
        channel = parse_channel(field.data or "")
        if channel is None:
            raise ValidationError("Okänd kanal.")
        field.data = channel

    def validate_case_type(self, field):
        self.case_type_obj = find_case_type(field.data)
        if self.case_type_obj is None:
            raise ValidationError("Okänd ärendetyp. Sök på namn eller kod och välj i listan.")


class ContactForm(_ContactFields):
    """The counter's form: the office is the guide's, the time is now, the duration in minutes."""

    duration_minutes = IntegerField(
        "Tid (min)",
        validators=[Optional(), NumberRange(0, 480, "Ange tiden i minuter, 0–480.")],
    )

    @property
    def duration_seconds(self) -> int | None:
        minutes = self.duration_minutes.data
        return None if minutes is None else minutes * 60


class ApiContactForm(_ContactFields):
    """The API's variant: office and time given explicitly, duration in seconds."""

    class Meta:
        csrf = False
        locales = ["sv_SE", "sv"]

    office = StringField("Kontor", validators=[InputRequired("Ange kontor.")])
    duration_seconds = IntegerField(
        "Tid (s)",
        validators=[
            Optional(),
            NumberRange(0, MAX_DURATION_SECONDS, "Tiden ska vara 0–28 800 sekunder."),
        ],
    )
    occurred_at = StringField("Tidpunkt", validators=[Optional()])

    def validate_office(self, field):
        code = field.data.strip()
        self.office_obj = db.session.scalar(sa.select(Office).where(Office.code == code))
        if self.office_obj is None:
            self.office_obj = db.session.scalar(
                sa.select(Office).where(sa.func.upper(Office.code) == code.upper())
            )
        if self.office_obj is None:
            raise ValidationError("Okänt kontor.")

    def validate_occurred_at(self, field):
        try:
            moment = datetime.fromisoformat(field.data.strip())
        except ValueError as error:
            raise ValidationError(
                "Ange tidpunkten som ISO 8601, t.ex. 2026-03-01T09:30:00+01:00."
            ) from error
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=LOCAL_TZ)
        if moment.year < EARLIEST_YEAR:
            raise ValidationError(f"Tidpunkten ligger före {EARLIEST_YEAR}.")
        try:
            moment = moment.astimezone(UTC)
        except OverflowError as error:
            raise ValidationError("Tidpunkten ligger i framtiden.") from error
        if moment > utcnow() + CLOCK_SKEW:
            raise ValidationError("Tidpunkten ligger i framtiden.")
        self.occurred_at_value = moment
