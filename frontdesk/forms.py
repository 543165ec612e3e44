"""What every form of the app shares."""


def strip_text(value):
    """A WTForms filter: text without the blanks around it, so that blanks alone count as empty."""
    return value.strip() if isinstance(value, str) else value
