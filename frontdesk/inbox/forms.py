"""Forms of the inbox: triage (the counter's fields), reply, letters, and the public web form."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, StringField, TextAreaField
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
)

from frontdesk.counter.forms import LEVEL_RANGE, case_type_field, office_field
from frontdesk.forms import WholeNumberField, strip_text
from frontdesk.models.inbox import REPLY_MAX, SENDER_MAX, SUBJECT_MAX

# The public form takes a question, not a document: long texts belong in an e-service.
QUESTION_MAX = 5000


class TriageForm(FlaskForm):
    """Case type, level and office: the same decision the counter makes for a visit."""

    class Meta:
        locales = ["sv_SE", "sv"]

    case_type = case_type_field()
    rosa_level = WholeNumberField(
        "ROSA-nivå",
        validators=[InputRequired("Välj ROSA-nivå."), NumberRange(1, 8, LEVEL_RANGE)],
    )
    office = office_field()
    put_through = BooleanField("Kopplat vidare")


class ReplyForm(TriageForm):
    reply = TextAreaField(
        "Svar",
        filters=[strip_text],
        validators=[
            InputRequired("Skriv svaret."),
            Length(max=REPLY_MAX, message=f"Svaret får vara högst {REPLY_MAX} tecken."),
        ],
    )


class LetterForm(FlaskForm):
    """A paper letter registered by a guide."""

    class Meta:
        locales = ["sv_SE", "sv"]

    # DataRequired after the strip: blanks alone count as missing.
    sender = StringField(
        "Avsändare",
        filters=[strip_text],
        validators=[DataRequired("Ange avsändaren."), Length(max=SENDER_MAX)],
    )
    subject = StringField(
        "Ämne",
        filters=[strip_text],
        validators=[DataRequired("Ange ämnet."), Length(max=SUBJECT_MAX)],
    )
    body = TextAreaField(
        "Innehåll (sammanfattning eller avskrift)",
        filters=[strip_text],
        validators=[DataRequired("Skriv brevets innehåll."), Length(max=20_000)],
    )
    received_on = DateField(
        "Inkom", validators=[InputRequired("Ange när brevet kom in.")], format="%Y-%m-%d"
    )


class WebForm(FlaskForm):
    """The citizen's question. `website` is a honeypot: people never see or fill it."""

    class Meta:
        locales = ["sv_SE", "sv"]

    question = TextAreaField(
        "Din fråga",
        filters=[strip_text],
        validators=[
            DataRequired("Skriv din fråga."),
            Length(max=QUESTION_MAX, message=f"Frågan får vara högst {QUESTION_MAX} tecken."),
        ],
    )
    email = StringField(
        "Din e-postadress (om du vill ha svar via e-post)",
        filters=[strip_text],
        validators=[
            Optional(),
            Length(max=SENDER_MAX),
            Email("Skriv e-postadressen som namn@exempel.se.", check_deliverability=False),
        ],
    )
    topic = StringField(
        "Ämnesområde", filters=[strip_text], validators=[Optional(), Length(max=100)]
    )
    website = StringField("Lämna detta fält tomt", validators=[Optional()])
