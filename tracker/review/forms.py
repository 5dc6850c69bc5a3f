from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import (BooleanField, DecimalField, HiddenField, RadioField,
                     SelectField, StringField, SubmitField, TextAreaField)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from tracker.clinical import MIN_ODI_SECTIONS, ODI_QUESTIONNAIRE, ODI_SECTIONS, PROVOCATION_TESTS
from tracker.formfields import TrackerForm, TypedDateField, WholeNumberField, not_before_birth, not_in_future, options, plausible_date
from tracker.models.review import EXAM_SIDES
from tracker.vocab import (PREGNANCY_FLAGGED, Allergy, AllergyAnswer, AnticoagulantAnswer, Pregnancy, ProvocationResult,
                          Response, Side, TherapyKind, may_be_pregnant, means_no_drug)


def yes_no(value):
    """'yes' / 'no' / '' from the form to True / False / None (not recorded)."""
    return {"yes": True, "no": False, True: True, False: False}.get(value)


def YesNoField(label, **kwargs):
    return SelectField(label, choices=options([("yes", _l("Yes")), ("no", _l("No"))], blank=_l("Not recorded")),
                       coerce=yes_no, validate_choice=False, **kwargs)


def YesNoRadios(label, **kwargs):
    """Yes / No / Not recorded as three radios (large touch targets on the examination page)."""
    return RadioField(label, choices=options([("yes", _l("Yes")), ("no", _l("No")), ("", _l("Not recorded"))]),
                      coerce=yes_no, validate_choice=False, **kwargs)


class TherapyForm(TrackerForm):
    version_id = HiddenField()
    kind = SelectField(_l("Therapy"), choices=options(TherapyKind, blank=_l("Choose…")),
                       validators=[DataRequired(_l("Choose the kind of therapy."))])
    start_date = TypedDateField(_l("Started"), validators=[
        InputRequired(_l("Enter the date the therapy started.")), plausible_date, not_in_future,
        not_before_birth])
    end_date = TypedDateField(_l("Ended"), validators=[Optional(), plausible_date, not_in_future])
    response = SelectField(_l("Response"), choices=options(Response, blank=_l("Choose…")),
                           validators=[DataRequired(_l("Choose how the patient responded."))])
    details = StringField(_l("Details (drug, dose, sessions)"), validators=[Optional(), Length(max=200)])
    submit = SubmitField(_l("Save therapy"))

    def validate_end_date(self, field):
        if field.data and self.start_date.data and field.data < self.start_date.data:
            raise ValidationError(_("The end date is before the start date."))

    def values(self):
        return {"kind": TherapyKind(self.kind.data), "start_date": self.start_date.data,
                "end_date": self.end_date.data, "response": Response(self.response.data),
                "details": (self.details.data or "").strip()}


class OngoingRehabForm(TrackerForm):
    version_id = HiddenField()
    ongoing_active_rehab = YesNoField(_l("Ongoing active rehabilitation (physical therapy or home exercise now)"))
    submit = SubmitField(_l("Save"))


def _odi_score(value):
    return int(value) if value not in (None, "", "None") else None


