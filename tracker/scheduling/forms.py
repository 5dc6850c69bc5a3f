from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import (BooleanField, HiddenField, SelectField, SubmitField,
                     TextAreaField, TimeField)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from tracker.formfields import TrackerForm, TypedDateField, WholeNumberField, options

FIRST_YEAR, LAST_YEAR = 1900, 2100


class ClinicDateField(TypedDateField):
    """A date from a form or an address. Garbage or a year outside 1900..2100 gets a clear message
    next to the field, and never reaches date arithmetic (where year 9999 + 1 day overflows)."""

    def pre_validate(self, form):
        if self.data and not FIRST_YEAR <= self.data.year <= LAST_YEAR:
            raise ValidationError(_("Enter a date between %(first)s and %(last)s.", first=FIRST_YEAR, last=LAST_YEAR))


class BookingForm(TrackerForm):
    """Book or move an appointment. Physician and room choices are set by the view."""

    version_id = HiddenField()
    date = ClinicDateField(_l("Date"), validators=[InputRequired(_l("Enter the date of the appointment."))])
    start = TimeField(_l("Start time"), validators=[InputRequired(_l("Enter the start time, e.g. 09:30."))])
    duration = WholeNumberField(_l("Duration (minutes)"), default=30, validators=[
        InputRequired(_l("Enter the duration in minutes.")),
        NumberRange(15, 240, _l("An appointment lasts between 15 and 240 minutes (4 hours): the procedure alone "
                                "takes 20–30."))])
    # Only active physicians and rooms are offered; one that stopped being active after the form
    # was opened gets the booking service's clear message rather than "Not a valid choice".
    physician_id = SelectField(_l("Physician"), coerce=int, validate_choice=False, validators=[
        InputRequired(_l("Choose the physician."))])
    room_id = SelectField(_l("Room"), coerce=int, validate_choice=False,
                          validators=[InputRequired(_l("Choose the room."))])
    reason = TextAreaField(_l("Reason for the change"), validators=[Optional(), Length(max=2000)])
    acknowledge = BooleanField(_l("I have read the warnings above and want to book anyway"))
    # The digest of the warnings shown with the box: a tick holds for those warnings only.
    warnings_digest = HiddenField()
    # When the page (and its free slots) was shown: an overlap booked after it was "just taken".
    shown_at = HiddenField()
    submit = SubmitField(_l("Book appointment"))

    def set_choices(self, physicians, rooms):
        self.physician_id.choices = options([(u.id, u.name) for u in physicians])
        self.room_id.choices = options([(r.id, f"{r.name} ({r.modality.label})") for r in rooms])


class SlotSearchForm(TrackerForm):
    class Meta:
        csrf = False

    from_date = ClinicDateField(_l("Free slots from"), validators=[Optional()])
    physician = SelectField(_l("Physician"), validators=[Optional()])
    minutes = WholeNumberField(_l("Duration (minutes)"), default=30, validators=[Optional(), NumberRange(15, 240)])


class CancelForm(TrackerForm):
    version_id = HiddenField(validators=[DataRequired()])
    shown_at = HiddenField()  # when the page was shown: a refusal says what others changed since
    reason = TextAreaField(_l("Reason for cancelling"), validators=[
        DataRequired(_l("Give the reason for cancelling the appointment.")), Length(max=2000)])
    submit = SubmitField(_l("Cancel appointment"))


class ReadinessForm(TrackerForm):
    version_id = HiddenField(validators=[DataRequired()])
    shown_at = HiddenField()
    consent_obtained = BooleanField(_l("Consent obtained"))
    anticoagulant_plan_confirmed = BooleanField(_l("Anticoagulant hold plan confirmed"))
    # Asked when the hold did not fit the booked day: the day of the last dose.
    anticoagulant_last_dose_on = ClinicDateField(_l("Day of the last dose"), validators=[Optional()])
    driver_arranged = BooleanField(_l("Driver arranged"))
    contrast_premedication_sent = BooleanField(_l("Contrast-allergy premedication instructions sent"))
    day_of_check_done = BooleanField(_l("Day-of check done"))
    liability_notice_signed = BooleanField(_l("Liability notice signed by the patient"))
    submit = SubmitField(_l("Save readiness"))

    FIELDS = ("consent_obtained", "anticoagulant_plan_confirmed", "anticoagulant_last_dose_on", "driver_arranged",
              "contrast_premedication_sent", "day_of_check_done", "liability_notice_signed")

    def values(self):
        return {name: self[name].data for name in self.FIELDS}


class ReadinessOverrideForm(TrackerForm):
    version_id = HiddenField(validators=[DataRequired()])
    # Its own id: the appointment page also holds the cancel form's "reason" box.
    reason = TextAreaField(_l("Why the procedure may go ahead without every item"), id="override-reason", validators=[
        DataRequired(_l("Write why the procedure may go ahead.")),
        Length(min=10, max=2000, message=_l("Write the reason in at least 10 characters."))])
    submit = SubmitField(_l("Record readiness override"))


class DayForm(TrackerForm):
    class Meta:
        csrf = False

    date = ClinicDateField(_l("Day"), validators=[Optional()])

