"""The diary's forms: an entry (one 0-10 scale per side rated), a correction, and staff's phone entry.

The scale is a group of real radio buttons, so it works without JavaScript and a screen reader
announces "Your pain, 3 of 11"; the optional questions are yes/no radios with no default, so an
unanswered question is stored as "not answered", never as "no".
"""
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, RadioField, TextAreaField, TimeField
from wtforms.fields.choices import SelectChoice
from wtforms.fields.core import UnboundField
from wtforms.validators import InputRequired, Length, StopValidation, ValidationError

from tracker.formfields import TrackerForm
from tracker.scheduling.forms import ClinicDateField
from tracker.scheduling.rules import clinic_to_utc
from tracker.timeutil import clinic_zone
from tracker.vocab import Side

NRS_MIN, NRS_MAX = 0, 10
SCORE_WORDS = {NRS_MIN: _l("no pain"), NRS_MAX: _l("worst pain imaginable")}
MISSING_SCORE = _l("Choose a number from 0 (no pain) to 10 (worst pain imaginable).")
NOT_A_NUMBER = _l("The pain score must be a whole number from 0 to 10.")


class ScoreField(RadioField):
    """A 0-10 pain score. Anything but a whole number in range gets a message that says what is
    wrong with it; nothing is guessed or clipped."""

    def __init__(self, label=None, **kwargs):
        choices = [SelectChoice(n, f"{n} {SCORE_WORDS[n]}" if n in SCORE_WORDS else str(n))
                   for n in range(NRS_MIN, NRS_MAX + 1)]
        super().__init__(label, choices=choices, coerce=int, validate_choice=False, **kwargs)

    def process_formdata(self, valuelist):
        self.data = None
        if valuelist and valuelist[0].strip() != "":
            try:
                self.data = int(valuelist[0].strip())
            except ValueError:
                raise ValueError(NOT_A_NUMBER) from None

    def pre_validate(self, form):
        if self.process_errors:
            raise StopValidation()
        if self.data is None:
            raise StopValidation(MISSING_SCORE)
        if not NRS_MIN <= self.data <= NRS_MAX:
            raise StopValidation(_("Pain scores go from 0 to 10: %(score)s is not on the scale.", score=self.data))


class YesNoField(RadioField):
    """An optional yes/no: data is True, False or None (not answered)."""

    def __init__(self, label=None, **kwargs):
        super().__init__(label, choices=[SelectChoice("yes", _l("Yes")), SelectChoice("no", _l("No"))], validate_choice=False, **kwargs)

    def process_formdata(self, valuelist):
        self.raw = valuelist[0] if valuelist else ""
        self.data = self.raw or None

    def pre_validate(self, form):
        if self.data not in (None, "yes", "no"):
            raise ValidationError(_("Answer yes or no, or leave it unanswered."))

    @property
    def answer(self):
        return {"yes": True, "no": False}.get(self.data)


class _Answers:
    # The names on a US pharmacy shelf: acetaminophen, not paracetamol.
    analgesic_used = YesNoField(_l("Since your last entry, did you take a pain reliever "
                                   "(for example acetaminophen (Tylenol) or ibuprofen (Advil))?"))
    opioid_used = YesNoField(_l("Since your last entry, did you take an opioid (a strong pain medicine such as codeine, tramadol or oxycodone)?"))
    physical_therapy_done = YesNoField(_l("Since your last entry, did you do physical therapy or your exercises?"))

    def answers(self):
        return {name: self[name].answer for name in ("analgesic_used", "opioid_used", "physical_therapy_done")}


class EntryForm(_Answers, TrackerForm):
    point = HiddenField()
    score = ScoreField(_l("Your pain now"))
    score_left = ScoreField(_l("Left side"))
    score_right = ScoreField(_l("Right side"))

    def score_fields(self):
        return [self[name] for name in ("score", "score_left", "score_right") if name in self]

    def scores(self):
        """side -> score, for the sides this form asks about."""
        if "score" in self:
            return {self.only_side: self.score.data}
        return {Side.LEFT: self.score_left.data, Side.RIGHT: self.score_right.data}


class PhoneEntryForm(EntryForm):
    """Staff type what the patient says on the phone: the same questions, and when the patient felt
    that pain (the score describes that moment; the diary files it under the point whose window
    holds it)."""

    felt_on = ClinicDateField(_l("Day the patient felt this pain"),
                              validators=[InputRequired(_l("Enter the day the patient felt this pain."))])
    felt_time = TimeField(_l("Time (clinic time)"),
                          validators=[InputRequired(_l("Enter the time the patient felt this pain, e.g. 14:30."))])

    def felt_at(self):
        """The recalled moment in UTC; raises NotAClockTime for a time the clocks skip."""
        return clinic_to_utc(self.felt_on.data, self.felt_time.data, clinic_zone())


def entry_form(case, form_class=EntryForm, **kwargs):
    """The entry form for a case: one scale for a single side, one per side for a bilateral case."""
    form = form_class(**kwargs)
    if case.side == Side.BILATERAL:
        del form.score
    else:
        del form.score_left
        del form.score_right
        form.only_side = Side(case.side)
    return form


class CorrectionForm(_Answers, TrackerForm):
    version_id = HiddenField()
    score = ScoreField(_l("Correct score"))
    reason = TextAreaField(_l("Why are you changing it?"), validators=[Length(max=500)])

    def validate_reason(self, field):
        if not (field.data or "").strip():
            raise ValidationError(_("Say why the score changes (for example: I tapped the wrong number)."))


def in_her_words(fields, correcting=False):
    """A held diary form's fields as the patient reads them (tracker/auth/held_forms.py): the time
    point by its name, each score and answer by its question, yes and no in her language; nothing
    else (no field names, no bookkeeping). [(question, answer)]."""
    from tracker.diary.schedule import SCHEDULES

    labels = {}
    for base in reversed((CorrectionForm if correcting else EntryForm).__mro__):
        labels.update({name: field.args[0] for name, field in vars(base).items()
                       if isinstance(field, UnboundField) and field.args})
    points = {point.code: point.label for schedule in SCHEDULES.values() for point in schedule.points}
    shown = []
    for name, value in fields:
        if name == "point" and value in points:
            shown.append((_("Time point"), _("“%(point)s”", point=_(points[value]))))
        elif name in ("analgesic_used", "opioid_used", "physical_therapy_done") and value in ("yes", "no"):
            shown.append((labels[name], _("Yes") if value == "yes" else _("No")))
        elif name in ("score", "score_left", "score_right", "reason") and name in labels and value.strip():
            shown.append((labels[name], value))
    return shown
