from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from tracker.cases.worklist import DEFAULT_SORT, SORTS
from tracker.formfields import TrackerForm, options
from tracker.vocab import Side


class TransitionForm(TrackerForm):
    action = HiddenField(validators=[DataRequired()])
    version_id = HiddenField(validators=[DataRequired()])
    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("Apply"))


class WorklistFilterForm(TrackerForm):
    """GET filters; choices that depend on data (physicians, profiles) are set by the view."""

    class Meta:
        csrf = False

    q = StringField(_l("MRN or name"), validators=[Optional(), Length(max=80)])
    state = SelectField(_l("State"), validators=[Optional()])
    physician = SelectField(_l("Physician"), validators=[Optional()])
    side = SelectField(_l("Side"), choices=options(Side, blank=_l("Any side")), validators=[Optional()])
    profile = SelectField(_l("Payer profile"), validators=[Optional()])
    sort = SelectField(_l("Sort by"), choices=options([(k, _l(label)) for k, (label, _order) in SORTS.items()]),
                       default=DEFAULT_SORT, validators=[Optional()])
