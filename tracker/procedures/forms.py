"""The checklist's forms: one short form per step (per side for the needle steps), built from the
field table in `tracker.procedures.rules`, so a step's fields and labels are written down once.

The forms only carry what was typed: numbers stay text and choices are not checked here, so the
rules give every message (validate_step) and a typed value is shown back exactly as typed.
"""
from flask_babel import lazy_gettext as _l
from wtforms import (BooleanField, FieldList, Form, FormField, HiddenField, RadioField, SelectField,
                     SelectMultipleField, StringField, SubmitField, TextAreaField)
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from tracker.formfields import TrackerForm, options
from tracker.procedures.rules.schema import (DRUG_ALLERGY_CONFIRMATION, INJECTATE_ROW_FIELDS, NRS_MAX, NRS_MIN, PER_SIDE_STEPS,
                                             STEP_FIELDS, STRENGTH_CONFIRMATION, ArthrogramPattern, Complication,
                                             Guidance, SkinAnaesthetic, Step)
from tracker.procedures.rules.values import saved_answers
from tracker.scheduling.forms import ClinicDateField
from tracker.vocab import Side

# A step form shows at least this many injectate rows; the spare ones stay empty and are ignored.
INJECTATE_ROWS = 3
YES_NO = [("yes", "Yes"), ("no", "No")]


def _number(label):
    # Text, not a number input: "4,2" or "2.5 mL" comes back as typed, with the rules' message.
    return StringField(label, render_kw={"inputmode": "decimal", "autocomplete": "off"})


def _choice(choices):
    return lambda label: RadioField(label, choices=options(choices), validate_choice=False)


def _select(label):
    # Choices come from the formulary table, set by the view.
    return SelectField(label, choices=[], validate_choice=False)


def _text(label):
    return StringField(label, validators=[Length(max=500)])


# How each field that is not a tick box is entered.
FIELD_KINDS = {
    (Step.SIGN_IN, "side_confirmed"): _choice(Side.choices()),
    (Step.SKIN_PREP, "prep_agent"): _select,
    (Step.SKIN_PREP, "local_skin_anaesthetic"): _choice(SkinAnaesthetic.choices()),
    (Step.FLUOROSCOPY, "modality"): _choice(Guidance.choices()),
    (Step.FLUOROSCOPY, "ultrasound_reason"): _text,
    (Step.FLUOROSCOPY, "dose_reason"): _text,
    (Step.CONTRAST, "omitted"): lambda label: BooleanField(_l("Contrast omitted (documented contrast allergy)")),
    (Step.CONTRAST, "omission_reason"): _text,
    (Step.CONTRAST, "agent"): _select,
    (Step.CONTRAST, "arthrogram_pattern"): _choice(ArthrogramPattern.choices()),
    (Step.CONTRAST, "vascular_uptake"): _choice(YES_NO),
    (Step.CONTRAST, "contrast_allergy_reason"): _text,
    (Step.SIGN_OUT, "anticoagulant_restart"): _text,
    (Step.SKIN_PREP, "allergy_reason"): _text,
    (Step.SIGN_OUT, "complications"): lambda label: SelectMultipleField(
        label, choices=options(Complication), validate_choice=False,
        widget=ListWidget(prefix_label=False), option_widget=CheckboxInput()),
    (Step.SIGN_OUT, "complication_other"): _text,
    # Blank (the default) is the usual answer: both joints were injected.
    (Step.SIGN_OUT, "not_injected_side"): lambda label: RadioField(
        label, choices=options([("", _l("None: both sides were injected")), (Side.LEFT.value, _l("Left")),
                                (Side.RIGHT.value, _l("Right"))]), default="", validate_choice=False),
    (Step.SIGN_OUT, "not_injected_reason"): _text,
    (Step.SIGN_OUT, "pain_nrs"): _choice([(str(n), str(n)) for n in range(NRS_MIN, NRS_MAX + 1)]),
}


