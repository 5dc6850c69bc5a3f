from flask_wtf import FlaskForm
from wtforms import DateField, EmailField, HiddenField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

from tracker.formfields import options
from tracker.timeutil import clinic_today
from tracker.vocab import ContactChannel, Indication, Sex, Side


def not_in_future(form, field):
    if field.data and field.data > clinic_today():
        raise ValidationError("This date is in the future; check the day, month and year.")


class ReferralForm(FlaskForm):
    mrn = StringField("Medical record number", validators=[
        DataRequired("Enter the medical record number."), Length(max=32)])
    family_name = StringField("Family name", validators=[
        DataRequired("Enter the family name."), Length(max=80)])
    given_name = StringField("Given name", validators=[
        DataRequired("Enter the given name."), Length(max=80)])
    date_of_birth = DateField("Date of birth", validators=[
        DataRequired("Enter the date of birth as a full date."), not_in_future])
    sex = SelectField("Sex", choices=options(Sex), default=Sex.UNKNOWN.value)
    phone = StringField("Phone", validators=[Optional(), Length(max=32)])
    email = EmailField("Email", validators=[Optional(), Email("Enter a valid email address."),
                                            Length(max=254)])
    preferred_contact = SelectField("Preferred contact", choices=options(ContactChannel))
    language = StringField("Language", default="English", validators=[
        DataRequired("Enter the patient's language."), Length(max=40)])

    referring_clinician = StringField("Referring clinician", validators=[
        DataRequired("Enter who referred the patient."), Length(max=120)])
    referral_date = DateField("Referral date", validators=[
        DataRequired("Enter the referral date."), not_in_future])
    side = SelectField("Side", choices=options(Side),
                       validators=[DataRequired("Choose the side to be injected.")])
    indication = SelectField("Indication", choices=options(Indication))
    reason = TextAreaField("Reason for referral", validators=[Optional(), Length(max=4000)])
    submit = SubmitField("Log referral")

    PATIENT_FIELDS = ("mrn", "family_name", "given_name", "date_of_birth", "sex", "phone", "email",
                      "preferred_contact", "language")
    CASE_FIELDS = ("referring_clinician", "referral_date", "side", "indication", "reason")

    def patient_fields(self):
        return {name: _clean(getattr(self, name).data) for name in self.PATIENT_FIELDS}

    def case_fields(self):
        return {name: _clean(getattr(self, name).data) for name in self.CASE_FIELDS}


def _clean(value):
    return value.strip() if isinstance(value, str) else value


class TransitionForm(FlaskForm):
    action = HiddenField(validators=[DataRequired()])
    version_id = HiddenField(validators=[DataRequired()])
    reason = TextAreaField("Reason", validators=[Optional(), Length(max=2000)])
    submit = SubmitField("Apply")


class WorklistFilterForm(FlaskForm):
    class Meta:
        csrf = False

    state = SelectField("State", validators=[Optional()])
    q = StringField("MRN or name", validators=[Optional(), Length(max=80)])
