"""Form helpers shared by every area's forms."""
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError

from tracker.timeutil import clinic_today


def options(pairs, blank=None):
    """Select options from (value, label) pairs or a vocabulary enum; `blank` adds a first
    empty option with that label (for filters)."""
    if hasattr(pairs, "choices"):
        pairs = pairs.choices()
    result = [SelectChoice("", blank)] if blank is not None else []
    return result + [SelectChoice(value, label) for value, label in pairs]


def not_in_future(form, field):
    if field.data and field.data > clinic_today():
        raise ValidationError("This date is in the future; check the day, month and year.")
