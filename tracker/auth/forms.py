from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SubmitField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from tracker.passwords import password_problems


class SignInForm(FlaskForm):
    email = EmailField("Email", validators=[
        DataRequired("Enter your email address."),
        Email("Enter a valid email address, like name@clinic.org."),
        Length(max=254),
    ])
    password = PasswordField("Password", validators=[DataRequired("Enter your password.")])
    submit = SubmitField("Sign in")


class NewPasswordMixin:
    def validate_new_password(self, field):
        from flask import current_app
        from wtforms.validators import ValidationError

        problems = password_problems(
            field.data or "", current_app.config["PASSWORD_MIN_LENGTH"], self.password_owner_email()
        )
        if problems:
            raise ValidationError(" ".join(problems))

    def password_owner_email(self):
        return ""


class ChangePasswordForm(NewPasswordMixin, FlaskForm):
    current_password = PasswordField("Current password", validators=[
        DataRequired("Enter your current password."),
    ])
    new_password = PasswordField("New password", validators=[DataRequired("Enter a new password.")])
    confirm = PasswordField("Repeat the new password", validators=[
        DataRequired("Repeat the new password."),
        EqualTo("new_password", "The two new passwords do not match."),
    ])
    submit = SubmitField("Change password")

    def __init__(self, *args, owner_email="", **kwargs):
        super().__init__(*args, **kwargs)
        self._owner_email = owner_email

    def password_owner_email(self):
        return self._owner_email
