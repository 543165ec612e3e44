from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField
from wtforms.validators import InputRequired, Length, NumberRange


class MandateForm(FlaskForm):
    class Meta:
        locales = ["sv_SE", "sv"]

    max_level = IntegerField(
        "Högsta nivå",
        validators=[InputRequired("Ange nivå."), NumberRange(1, 8, "Nivån ska vara 1–8.")],
    )
    reason = StringField(
        "Motivering",
        validators=[
            InputRequired("Skriv varför mandatet ändras."),
            Length(max=500, message="Högst 500 tecken."),
        ],
    )
