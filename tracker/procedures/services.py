"""The procedure checklist: starting, saving a step, signing, abandoning, addenda; the formulary.

Every change goes through here. Each save checks the record is still open, the step's order
(may_record) and its values (validate_step), refuses a save from a stale form, writes the step
with its time and person, touches the record (so a save and a signature never interleave unseen)
and an audit row naming what was saved (never the clinical values), and commits them together.
"""
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple

from flask import current_app
from sqlalchemy.exc import IntegrityError

from tracker import audit
from tracker.cases.services import transition
from tracker.contact import contact_ended_words
from tracker.diary import services as diary
from tracker.diary.kept import keep_relief
from tracker.extensions import db
from tracker.models import (AppointmentChange, Case, ClinicSettings, FormularyDrug, InjectateRow, ProcedureAddendum,
                            ProcedureRecord, ProcedureStatus, ProcedureStep)
from tracker.procedures.records import acknowledged, not_injected
from tracker.procedures.formulary import (DEFAULT_FORMULARY, MG_PER_ML, STOP_ABOVE_MAXIMUM_KINDS, DrugKind,
                                          maximum_change_to_confirm, plain, read_concentration)
from tracker.procedures.rules.billing import BillingSetting
from tracker.procedures.rules.checks import (ALLERGY_CONFIRMED, CONFIRMED, CONTRAST_CONFIRMED, IMAGING_CONFIRMED,
                                             imaging_outside_usual, validate_step)
from tracker.procedures.rules.drug_warnings import contrast_against_allergy, drugs_against_allergy
from tracker.procedures.rules.completeness import missing_fields, missing_for_signing, or_not_injected
from tracker.procedures.rules.duration import duration_flag, duration_minutes
from tracker.procedures.rules.order import may_record, omission_refusals, side_phrase
from tracker.procedures.rules.schema import (AGENT_FIELDS, CONTRAST_ALLERGY_FIELDS, DRUG_ALLERGY_FIELDS,
                                             IMAGING_CONFIRMATION_FIELDS, INJECTATE_ROW_FIELDS, PER_SIDE_STEPS, STEPS, ArthrogramPattern,
                                             STEP_FIELDS, ChecklistContext, Step)
from tracker.procedures.rules.values import blank, saved_answers
from tracker.refusals import FieldError, Refusal, StaleEdit, check_version
from tracker.timeutil import start_day_words, to_clinic, utcnow
from tracker.scheduling import services as scheduling
from tracker.scheduling.instructions import in_words
from tracker.transactions import lock, service, undo_refused_write
from tracker.vocab import (AnticoagulantAnswer, AppointmentStatus, Side, allergies_of, anticoagulant_words,
                           decision_flags, infection_flag, joints_of, not_asked, pregnancy_flag)
from tracker.workflow import State

SIGNED = "This procedure record is signed and can no longer change. Add an addendum instead."
# The imaging step's field that says which guidance was used (what a contrast check waits for).
GUIDANCE_LABEL = next(f.label for f in STEP_FIELDS[Step.FLUOROSCOPY] if f.name == "modality")
ABANDONED = "This procedure was abandoned; start it again from the appointment to record steps."


class ProcedureRefused(Refusal):
    """The change is not allowed now; `problems` says why, in words the physician understands."""

    def __init__(self, problems):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__(" ".join(self.problems))


class AcknowledgeFirst(Refusal):
    """A start the physician acknowledges first, not a stop: another procedure of hers in progress
    (`records`, oldest first; it may simply not be signed yet), the risk screen's answers that
    wait for her decision (`flags`, vocab.decision_flags: a pregnancy, an active infection or fever),
    and a blood thinner's hold that did not fit with no last dose confirmed (`hold`, its words; `errors`:
    why the day of the last dose she entered was refused, by field). `shown_flags`: every such answer
    the warning shows, in the pages' order: those waiting, and those she ticked on the words they
    still read (shown again ticked, not asked again); by default the waiting ones. `not_checked_in`:
    the appointment's patient was never checked in (scheduling.not_checked_in, its words), shown
    whenever so; `check_in_waiting`: she has not ticked that the patient is here."""

    def __init__(self, records, flags=(), hold="", errors=None, shown_flags=None, not_checked_in="",
                 check_in_waiting=False):
        self.records, self.flags, self.hold, self.errors = list(records), list(flags), hold, dict(errors or {})
        self.shown_flags = list(flags if shown_flags is None else shown_flags)
        self.not_checked_in, self.check_in_waiting = not_checked_in, check_in_waiting
        said = [not_checked_in] if check_in_waiting else []
        said += (["You have another procedure in progress: "
                  + "; ".join(f"case {record.case_id}" for record in self.records) + "."] if self.records else [])
        said += [f"The risk screen says {flag.answer}." for flag in self.flags]
        said += [hold, *self.errors.values()] if hold else []
        super().__init__(" ".join(said))


class StepInvalid(Refusal):
    """The rules found errors in what was typed: field name -> message."""

    status = 422

    def __init__(self, errors):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


# ------------------------------------------------------------------ the clinic's billing setting

def billing_setting():
    """Where the clinic bills the injection (the admin's clinic setting): a physician office until
    an admin says the clinic bills as a facility."""
    settings = db.session.get(ClinicSettings, 1)
    return BillingSetting(settings.billing_setting if settings else BillingSetting.OFFICE)


# ------------------------------------------------------------------ the formulary

def formulary():
    """Every formulary row by code (inactive ones too: old records still name them). The first
    use copies the built-in default formulary into the empty table."""
    rows = db.session.execute(db.select(FormularyDrug).order_by(FormularyDrug.name)).scalars().all()
    if not rows:
        _seed_formulary()
        rows = db.session.execute(db.select(FormularyDrug).order_by(FormularyDrug.name)).scalars().all()
    return {row.code: row for row in rows}


