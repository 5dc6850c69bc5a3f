from flask_wtf import FlaskForm
from wtforms import (BooleanField, DateField, EmailField, HiddenField, PasswordField, RadioField,
                     SelectField, StringField, SubmitField, TextAreaField, TimeField)
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

from tracker.auth.forms import NewPasswordMixin
from tracker.formfields import options, plausible_date
from tracker.models import AuditAction
from tracker.phones import PhoneNumber
from tracker.procedures.rules.billing import BillingSetting
from tracker.roles import Role
from tracker.vocab import WEEKDAYS, Modality



class UserFieldsMixin:
    """The account fields shared by the create and edit forms."""

    email = EmailField("Email", validators=[
        DataRequired("Enter an email address."), Email("Enter a valid email address."),
        Length(max=254),
    ])
    name = StringField("Full name", validators=[DataRequired("Enter the person's name."),
                                                 Length(max=120)])
    role = SelectField("Role", choices=options(Role))
    # No Optional() here: it would stop validation before the check below sees an empty value.
    patient_mrn = StringField("Medical record number (patient accounts only)",
                              validators=[Length(max=32)])

    def validate_patient_mrn(self, field):
        if self.role.data == Role.PATIENT.value and not (field.data or "").strip():
            raise ValidationError("A patient account needs the patient's medical record number.")


class CreateUserForm(UserFieldsMixin, NewPasswordMixin, FlaskForm):
    new_password = PasswordField("Initial password", validators=[DataRequired("Enter a password.")])
    submit = SubmitField("Create user")

    def password_owner_email(self):
        return self.email.data or ""


class EditUserForm(UserFieldsMixin, FlaskForm):
    version_id = HiddenField()
    active = BooleanField("Active (may sign in)")
    submit = SubmitField("Save changes")


class ResetPasswordForm(NewPasswordMixin, FlaskForm):
    new_password = PasswordField("New password", validators=[DataRequired("Enter a new password.")])
    submit = SubmitField("Set new password")

    def __init__(self, *args, owner_email="", **kwargs):
        super().__init__(*args, **kwargs)
        self._owner_email = owner_email

    def password_owner_email(self):
        return self._owner_email


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter changes nothing

    user = StringField("User email contains", validators=[Optional(), Length(max=254)])
    action = SelectField("Action", choices=options(AuditAction, blank="Any"),
                         validators=[Optional()])
    object_type = StringField("Object type", validators=[Optional(), Length(max=40)])
    object_id = StringField("Object id", validators=[Optional(), Length(max=40)])
    date_from = DateField("From (date)", validators=[Optional(), plausible_date])
    date_to = DateField("To (date)", validators=[Optional(), plausible_date])


class UserFilterForm(FlaskForm):
    class Meta:
        csrf = False

    role = SelectField("Role", choices=options(Role, blank="Any"), validators=[Optional()])
    status = SelectField("Status", choices=options([("active", "Active"), ("inactive", "Inactive")], blank="Any"),
                         validators=[Optional()])
    q = StringField("Name or email", validators=[Optional(), Length(max=120)])


class RoomForm(FlaskForm):
    version_id = HiddenField()
    name = StringField("Room name", validators=[DataRequired("Give the room a name."), Length(max=80)])
    modality = SelectField("Imaging", choices=options(Modality))
    location = StringField("Where the patient goes", validators=[Optional(), Length(max=200)])
    active = BooleanField("In use (can be booked)", default=True)
    submit = SubmitField("Save room")

    def values(self):
        return {"name": self.name.data.strip(), "modality": Modality(self.modality.data),
                "location": (self.location.data or "").strip(), "active": self.active.data}


class BillingSettingForm(FlaskForm):
    billing_setting = RadioField("Where the clinic bills the injection",
                                 choices=options([(s.value, s.label) for s in BillingSetting]),
                                 validators=[DataRequired("Choose where the clinic bills the injection.")])
    submit = SubmitField("Save billing setting")


class WorkingHoursForm(FlaskForm):
    """One start and end per weekday; both empty = not working that day."""

    submit = SubmitField("Save working hours")

    def spans(self):
        return {day: ((self[f"starts_{day}"].data, self[f"ends_{day}"].data)
                      if self[f"starts_{day}"].data else None) for day in range(7)}

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        for day in range(7):
            starts, ends = self[f"starts_{day}"], self[f"ends_{day}"]
            if bool(starts.data) != bool(ends.data):
                (ends if starts.data else starts).errors.append(
                    f"Give both the start and the end for {WEEKDAYS[day]}, or neither.")
                valid = False
            elif starts.data and ends.data <= starts.data:
                ends.errors.append(f"On {WEEKDAYS[day]} the end must be after the start.")
                valid = False
        return valid


for _day, _name in enumerate(WEEKDAYS):
    setattr(WorkingHoursForm, f"starts_{_day}", TimeField(f"{_name} from", validators=[Optional()]))
    setattr(WorkingHoursForm, f"ends_{_day}", TimeField(f"{_name} until", validators=[Optional()]))


class ClinicContactForm(FlaskForm):
    """What patients are given wherever they are told to call the clinic."""

    phone = StringField("Clinic phone number", validators=[
        DataRequired("Enter the number patients should call."), Length(max=32), PhoneNumber()])
    address = TextAreaField("Clinic address", validators=[
        DataRequired("Enter the clinic's address as patients should read it."), Length(max=300)])
    submit = SubmitField("Save")
