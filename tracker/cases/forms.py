from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional


class TransitionForm(FlaskForm):
    action = HiddenField(validators=[DataRequired()])
    version_id = HiddenField(validators=[DataRequired()])
    reason = TextAreaField("Reason", validators=[Optional(), Length(max=2000)])
    submit = SubmitField("Apply")


class WorklistFilterForm(FlaskForm):
    class Meta:
        csrf = False

    state = SelectField("State", validators=[Optional()])
    q = StringField("MRN or name", validators=[Optional(), Length(max=80)])
