"""Forms for the back-office pages. The API's models (backoffice/schemas.py) take the same
limits and call the same rules (check_park_date, queue_by_code)."""

import sqlalchemy as sa
from flask_wtf import FlaskForm
from wtforms import DateField, StringField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length, ValidationError

import svformat
from frontdesk.backoffice.operations import (
    NOTE_MAX,
    AnswerDelivery,
    check_park_date,
)
from frontdesk.backoffice.queries import queue_by_code
from frontdesk.extensions import db
from frontdesk.forms import LookupField, strip_text
from frontdesk.models import User
from frontdesk.models.catalog import REASON_MAX
from frontdesk.models.referral import ANSWER_MAX_LENGTH


class _Form(FlaskForm):
    class Meta:
        locales = ["sv_SE", "sv"]


def _reason_field(label: str, missing: str) -> StringField:
    """A required short text: blanks alone count as missing; as long as a parking reason."""
    return StringField(
        label,
        filters=[strip_text],
        validators=[
            DataRequired(missing),
            Length(max=REASON_MAX, message=f"Högst {REASON_MAX} tecken."),
        ],
    )


class ParkForm(_Form):
    until = DateField(
        "Parkera till och med",
        validators=[InputRequired("Ange ett datum.")],
        format="%Y-%m-%d",
    )
    reason = _reason_field("Orsak", "Skriv vad remissen väntar på.")

    def validate_until(self, field):
        if field.data is None:  # not a date: the field already says so
            return
        message = check_park_date(field.data)
        if message:
            raise ValidationError(message)


def _queue_field(label: str, validators=()) -> LookupField:
    return LookupField(
        label,
        list(validators),
        lookup=queue_by_code,
        unknown="Okänd kö.",
        display=lambda queue: queue.code,
    )


def _active_user(username: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.username == username, User.active))


class ForwardForm(_Form):
    queue = _queue_field("Till kö", [InputRequired("Välj en kö.")])
    reason = _reason_field("Varför", "Skriv varför remissen skickas vidare.")


class ReassignForm(_Form):
    colleague = LookupField(
        "Till kollega",
        lookup=_active_user,
        unknown="Okänd kollega.",
        display=lambda user: user.username,
    )
    queue = _queue_field("Eller till kö")

    def validate(self, extra_validators=None):
        if not super().validate(extra_validators):
            return False
        if bool(self.colleague.text) == bool(self.queue.text):
            self.colleague.errors.append("Välj antingen en kollega eller en kö.")
            return False
        return True


class AnswerForm(_Form):
    answer = TextAreaField(
        "Svar till medborgaren",
        filters=[strip_text],
        validators=[
            DataRequired("Skriv svaret."),
            Length(
                max=ANSWER_MAX_LENGTH,
                message=f"Svaret får vara högst {svformat.number(ANSWER_MAX_LENGTH, 0)} tecken.",
            ),
        ],
    )
    # No default: the page proposes one from how the citizen wants the answer.
    delivery = StringField(
        "Svaret går till",
        validators=[
            InputRequired("Välj vart svaret ska."),
            AnyOf([d.value for d in AnswerDelivery], message="Välj vart svaret ska."),
        ],
    )


class NoteForm(_Form):
    note = TextAreaField(
        "Anteckning",
        filters=[strip_text],
        validators=[
            DataRequired("Skriv anteckningen."),
            Length(max=NOTE_MAX, message="Anteckningen får vara högst 2 000 tecken."),
        ],
    )


class ActionForm(_Form):
    """Buttons only: the CSRF token is all there is to check."""
