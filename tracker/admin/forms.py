from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import (BooleanField, EmailField, HiddenField, PasswordField, RadioField,
                     SelectField, StringField, SubmitField, TextAreaField, TimeField)
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional, ValidationError

from tracker.auth.forms import NewPasswordMixin
from tracker.formfields import TrackerForm, TypedDateField, ends_after, options, plausible_date
from tracker.models import AuditAction
from tracker.phones import PhoneNumber
from tracker.procedures.rules.billing import BillingSetting
from tracker.roles import Role
from tracker.vocab import WEEKDAYS, Modality



class UserFieldsMixin:
    """The account fields shared by the create and edit forms."""

    email = EmailField(_l("Email"), validators=[
        DataRequired(_l("Enter an email address.")), Email(_l("Enter a valid email address.")),
        Length(max=254),
    ])
    name = StringField(_l("Full name"), validators=[DataRequired(_l("Enter the person's name.")),
                                                 Length(max=120)])
    role = SelectField(_l("Role"), choices=options(Role))
    # No Optional() here: it would stop validation before the check below sees an empty value.
    patient_mrn = StringField(_l("Medical record number (patient accounts only)"),
                              validators=[Length(max=32)])

    # Shown once the MRN found a record under another name: ticked, it confirms that record
    # (`confirm_for`, its id as shown), never whichever record a changed MRN finds next.
    confirm_patient = BooleanField()
    confirm_for = HiddenField()

    def confirmed_patient_id(self):
        """The record the admin ticked "This account is for …" for, or None."""
        typed = (self.confirm_for.data or "").strip()
        return int(typed) if self.confirm_patient.data and typed.isdigit() else None

    def validate_patient_mrn(self, field):
        if self.role.data == Role.PATIENT.value and not (field.data or "").strip():
            raise ValidationError(_("A patient account needs the patient's medical record number."))
        if self.role.data != Role.PATIENT.value and (field.data or "").strip():
            # Kept nowhere for staff: say so rather than drop what was typed.
            raise ValidationError(_("Only a patient account is linked to a medical record number: leave this "
                                    "empty for staff, or choose the role Patient."))


class CreateUserForm(UserFieldsMixin, NewPasswordMixin, TrackerForm):
    new_password = PasswordField(_l("Initial password"), validators=[DataRequired(_l("Enter a password."))])
    submit = SubmitField(_l("Create user"))

    def password_owner_email(self):
        return self.email.data or ""


class EditUserForm(UserFieldsMixin, TrackerForm):
    version_id = HiddenField()
    active = BooleanField(_l("Active (may sign in)"))
    # Shown once taking a physician off the schedule was refused (a procedure of theirs in
    # progress, or no other physician to book): ticked, it confirms the state `leaving_key` names.
    confirm_leaving = BooleanField(_l("Take them off the schedule anyway"))
    leaving_key = HiddenField()
    submit = SubmitField(_l("Save changes"))

    def confirmed_leaving(self):
        """The key of the warnings the admin ticked "Take them off the schedule anyway" for, or None."""
        return (self.leaving_key.data or None) if self.confirm_leaving.data else None


class ResetPasswordForm(NewPasswordMixin, TrackerForm):
    new_password = PasswordField(_l("New password"), validators=[DataRequired(_l("Enter a new password."))])
    submit = SubmitField(_l("Set new password"))

    def __init__(self, *args, owner_email="", **kwargs):
        super().__init__(*args, **kwargs)
        self._owner_email = owner_email

    def password_owner_email(self):
        return self._owner_email


class AuditFilterForm(TrackerForm):
    class Meta:
        csrf = False  # a GET filter changes nothing

    user = StringField(_l("User email contains"), validators=[Optional(), Length(max=254)])
    action = SelectField(_l("Action"), choices=options(AuditAction, blank=_l("Any")),
                         validators=[Optional()])
    object_type = StringField(_l("Object type"), validators=[Optional(), Length(max=40)])
    object_id = StringField(_l("Object id"), validators=[Optional(), Length(max=40)])
    patient = StringField(_l("Patient (name or MRN)"), validators=[Optional(), Length(max=120)])
    date_from = TypedDateField(_l("From (date)"), validators=[Optional(), plausible_date])
    date_to = TypedDateField(_l("To (date)"), validators=[Optional(), plausible_date, ends_after("date_from")])


