from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, NumberRange

from tracker.api.tokens import DEFAULT_DAYS, MAX_DAYS
from tracker.formfields import options
from tracker.models import ApiScope


class NewTokenForm(FlaskForm):
    label = StringField("What it is for", validators=[
        DataRequired("Say what the token is for (e.g. the system that will use it)."), Length(max=120)])
    user_id = SelectField("Acts as account", validators=[DataRequired("Choose the account the token acts as.")])
    scope = SelectField("Scope", choices=options(ApiScope), default=ApiScope.READ.value)
    days = IntegerField("Expires after (days)", default=DEFAULT_DAYS, validators=[
        DataRequired("Enter the number of days, 1 to 366."),
        NumberRange(1, MAX_DAYS, f"A token lasts from 1 to {MAX_DAYS} days.")])
    submit = SubmitField("Create token")