def _seed_formulary():
    try:
        with db.session.begin_nested():
            db.session.add_all(FormularyDrug(
                code=entry.code, name=entry.name, kind=entry.kind,
                strengths=[plain(strength) for strength in entry.strengths],
                strength_unit=entry.strength_unit, usual_max_dose_mg=entry.usual_max_dose_mg,
                source=entry.source, active=True) for entry in DEFAULT_FORMULARY)
        db.session.commit()
    except IntegrityError:
        undo_refused_write()  # another request seeded it a moment ago


class MaximumChangeToConfirm(FieldError):
    """A drug's usual maximum moved far from the saved one (`formulary.maximum_change_to_confirm`):
    a slipped decimal point would move the checklist's warning and its ten-times hard stop with
    it. Saved only once the admin ticks the box naming this very change (`key`)."""

    def __init__(self, name, old, new, kind, strength_unit):
        self.name, self.old, self.new = name, old, new
        self.warns = kind == DrugKind.STEROID  # the checklist warns above a steroid's maximum only
        self.stops = strength_unit == MG_PER_ML  # and stops at ten times an mg/mL drug's
        # ... but above a local anaesthetic's maximum itself (formulary.STOP_ABOVE_MAXIMUM_KINDS)
        self.stops_above = self.stops and kind in STOP_ABOVE_MAXIMUM_KINDS
        self.key = maximum_change_key(old, new)
        super().__init__("usual_max_dose_mg", f"The usual maximum of {name} changes from {mg_words(old)} to "
                                              f"{mg_words(new)}: confirm it with the box below.")


def maximum_change_key(old, new):
    """What the admin's tick confirms: this change of the maximum, from this value to that."""
    return f"{plain(Decimal(str(old))) if old is not None else ''}:{plain(Decimal(str(new))) if new is not None else ''}"


def mg_words(value):
    return f"{plain(Decimal(str(value)))} mg" if value is not None else "none"


def drug_as_audited(values):
    """A drug's fields as its audit row lists their old and new values ("Usual maximum: 40 mg → 400 mg")."""
    kind = values["kind"]
    return {"name": values["name"], "kind": getattr(kind, "value", kind),
            "strengths": f"{', '.join(values['strengths'])} {values['strength_unit']}",
            "usual_maximum": mg_words(values["usual_max_dose_mg"]), "source": values["source"] or "",
            "stocked": bool(values["active"])}


def _saved_values(drug):
    return {"name": drug.name, "kind": drug.kind, "strengths": list(drug.strengths),
            "strength_unit": drug.strength_unit, "usual_max_dose_mg": drug.usual_max_dose_mg,
            "source": drug.source, "active": drug.active}


@service
def save_drug(drug, values, actor, version_id=None, confirmed_maximum=None):
    """Add a drug (`drug` None) or change one. The admin's form has checked the values; a code
    already taken raises FieldError, a stale form StaleEdit, a usual maximum moved far from the
    saved one MaximumChangeToConfirm unless `confirmed_maximum` is that change's key."""
    confirmed = False
    if drug is None:
        taken = db.session.execute(db.select(FormularyDrug).filter_by(code=values["code"])).scalar()
        if taken is not None:
            raise FieldError("code", f"The code {values['code']} is already used by {taken.name}.")
        before = {}
        drug = FormularyDrug(**values)
        db.session.add(drug)
        action = audit.Action.CREATE
    else:
        check_version(drug, version_id)
        old, new = drug.usual_max_dose_mg, values["usual_max_dose_mg"]
        if maximum_change_to_confirm(old, new):
            if confirmed_maximum != maximum_change_key(old, new):
                raise MaximumChangeToConfirm(values["name"], old, new, values["kind"], values["strength_unit"])
            confirmed = True
        before = drug_as_audited(_saved_values(drug))
        for name, value in values.items():
            setattr(drug, name, value)
        action = audit.Action.UPDATE
    try:
        db.session.flush()
    except IntegrityError as error:
        # Another admin saved a drug with this code after the check above.
        raise FieldError("code", "Another drug was just saved with this code.") from error
    after = drug_as_audited(_saved_values(drug))
    summary = (f"formulary: {drug.code} added" if action == audit.Action.CREATE else
               f"formulary: {drug.code} " + audit.changed_fields(before, after, ("usual_maximum", "stocked")))
    if confirmed:
        summary += (f"; the admin confirmed the usual maximum changes from {before['usual_maximum']} to "
                    f"{after['usual_maximum']}")
    audit.record(action, "formulary_drug", drug.id, summary=summary, user=actor, before=before, after=after)
    db.session.commit()
    return drug


def active(entries):
    return {code: entry for code, entry in entries.items() if entry.active}


def by_kind(entries):
    grouped = {}
    for entry in entries.values():
        grouped.setdefault(entry.kind.value, []).append(entry)
    return grouped


# ------------------------------------------------------------------ reading a record

def context(record, entries):
    risk = record.case.risk_screen
    allergies = frozenset(allergies_of(risk)) if risk is not None else frozenset()
    pregnancy, infection = _reviews(record)
    return ChecklistContext(side=record.side.value, contrast_allergy=bool(risk and risk.allergy_contrast),
                            formulary=active(entries), allergies=allergies, not_asked=not_asked(risk),
                            pregnancy=pregnancy, infection=infection, held_anticoagulant=held_anticoagulant(record),
                            contrast_premedication_planned=bool(risk and risk.contrast_premedication_planned),
                            # Judged at the table, not after: a signed record keeps what it was asked.
                            premedication_not_taken=("" if record.signed
                                                     else scheduling.premedication_not_taken(record.appointment)),
                            injected_joints=frozenset(injected_joints(record)))