class UserFilterForm(TrackerForm):
    class Meta:
        csrf = False

    role = SelectField(_l("Role"), choices=options(Role, blank=_l("Any")), validators=[Optional()])
    status = SelectField(_l("Status"), choices=options([("active", _l("Active")), ("inactive", _l("Inactive"))], blank=_l("Any")),
                         validators=[Optional()])
    q = StringField(_l("Name or email"), validators=[Optional(), Length(max=120)])


class RoomForm(TrackerForm):
    version_id = HiddenField()
    name = StringField(_l("Room name"), validators=[DataRequired(_l("Give the room a name.")), Length(max=80)])
    modality = SelectField(_l("Imaging"), choices=options(Modality))
    location = StringField(_l("Where the patient goes"), validators=[Optional(), Length(max=200)])
    location_es = StringField(_l("Where the patient goes, in Spanish"), validators=[Optional(), Length(max=200)])
    active = BooleanField(_l("In use (can be booked)"), default=True)
    submit = SubmitField(_l("Save room"))

    def values(self):
        return {"name": self.name.data.strip(), "modality": Modality(self.modality.data),
                "location": (self.location.data or "").strip(), "location_es": (self.location_es.data or "").strip(),
                "active": self.active.data}


class ClosureForm(TrackerForm):
    """A date range closed, for the whole clinic or one physician (choices set by the view). The
    service checks the range and the reason, naming each refused field at once."""

    first_day = TypedDateField(_l("First day"), validators=[
        InputRequired(_l("Enter the first day closed, e.g. 2026-12-25.")), plausible_date])
    last_day = TypedDateField(_l("Last day"), validators=[
        InputRequired(_l("Enter the last day closed (the first day again for one day).")), plausible_date])
    reason = StringField(_l("Reason"), validators=[Length(max=120)])
    physician_id = SelectField(_l("Closed for"))
    submit = SubmitField(_l("Add closure"))

    def set_choices(self, physicians):
        self.physician_id.choices = options([("", _("The whole clinic"))] +
                                            [(str(p.id), _("%(name)s (leave)", name=p.name)) for p in physicians])

    def values(self):
        return {"first_day": self.first_day.data, "last_day": self.last_day.data, "reason": self.reason.data,
                "physician_id": int(self.physician_id.data) if self.physician_id.data else None}


class BillingSettingForm(TrackerForm):
    # The clinic settings' version the page was opened on (a stale save is refused); named apart
    # from the payer profile form's, on the same page.
    billing_version_id = HiddenField()
    billing_setting = RadioField(_l("Where the clinic bills the injection"),
                                 choices=options([(s.value, _l(s.label)) for s in BillingSetting]),
                                 validators=[DataRequired(_l("Choose where the clinic bills the injection."))])
    submit = SubmitField(_l("Save billing setting"))


class WorkingHoursForm(TrackerForm):
    """One start and end per weekday; both empty = not working that day."""

    version_id = HiddenField()  # the physician's hours_version the form was opened on
    submit = SubmitField(_l("Save working hours"))

    def spans(self):
        return {day: ((self[f"starts_{day}"].data, self[f"ends_{day}"].data)
                      if self[f"starts_{day}"].data else None) for day in range(7)}

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        for day in range(7):
            starts, ends = self[f"starts_{day}"], self[f"ends_{day}"]
            if bool(starts.data) != bool(ends.data):
                (ends if starts.data else starts).errors.append(
                    _("Give both the start and the end for %(day)s, or neither.", day=_(WEEKDAYS[day])))
                valid = False
            elif starts.data and ends.data <= starts.data:
                ends.errors.append(_("On %(day)s the end must be after the start.", day=_(WEEKDAYS[day])))
                valid = False
        return valid


for _day, _name in enumerate(WEEKDAYS):
    setattr(WorkingHoursForm, f"starts_{_day}", TimeField(_l("%(day)s from", day=_l(_name)), validators=[Optional()]))
    setattr(WorkingHoursForm, f"ends_{_day}", TimeField(_l("%(day)s until", day=_l(_name)), validators=[Optional()]))


class ClinicContactForm(TrackerForm):
    """What patients are given wherever they are told to call the clinic."""

    version_id = HiddenField()  # the clinic settings' version the form was opened on

    phone = StringField(_l("Clinic phone number"), validators=[
        DataRequired(_l("Enter the number patients should call.")), Length(max=32), PhoneNumber(extension=True)])
    address = TextAreaField(_l("Clinic address"), validators=[
        DataRequired(_l("Enter the clinic's address as patients should read it.")), Length(max=300)])
    submit = SubmitField(_l("Save"))