class ExaminationForm(TrackerForm):
    """The six provocation tests per side and the ten Oswestry sections are added below the class
    (one field each), so the template and the model share their names: faber_left, odi_1, ...

    Every answer is a group of radios (positive / negative / not done; each Oswestry statement in
    its words), quick to tap on a tablet; the stored values are those the drop-downs stored."""

    version_id = HiddenField()
    opened = HiddenField()  # the fields as the form opened: a stale save is merged (formfields.merge_with_saved)
    examined_on = TypedDateField(_l("Examined on"), validators=[
        Optional(), plausible_date, not_in_future, not_before_birth])
    pain_below_l5 = YesNoRadios(_l("Pain mainly below L5, between iliac crest and gluteal fold"))
    radicular_signs = YesNoRadios(_l("Radicular signs (radiculopathy)"))
    baseline_nrs = WholeNumberField(_l("Baseline pain (0–10)"), validators=[
        Optional(), NumberRange(0, 10, _l("Pain is scored from 0 (no pain) to 10 (worst imaginable)."))])
    submit = SubmitField(_l("Save examination"))

    TEST_FIELDS = tuple(f"{test}_{side.value}" for test, _ in PROVOCATION_TESTS for side in EXAM_SIDES)
    ODI_FIELDS = tuple(f"odi_{n}" for n in range(1, ODI_SECTIONS + 1))

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        answered = [v for v in self.odi_values() if v is not None]
        if any(v not in range(6) for v in answered):
            self.form_errors.append("Each Oswestry section is scored 0 to 5.")
            return False
        if 0 < len(answered) < MIN_ODI_SECTIONS:
            self.form_errors.append(
                f"Answer at least {MIN_ODI_SECTIONS} of the {ODI_SECTIONS} Oswestry sections for a "
                f"score ({len(answered)} answered), or leave them all unanswered.")
            return False
        return valid

    def odi_values(self):
        return [self[name].data for name in self.ODI_FIELDS]

    def values(self):
        values = {name: self[name].data
                  for name in ("examined_on", "pain_below_l5", "radicular_signs", "baseline_nrs")}
        values.update({name: ProvocationResult(self[name].data) for name in self.TEST_FIELDS})
        values.update(zip(self.ODI_FIELDS, self.odi_values()))
        return values


# Positive and negative first: what the examiner taps most; "not done" last.
_SIDE_WORDS = {Side.LEFT: _l("left"), Side.RIGHT: _l("right")}
_RESULTS_IN_ORDER = (ProvocationResult.POSITIVE, ProvocationResult.NEGATIVE, ProvocationResult.NOT_DONE)
for _test, _label in PROVOCATION_TESTS:
    for _side in EXAM_SIDES:
        setattr(ExaminationForm, f"{_test}_{_side.value}", RadioField(
            _l("%(test)s, %(side)s", test=_l(_label), side=_SIDE_WORDS[_side]), choices=options([(r.value, _l(r.label)) for r in _RESULTS_IN_ORDER]),
            default=ProvocationResult.NOT_DONE.value,
            validators=[InputRequired(_l("Choose positive, negative or not done."))]))
for _n, (_name, _statements) in enumerate(ODI_QUESTIONNAIRE, start=1):
    setattr(ExaminationForm, f"odi_{_n}", RadioField(
        _l("%(number)s. %(section)s", number=_n, section=_l(_name)), coerce=_odi_score, validate_choice=False,
        choices=options([(str(v), _l(words)) for v, words in enumerate(_statements)] + [("", _l("Not answered"))])))


