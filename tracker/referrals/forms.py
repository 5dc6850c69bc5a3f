from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask import current_app
from wtforms import (BooleanField, EmailField, HiddenField, SelectField, SelectMultipleField,
                     StringField, SubmitField, TextAreaField)
from wtforms.widgets import CheckboxInput, ListWidget
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional, ValidationError

from tracker.coding import clinic_diagnosis_codes
from tracker.i18n import RECORDED, language_code, recorded_name
from tracker.formfields import (DateRequired, TrackerForm, TypedDateField, name_problem, not_before_birth,
                                not_in_future, options, plausible_birth_date, plausible_date)
from tracker.patients.identity import clean_name
from tracker.phones import PhoneNumber, why_no_texts
from tracker.timeutil import clinic_today
from tracker.vocab import ContactChannel, Indication, Sex, Side


OTHER_LANGUAGE = "other"


def person_name(form, field):
    """Letters, accents, spaces, apostrophes, hyphens and periods: "García", "O'Brien", "Nguyễn",
    "Zoë" are kept as spelled; an emoji or a digit is named next to the field. A correction form
    leaves a name saved before this rule as it is (`stored_names`) unless it is changed."""
    if clean_name(field.data or "") == clean_name(getattr(form, "stored_names", {}).get(field.short_name) or ""):
        return
    problem = name_problem(field.data)
    if problem:
        raise ValidationError(problem)


class PatientFields:
    mrn = StringField(_l("Medical record number"), validators=[
        DataRequired(_l("Enter the medical record number.")), Length(max=32)])
    family_name = StringField(_l("Family name"), validators=[
        DataRequired(_l("Enter the family name.")), Length(max=80), person_name])
    # Optional: a patient with one name (no given name) has it in the family name.
    given_name = StringField(_l("Given name"), validators=[Optional(), Length(max=80), person_name])
    date_of_birth = TypedDateField(_l("Date of birth"), validators=[
        DateRequired(_l("Enter the date of birth."), _l("Enter the date of birth as a full date.")), plausible_date,
        not_in_future, plausible_birth_date])
    sex = SelectField(_l("Sex"), choices=options(Sex), default=Sex.UNKNOWN.value)
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=32), PhoneNumber()])
    email = EmailField(_l("Email"), validators=[Optional(), Email(_l("Enter a valid email address.")),
                                            Length(max=254)])
    # Nothing is chosen at first (as for the language): a channel chosen for the coordinator would be
    # wrong for every patient registered without it (email, for a phone-only registration).
    preferred_contact = SelectField(_l("Preferred contact"), default="", choices=options(
        ContactChannel, blank=_l("Choose…")), validators=[DataRequired(_l(
            "Choose how to contact the patient: a phone call, a text message (a mobile number) or email (an "
            "address)."))])
    # The languages the tracker speaks to patients in, then Other with its own box; nothing is
    # chosen at first, so nobody is recorded as reading English because the box was left as it was.
    language = SelectField(_l("Language"), default="", choices=options(
        [(RECORDED["en"], _l("English")), (RECORDED["es"], _l("Spanish / Español")),
         (OTHER_LANGUAGE, _l("Other (type it below)"))], blank=_l("Choose…")),
        validators=[DataRequired(_l("Choose the language the patient reads: texts, emails and their pages follow "
                                    "it."))])
    language_other = StringField(_l("Other language"), validators=[Length(max=40)])
    confirm_new_patient = BooleanField(_l("I have checked the records listed: this is a different person"))

    PATIENT_FIELDS = ("mrn", "family_name", "given_name", "date_of_birth", "sex", "phone", "email",
                      "preferred_contact", "language")

    def validate_preferred_contact(self, field):
        """Text messages only to a number that can take them (the phone field is checked first),
        email only with an address, phone calls only with a number: a preference nothing can
        honour means nothing reaches the patient, silently."""
        typed_email = (self.email.data or "").strip()
        typed_phone = (self.phone.data or "").strip()
        # A correction form leaves the combination as saved before this rule unless it is changed
        # (the record's pages flag it), as it does a name: (preferred contact, email, phone).
        stored = getattr(self, "stored_contact", None) or (None, None, None)
        if (field.data == ContactChannel.EMAIL.value and not typed_email and not self.email.errors
                and stored[:2] != (field.data, typed_email)):
            raise ValidationError(_("There is no email address to write to. Give one, or choose another way to "
                                    "contact the patient."))
        if (field.data == ContactChannel.PHONE.value and not typed_phone and not self.phone.errors
                and (stored[0], stored[2]) != (field.data, typed_phone)):
            raise ValidationError(_("There is no phone number to call. Give one, or choose another way to "
                                    "contact the patient."))
        if field.data != ContactChannel.SMS.value or self.phone.errors:
            return
        why = why_no_texts(getattr(self.phone, "e164", None))
        if why:
            raise ValidationError(_("%(why)s Give a mobile number, or choose another way to contact the patient.", why=why))

    def validate_language_other(self, field):
        if self.language.data == OTHER_LANGUAGE and not (field.data or "").strip():
            raise ValidationError(_("Type the patient's language, or choose it in the list above."))

    def language_value(self):
        """The language as the record keeps it ("Spanish" for Other typed "español")."""
        return recorded_name(self.language_other.data if self.language.data == OTHER_LANGUAGE else self.language.data)

    def show_language(self, recorded):
        """The list as a record's language reads in it: English or Spanish chosen, any other as
        Other with its name in the box, nothing chosen when it is not known."""
        code = language_code(recorded)
        self.language.data = RECORDED[code] if code else (OTHER_LANGUAGE if (recorded or "").strip() else "")
        self.language_other.data = recorded if self.language.data == OTHER_LANGUAGE else ""

    def patient_values(self):
        values = {name: _clean(self[name].data) for name in self.PATIENT_FIELDS}
        values["language"] = self.language_value()
        values["sex"], values["preferred_contact"] = Sex(values["sex"]), ContactChannel(values["preferred_contact"])
        values["phone"] = getattr(self.phone, "e164", None) or None  # E.164, set by the validator
        return values