def _reviews(record):
    """The reviews the sign-in asks of this record: the pregnancy answer to review ("" when none)
    and whether an infection or fever is to be. A signed record asks only those its sign-in
    answered: one signed before a review was asked (by an earlier release) is complete as it was
    signed, not short of a review nobody was asked for."""
    risk = record.case.risk_screen
    flag = pregnancy_flag(risk)
    pregnancy, infection = (flag.value if flag else ""), infection_flag(risk)
    if record.signed:
        answered = set().union(*(row.answers for row in record.steps if row.step == Step.SIGN_IN))
        pregnancy = pregnancy if "pregnancy_reviewed" in answered else ""
        infection = infection and "infection_reviewed" in answered
    return pregnancy, infection


def held_anticoagulant(record):
    """The blood thinner the patient may have held for this injection, as the risk screen names it
    ("" when none was): the sign-out asks when the patient was told to restart it. A hold not
    recorded counts as held (the patient may well have stopped it, and a missed restart risks a
    clot or a stroke); only a hold of 0 days (she keeps taking it) asks nothing. A signed record
    asks it only if its sign-out answered it (one signed before the question was asked is complete)."""
    risk = record.case.risk_screen
    days = risk.anticoagulant_hold_days if risk is not None else None
    held = (risk.anticoagulants if risk is not None and risk.anticoagulant_answer == AnticoagulantAnswer.TAKING
            and (days is None or days > 0) else "")
    if held and record.signed:
        answered = set().union(*(row.answers for row in record.steps if row.step == Step.SIGN_OUT))
        held = held if "anticoagulant_restart" in answered else ""
    return held


class Checklist:
    """A record's saved steps arranged the way the rules read them."""

    def __init__(self, record):
        self.record = record
        self.joints = joints_of(record.side)
        self.pregnancy, self.infection = _reviews(record)
        self.held_anticoagulant = held_anticoagulant(record)
        self.rows = {}
        for row in record.steps:
            self.rows.setdefault((Step(row.step), Side(row.side)), []).append(row)
        for checks in self.rows.values():
            checks.sort(key=lambda row: row.attempt)

    def side_of(self, step, side=None):
        """The side a step's row is kept under: its joint for the needle steps, else the case's."""
        if step in PER_SIDE_STEPS:
            return Side(side) if side else Side(self.record.side)
        return Side(self.record.side)

    def checks(self, step, side=None):
        """Every saved row of a step on a side, oldest first (several only for contrast checks)."""
        return self.rows.get((step, self.side_of(step, side)), [])

    def latest(self, step, side=None):
        checks = self.checks(step, side)
        return checks[-1] if checks else None

    def answers(self, step, side=None, row=None):
        row = row or self.latest(step, side)
        if row is None:
            return {}
        if step == Step.INJECTATE:
            return {"rows": injectate_answers(row), **row.answers}
        return saved_answers(step, row.answers)

    def complete(self, step, side=None):
        return self.latest(step, side) is not None and not self.missing(step, side)

    def missing(self, step, side=None):
        """The labels of the step's required fields still blank (its latest row)."""
        return missing_fields(step, self.answers(step, side), self.pregnancy, self.infection,
                              self.held_anticoagulant)

    def done(self):
        return {step: ({joint: self.complete(step, joint) for joint in self.joints}
                       if step in PER_SIDE_STEPS else self.complete(step))
                for step in STEPS}

    def order_refusals(self, step, ctx, side=None):
        """Why the step cannot be recorded now (rules.order.may_record), a sign-in or time-out
        saved but incomplete named with what it still lacks, not as if it were never recorded."""
        missing = {before: self.missing(before) for before in (Step.SIGN_IN, Step.TIME_OUT)
                   if self.latest(before) is not None}
        missing |= {(Step.FLUOROSCOPY, joint): [GUIDANCE_LABEL] for joint in self.joints
                    if self.latest(Step.FLUOROSCOPY, joint) is not None and not self.imaging_begun(joint)}
        refusals = may_record(step, self.order_done(), self.contrast_results(), ctx, side, missing)
        if step == Step.INJECTATE and side and self.not_injected() == Side(side):
            refusals.append(f"The sign-out records the {side} side as not injected: correct the sign-out before "
                            "recording its injectate.")
        return refusals

    def not_injected(self):
        """The joint the sign-out names as not injected (None: every joint was)."""
        skipped = not_injected(self.record)
        return skipped.side if skipped else None

    def order_done(self):
        """What the safety order (rules.order.may_record) reads as done: each step complete, but the
        injectate once given (saved), not complete: the sign-out follows the injection, and a lot
        number may wait until signing, which asks for it. The imaging step of a side counts once
        saved naming the guidance used: the contrast is read on its images, while its screening time
        and dose are known only at the end."""
        done = self.done()
        done[Step.INJECTATE] = {joint: self.latest(Step.INJECTATE, joint) is not None for joint in self.joints}
        done[Step.FLUOROSCOPY] = {joint: self.imaging_begun(joint) for joint in self.joints}
        return done

    def imaging_begun(self, side):
        """The imaging step of `side` is saved and names the guidance used (fluoroscopy, CT, ultrasound)."""
        latest = self.latest(Step.FLUOROSCOPY, side)
        return latest is not None and not blank(latest.answers.get("modality"))

    def contrast_results(self):
        return {joint: [dict(row.answers) for row in self.checks(Step.CONTRAST, joint)]
                for joint in self.joints}

    def steps_values(self):
        return {step: ({joint: self.answers(step, joint) for joint in self.joints}
                       if step in PER_SIDE_STEPS else self.answers(step))
                for step in STEPS}

    def boxes(self):
        """The checklist's boxes in order, as (step, side): one per joint for a needle step."""
        return [(step, joint.value if step in PER_SIDE_STEPS else None)
                for step in STEPS for joint in (self.joints if step in PER_SIDE_STEPS else (None,))]

    def open_boxes(self, ctx):
        """The boxes not yet done: never saved, saved part-filled, a contrast check to repeat, or
        contrast omitted where that confirms nothing (no documented contrast allergy). A joint the
        sign-out names as not injected leaves open no contrast check or injectate, nor imaging never begun."""
        skipped = self.not_injected()

        def waits(step, side):
            if skipped is not None and side == skipped and (
                    step in (Step.CONTRAST, Step.INJECTATE) or self.latest(step, side) is None):
                return False
            return not self.complete(step, side) or (step == Step.CONTRAST and (
                self.needs_repeat(side) or self.omission_refusals(side, ctx)))

        return {box for box in self.boxes() if waits(*box)}

    def needs_repeat(self, side):
        """The latest contrast check asks for a repositioned needle and a repeat check."""
        latest = self.latest(Step.CONTRAST, side)
        if latest is None or self.omitted(side) is not None:
            return False
        pattern = latest.answers.get("arthrogram_pattern")
        return latest.answers.get("vascular_uptake") is True or pattern in (
            ArthrogramPattern.POOR_SPREAD, ArthrogramPattern.EXTRAVASATION)


    def omitted(self, side):
        """The latest contrast check on `side` when it omitted contrast, else None."""
        latest = self.latest(Step.CONTRAST, side)
        return latest if latest is not None and latest.answers.get("omitted") is True else None

    def omission_refusals(self, side, ctx):
        """Why the contrast omitted on `side` confirms nothing (rules.order.omission_refusals): [] when
        contrast was given, or omitted for a documented contrast allergy with its reason."""
        row = self.omitted(side)
        return omission_refusals(row.answers, side_phrase(Side(side or ctx.side), ctx), ctx) if row else []


