from flask_babel import lazy_gettext as _l
from wtforms import EmailField, PasswordField, SubmitField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from tracker.formfields import TrackerForm
from tracker.passwords import password_problems


class SignInForm(TrackerForm):
    email = EmailField(_l("Email"), validators=[
        DataRequired(_l("Enter your email address.")),
        Email(_l("Enter a valid email address, like name@clinic.org.")),
        Length(max=254),
    ])
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter your password."))])
    submit = SubmitField(_l("Sign in"))


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


class ChangePasswordForm(NewPasswordMixin, TrackerForm):
    current_password = PasswordField(_l("Current password"), validators=[
        DataRequired(_l("Enter your current password.")),
    ])
    new_password = PasswordField(_l("New password"), validators=[DataRequired(_l("Enter a new password."))])
    confirm = PasswordField(_l("Repeat the new password"), validators=[
        DataRequired(_l("Repeat the new password.")),
        EqualTo("new_password", _l("The two new passwords do not match.")),
    ])
    submit = SubmitField(_l("Change password"))

    def __init__(self, *args, owner_email="", **kwargs):
        super().__init__(*args, **kwargs)
        self._owner_email = owner_email

    def password_owner_email(self):
        return self._owner_email