class ReferralFields:
    referring_clinician = StringField(_l("Referring clinician"), validators=[
        DataRequired(_l("Enter who referred the patient.")), Length(max=120)])
    # Most referrals are logged the day they arrive: start from today.
    referral_date = TypedDateField(_l("Referral date"), default=clinic_today, validators=[
        InputRequired(_l("Enter the referral date.")), plausible_date, not_in_future, not_before_birth])
    side = SelectField(_l("Side to inject"), choices=options(Side, blank=_l("Choose…")),
                       validators=[DataRequired(_l("Choose the side: left, right or bilateral."))])
    indication = SelectField(_l("Indication"), choices=options(Indication, blank=_l("Choose…")),
                             validators=[DataRequired(_l("Choose the indication."))])
    diagnosis_codes = SelectMultipleField(
        _l("Diagnosis (ICD-10-CM)"), widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())
    symptom_onset = TypedDateField(_l("Symptom onset"), validators=[
        Optional(), plausible_date, not_in_future, not_before_birth])
    pain_worse_standing = BooleanField(_l("Worse with standing"))
    pain_worse_walking_uphill = BooleanField(_l("Worse walking uphill"))
    pain_worse_sit_to_stand = BooleanField(_l("Worse on sit-to-stand"))
    pain_radiates_buttock_thigh = BooleanField(_l("Radiates to buttock / upper thigh"))
    lumbar_fusion_history = BooleanField(_l("History of lumbar fusion"))
    payer_profile_code = SelectField(_l("Payer profile"), validators=[Optional()])
    physician_id = SelectField(_l("Physician"), validators=[Optional()])
    reason = TextAreaField(_l("Reason for referral"), validators=[Optional(), Length(max=4000)])

    REFERRAL_FIELDS = ("referring_clinician", "referral_date", "side", "indication", "diagnosis_codes",
                       "symptom_onset",
                       "pain_worse_standing", "pain_worse_walking_uphill", "pain_worse_sit_to_stand",
                       "pain_radiates_buttock_thigh", "lumbar_fusion_history", "payer_profile_code",
                       "physician_id", "reason")

    def validate_symptom_onset(self, field):
        if field.data and self.referral_date.data and field.data > self.referral_date.data:
            raise ValidationError(_("Symptom onset is after the referral date."))

    def referral_values(self):
        values = {name: _clean(self[name].data) for name in self.REFERRAL_FIELDS}
        values["side"], values["indication"] = Side(values["side"]), Indication(values["indication"])
        values["payer_profile_code"] = values["payer_profile_code"] or None
        values["physician_id"] = int(values["physician_id"]) if values["physician_id"] else None
        values["reason"] = values["reason"] or ""
        values["diagnosis_codes"] = list(values["diagnosis_codes"] or [])
        return values

    def offer_diagnoses(self, kept=()):
        """The clinic's ICD-10-CM list, plus codes the case already holds (a code later taken
        off the list stays on the referrals that carry it)."""
        offered = [(c.code, f"{c.code} {c.display}")
                   for c in clinic_diagnosis_codes(current_app.config["DIAGNOSIS_CODES"])]
        known = {code for code, _ in offered}
        self.diagnosis_codes.choices = offered + [(code, code) for code in kept if code not in known]


def _clean(value):
    return value.strip() if isinstance(value, str) else value


class NewPatientReferralForm(PatientFields, ReferralFields, TrackerForm):
    submit = SubmitField(_l("Log referral"))
    # The record that already holds the MRN typed, when registration refuses it (the page links to it).
    mrn_owner = None


class SecondReferralConfirmation:
    """The box that confirms a referral for a joint the patient already has an open case on (a new
    referral, or a correction of a case's side onto that joint)."""

    confirm_second_referral = BooleanField(
        _l("I have seen the open case: this is a further referral to log as well"))
    # The open cases listed when the box was offered: the confirmation covers those, not a case
    # opened since (the same confirmation sent twice would otherwise open two).
    seen_open_cases = HiddenField()

    def seen_case_ids(self):
        return {int(part) for part in (self.seen_open_cases.data or "").split(",") if part.strip().isdigit()}


class ReferralForm(SecondReferralConfirmation, ReferralFields, TrackerForm):
    """A referral for a patient already on file, and the edit form of a case's referral."""

    version_id = HiddenField()
    # The edit form's fields as it opened (tracker.formfields.remember_opened): a save refused
    # because someone else saved meanwhile is merged field by field, never overwriting theirs.
    opened = HiddenField()
    submit = SubmitField(_l("Save referral"))


class RepeatReferralForm(ReferralForm):
    """A referral for a patient already on file, who may already have an open case on that side."""

    # Logging a referral reads the same for a known patient as for a new one; "Save referral" is
    # the edit of a case's referral.
    submit = SubmitField(_l("Log referral"))


class FindPatientForm(TrackerForm):
    class Meta:
        csrf = False

    q = StringField(_l("Name, MRN or phone"), validators=[Optional(), Length(max=80)])
    date_of_birth = TypedDateField(_l("Date of birth"), validators=[Optional(), plausible_date])
