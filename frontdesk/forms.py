"""What every form of the app shares."""

from wtforms import IntegerField, StringField
from wtforms.validators import StopValidation

from frontdesk.guards import whole_number

# The longest text a thing is looked up by: a code and a name with the dash between.
LOOKUP_TEXT_MAX = 240


def strip_text(value):
    """A WTForms filter: text without the blanks around it, so that blanks alone count as empty."""
    return value.strip() if isinstance(value, str) else value


class WholeNumberField(IntegerField):
    """A number written in ASCII digits (Python's int() also reads "٣" and " 3 ").

    Anything else leaves `.data` None without a message of its own, so the field's range
    validator says what is expected (one message, not "not a valid integer" first).
    """

    def process_formdata(self, valuelist):
        text = valuelist[0] if valuelist else ""
        self.data = whole_number(text, 0, 10**9)


class LookupField(StringField):
    """Text that names something (a code, a user name); `.data` is what it names, or None.

    `lookup(text)` finds it; `unknown` is the message when nothing is found. A blank
    field is left to the field's own validators (InputRequired's message, or Optional).
    The text is shown again as typed; a thing given as data as `display(thing)`.
    """

    def __init__(self, label=None, validators=None, *, lookup, unknown, display, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.lookup, self.unknown, self.display = lookup, unknown, display
        self.text = ""

    def process_formdata(self, valuelist):
        self.text = (valuelist[0] if valuelist else "").strip()
        found = self.text and len(self.text) <= LOOKUP_TEXT_MAX and self.lookup(self.text)
        self.data = found or None

    def pre_validate(self, form):
        if self.text and self.data is None:
            raise StopValidation(self.unknown)

    def _value(self):
        if self.text:
            return self.text
        return self.display(self.data) if self.data is not None else ""
