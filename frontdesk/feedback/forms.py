"""The three NKI questions as a form (the citizen's page and the desk's tablet)."""

from flask_wtf import FlaskForm
from wtforms import RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length

from frontdesk.feedback.queries import QUESTIONS
from frontdesk.forms import strip_text
from frontdesk.models.visit import FEEDBACK_COMMENT_MAX, NKI_HIGH, NKI_LOW

SCALE = [SelectChoice(str(n)) for n in range(NKI_LOW, NKI_HIGH + 1)]
CHOOSE = f"Välj ett värde från {NKI_LOW} till {NKI_HIGH}."


def _question(label: str) -> RadioField:
    return RadioField(
        label, choices=SCALE, validators=[InputRequired(CHOOSE)], validate_choice=True
    )


class FeedbackForm(FlaskForm):
    """No CSRF token: the link itself is the key, and there is no session to borrow."""

    class Meta:
        csrf = False

    q1 = _question(QUESTIONS[0][1])
    q2 = _question(QUESTIONS[1][1])
    q3 = _question(QUESTIONS[2][1])
    comment = TextAreaField(
        "Vill du säga något mer? (frivilligt)",
        filters=[strip_text],
        validators=[
            Length(max=FEEDBACK_COMMENT_MAX, message=f"Högst {FEEDBACK_COMMENT_MAX} tecken.")
        ],
    )

    def answers(self) -> tuple[int, int, int]:
        return int(self.q1.data), int(self.q2.data), int(self.q3.data)
