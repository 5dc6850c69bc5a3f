from flask_babel import lazy_gettext as _l
from wtforms import EmailField, SubmitField
from wtforms.validators import DataRequired, Email, Length

from tracker.formfields import TrackerForm
from tracker.auth.forms import ChangePasswordForm


class ForgotPasswordForm(TrackerForm):
    email = EmailField(_l("Email"), validators=[
        DataRequired(_l("Enter your email address.")),
        Email(_l("Enter a valid email address, like name@clinic.org.")),
        Length(max=254),
    ])
    submit = SubmitField(_l("Send me a link"))


class SetPasswordForm(ChangePasswordForm):
    """The new password twice; the link stands for the current one."""

    current_password = None
    submit = SubmitField(_l("Set my password"))
