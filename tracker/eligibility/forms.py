from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, SelectField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from tracker.formfields import TrackerForm, options
from tracker.policy import PROFILE_CHOICES


class EvaluateForm(TrackerForm):
    version_id = HiddenField(validators=[DataRequired()])
    submit = SubmitField(_l("Evaluate eligibility"))


class OverrideForm(TrackerForm):
    version_id = HiddenField(validators=[DataRequired()])
    reason = TextAreaField(_l("Clinical reason for overriding"), validators=[
        DataRequired(_l("Write the clinical reason for the override.")), Length(min=10, max=2000,
                                                                            message=_l("Write the reason in at least 10 characters."))])
    submit = SubmitField(_l("Override: eligible"))


class DefaultProfileForm(TrackerForm):
    # The clinic settings' version the page was opened on (a stale save is refused).
    profile_version_id = HiddenField()
    default_profile_code = SelectField(_l("Clinic's default payer profile"), choices=options([(code, _l(name)) for code, name in PROFILE_CHOICES]))
    # Shown once a change that makes stored verdicts stale was refused: ticked, it confirms the
    # impact `change_key` names (a tick given for another count does not carry over).
    confirm_change = BooleanField(_l("Change it anyway"))
    change_key = HiddenField()
    submit = SubmitField(_l("Save"))

    def confirmed(self):
        return (self.change_key.data or None) if self.confirm_change.data else None