def injectate_answers(row):
    return [{"drug": r.drug_code, "concentration_mg_per_ml": plain(r.concentration_mg_per_ml),
             "dose_mg": plain(r.dose_mg), "volume_ml": plain(r.volume_ml), "lot_number": r.lot_number}
            for r in row.injectate]


def signing_problems(record, entries):
    """Everything that stands between the record and a signature: each required field still
    blank, and a contrast check that no longer allows the injectate (edited after it)."""
    checklist = Checklist(record)
    ctx = context(record, entries)
    problems = missing_for_signing(checklist.steps_values(), ctx)
    # The side not injected needs no contrast check that allows an injectate.
    joints = [joint for joint in ctx.joints if joint != checklist.not_injected()]
    # A joint not injected while the other is may instead be named at the sign-out: said beside its repeat.
    injected = injected_joints(record)
    # A contrast check that asked for a repositioned needle is complete as a record but not as a
    # step: the repeat check is what is missing, named before the injectate it holds back.
    repeats = [f"{Step.CONTRAST.label}{f' ({joint.value})' if ctx.bilateral else ''}: a repeat check with the "
               "needle repositioned (the last check showed vascular uptake or no intra-articular spread)"
               + (or_not_injected(joint) if injected and joint not in injected else "")
               for joint in joints if checklist.needs_repeat(joint)]
    # Contrast omitted without a documented allergy: named as what is missing before the injectate
    # (once the injectate is saved, the check below names it as the injectate's refusal).
    repeats += [f"{Step.CONTRAST.label}{f' ({joint.value})' if ctx.bilateral else ''}: {refusal}"
                for joint in joints if checklist.complete(Step.CONTRAST, joint.value)
                and checklist.latest(Step.INJECTATE, joint) is None
                for refusal in checklist.omission_refusals(joint.value, ctx)]
    at = next((i for i, problem in enumerate(problems) if problem.startswith(Step.INJECTATE.label)), len(problems))
    problems[at:at] = repeats
    done, contrast = checklist.done(), checklist.contrast_results()
    for joint in ctx.joints:
        if checklist.latest(Step.INJECTATE, joint) is not None:
            problems += may_record(Step.INJECTATE, done, contrast, ctx, joint.value)
    return list(dict.fromkeys(problems))


class SigningPreview(NamedTuple):
    """What the signature will keep that the physician reads beside the Sign button, before the one
    irreversible tap: the duration it stores (start to sign-out) with its flag ("" for none), each
    check's warnings noted as (where, line), and what she acknowledged at the start ("" for nothing)."""

    minutes: int
    started_at: datetime
    ended_at: datetime
    flag: str
    warnings: list
    acknowledged: str

    @property
    def flagged(self):
        return bool(self.flag or self.warnings or self.acknowledged)


def signing_preview(record):
    """The record's SigningPreview, read as `sign` will store it; None before the sign-out is
    recorded (the end of the procedure, which signing waits for)."""
    ended = record.sign_out_at
    if ended is None:
        return None
    minutes = duration_minutes(record.started_at, ended)
    checklist = Checklist(record)
    warnings = []
    for step, side in checklist.boxes():
        checks = checklist.checks(step, side)
        for row in checks:
            where = (step.label + (f" — {Side(side).label.lower()} side" if side and record.side == Side.BILATERAL
                                   else "") + (f", check {row.attempt}" if len(checks) > 1 else ""))
            warnings += [(where, line) for line in (row.warnings or "").splitlines()]
    return SigningPreview(minutes, record.started_at, ended, duration_flag(minutes), warnings, acknowledged(record))


def elapsed_minutes(record, now=None):
    """Minutes from the start to the sign-out once it is recorded, else to now."""
    return duration_minutes(record.started_at, _elapsed_end(record, now))


def elapsed_seconds(record, now=None):
    """Whole seconds from the start to the sign-out once it is recorded, else to now (the timer's)."""
    return max(0, int((_elapsed_end(record, now) - record.started_at).total_seconds()))


def _elapsed_end(record, now):
    return record.ended_at or record.sign_out_at or now or utcnow()


# ------------------------------------------------------------------ changing a record

