"""The staffing targets a manager sets per channel."""

from flask_wtf import FlaskForm
from wtforms import DecimalField, FieldList, FormField, HiddenField, IntegerField
from wtforms.validators import InputRequired, NumberRange

from frontdesk.staffing.queries import STAFFED_CHANNELS


class TargetRow(FlaskForm):
    class Meta:
        csrf = False

    channel = HiddenField()
    percent = DecimalField(
        "Andel i tid (%)",
        places=0,
        validators=[
            InputRequired("Ange en andel i procent."),
            NumberRange(1, 99, "Ange en andel mellan 1 och 99 %%."),
        ],
    )
    within_seconds = IntegerField(
        "Inom (sekunder)",
        validators=[
            InputRequired("Ange tiden i sekunder."),
            NumberRange(1, 8 * 3600, "Ange 1–28 800 sekunder."),
        ],
    )

    def validate_channel(self, field):
        if field.data not in STAFFED_CHANNELS:
            raise ValueError("Okänd kanal.")


class TargetsForm(FlaskForm):
    rows = FieldList(FormField(TargetRow), min_entries=0)
