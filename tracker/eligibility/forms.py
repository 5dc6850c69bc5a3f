from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from tracker.formfields import options
from tracker.policy import PROFILE_CHOICES


class EvaluateForm(FlaskForm):
    version_id = HiddenField(validators=[DataRequired()])
    submit = SubmitField("Evaluate eligibility")


class OverrideForm(FlaskForm):
    version_id = HiddenField(validators=[DataRequired()])
    reason = TextAreaField("Clinical reason for overriding", validators=[
        DataRequired("Write the clinical reason for the override."), Length(min=10, max=2000,
                                                                            message="Write the reason in at least 10 characters.")])
    submit = SubmitField("Override: eligible")


class DefaultProfileForm(FlaskForm):
    default_profile_code = SelectField("Clinic's default payer profile", choices=options(PROFILE_CHOICES))
    submit = SubmitField("Save")
