from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from tracker.cases.worklist import DEFAULT_SORT, SORTS
from tracker.formfields import options
from tracker.vocab import Side


class TransitionForm(FlaskForm):
    action = HiddenField(validators=[DataRequired()])
    version_id = HiddenField(validators=[DataRequired()])
    reason = TextAreaField("Reason", validators=[Optional(), Length(max=2000)])
    submit = SubmitField("Apply")


class WorklistFilterForm(FlaskForm):
    """GET filters; choices that depend on data (physicians, profiles) are set by the view."""

    class Meta:
        csrf = False

    q = StringField("MRN or family name", validators=[Optional(), Length(max=80)])
    state = SelectField("State", validators=[Optional()])
    physician = SelectField("Physician", validators=[Optional()])
    side = SelectField("Side", choices=options(Side, blank="Any side"), validators=[Optional()])
    profile = SelectField("Payer profile", validators=[Optional()])
    sort = SelectField("Sort by", choices=options([(k, label) for k, (label, _) in SORTS.items()]),
                       default=DEFAULT_SORT, validators=[Optional()])