def _may_record(appointment, actor):
    """A clinic may keep each checklist to the physician booked for it (PROCEDURE_OWN_CASES_ONLY):
    another physician then reads it but records nothing."""
    if not current_app.config.get("PROCEDURE_OWN_CASES_ONLY"):
        return
    if appointment is not None and appointment.physician_id != actor.id:
        raise ProcedureRefused(f"This clinic keeps each procedure record to the physician booked for "
                               f"it: only {appointment.physician.name} may record or sign this one.")


def _open(record):
    if record.status == ProcedureStatus.SIGNED:
        raise ProcedureRefused(SIGNED)
    if record.status == ProcedureStatus.ABANDONED:
        raise ProcedureRefused(ABANDONED)


def running_elsewhere(case, actor, at=None):
    """The procedures `actor` started on other cases and has neither signed nor abandoned, oldest
    first (a physician at the table has one at a time; a second is usually one left unsigned).
    With `at` (a start recorded at the time it happened, as the demo seed does), only those started
    by then: one started later was not in progress at that start, and a signed record must never
    say it was."""
    return db.session.execute(
        db.select(ProcedureRecord).join(Case, Case.id == ProcedureRecord.case_id)
        .filter(Case.state == State.IN_PROCEDURE, Case.id != case.id,
                ProcedureRecord.status == ProcedureStatus.IN_PROGRESS, ProcedureRecord.started_by_id == actor.id,
                *([ProcedureRecord.started_at <= at] if at is not None else []))
        .order_by(ProcedureRecord.started_at, ProcedureRecord.id)
    ).scalars().all()


def _risk_acknowledged(flag, risks_acknowledged):
    """Whether the physician ticked this flag of the risk screen as it reads now: `risks_acknowledged`
    holds the kinds ticked, or {kind: the words the warning showed} (the warning's form), so a tick
    given for "possibly pregnant" never starts a patient recorded pregnant since."""
    if flag.kind not in risks_acknowledged:
        return False
    return not isinstance(risks_acknowledged, dict) or risks_acknowledged[flag.kind] == flag.words


def _acknowledges(acknowledged, running):
    """`acknowledged` holds the ids of the procedures in progress the physician was shown and
    started past (the warning's form), or is True for a script (the demo, test set-up). It holds
    for exactly those: one started meanwhile is shown again."""
    return acknowledged is True or {record.id for record in running} <= set(acknowledged or ())


@service
def start(case, actor, version_id=None, now=None, acknowledged=(), risks_acknowledged=(), last_dose_on=None,
          hold_acknowledged=False, check_in_acknowledged=False):
    """Start the procedure: the case moves to in procedure, its appointment too, and a new record
    is stamped with the start time. The workflow's guard checks the appointment is ready. While
    the physician has another procedure in progress, or the risk screen says something that waits
    for her decision (a pregnancy, an active infection or fever: `risks_acknowledged` names the
    kinds she ticked), the start waits for her acknowledgement (AcknowledgeFirst); the record keeps
    what she acknowledged and the audit row says it. `acknowledged` True (a script) acknowledges all.

    So does a blood thinner's hold that did not fit the booked day with no day of the last dose
    confirmed at readiness (overridden instead): she enters the day (`last_dose_on`, refused after the
    appointment's day or too long before it as readiness refuses it, even with the box ticked) or
    decides to proceed without it (`hold_acknowledged`); the record, the appointment's history and the audit row keep which.

    So does an appointment whose patient was never checked in (a start at 00:29 for the 08:00 patient):
    she ticks that the patient is here (`check_in_acknowledged`), and the start checks the appointment
    in first, through the desk's check-in (scheduling.check_in), at the start's time and in her name."""
    now = now or utcnow()
    formulary()
    appointment = case.active_appointment
    _may_record(appointment, actor)
    if case.patient.died:
        # Whoever is on the table is not the patient this record says died: the record is wrong, or
        # the patient is. Undoing the mark (with its reason, audited) comes first.
        raise ProcedureRefused(f"The patient's record says {contact_ended_words(case.patient)} (recorded by "
                               f"{case.patient.contact_ended_by}): cancel this appointment. If the record is wrong, "
                               f"undo that on the patient's record first.")
    if appointment is not None and (not_today := start_day_words(
            appointment.starts_at, now, checked_in=appointment.status == AppointmentStatus.CHECKED_IN)):
        raise ProcedureRefused(not_today)
    transition(case, "start_procedure", actor, version_id=version_id, commit=False, at=now)
    # Asked once the start is otherwise allowed: the warning is never followed by another refusal.
    running = running_elsewhere(case, actor, now)
    flags = decision_flags(case.risk_screen)
    unacknowledged = [flag for flag in flags
                      if acknowledged is not True and not _risk_acknowledged(flag, risks_acknowledged)]
    hold = scheduling.unconfirmed_hold(appointment) if appointment is not None else ""
    problem = scheduling.last_dose_problem(appointment, last_dose_on) if hold and last_dose_on is not None else None
    # A day entered here that leaves fewer days than the planned hold is her decision too: she ticks it.
    entered_short = (scheduling.hold_shortfall(appointment, last_dose_on)
                     if hold and last_dose_on is not None and not problem else "")
    refused = ({"anticoagulant_last_dose_on": problem} if problem else
               {"anticoagulant_last_dose_on": f"{entered_short}: tick that you proceed (your decision), or move "
                                              f"the appointment."} if entered_short and not hold_acknowledged
               else {})
    hold_open = bool(hold) and acknowledged is not True and (bool(refused) or (last_dose_on is None
                                                                                and not hold_acknowledged))
    not_here = scheduling.not_checked_in(appointment)
    check_in_open = bool(not_here) and acknowledged is not True and not check_in_acknowledged
    if (running and not _acknowledges(acknowledged, running)) or unacknowledged or hold_open or check_in_open:
        raise AcknowledgeFirst(running if not _acknowledges(acknowledged, running) else (), unacknowledged,
                               hold if hold_open else "", refused, shown_flags=flags, not_checked_in=not_here,
                               check_in_waiting=check_in_open)
    entered = last_dose_on if hold and acknowledged is not True else None
    # The hold not kept as planned that she proceeded past: the day entered now, or else the one
    # confirmed at readiness.
    short = (entered_short if entered else scheduling.hold_shortfall(appointment, appointment.anticoagulant_last_dose_on)
             if hold and appointment.anticoagulant_last_dose_on else "")
    if not_here:
        # The patient is here (she ticked it): the history reads checked in, then procedure started.
        scheduling.check_in(appointment, actor, now=now, commit=False)
    appointment.status = AppointmentStatus.IN_PROCEDURE
    appointment.changes.append(AppointmentChange(actor_id=actor.id, at=now, change="procedure started",
                                                 reason=_hold_answered(hold, entered, short)))
    meanwhile = (" while " + ", ".join(f"case {record.case_id}" for record in running)
                 + (" was" if len(running) == 1 else " were") + " in procedure (acknowledged)") if running else ""
    meanwhile += "; the patient was not checked in: checked in with the start (acknowledged)" if not_here else ""
    meanwhile += "".join(f"; {flag.answer} on the risk screen (acknowledged)" for flag in flags)
    if hold:
        risk = case.risk_screen
        meanwhile += (f"; last dose of {anticoagulant_words(risk)} on {in_words(entered)}, entered at the start "
                      f"(the {risk.anticoagulant_hold_days}-day hold did not fit)" if entered else
                      f"; {short} of {anticoagulant_words(risk)} (confirmed at readiness)" if short else
                      f"; the {risk.anticoagulant_hold_days}-day hold of {anticoagulant_words(risk)} did not fit and "
                      f"no day of the last dose was confirmed (acknowledged)")
        meanwhile += f"; {entered_short}, the physician's decision" if entered and entered_short else ""
    record = audit.created(ProcedureRecord(case=case, appointment=appointment, side=case.side, started_at=now,
                                           started_by_id=actor.id, last_change_at=now,
                                           pregnancy_acknowledged=pregnancy_flag(case.risk_screen),
                                           infection_acknowledged=infection_flag(case.risk_screen),
                                           acknowledged_case_ids=[other.case_id for other in running] or None,
                                           anticoagulant_last_dose_on=entered,
                                           hold_acknowledged=bool(hold) and (entered is None or bool(short)),
                                           checked_in_at_start=bool(not_here)),
                           "procedure_record", f"case {case.id}: procedure started{meanwhile}", user=actor)
    db.session.commit()
    return record


