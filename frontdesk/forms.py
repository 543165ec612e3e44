"""What every form of the app shares."""

from wtforms import IntegerField

from frontdesk.guards import whole_number


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