class RiskScreenForm(TrackerForm):
    version_id = HiddenField()
    opened = HiddenField()  # the fields as the form opened: a stale save is merged (formfields.merge_with_saved)
    anticoagulant_answer = RadioField(_l("Anticoagulants / antiplatelets"), choices=AnticoagulantAnswer.choices(),
                                      default=AnticoagulantAnswer.NOT_ASKED.value)
    # No Optional(): "taking" with the name left empty must reach validate_anticoagulants.
    anticoagulants = StringField(_l("Which anticoagulant or antiplatelet, and dose"), validators=[Length(max=200)])
    # No Optional() here: it would stop the cross-field checks below on an empty field.
    anticoagulant_hold_plan = TextAreaField(_l("Hold plan"), validators=[Length(max=2000)])
    anticoagulant_hold_days = WholeNumberField(_l("Days with no dose before the procedure day"), validators=[
        Optional(), NumberRange(0, 30, _l("Give the days without a dose, from 0 (keep taking it) to 30."))])
    anticoagulant_prescriber_agreed = YesNoField(_l("The prescriber agreed to the hold"))
    allergy_answer = RadioField(_l("Allergies"), choices=AllergyAnswer.choices(), default=AllergyAnswer.NOT_ASKED.value)
    allergy_contrast = BooleanField(_l("Iodinated contrast"))
    allergy_iodine = BooleanField(_l("Iodine / povidone-iodine"))
    allergy_latex = BooleanField(_l("Latex"))
    allergy_local_anaesthetic = BooleanField(_l("Local anaesthetic"))
    allergy_steroid = BooleanField(_l("Steroid"))
    contrast_premedication_plan = TextAreaField(_l("Contrast-allergy premedication plan"),
                                                validators=[Length(max=2000)])
    contrast_premedication_planned = BooleanField(_l("Premedication to be taken (starting the evening before)"))
    # No preset answer: "not applicable" must be chosen, not slip through as the first option.
    pregnancy = SelectField(_l("Pregnancy"), choices=options(Pregnancy, blank=_l("Choose…")), validators=[
        InputRequired(_l("Say whether the patient is or may be pregnant (or not applicable)."))])
    infection_or_fever = BooleanField(_l("Active infection or fever"))
    diabetes = BooleanField(_l("Diabetes"))
    hba1c = DecimalField(_l("HbA1c (%)"), places=1, validators=[
        Optional(), NumberRange(3, 20, _l("HbA1c is a percentage between 3 and 20."))])
    insulin = BooleanField(_l("On insulin"))
    sedation_planned = BooleanField(_l("Sedation planned (needs a driver; no driving for 24 hours)"))
    fasting_hours = WholeNumberField(_l("Fasting: hours with nothing to eat or drink before the appointment"), validators=[
        Optional(), NumberRange(1, 24, _l("Give the fasting hours, from 1 to 24, or leave it empty (no fasting)."))])
    red_flags_screened = BooleanField(_l("Red flags screened (fracture, tumour, infection, cauda equina)"))
    red_flags_present = BooleanField(_l("A red flag is present"))
    red_flags_notes = TextAreaField(_l("Red-flag notes"), validators=[Length(max=2000)])
    submit = SubmitField(_l("Save risk screen"))

    def __init__(self, *args, sex=None, **kwargs):
        """`sex`: the patient's recorded sex, which the pregnancy answer is checked against."""
        super().__init__(*args, **kwargs)
        self.sex = sex

    def validate_pregnancy(self, field):
        if field.data in PREGNANCY_FLAGGED and not may_be_pregnant(self.sex):
            raise ValidationError(_("The patient's recorded sex is male: choose “Not pregnant” or “Not applicable”, "
                                    "or correct the sex on the patient record first if it is wrong."))

    def validate_anticoagulant_answer(self, field):
        drug = (self.anticoagulants.data or "").strip()
        if field.data == AnticoagulantAnswer.NONE and drug and not means_no_drug(drug):
            raise ValidationError(_("“No anticoagulants” was chosen but a drug is named (%(drug)s): choose "
                                  "“Takes an anticoagulant or antiplatelet”, or clear the drug's name.", drug=drug))

    def validate_anticoagulants(self, field):
        drug = (field.data or "").strip()
        if self.anticoagulant_answer.data == AnticoagulantAnswer.TAKING:
            if not drug:
                raise ValidationError(_("Name the anticoagulant or antiplatelet and its dose (e.g. apixaban 5 mg "
                                      "twice daily)."))
            if means_no_drug(drug):
                raise ValidationError(_("“%(drug)s” is not a drug: choose “No anticoagulants or antiplatelets” "
                                      "above instead.", drug=drug))

    def validate_anticoagulant_hold_plan(self, field):
        if self._taking() and not (field.data or "").strip():
            raise ValidationError(_("Give the hold plan for the anticoagulant (or write 'continue')."))

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        days = self.anticoagulant_hold_days
        # Here, not in a field validator: Optional() ends the field's chain when it is empty.
        if self._taking() and days.data is None and not days.errors:
            days.errors = [*days.errors, "Give the days with no dose before the procedure day (0 to keep "
                                         "taking it): reminders tell the patient the date of the last dose."]
            return False
        return valid

    def validate_anticoagulant_hold_days(self, field):
        if field.data is not None and not self._taking():
            raise ValidationError(_("Name the anticoagulant to hold, or leave the days empty."))

    def validate_contrast_premedication_planned(self, field):
        if field.data and not self.allergy_contrast.data:
            raise ValidationError(_("Tick the contrast allergy to plan premedication for it."))

    def validate_allergy_answer(self, field):
        ticked = self._ticked()
        if field.data == AllergyAnswer.NKDA and ticked:
            raise ValidationError(_("“No known allergies” cannot go with a ticked allergy (%(allergies)s): "
                                  "untick it, or choose “Allergies”.", allergies=", ".join(ticked)))
        if field.data == AllergyAnswer.DOCUMENTED and not ticked:
            raise ValidationError(_("Tick each allergy below, or choose “No known allergies (NKDA)”."))

    def _ticked(self):
        return [allergy.label for allergy in Allergy if getattr(self, allergy.field).data]

    def _taking(self):
        """A drug named with the question left at "not asked" is an answer: the patient takes it."""
        drug = (self.anticoagulants.data or "").strip()
        return self.anticoagulant_answer.data == AnticoagulantAnswer.TAKING or (
            self.anticoagulant_answer.data == AnticoagulantAnswer.NOT_ASKED and drug and not means_no_drug(drug))

    def validate_red_flags_present(self, field):
        if field.data and not self.red_flags_screened.data:
            raise ValidationError(_("Tick 'Red flags screened' when recording a red flag."))

    def validate_red_flags_notes(self, field):
        if self.red_flags_present.data and not (field.data or "").strip():
            raise ValidationError(_("Describe the red flag found."))

    def validate_contrast_premedication_plan(self, field):
        if self.allergy_contrast.data and not (field.data or "").strip():
            raise ValidationError(_("Give the premedication plan for the contrast allergy (or write "
                                  "'no contrast' if the procedure will be done without it)."))

    def validate_hba1c(self, field):
        if field.data is not None and not self.diabetes.data:
            raise ValidationError(_("Tick 'Diabetes' to record an HbA1c, or leave it empty."))

    def validate_insulin(self, field):
        # Insulin is for diabetes: "Diabetes: no, on insulin" would contradict itself.
        if field.data and not self.diabetes.data:
            raise ValidationError(_("Tick 'Diabetes' to record that the patient is on insulin, or untick it."))

    NAMES = ("anticoagulant_answer", "anticoagulants", "anticoagulant_hold_plan", "anticoagulant_hold_days",
             "anticoagulant_prescriber_agreed", "allergy_answer", "allergy_contrast", "allergy_iodine",
             "allergy_latex", "allergy_local_anaesthetic", "allergy_steroid",
             "contrast_premedication_plan", "contrast_premedication_planned", "pregnancy",
             "infection_or_fever", "diabetes", "hba1c", "insulin", "sedation_planned", "fasting_hours",
             "red_flags_screened", "red_flags_present", "red_flags_notes")

    def values(self):
        values = {name: getattr(self, name).data for name in self.NAMES}
        values["pregnancy"] = Pregnancy(values["pregnancy"])
        for name in ("anticoagulants", "anticoagulant_hold_plan", "contrast_premedication_plan",
                     "red_flags_notes"):
            values[name] = (values[name] or "").strip()
        # What was typed or ticked is the answer; a "none" word typed as a drug is the answer "none".
        if self._taking():
            values["anticoagulant_answer"] = AnticoagulantAnswer.TAKING
        else:
            if values["anticoagulants"]:
                values["anticoagulant_answer"] = AnticoagulantAnswer.NONE
            values["anticoagulant_answer"] = AnticoagulantAnswer(values["anticoagulant_answer"])
            values["anticoagulants"] = ""
        if self._ticked():
            values["allergy_answer"] = AllergyAnswer.DOCUMENTED
        values["allergy_answer"] = AllergyAnswer(values["allergy_answer"])
        return values