def _hold_answered(hold, entered, short=""):
    """What the appointment's history says of the hold the start asked about (None when it asked nothing)."""
    if not hold:
        return None
    if short:
        return (f"{short}{', entered at the start' if entered else ', confirmed at readiness'}: the physician's "
                f"decision to proceed.")
    if entered:
        return f"Last dose on {in_words(entered)}, entered at the start (the hold did not fit)."
    return "Started without a confirmed day of the last dose (the hold did not fit): the physician's decision."


@service
def save_step(record, step, side, answers, actor, version_id, attempt=1, entries=None, now=None):
    """Save one step (one side of a needle step; one contrast check). Returns the warnings shown
    and stored with it. Raises ProcedureRefused (order, closed record), StepInvalid (values) or
    StaleEdit (saved by someone else since the form was opened); nothing is written then."""
    _open(record)
    _may_record(record.appointment, actor)
    step = Step(step)
    entries = entries if entries is not None else formulary()
    ctx = context(record, entries)
    # Only what this patient is asked is kept; a confirmation of contrast against an allergy only
    # while such an agent is recorded, of an unusual fluoroscopy time or dose only while one is; why a side was not injected only while the sign-out names one
    # (set back to None, the reason left in its box would contradict the bilateral claim).
    dropped = ctx.fields_not_asked(step) | (CONTRAST_ALLERGY_FIELDS if step == Step.CONTRAST
                                            and not contrast_against_allergy(answers, ctx) else frozenset()) \
        | (DRUG_ALLERGY_FIELDS if not drugs_against_allergy(step, answers, ctx) else frozenset()) \
        | (IMAGING_CONFIRMATION_FIELDS if step == Step.FLUOROSCOPY and not imaging_outside_usual(answers)
           else frozenset()) \
        | ({"not_injected_reason"} if step == Step.SIGN_OUT and not answers.get("not_injected_side") else frozenset())
    answers = {name: value for name, value in answers.items() if name not in dropped}
    checklist = Checklist(record)
    refusals = checklist.order_refusals(step, ctx, side)
    if refusals:
        raise ProcedureRefused(refusals)
    joint = checklist.side_of(step, side)
    errors, warnings = validate_step(step, answers, ctx, joint.value if step in PER_SIDE_STEPS else None)
    if errors:
        raise StepInvalid(errors)

    row = _row_to_write(checklist, step, joint, attempt, version_id)
    now = now or utcnow()
    created = row is None
    if created:
        row = ProcedureStep(record=record, step=step, side=joint, attempt=int(attempt or 1),
                            first_recorded_at=now, first_recorded_by_id=actor.id)
        db.session.add(row)
    confirmed = step == Step.INJECTATE and any(line.startswith(CONFIRMED) for line in warnings)
    against_allergy = any(line.startswith(CONTRAST_CONFIRMED) for line in warnings)
    drug_against_allergy = any(line.startswith(ALLERGY_CONFIRMED) for line in warnings)
    unusual_imaging = any(line.startswith(IMAGING_CONFIRMED) for line in warnings)
    if step == Step.INJECTATE:
        # The confirmation of a strength, dose or volume outside the usual range is kept only while one
        # is recorded; that of a drug against a documented allergy only while one is chosen.
        row.answers = ({"strength_reason": answers["strength_reason"].strip()} if confirmed else {}) \
            | ({"allergy_reason": answers["allergy_reason"].strip()} if drug_against_allergy else {})
        row.injectate = [_injectate_row(position, values, entries)
                         for position, values in enumerate(_filled(answers.get("rows")))]
    else:
        row.answers = _storable(answers)
        # The agent's name as the formulary gives it now: the note keeps it when the formulary renames it.
        agent = entries.get(row.answers.get(AGENT_FIELDS.get(step)))
        row.agent_name = agent.name if agent else None
    row.warnings = "\n".join(warnings)
    row.recorded_at, row.recorded_by_id = now, actor.id
    record.last_change_at = now
    where = f" ({joint.value})" if step in PER_SIDE_STEPS and ctx.bilateral else ""
    repeat = f", check {row.attempt}" if row.attempt > 1 else ""
    try:
        db.session.flush()
    except IntegrityError as error:
        # The same step saved a moment ago from another tab: theirs stands.
        raise StaleEdit from error
    if step == Step.INJECTATE and created and every_joint_injected(record):
        # The injection is given (each joint's, for both sides): the diary's post-injection points
        # are made now, timed from it, and take the patient's scores however late the record is signed.
        _start_diary(record)
    if step == Step.SIGN_OUT:
        _follow_the_sign_out(record, actor)
    audit.record(audit.Action.CREATE if created else audit.Action.UPDATE, "procedure_record", record.id,
                 summary=f"case {record.case_id}: {step.value}{where}{repeat} saved"
                         + (", a strength, dose or volume outside the usual range confirmed with a reason," if confirmed else "")
                         + (", iodinated contrast against a documented contrast allergy confirmed with a reason,"
                            if against_allergy else "")
                         + (", a drug against a documented allergy confirmed with a reason,"
                            if drug_against_allergy else "")
                         + (", a fluoroscopy time or dose outside the usual range confirmed with a reason,"
                            if unusual_imaging else "")
                         + (" with warnings" if warnings else ""), user=actor)
    db.session.commit()
    return warnings


