from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import InputRequired


class LoginForm(FlaskForm):
    username = StringField("Användarnamn", validators=[InputRequired("Ange användarnamn.")])
    password = PasswordField("Lösenord", validators=[InputRequired("Ange lösenord.")])
