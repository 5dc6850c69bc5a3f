from flask_wtf import FlaskForm
from wtforms import SelectField
from wtforms.validators import Optional, ValidationError

from tracker.formfields import TypedDateField, options, plausible_date
from tracker.vocab import Indication, Side


def ends_after_start(form, field):
    if field.data and form.start.data and not form.start.errors and field.data < form.start.data:
        raise ValidationError(f"The period ends ({field.data.isoformat()}) before it starts "
                              f"({form.start.data.isoformat()}); check the two dates.")


class ReportFilterForm(FlaskForm):
    """GET filters; the physician and payer choices are set by the view. An empty date means
    the default period (the last 12 months)."""

    class Meta:
        csrf = False

    start = TypedDateField("From", validators=[Optional(), plausible_date])
    end = TypedDateField("To", validators=[Optional(), plausible_date, ends_after_start])
    physician = SelectField("Physician", validators=[Optional()])
    profile = SelectField("Payer profile", validators=[Optional()])
    side = SelectField("Side", choices=options(Side, blank="Any side"), validators=[Optional()])
    indication = SelectField("Indication", choices=options(Indication, blank="Any indication"),
                             validators=[Optional()])
