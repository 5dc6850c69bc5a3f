"""The forms of the patient record: correcting details, merging two records."""
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, RadioField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from tracker.formfields import TrackerForm
from tracker.referrals.forms import PatientFields
from tracker.vocab import ContactChannel, Sex


class PatientEditForm(PatientFields, TrackerForm):
    """Registration's patient fields with their checks, but the MRN: it names the record and stays."""

    mrn = None
    confirm_new_patient = None
    confirm_not_duplicate = BooleanField(_l("I have checked the records listed: this is a different person"))
    version_id = HiddenField()
    submit = SubmitField(_l("Save details"))

    EDITED = ("family_name", "given_name", "date_of_birth", "sex", "phone", "email", "preferred_contact",
              "language")

    def __init__(self, *args, obj=None, **kwargs):
        super().__init__(*args, obj=obj, **kwargs)
        # The names as saved: one saved before names were checked is kept unless it is changed.
        self.stored_names = {name: getattr(obj, name, None) for name in ("family_name", "given_name")}
        self.stored_contact = (obj.preferred_contact.value, obj.email or "") if obj is not None else None

    def edited_values(self):
        values = {name: _clean(self[name].data) for name in self.EDITED}
        values["sex"], values["preferred_contact"] = Sex(values["sex"]), ContactChannel(values["preferred_contact"])
        values["phone"] = getattr(self.phone, "e164", None) or None  # E.164, set by the validator
        values["email"] = values["email"] or None
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
