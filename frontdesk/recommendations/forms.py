from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length

from frontdesk.forms import strip_text


class DecisionForm(FlaskForm):
    class Meta:
        locales = ["sv_SE", "sv"]

    decision = StringField(
        "Beslut",
        validators=[
            InputRequired("Välj godkänn eller avslå."),
            AnyOf(("approve", "reject"), message="Välj godkänn eller avslå."),
        ],
    )
    note = StringField(
        "Motivering",
        filters=[strip_text],
        validators=[
            DataRequired("Skriv en motivering."),
            Length(max=1000, message="Högst 1000 tecken."),
        ],
    )


class ApiDecisionForm(DecisionForm):
    """The API's variant: the same checks, no CSRF (the API authenticates each request)."""

    class Meta:
        csrf = False
        locales = ["sv_SE", "sv"]
