from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import EqualTo, InputRequired


class LoginForm(FlaskForm):
    username = StringField("Användarnamn", validators=[InputRequired("Ange användarnamn.")])
    password = PasswordField("Lösenord", validators=[InputRequired("Ange lösenord.")])


class NewPasswordFields(FlaskForm):
    """A new password, typed twice; the policy is checked by frontdesk/auth/passwords.py."""

    new_password = PasswordField(
        "Nytt lösenord", validators=[InputRequired("Ange ett nytt lösenord.")]
    )
    repeat = PasswordField(
        "Upprepa det nya lösenordet",
        validators=[
            InputRequired("Upprepa det nya lösenordet."),
            EqualTo("new_password", "Lösenorden är inte lika."),
        ],
    )


class ChangePasswordForm(NewPasswordFields):
    current_password = PasswordField(
        "Nuvarande lösenord", validators=[InputRequired("Ange ditt nuvarande lösenord.")]
    )