def _row_to_write(checklist, step, joint, attempt, version_id):
    """The saved row this form edits (None: a new one), or StaleEdit if the form is out of date.

    A contrast form for check n edits check n if it is the latest; for the latest + 1 it adds a
    repeat check. Any other step has one row per side."""
    checks = checklist.checks(step, joint)
    latest = checks[-1] if checks else None
    try:
        attempt = int(attempt or 1)
    except ValueError as error:
        raise StaleEdit from error
    new_form = str(version_id or "") == ""
    newest = latest.attempt if latest else 0
    if new_form and attempt == newest + 1 and (latest is None or step == Step.CONTRAST):
        return None
    if latest is None or attempt != newest:
        raise StaleEdit
    check_version(latest, version_id)
    return latest


def _filled(rows):
    return [row for row in rows or () if any(row.get(f.name) for f in INJECTATE_ROW_FIELDS)]


def _injectate_row(position, values, entries):
    entry = entries.get(values["drug"])
    return InjectateRow(position=position, drug_code=values["drug"], drug_name=entry.name if entry else None,
                        concentration_mg_per_ml=read_concentration(values["concentration_mg_per_ml"]).mg_per_ml,
                        dose_mg=Decimal(values["dose_mg"]), volume_ml=Decimal(values["volume_ml"]),
                        lot_number=values["lot_number"] or "")


def _storable(answers):
    """JSON keeps strings, booleans and lists; a blank answer is left out."""
    stored = {}
    for name, value in answers.items():
        if value is None or value == "" or value == []:
            continue
        stored[name] = str(value) if isinstance(value, Decimal) else value
    return stored


@service
def sign(record, actor, version_id, entries=None, now=None):
    """Sign the record: refused while anything is missing (the list says what). Stamps signer and
    time, stores the end (the sign-out step's first save) and the duration from the start to it,
    closes the appointment and moves the case to follow-up. Returns the duration in minutes."""
    _open(record)
    _may_record(record.appointment, actor)
    check_version(record, version_id)
    problems = signing_problems(record, entries if entries is not None else formulary())
    if problems:
        raise ProcedureRefused(problems)
    now = now or utcnow()
    # The procedure ended at its sign-out step (signing requires it), however much later it is signed.
    ended = record.sign_out_at or now
    minutes = duration_minutes(record.started_at, ended)
    # The signed state and its stamps change together (a CHECK constraint ties them).
    record.signed_at, record.signed_by_id, record.ended_at = now, actor.id, ended
    record.duration_minutes, record.status = minutes, ProcedureStatus.SIGNED
    if record.appointment is not None:
        record.appointment.status = AppointmentStatus.DONE
        record.appointment.changes.append(AppointmentChange(actor_id=actor.id, at=now, change="done"))
    db.session.flush()
    _follow_the_sign_out(record, actor)
    transition(record.case, "sign_procedure", actor, _not_injected_words(record), commit=False, at=now)
    # The diary's points were made when the injectate was recorded; made here for a record without
    # them (one whose injectate was recorded before that rule).
    _start_diary(record)
    # The reports' relief span is timed from the injection (a baseline alone gives none yet).
    keep_relief(record.case)
    audit.record(audit.Action.UPDATE, "procedure_record", record.id,
                 summary=f"case {record.case_id}: signed, {record.duration_minutes} min"
                         + (f" (flagged: {flag})" if (flag := duration_flag(record.duration_minutes)) else ""),
                 user=actor)
    db.session.commit()
    return record.duration_minutes


def injected_joints(record):
    """The joints whose injectate is recorded."""
    return {Side(row.side) for row in record.steps if row.step == Step.INJECTATE}


