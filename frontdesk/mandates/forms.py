from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from frontdesk.forms import strip_text
from frontdesk.models.catalog import REASON_MAX


class MandateForm(FlaskForm):
    class Meta:
        locales = ["sv_SE", "sv"]

    max_level = IntegerField(
        "Högsta nivå",
        validators=[InputRequired("Ange nivå."), NumberRange(1, 8, "Nivån ska vara 1–8.")],
    )
    reason = StringField(
        "Motivering",
        filters=[strip_text],
        validators=[
            DataRequired("Skriv varför mandatet ändras."),  # blanks alone count as missing
            Length(max=REASON_MAX, message=f"Högst {REASON_MAX} tecken."),
        ],
    )
