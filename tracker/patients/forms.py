"""The forms of the patient record: correcting details, merging two records, injections given elsewhere."""
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from wtforms import (BooleanField, HiddenField, IntegerField, RadioField, SelectField, StringField, SubmitField,
                     TextAreaField)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from tracker.i18n import long_date, same_language
from tracker.formfields import TrackerForm, TypedDateField, not_before_birth, not_in_future, options, plausible_date
from tracker.referrals.forms import PatientFields
from tracker.timeutil import clinic_today
from tracker.vocab import ContactChannel, ContactEnded, Indication, Sex, Side


class PatientEditForm(PatientFields, TrackerForm):
    """Registration's patient fields with their checks. The MRN names the record: a coordinator
    corrects a typing error in it, with a reason (the view removes both fields for a physician);
    left empty, it stays as it is."""

    mrn = StringField(_l("Medical record number"), validators=[Optional(), Length(max=32)])
    mrn_reason = TextAreaField(_l("Why the medical record number changes"), validators=[Length(max=2000)])
    confirm_new_patient = None
    confirm_not_duplicate = BooleanField(_l("I have checked the records listed: this is a different person"))
    version_id = HiddenField()
    # What the form held when opened: a save refused as stale takes a colleague's change of a
    # field this user left alone (tracker.formfields.merge_with_saved).
    opened = HiddenField()
    submit = SubmitField(_l("Save details"))

    EDITED = ("family_name", "given_name", "date_of_birth", "sex", "phone", "email", "preferred_contact",
              "language")

    def __init__(self, *args, obj=None, **kwargs):
        super().__init__(*args, obj=obj, **kwargs)
        # The names as saved: one saved before names were checked is kept unless it is changed.
        self.stored_names = {name: getattr(obj, name, None) for name in ("family_name", "given_name")}
        self.stored_contact = ((obj.preferred_contact.value, obj.email or "", obj.phone or "") if obj is not None
                               else None)
        self.stored_language = getattr(obj, "language", None)
        self.stored_birth_date = getattr(obj, "date_of_birth", None)

    def edited_values(self):
        values = {name: _clean(self[name].data) for name in self.EDITED}
        # The language chosen; the same language as saved keeps its spelling ("español" stays as
        # it is when the list reads Spanish), so saving the form unchanged changes nothing.
        values["language"] = self.language_value()
        if self.stored_language and same_language(self.stored_language, values["language"]):
            values["language"] = self.stored_language
        values["sex"], values["preferred_contact"] = Sex(values["sex"]), ContactChannel(values["preferred_contact"])
        values["phone"] = getattr(self.phone, "e164", None) or None  # E.164, set by the validator
        values["email"] = values["email"] or None
        if self.mrn is not None and _clean(self.mrn.data):
            values["mrn"], values["mrn_reason"] = _clean(self.mrn.data), _clean(self.mrn_reason.data) or ""
        return values


class MergeForm(TrackerForm):
    """Merge the other record into this one; the versions are those the comparison showed."""

    reason = TextAreaField(_l("Why these records are the same person"), validators=[
        DataRequired(_l("Say why these records are the same person (what you checked).")), Length(max=2000)])
    kept_version = HiddenField()
    merged_version = HiddenField()
    # Where both records hold a different value: which one the record kept holds after the merge
    # (the page shows only those that differ, each with the two values).
    language_from = RadioField(_l("Language"), choices=[("kept", ""), ("merged", "")], validate_choice=False)
    phone_from = RadioField(_l("Phone"), choices=[("kept", ""), ("merged", "")], validate_choice=False)
    email_from = RadioField(_l("Email"), choices=[("kept", ""), ("merged", "")], validate_choice=False)
    preferred_contact_from = RadioField(_l("Preferred contact"), choices=[("kept", ""), ("merged", "")],
                                        validate_choice=False)
    submit = SubmitField(_l("Merge records"))

    CONTACT = ("language", "phone", "email", "preferred_contact")

    def contact_choices(self):
        return {name: self[f"{name}_from"].data for name in self.CONTACT}


def _clean(value):
    return value.strip() if isinstance(value, str) else value


