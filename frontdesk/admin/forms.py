"""The admin's forms. Lengths here; every rule about an account is in operations.py."""

from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, StringField
from wtforms.validators import Length

from frontdesk.admin.operations import DISPLAY_NAME_MAX, EMAIL_MAX, FIELDS, USERNAME_MAX
from frontdesk.forms import strip_text


class UserForm(FlaskForm):
    """Create or edit an account. Office, organisation and offices are codes."""

    class Meta:
        locales = ["sv_SE", "sv"]

    username = StringField(
        "Användarnamn",
        filters=[strip_text],
        validators=[Length(max=USERNAME_MAX, message=f"Högst {USERNAME_MAX} tecken.")],
    )
    display_name = StringField(
        "Namn som visas",
        filters=[strip_text],
        validators=[Length(max=DISPLAY_NAME_MAX, message=f"Högst {DISPLAY_NAME_MAX} tecken.")],
    )
    role = StringField("Roll", filters=[strip_text])
    office = StringField("Kontor", filters=[strip_text])
    offices = SelectMultipleField("Kontor som chefen leder", validate_choice=False)
    organisation = StringField("Organisation", filters=[strip_text])
    email = StringField(
        "E-post",
        filters=[strip_text],
        validators=[Length(max=EMAIL_MAX, message=f"Högst {EMAIL_MAX} tecken.")],
    )

    def values(self) -> dict:
        """The fields as the operations take them."""
        return {name: getattr(self, name).data for name in FIELDS}

    def show_errors(self, fields: dict[str, str]) -> None:
        """An operation's refusal, on the fields it names."""
        for name, message in fields.items():
            field = getattr(self, name, None) if name in FIELDS else None
            if field is not None:
                field.errors = [*field.errors, message]
            else:  # not a field of the form (active): said above it
                self.form_errors.append(message)


class UserSearchForm(FlaskForm):
    """The list's filters (GET, so no CSRF token)."""

    class Meta:
        csrf = False
        locales = ["sv_SE", "sv"]

    q = StringField("Sök", filters=[strip_text], validators=[Length(max=200)])
    role = StringField("Roll", filters=[strip_text])
    status = StringField("Status", filters=[strip_text])
