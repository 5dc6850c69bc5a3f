from flask_babel import lazy_gettext as _l
from wtforms import SelectField
from wtforms.validators import Optional

from tracker.formfields import TrackerForm, TypedDateField, ends_after, options, plausible_date
from tracker.vocab import Indication, Side


class ReportFilterForm(TrackerForm):
    """GET filters; the physician and payer choices are set by the view. An empty date means
    the default period (the last 12 months)."""

    class Meta:
        csrf = False

    start = TypedDateField(_l("From"), validators=[Optional(), plausible_date])
    end = TypedDateField(_l("To"), validators=[Optional(), plausible_date, ends_after("start")])
    physician = SelectField(_l("Physician"), validators=[Optional()])
    profile = SelectField(_l("Payer profile"), validators=[Optional()])
    side = SelectField(_l("Side"), choices=options(Side, blank=_l("Any side")), validators=[Optional()])
    indication = SelectField(_l("Indication"), choices=options(Indication, blank=_l("Any indication")),
                             validators=[Optional()])