class InjectateRowForm(Form):
    """One drug's row of the injectate step: a sub-form (the step's form holds the CSRF token) that
    keeps every form's rules, such as lengths (TrackerForm.Meta)."""

    Meta = TrackerForm.Meta

    drug = _select(_l(INJECTATE_ROW_FIELDS[0].label))
    concentration_mg_per_ml = _number(_l(INJECTATE_ROW_FIELDS[1].label))
    dose_mg = _number(_l(INJECTATE_ROW_FIELDS[2].label))
    volume_ml = _number(_l(INJECTATE_ROW_FIELDS[3].label))
    lot_number = StringField(_l(INJECTATE_ROW_FIELDS[4].label), validators=[Length(max=40)])


class StepForm(TrackerForm):
    """A step's form; subclasses are made by `_step_form`. The version is the saved row's
    (empty for a step not yet saved); the attempt numbers contrast checks."""

    STEP = None
    version_id = HiddenField()
    attempt = HiddenField(default="1")
    # The fields as the form opened: a save refused because the step was saved meanwhile (another
    # tablet) is merged with it (formfields.merge_with_saved), so saving again keeps the other's ticks.
    opened = HiddenField()
    submit = SubmitField(_l("Save"))

    def answers(self):
        """What was typed, in the shape the rules read: ticks as True/False, text stripped,
        yes/no as True/False/None, injectate rows as a list of dicts."""
        if self.STEP == Step.INJECTATE:
            return {"rows": [{f.name: _clean(row.form[f.name].data) for f in INJECTATE_ROW_FIELDS}
                             for row in self.rows],
                    **{f.name: _clean(self[f.name].data) for f in STRENGTH_CONFIRMATION + DRUG_ALLERGY_CONFIRMATION}}
        answers = {f.name: _clean(self[f.name].data) for f in STEP_FIELDS[self.STEP]}
        if "vascular_uptake" in answers:
            answers["vascular_uptake"] = {"yes": True, "no": False}.get(answers["vascular_uptake"])
        return answers

    def set_choices(self, entries_by_kind):
        """Offer the formulary's active entries of the right kind in each drug list."""
        def offered(kinds):
            return options([(e.code, e.name) for kind in kinds for e in entries_by_kind.get(kind, ())],
                           blank=_l("Choose…"))
        if self.STEP == Step.SKIN_PREP:
            self.prep_agent.choices = offered(["skin_prep"])
        elif self.STEP == Step.CONTRAST:
            self.agent.choices = offered(["contrast"])
        elif self.STEP == Step.INJECTATE:
            for row in self.rows:
                row.form.drug.choices = offered(["local_anaesthetic", "steroid"])

    def show_errors(self, errors):
        """Put the rules' messages next to their fields; "rows-0-dose_mg" is a row's field, "rows-0"
        the row as a whole (its form's form_errors, shown under the row)."""
        for key, message in errors.items():
            if key.startswith("rows-"):
                _, index, *name = key.split("-", 2)
                row = self.rows[int(index)].form
                (row[name[0]].errors if name else row.form_errors).append(message)
            else:
                self[key].errors.append(message)


def _clean(value):
    if isinstance(value, str):
        return value.strip()
    return value


def _step_form(step):
    fields = {"STEP": step}
    for f in STEP_FIELDS[step]:
        if f.name == "rows":
            fields["rows"] = FieldList(FormField(InjectateRowForm), min_entries=INJECTATE_ROWS)
            fields["strength_confirmed"] = BooleanField(_l(STRENGTH_CONFIRMATION[0].label))
            fields["strength_reason"] = StringField(_l(STRENGTH_CONFIRMATION[1].label), validators=[Length(max=500)])
            fields["allergy_confirmed"] = BooleanField(_l(DRUG_ALLERGY_CONFIRMATION[0].label))
            fields["allergy_reason"] = StringField(_l(DRUG_ALLERGY_CONFIRMATION[1].label), validators=[Length(max=500)])
        elif f.confirmation:
            fields[f.name] = BooleanField(f.label)
        else:
            fields[f.name] = FIELD_KINDS.get((step, f.name), _number)(f.label)
    return type(f"{step.name.title().replace('_', '')}Form", (StepForm,), fields)


STEP_FORMS = {step: _step_form(step) for step in Step}


def form_prefix(step, side=None):
    """Each form on the checklist page has its own field names and ids: "contrast-left-volume_ml"."""
    return f"{step.value}-{side}-" if step in PER_SIDE_STEPS else f"{step.value}-"


