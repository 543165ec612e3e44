from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length

from frontdesk.forms import strip_text
from frontdesk.models.process import DECISION_NOTE_MAX, DECISIONS


class DecisionForm(FlaskForm):
    class Meta:
        locales = ["sv_SE", "sv"]

    decision = StringField(
        "Beslut",
        validators=[
            InputRequired("Välj godkänn eller avslå."),
            AnyOf(DECISIONS, message="Välj godkänn eller avslå."),
        ],
    )
    note = StringField(
        "Motivering",
        filters=[strip_text],
        validators=[
            DataRequired("Skriv en motivering."),
            Length(max=DECISION_NOTE_MAX, message=f"Högst {DECISION_NOTE_MAX} tecken."),
        ],
    )
