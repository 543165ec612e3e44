from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import FieldList, FloatField, Form, FormField, HiddenField, IntegerField, StringField
from wtforms.validators import (
    AnyOf,
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
)

from frontdesk.forms import strip_text
from rosa.processmap import MAX_STEPS

LEVEL_CHOICES = [("", "okänd")] + [(str(n), str(n)) for n in range(1, 9)]
ACTOR_CHOICES = [("", "ej angiven"), ("front", "Främre ledet"), ("back", "Bakre ledet")]


class _Base(FlaskForm):
    class Meta:
        locales = ["sv_SE", "sv"]

    version = IntegerField(
        validators=[InputRequired("Kartans version saknas."), NumberRange(min=0)]
    )


class StepFields(Form):
    """A step's fields as the editor sets them: declared once for one step and for a row
    of the step table (no CSRF of their own: the form they are part of has it)."""

    name = StringField(
        "Namn",
        filters=[strip_text],
        validators=[
            DataRequired("Ge steget ett namn."),  # blanks alone count as missing
            Length(max=200, message="Högst 200 tecken."),
        ],
    )
    level = StringField(
        "ROSA-nivå",
        validators=[
            AnyOf([v for v, _ in LEVEL_CHOICES], message="Nivån ska vara 1–8 eller okänd.")
        ],
    )
    actor = StringField(
        "Aktör",
        validators=[
            AnyOf(
                [v for v, _ in ACTOR_CHOICES], message="Aktören ska vara främre eller bakre ledet."
            )
        ],
    )
    minutes = FloatField(
        "Minuter",
        validators=[Optional(), NumberRange(0, 100_000, "Minuterna ska vara 0–100000.")],
    )


class StepForm(_Base, StepFields):
    """One step: added (`after` it) or, with `step`, changed."""

    step = HiddenField()
    after = HiddenField()


class StepRow(StepFields):
    step = HiddenField(validators=[InputRequired("Steget saknas.")])


class StepsForm(_Base):
    """The whole step table, saved at once; `action` may also move or remove one step
    ("earlier:ID", "remove:ID") in the same new version."""

    rows = FieldList(FormField(StepRow), max_entries=MAX_STEPS)
    action = StringField(validators=[Optional(), Regexp(r"^(earlier|remove):.+$")])


class LanesForm(_Base):
    pass


class BpmnUploadForm(FlaskForm):
    class Meta:
        locales = ["sv_SE", "sv"]

    file = FileField("BPMN-fil", validators=[FileRequired("Välj en BPMN-fil.")])
    process_id = StringField(
        "Process-id (om filen har flera)", validators=[Optional(), Length(max=200)]
    )


class DiscoverForm(FlaskForm):
    class Meta:
        locales = ["sv_SE", "sv"]

    case_type = StringField("Ärendetyp", validators=[InputRequired("Välj ärendetyp.")])
    file = FileField("Händelselogg (CSV eller XES)", validators=[FileRequired("Välj en fil.")])