def form_data(step, answers, injectate_rows=()):
    """Saved answers back into a form's shape. An injectate's confirmations (a strength, dose or
    volume outside the usual range; a drug against a documented allergy), and the imaging step's of
    a time or dose outside the usual range, come back with their
    reasons but unticked: each tick confirms the problems shown when it was given, and a
    correction may bring new ones (another drug against the allergy, a dose over the maximum)
    that a tick carried over would let through unseen."""
    if step == Step.INJECTATE:
        rows = [dict(row) for row in injectate_rows]
        return {"rows": rows + [{}] * max(0, INJECTATE_ROWS - len(rows)),
                "strength_confirmed": False, "strength_reason": answers.get("strength_reason", ""),
                "allergy_confirmed": False, "allergy_reason": answers.get("allergy_reason", "")}
    data = saved_answers(step, answers)
    if "dose_confirmed" in data:
        # As the injectate's: the reason comes back, the tick does not (it confirmed the values then).
        data["dose_confirmed"] = False
    if "vascular_uptake" in data:
        data["vascular_uptake"] = {True: "yes", False: "no"}.get(data["vascular_uptake"])
    return data


class StartForm(TrackerForm):
    version_id = HiddenField()
    # The ids of the physician's other procedures in progress that the warning showed her.
    acknowledged = HiddenField()
    # Ticked by the physician on the warning page when the risk screen says (possibly) pregnant.
    pregnancy_acknowledged = BooleanField(_l("I have reviewed the pregnancy: a negative pregnancy test today, or my "
                                             "decision to proceed with fluoroscopy and the injectate"))
    # Ticked by the physician on the warning page when the risk screen says active infection or fever.
    infection_acknowledged = BooleanField(_l("I have reviewed the infection or fever: it has resolved, or I decide "
                                             "to proceed with the injection"))
    # Asked on the warning page when the blood thinner's hold did not fit the booked day and no day of
    # the last dose was confirmed at readiness: the day (asked of the patient), or her decision without it.
    anticoagulant_last_dose_on = ClinicDateField(_l("Day of the last dose"), validators=[Optional()])
    hold_acknowledged = BooleanField(_l("I proceed without a confirmed day of the last dose: my decision"))
    # Ticked on the warning page when the appointment's patient was never checked in: the start checks them in.
    check_in_acknowledged = BooleanField(_l("The patient is here: check them in with this start"))
    # What the warning said of each flag ticked ("pregnancy: Possibly pregnant …", one a line): a tick
    # acknowledges the answer she read, not one the risk screen recorded since.
    risks_shown = HiddenField()
    submit = SubmitField(_l("Start procedure"))

    def acknowledged_ids(self):
        return {int(part) for part in (self.acknowledged.data or "").split() if part.isdigit()}

    def risks_acknowledged(self):
        """{kind: the words the warning showed} of the risk screen's flags (vocab.decision_flags) whose
        box she ticked."""
        shown = dict(line.split(": ", 1) for line in (self.risks_shown.data or "").splitlines() if ": " in line)
        return {kind: shown.get(kind, "") for kind in ("pregnancy", "infection") if self[f"{kind}_acknowledged"].data}

    @staticmethod
    def shown(flags):
        """The `risks_shown` value of a warning showing `flags`."""
        return "\n".join(f"{flag.kind}: {flag.words}" for flag in flags)


class SignForm(TrackerForm):
    version_id = HiddenField()
    submit = SubmitField(_l("Sign procedure record"))


class AbandonForm(TrackerForm):
    version_id = HiddenField()
    reason = TextAreaField(_l("Why the procedure is abandoned"), validators=[
        DataRequired(_l("Give the reason for abandoning the procedure.")), Length(max=2000)])
    submit = SubmitField(_l("Abandon procedure"))


class AddendumForm(TrackerForm):
    reason = StringField(_l("Reason for the addendum"), validators=[
        DataRequired(_l("Give the reason for the addendum (e.g. a correction of the lot number).")),
        Length(max=200)])
    text = TextAreaField(_l("Addendum"), validators=[
        DataRequired(_l("Write the addendum.")), Length(max=5000)])
    submit = SubmitField(_l("Add addendum"))