def every_joint_injected(record):
    """Each joint's injectate is recorded: the injection is given and the diary has started."""
    return injected_joints(record) >= set(joints_of(record.side))


def _follow_the_sign_out(record, actor):
    """A bilateral record whose sign-out names a side not injected: the injection is over, and the
    case goes on for the joint injected from then, not from the signature, which may come later (its
    diary starts, timed from that joint's injection, and asks that joint alone; its caps count it
    alone). The record keeps its side: both joints' steps stay on it. Set back to None before the
    signature, the case is bilateral again (its diary's points stay as made)."""
    case, skipped = record.case, not_injected(record)
    if skipped is not None and case.side == Side.BILATERAL:
        _change_side(case, skipped.injected, f"{skipped.side.value} side not injected, at the sign-out", actor)
        _start_diary(record)
    elif skipped is None and record.side == Side.BILATERAL and case.side != Side.BILATERAL:
        begun = None if every_joint_injected(record) else diary.withdraw_follow_up(case)
        if begun:
            raise StepInvalid({"not_injected_side": _begun_for_one_joint(case.side, begun)})
        _change_side(case, Side.BILATERAL, "the sign-out no longer names a side not injected", actor)


def _begun_for_one_joint(injected, begun):
    """Why a sign-out cannot be set back to name no side: the diary of the joint injected alone has
    begun (a score entered, or a reminder sent, for the point labelled `begun[0]`)."""
    label, how = begun
    other = Side.RIGHT if injected == Side.LEFT else Side.LEFT
    done = ("already rated the {joint} joint alone (time point '{label}')" if how == "rated"
            else "already been reminded to rate the {joint} joint alone (time point '{label}')")
    return (f"The patient has {done.format(joint=injected.value, label=label)}, so the case goes on for "
            f"the {injected.value} side: keep {other.label} here, with the reason. Log a new referral for the "
            f"{other.value} joint.")


def _change_side(case, side, why, actor):
    before = case.side.value
    case.side = side
    audit.record(audit.Action.UPDATE, "case", case.id, summary=f"side: {before} → {side.value} ({why})",
                 user=actor, before={"side": before}, after={"side": side.value})


def _not_injected_words(record):
    """The signature's history words for a record signed with a side not injected ("" when both
    joints were injected)."""
    skipped = not_injected(record)
    if skipped is None:
        return ""
    return (f"{skipped.side.label} side not injected: {skipped.reason}. The case goes on for the "
            f"{skipped.injected.value} side; the side was bilateral.")


def _start_diary(record):
    """The diary's post-injection points, timed from the injection (the injectate step), not from the
    start, so the 15-minute score is never due before the patient leaves the table."""
    diary.start_follow_up(record.case, injected_at=record.injected_at or record.started_at)


ABANDON_AFTER_INJECTATE = (
    "The injectate is recorded: the injection was given, so it counts towards the patient's caps and "
    "starts the pain diary. Record the sign-out (tick the complication (Vasovagal reaction, …), or Other with "
    "what stopped you in Other complication (describe)) and sign the record instead of abandoning it.")
ABANDON_ONE_SIDE = (" One side was not injected: answer Side not injected at the sign-out, with the reason; the "
                    "case then goes on for the side injected.")


def injected(record):
    """The injectate step has a row: the drug was given (see ABANDON_AFTER_INJECTATE)."""
    return any(row.step == Step.INJECTATE for row in record.steps)


@service
def abandon(record, actor, reason, version_id):
    """Stop the procedure before signing: the case goes back to scheduled with its appointment
    (checked in, to start again or be moved); the record is kept, marked abandoned with the reason."""
    _open(record)
    _may_record(record.appointment, actor)
    check_version(record, version_id)
    if injected(record):
        # The drug is in the joint: this injection counts towards the caps and starts the diary,
        # which an abandoned attempt does neither of. What went wrong belongs on the sign-out.
        raise FieldError("reason", ABANDON_AFTER_INJECTATE + (
            ABANDON_ONE_SIDE if record.side == Side.BILATERAL and not every_joint_injected(record)
            and not_injected(record) is None else ""))
    reason = (reason or "").strip()
    now = utcnow()
    record.abandoned_at, record.abandoned_by_id, record.abandon_reason = now, actor.id, reason
    record.status = ProcedureStatus.ABANDONED
    transition(record.case, "abandon_procedure", actor, reason, commit=False)
    if record.appointment is not None:
        record.appointment.status = AppointmentStatus.CHECKED_IN
        record.appointment.changes.append(AppointmentChange(actor_id=actor.id, at=now,
                                                            change="procedure stopped", reason=reason))
    audit.record(audit.Action.UPDATE, "procedure_record", record.id,
                 summary=f"case {record.case_id}: procedure abandoned", user=actor)
    db.session.commit()


@service
def add_addendum(record, actor, reason, text):
    if record.status != ProcedureStatus.SIGNED:
        raise ProcedureRefused("Addenda are for a signed record; until it is signed, correct the step itself.")
    # An addendum is never removed: the same one sent twice (a double click, a retry) is added once,
    # the check and the row it allows one step under the record's lock.
    lock(f"procedure:{record.id}")
    if db.session.execute(db.select(ProcedureAddendum.id).filter_by(
            record_id=record.id, author_id=actor.id, reason=reason.strip(), text=text.strip())).first():
        raise ProcedureRefused("This addendum is already on the record: it was not added again.")
    addendum = audit.created(ProcedureAddendum(record=record, author_id=actor.id, at=utcnow(), reason=reason.strip(),
                                               text=text.strip()),
                             "procedure_addendum", f"case {record.case_id}: addendum to the signed procedure record",
                             user=actor)
    db.session.commit()
    return addendum


def record_view(record, actor, what):
    audit.viewed("procedure_record", record.id, summary=f"case {record.case_id}: viewed procedure {what}", user=actor)
