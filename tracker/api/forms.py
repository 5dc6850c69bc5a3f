from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from tracker.api.tokens import DEFAULT_DAYS, MAX_DAYS
from tracker.formfields import TrackerForm, options
from tracker.models import ApiScope


# One rule, one message: blank, 0 and 400 are told the same (as the command line is: tokens.DAYS_RULE).
DAYS_RULE = _l("Enter the number of days the token lasts, from 1 to %(days)s.", days=MAX_DAYS)


class NewTokenForm(TrackerForm):
    label = StringField(_l("What it is for"), validators=[
        DataRequired(_l("Say what the token is for (e.g. the system that will use it).")), Length(max=120)])
    user_id = SelectField(_l("Acts as account"), validators=[DataRequired(_l("Choose the account the token acts as."))])
    scope = SelectField(_l("Scope"), choices=options(ApiScope), default=ApiScope.READ.value)
    days = IntegerField(_l("Expires after (days)"), default=DEFAULT_DAYS, validators=[
        DataRequired(DAYS_RULE), NumberRange(1, MAX_DAYS, DAYS_RULE)])
    submit = SubmitField(_l("Create token"))


class RevokeTokenForm(TrackerForm):
    # Its label names the token and its account (set by the view): the tick confirms that token only.
    confirm = BooleanField(validators=[InputRequired(_l("Tick the box to revoke this token, or go back to keep it."))])
    submit = SubmitField(_l("Revoke token"))
