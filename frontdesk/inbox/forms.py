"""Forms of the inbox: triage (the counter's fields), reply, letters, and the public web form."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, StringField, TextAreaField
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from frontdesk.counter.forms import find_case_type, find_office
from frontdesk.forms import strip_text
from frontdesk.models.inbox import REPLY_MAX, SENDER_MAX, SUBJECT_MAX

# The public form takes a question, not a document: long texts belong in an e-service.
QUESTION_MAX = 5000


class TriageForm(FlaskForm):
    """Case type, level and office: the same decision the counter makes for a visit."""

    class Meta:
        locales = ["sv_SE", "sv"]

    case_type = StringField(
        "Ärendetyp", filters=[strip_text], validators=[InputRequired("Välj ärendetyp.")]
    )
    rosa_level = IntegerField(
        "ROSA-nivå",
        validators=[
            InputRequired("Välj ROSA-nivå."),
            NumberRange(1, 8, "ROSA-nivån ska vara 1–8."),
        ],
    )
    office = StringField("Kontor", filters=[strip_text], validators=[Optional()])
    put_through = BooleanField("Kopplat vidare")

    def validate_case_type(self, field):
        self.case_type_obj = find_case_type(field.data)
        if self.case_type_obj is None:
            raise ValidationError("Okänd ärendetyp. Sök på namn eller kod och välj i listan.")

    def validate_office(self, field):
        self.office_obj = find_office(field.data)
        if self.office_obj is None:
            raise ValidationError("Okänt kontor.")


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
