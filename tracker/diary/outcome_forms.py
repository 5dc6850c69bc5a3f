"""The physician's outcome form (the diagnostic result, the therapeutic duration, the next step) and
the correction of a recorded outcome."""
from wtforms import BooleanField, HiddenField, RadioField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from tracker.diary.outcome import MAX_THERAPEUTIC_DAYS
from tracker.diary.relief import DiagnosticResult
from tracker.formfields import TrackerForm, options
from tracker.vocab import NextStep


def whole_days(form, field):
    """Text, not a number input, so "3 months" or "-4" comes back as typed with this message;
    empty means not known (the eligibility engine then counts the relief as unknown)."""
    raw = (field.data or "").strip()
    field.days = None
    if not raw:
        return
    if not raw.isdigit() or int(raw) > MAX_THERAPEUTIC_DAYS:
        raise ValidationError(f"Enter whole days from 0 to {MAX_THERAPEUTIC_DAYS} (e.g. 90 for three "
                              f"months), or leave it empty if not known.")
    field.days = int(raw)


class _Figures:
    """The figures an outcome records and a correction may change."""

    diagnostic_result = RadioField("Diagnostic result", choices=options(DiagnosticResult),
                                   validators=[InputRequired("Choose the diagnostic result.")])
    # A bilateral block records one result per joint (the view keeps these two, or the one above).
    left_result = RadioField("Left joint", choices=options(DiagnosticResult),
                             validators=[InputRequired("Choose the left joint's diagnostic result.")])
    right_result = RadioField("Right joint", choices=options(DiagnosticResult),
                              validators=[InputRequired("Choose the right joint's diagnostic result.")])
    therapeutic_days = StringField("Therapeutic relief lasted (days at 50 % relief or more)",
                                   validators=[whole_days, Length(max=12)],
                                   render_kw={"inputmode": "numeric", "autocomplete": "off"})
    # A bilateral case records one duration per joint (the view keeps these two, or the one above).
    left_days = StringField("Left joint: therapeutic relief lasted (days at 50 % relief or more)",
                            validators=[whole_days, Length(max=12)],
                            render_kw={"inputmode": "numeric", "autocomplete": "off"})
    right_days = StringField("Right joint: therapeutic relief lasted (days at 50 % relief or more)",
                             validators=[whole_days, Length(max=12)],
                             render_kw={"inputmode": "numeric", "autocomplete": "off"})
    days_reason = TextAreaField("Reason, if the duration differs from the diary's reading",
                                validators=[Length(max=2000)])
    notes = TextAreaField("Notes", validators=[Length(max=4000)])


class OutcomeForm(_Figures, TrackerForm):
    reason = TextAreaField("Reason, if the result differs from the diary's reading",
                           validators=[Length(max=2000)])
    confirm_early = BooleanField("Record the outcome now, although diary scores are still to come")
    next_step = RadioField("Next step", choices=options(NextStep),
                           validators=[InputRequired("Choose the next step.")])
    # The case's version when the form was opened: a second tab's save is refused, not merged.
    version_id = HiddenField(validators=[DataRequired()])
    submit = SubmitField("Record outcome and close case")


class OutcomeCorrectionForm(_Figures, TrackerForm):
    correction_reason = TextAreaField("Why is the outcome corrected?", validators=[Length(max=2000)])
    # The outcome's version when the form was opened.
    version_id = HiddenField(validators=[DataRequired()])
    submit = SubmitField("Save the correction")