class OutsideInjectionForm(TrackerForm):
    """An SI joint injection given elsewhere (another clinic), as reported; correcting one needs a reason."""

    version_id = HiddenField()
    performed_on = TypedDateField(_l("Date of the injection"), validators=[
        InputRequired(_l("Enter the date of the injection.")), plausible_date, not_in_future, not_before_birth])
    side = SelectField(_l("Side"), choices=options(Side, blank=_l("Choose…")),
                       validators=[DataRequired(_l("Choose the side injected."))])
    indication = SelectField(_l("Indication"), choices=options(Indication, blank=_l("Choose…")),
                             validators=[DataRequired(_l("Choose what the injection was for."))])
    place = StringField(_l("Where (clinic, physician)"), validators=[
        DataRequired(_l("Say where the injection was given.")), Length(max=200)])
    relief_percent = IntegerField(_l("Relief reported (%)"), validators=[
        Optional(), NumberRange(0, 100, _l("Relief is a percentage from 0 to 100."))])
    relief_days = IntegerField(_l("Relief lasted (days)"), validators=[
        Optional(), NumberRange(0, 3650, _l("Enter the days relief lasted, from 0 to 3650."))])
    source = StringField(_l("Source (patient report, letter from Dr X)"), validators=[
        DataRequired(_l("Say where these facts come from.")), Length(max=200)])
    reason = TextAreaField(_l("Reason for the correction"), validators=[Length(max=2000)])
    submit = SubmitField(_l("Save injection"))

    def validate_relief_days(self, field):
        # Relief cannot have lasted longer than the time since the injection: a duration that did
        # would meet a repeat injection's relief criterion on no evidence.
        given = self.performed_on.data
        if field.data is None or given is None or given > clinic_today():
            return
        since = (clinic_today() - given).days
        if field.data > since:
            raise ValidationError(ngettext(
                "Relief cannot have lasted longer than the time since the injection: at most %(num)d day "
                "(from %(day)s to today).", "Relief cannot have lasted longer than the time since the "
                "injection: at most %(num)d days (from %(day)s to today).", since, day=long_date(given)))

    def values(self):
        return {"performed_on": self.performed_on.data, "side": Side(self.side.data),
                "indication": Indication(self.indication.data), "place": self.place.data.strip(),
                "relief_percent": self.relief_percent.data, "relief_days": self.relief_days.data,
                "source": self.source.data.strip()}


class RemoveOutsideInjectionForm(TrackerForm):
    version_id = HiddenField()
    reason = TextAreaField(_l("Reason for removing it"), validators=[
        DataRequired(_l("Say why this entry is removed.")), Length(max=2000)])
    submit = SubmitField(_l("Remove injection"))


class ContactEndForm(TrackerForm):
    """No longer reachable: the patient died (on a date) or moved away or left the clinic's care (a
    note saying what is known). The date is asked for a death, the note for leaving."""

    version_id = HiddenField()
    why = RadioField(_l("The clinic can no longer reach the patient because they"),
                     choices=[(choice.value, choice.label) for choice in ContactEnded],
                     validators=[InputRequired(_l("Choose why: the patient died, or moved away or left the "
                                                  "clinic's care."))])
    died_on = TypedDateField(_l("Date of death"), validators=[Optional(), plausible_date, not_in_future,
                                                              not_before_birth])
    note = TextAreaField(_l("Note (for leaving: where to, who said so)"), validators=[Length(max=2000)])
    submit = SubmitField(_l("Record: no longer reachable"))

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        if self.why.data == ContactEnded.DIED.value and self.died_on.data is None and not self.died_on.errors:
            self.died_on.errors.append(_l("Enter the date of death."))
            valid = False
        if self.why.data == ContactEnded.LEFT_CARE.value and not (self.note.data or "").strip() \
                and not self.note.errors:
            self.note.errors.append(_l("Say what is known: where the patient went, or who said they left."))
            valid = False
        return valid


class ContactEndUndoForm(TrackerForm):
    """Undo a mark of no longer reachable (recorded on the wrong patient, or the patient is back)."""

    version_id = HiddenField()
    reason = TextAreaField(_l("Why this is undone"), validators=[
        DataRequired(_l("Say why it is undone (the wrong patient, the patient is back).")), Length(max=2000)])
    submit = SubmitField(_l("Undo: the patient is reachable"))
