from flask_wtf import FlaskForm
from wtforms import (BooleanField, DateField, HiddenField, IntegerField, SelectField, SubmitField,
                     TextAreaField, TimeField)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from tracker.formfields import options

FIRST_YEAR, LAST_YEAR = 1900, 2100


class ClinicDateField(DateField):
    """A date from a form or an address. Garbage or a year outside 1900..2100 gets a clear message
    next to the field, and never reaches date arithmetic (where year 9999 + 1 day overflows)."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError("Enter the date as year-month-day, e.g. 2026-05-12.") from None

    def pre_validate(self, form):
        if self.data and not FIRST_YEAR <= self.data.year <= LAST_YEAR:
            raise ValidationError(f"Enter a date between {FIRST_YEAR} and {LAST_YEAR}.")


class BookingForm(FlaskForm):
    """Book or move an appointment. Physician and room choices are set by the view."""

    version_id = HiddenField()
    date = ClinicDateField("Date", validators=[InputRequired("Enter the date of the appointment.")])
    start = TimeField("Start time", validators=[InputRequired("Enter the start time, e.g. 09:30.")])
    duration = IntegerField("Duration (minutes)", default=30, validators=[
        InputRequired("Enter the duration in minutes."),
        NumberRange(1, 240, "An appointment lasts between 1 and 240 minutes (4 hours).")])
    # Only active physicians and rooms are offered; one that stopped being active after the form
    # was opened gets the booking service's clear message rather than "Not a valid choice".
    physician_id = SelectField("Physician", coerce=int, validate_choice=False, validators=[
        InputRequired("Choose the physician.")])
    room_id = SelectField("Room", coerce=int, validate_choice=False,
                          validators=[InputRequired("Choose the room.")])
    reason = TextAreaField("Reason for the change", validators=[Optional(), Length(max=2000)])
    acknowledge = BooleanField("I have read the warnings above and want to book anyway")
    # The digest of the warnings shown with the box: a tick holds for those warnings only.
    warnings_digest = HiddenField()
    # When the page (and its free slots) was shown: an overlap booked after it was "just taken".
    shown_at = HiddenField()
    submit = SubmitField("Book appointment")

    def set_choices(self, physicians, rooms):
        self.physician_id.choices = options([(u.id, u.name) for u in physicians])
        self.room_id.choices = options([(r.id, f"{r.name} ({r.modality.label})") for r in rooms])


class SlotSearchForm(FlaskForm):
    class Meta:
        csrf = False

    from_date = ClinicDateField("Free slots from", validators=[Optional()])
    physician = SelectField("Physician", validators=[Optional()])
    minutes = IntegerField("Duration (minutes)", default=30, validators=[Optional(), NumberRange(1, 240)])


class CancelForm(FlaskForm):
    version_id = HiddenField(validators=[DataRequired()])
    reason = TextAreaField("Reason for cancelling", validators=[
        DataRequired("Give the reason for cancelling the appointment."), Length(max=2000)])
    submit = SubmitField("Cancel appointment")


class ReadinessForm(FlaskForm):
    version_id = HiddenField(validators=[DataRequired()])
    consent_obtained = BooleanField("Consent obtained")
    anticoagulant_plan_confirmed = BooleanField("Anticoagulant hold plan confirmed")
    driver_arranged = BooleanField("Driver arranged")
    contrast_premedication_sent = BooleanField("Contrast-allergy premedication instructions sent")
    day_of_check_done = BooleanField("Day-of check done")
    submit = SubmitField("Save readiness")

    FIELDS = ("consent_obtained", "anticoagulant_plan_confirmed", "driver_arranged",
              "contrast_premedication_sent", "day_of_check_done")

    def values(self):
        return {name: self[name].data for name in self.FIELDS}


class ReadinessOverrideForm(FlaskForm):
    version_id = HiddenField(validators=[DataRequired()])
    reason = TextAreaField("Why the procedure may go ahead without every item", validators=[
        DataRequired("Write why the procedure may go ahead."),
        Length(min=10, max=2000, message="Write the reason in at least 10 characters.")])
    submit = SubmitField("Record readiness override")


class DayForm(FlaskForm):
    class Meta:
        csrf = False

    date = ClinicDateField("Day", validators=[Optional()])

