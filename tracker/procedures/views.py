"""The procedure checklist at the table: start, the steps page, saving a step, signing, abandoning,
the printable note and its addenda.

Physicians record and sign; coordinators read the checklist and the note. Every page that shows
the record is audited like the case page.
"""
from dataclasses import dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _l
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_babel import gettext as _
from markupsafe import Markup, escape
from sqlalchemy.orm import joinedload, selectinload

from tracker.access import allow
from tracker.cases.services import record_view as record_case_view
from tracker.diary import services as diary_services
from tracker.errors import back_to, form_again, on_refusal
from tracker.extensions import db
from tracker.formfields import merge_with_saved, remember_opened, say_taken
from tracker.loaders import get_case
from tracker.models import ProcedureAddendum, ProcedureRecord, ProcedureStep
from tracker.procedures import services
from tracker.procedures.formulary import millilitres, plain, read_concentration, strength_words
from tracker.procedures.forms import (STEP_FORMS, AbandonForm, AddendumForm, SignForm, StartForm, form_data,
                                      form_prefix)
from tracker.procedures.records import acknowledged, current_record, describe, injected_side, not_injected
from tracker.procedures.rules.billing import claims
from tracker.procedures.rules.duration import (LONG_PROCEDURE_MINUTES, SHORT_PROCEDURE_MINUTES, duration_flag,
                                               duration_minutes, elapsed_words, flag_long, flag_short)
from tracker.procedures.rules.order import next_open
from tracker.procedures.rules.schema import PER_SIDE_STEPS, STEPS, Guidance, Step
from tracker.procedures.services import AcknowledgeFirst, ProcedureRefused, StepInvalid
from tracker.refusals import StaleEdit
from tracker.roles import Role
from tracker.scheduling import services as scheduling_services
from tracker.scheduling.liability import notice_for
from tracker.timeutil import utcnow
from tracker.vocab import Side
from tracker.workflow import OVERRIDE_WORDS

bp = Blueprint("procedures", __name__)
# Doses and volumes as a clinic writes them: 40, 2.5, 0.25 (no "40.000").
bp.add_app_template_filter(plain, "plain")
bp.add_app_template_filter(millilitres, "millilitres")


@bp.app_template_filter("strength_words")
def typed_strength_words(typed):
    """A concentration as typed, in both units ("0.5 %" -> "5 mg/mL (0.5 %)"); "" when it is not one."""
    reading = read_concentration(typed) if typed not in (None, "") else None
    return strength_words(reading.mg_per_ml) if reading and reading.mg_per_ml > 0 else ""
# The case page's Procedure panel flags a long or short procedure with the rules' own thresholds.
bp.add_app_template_global(duration_flag, "duration_flag")
# The case page's Procedure panel shows the same record the checklist works on.
bp.add_app_template_global(current_record, "current_record")
# The note and the case page's Procedure panel say what the physician acknowledged to start it.
bp.add_app_template_global(acknowledged, "acknowledged")
# The checklist, the note and the case page's Procedure panel say which side a bilateral record left uninjected.
bp.add_app_template_global(not_injected, "side_not_injected")


# The checklist's timer: "17 min 10 s", never "17:10" beside the start's clock time.
bp.add_app_template_filter(elapsed_words, "elapsed_words")


@bp.app_template_filter("minutes")
def minutes_text(count):
    return f"{count} minute" + ("" if count == 1 else "s")


READERS = (Role.PHYSICIAN, Role.COORDINATOR)
STALE = _l("Someone else saved this step after you opened it. Nothing was saved: the saved values are "
         "shown above the form, which keeps your entries and takes theirs where you had changed nothing. "
         "Check it, then save again to record the form as shown.")
STALE_RECORD = _l("The checklist changed after you opened it. Nothing was signed; check it as it is now "
                "and sign again.")
STALE_START = _l("This case was changed by someone else meanwhile; nothing was started. Check it and "
               "start again.")
STALE_ABANDON = _l("The checklist changed after you opened it. Nothing was abandoned; check it as it is now "
                 "and try again.")


@dataclass
class StepItem:
    """One box on the checklist page: a step, or one side of a needle step."""

    number: int
    step: Step
    side: str | None
    row: ProcedureStep | None
    earlier: list
    complete: bool
    missing: list
    refusals: list
    form: object = None
    # A contrast check that omitted contrast: its reason, and why that confirms nothing (if it does not).
    omitted: str | None = None
    omission_refusals: list = field(default_factory=list)
    problems: list = field(default_factory=list)
    conflict: ProcedureStep | None = None
    # The form's fields this patient is not asked (the pregnancy review when none is flagged).
    not_asked: frozenset = frozenset()
    # The sign-out names this box's joint as not injected: its contrast check and injectate wait for nothing.
    not_injected: bool = False
    # The other joint is injected and this one not: the sign-out may name it as not injected instead.
    may_name_not_injected: bool = False

    @property
    def anchor(self):
        return _anchor(self.step, self.side)

    @property
    def title(self):
        return f"{self.step.label}" + (f" — {Side(self.side).label.lower()} side" if self.side else "")

    @property
    def status(self):
        if self.not_injected and (self.row is None or not self.complete):
            return "not-injected"
        if self.row is None:
            # Earlier contrast checks but no current one: the last asked for a repeat.
            return "repeat" if self.earlier else "todo"
        if self.omitted is not None and self.complete:
            # Never "Done", which reads as a spread confirmed: the box says what happened.
            return "omission-refused" if self.omission_refusals else "omitted"
        return "done" if self.complete else "started"

    @property
    def badge(self):
        """The words on the box's badge: what happened, never "Done" for a contrast left out."""
        if self.status in ("omitted", "omission-refused"):
            return _("Omitted: %(reason)s", reason=self.omitted)
        return {"done": _("✓ Done"), "started": _("Started: incomplete"), "repeat": _("Repeat check needed"),
                "todo": _("Not yet recorded"), "not-injected": _("Side not injected (sign-out)")}[self.status]


# ------------------------------------------------------------------ loading

def _records(case):
    """Every attempt at the procedure for the case, with all the checklist page shows, in a fixed
    number of queries."""
    return db.session.execute(
        db.select(ProcedureRecord).filter_by(case_id=case.id).order_by(ProcedureRecord.id)
        .options(selectinload(ProcedureRecord.steps).selectinload(ProcedureStep.injectate),
                 selectinload(ProcedureRecord.steps).joinedload(ProcedureStep.recorded_by),
                 selectinload(ProcedureRecord.steps).joinedload(ProcedureStep.first_recorded_by),
                 selectinload(ProcedureRecord.addenda).joinedload(ProcedureAddendum.author),
                 joinedload(ProcedureRecord.started_by), joinedload(ProcedureRecord.signed_by),
                 joinedload(ProcedureRecord.abandoned_by), joinedload(ProcedureRecord.appointment))
    ).unique().scalars().all()


def _load(case_id):
    case = get_case(case_id)
    records = _records(case)
    return case, records, current_record(records)


def _load_started(case_id):
    """As `_load`, for the pages of a procedure that has been started: 404 when none has."""
    case, records, record = _load(case_id)
    if record is None:
        abort(404)
    return case, records, record


def _side_arg():
    side = request.args.get("side") or None
    if side is not None and side not in {s.value for s in Side}:
        abort(404)
    return side


# ------------------------------------------------------------------ the checklist page

def _items(record, entries, overrides):
    checklist = services.Checklist(record)
    ctx = services.context(record, entries)
    offered = services.by_kind(services.active(entries))
    skipped = checklist.not_injected()
    injected = services.injected_joints(record)
    items = []
    for number, step in enumerate(STEPS, start=1):
        sides = [joint.value for joint in ctx.joints] if step in PER_SIDE_STEPS else [None]
        for side in sides:
            checks = checklist.checks(step, side)
            row = checks[-1] if checks else None
            item = StepItem(number, step, side, row, earlier=checks[:-1],
                            complete=checklist.complete(step, side),
                            missing=checklist.missing(step, side) if row else [],
                            refusals=checklist.order_refusals(step, ctx, side))
            if step == Step.CONTRAST and checklist.needs_repeat(side):
                # The latest check asks for a repositioned needle: the form records the repeat.
                item.earlier, item.row = checks, None
            elif step == Step.CONTRAST and checklist.omitted(side) is not None:
                item.omitted = (row.answers.get("omission_reason") or "").strip()
                item.omission_refusals = checklist.omission_refusals(side, ctx)
            item.form = overrides.get((step, side)) or _saved_form(step, side, item.row, len(checks))
            item.not_asked = ctx.fields_not_asked(step)
            item.not_injected = step in (Step.CONTRAST, Step.INJECTATE) and skipped is not None and side == skipped
            item.may_name_not_injected = bool(injected) and side is not None and Side(side) not in injected
            item.form.set_choices(offered)
            items.append(item)
    return items


def _saved_form(step, side, row, checks):
    """The step's form filled with what is saved (a blank repeat check when `row` is None after
    earlier checks)."""
    data = form_data(step, row.answers if row else {}, services.injectate_answers(row) if row else ())
    form = STEP_FORMS[step](formdata=None, data=data, prefix=form_prefix(step, side))
    form.version_id.data = row.version_id if row else ""
    form.attempt.data = str(row.attempt if row else checks + 1)
    remember_opened(form)
    return form


def _checklist_page(case, records, record, status=200, overrides=None, problems=None,
                    sign_problems=None, conflict=None, abandon_form=None):
    """The checklist page. After a refused save, `overrides` holds the forms as typed by
    (step, side), `problems` the order refusals for one of them, `conflict` the row saved by
    someone else meanwhile."""
    overrides = overrides or {}
    entries = services.formulary()
    items = _items(record, entries, overrides) if record else []
    unplaced = _place(items, problems, conflict)
    return render_template(
        "procedures/checklist.html", case=case, record=record, items=items, entries=entries,
        unplaced_problems=unplaced, not_saved=_not_saved(items, overrides) if status >= 400 else None,
        earlier_attempts=[r for r in records if r is not record],
        missing=services.signing_problems(record, entries) if record and record.in_progress else [],
        sign_problems=sign_problems, elapsed=services.elapsed_seconds(record) if record else None,
        signing_preview=services.signing_preview(record) if record and record.in_progress else None,
        sign_form=SignForm(formdata=None, version_id=record.version_id if record else ""),
        start_form=StartForm(formdata=None, version_id=case.version_id),
        abandon_form=abandon_form or AbandonForm(formdata=None, version_id=record.version_id if record else ""),
        may_record_steps=current_user.role == Role.PHYSICIAN and record is not None and record.in_progress,
        describe=describe,
    ), status


def _place(items, problems, conflict):
    """Put the order refusals and the conflicting saved row in their step's box; returns the
    refusals no box shows (the step is not on the page), to be shown at the top."""
    unplaced = list(problems[1]) if problems else []
    for item in items:
        if problems and (item.step, item.side) == problems[0]:
            item.problems, unplaced = problems[1], []
        if conflict and (item.step, item.side) == conflict[0]:
            item.conflict = conflict[1]
    return unplaced


def _not_saved(items, overrides):
    """The box whose save was refused: a refused save re-shows the long page, so its step is
    named at the top, linked to its box (the form's action carries the anchor too, so the
    browser lands on it)."""
    return next((item for item in items if (item.step, item.side) in overrides), None)


@bp.route("/cases/<int:case_id>/procedure")
@allow(*READERS)
def checklist(case_id):
    case, records, record = _load(case_id)
    if record:
        services.record_view(record, current_user, "checklist")
    else:
        record_case_view(case, current_user)
    return _checklist_page(case, records, record)


@bp.route("/cases/<int:case_id>/procedure/start", methods=["POST"])
@allow(Role.PHYSICIAN)
def start(case_id):
    case = get_case(case_id)
    form = StartForm()
    # A day of the last dose that is not a date is said beside its field on the warning page: with
    # it the start waits, whatever else was ticked.
    unreadable = not form.validate_on_submit()
    if unreadable and set(form.errors) != {"anticoagulant_last_dose_on"}:
        abort(400)
    on_refusal(lambda refusal: _start_refused(case, refusal, form))
    services.start(case, current_user, version_id=form.version_id.data or None,
                   acknowledged=form.acknowledged_ids(), risks_acknowledged=form.risks_acknowledged(),
                   last_dose_on=form.anticoagulant_last_dose_on.data,
                   hold_acknowledged=form.hold_acknowledged.data and not unreadable,
                   check_in_acknowledged=form.check_in_acknowledged.data)
    flash(_("Procedure started: the timer is running."), "success")
    return redirect(url_for("procedures.checklist", case_id=case.id))


def _start_refused(case, refusal, typed):
    if isinstance(refusal, StaleEdit):
        return back_to(url_for("cases.show", case_id=case.id), STALE_START)(refusal)
    if isinstance(refusal, AcknowledgeFirst):
        return _acknowledge_first(case, refusal, typed)
    appointment = case.active_appointment
    said = escape(_("The procedure was not started. %(refusal)s", refusal=refusal))
    if appointment is not None and OVERRIDE_WORDS in str(refusal):
        # Not ready: the words lead straight to the physician's override, opened (far down the page).
        said = Markup(said.replace(escape(OVERRIDE_WORDS), Markup('<a href="{}">{}</a>').format(
            url_for("scheduling.show", appointment_id=appointment.id, override=1, _anchor="readiness-override"),
            OVERRIDE_WORDS), 1))
    flash(said, "error")
    return redirect(url_for("scheduling.show", appointment_id=appointment.id) if appointment
                    else url_for("cases.show", case_id=case.id))


def _acknowledge_first(case, refusal, typed):
    """The warning before the start: the physician's other procedures in progress, each linked to
    its checklist, a patient never checked in, what on the risk screen waits for her decision (a
    pregnancy, an infection or fever), and a hold that did not fit with no last dose confirmed, with
    the Start button again
    carrying what she was shown (each flag as a box she ticks herself; the hold as the day of the
    last dose or a box). A day of the last dose refused is shown as typed beside its reason, with
    what she ticked (a flag's tick as long as it reads as it did).

    The page names the patient, and each procedure in progress names its own: the view row names
    the case and the cases shown with it. Written each time the warning is shown: sent from the
    warning itself, the start is refused again only for a procedure started meanwhile, which the
    page now names."""
    # The procedures in progress she acknowledged stay acknowledged when the warning comes back for
    # something else (the hold, a flag): only one started meanwhile is shown, and asked, again.
    shown = " ".join(str(record_id) for record_id in sorted(
        typed.acknowledged_ids() | {record.id for record in refusal.records}))
    if refusal.hold and (refusal.errors or typed.errors):
        form = typed
        for name, message in refusal.errors.items():
            form[name].errors = [*form[name].errors, message]
        form.version_id.data, form.acknowledged.data = case.version_id, shown
    else:
        form = StartForm(formdata=None, version_id=case.version_id, acknowledged=shown)
    # Each answer with the words it reads now: ticked if she ticked it on these words (the warning is
    # shown again for the hold or a procedure started meanwhile), unticked for a decision not taken
    # yet or taken on other words.
    form.risks_shown.data = StartForm.shown(refusal.shown_flags)
    # The patient being here does not change: a tick she gave stays when the warning comes back for another reason.
    form.check_in_acknowledged.data = bool(refusal.not_checked_in) and bool(typed.check_in_acknowledged.data)
    for flag in refusal.shown_flags:
        form[f"{flag.kind}_acknowledged"].data = flag not in refusal.flags
    appointment = case.active_appointment
    last_dose_on = (typed.anticoagulant_last_dose_on.data if isinstance(typed.anticoagulant_last_dose_on.data, date)
                    else None) or (appointment.anticoagulant_last_dose_on if appointment is not None else None)
    if refusal.hold and last_dose_on and scheduling_services.hold_shortfall(appointment, last_dose_on):
        # A last dose that leaves fewer days than the planned hold: she proceeds past it, not without it.
        form.hold_acknowledged.label.text = _("I proceed although the hold was not kept as planned: my decision")
    html = render_template("procedures/start_warning.html", case=case, form=form, flags=refusal.shown_flags,
                           hold=refusal.hold, not_checked_in=refusal.not_checked_in,
                           # How long ago each started (its own duration may have stopped at its sign-out).
                           running=[(record, duration_minutes(record.started_at, utcnow()))
                                    for record in refusal.records])
    record_case_view(case, current_user, "procedure start warning" + _shown_in_progress(refusal.records))
    return html, 409


def _shown_in_progress(records):
    """" (shows cases 14, 15 in progress)": the other cases the start warning names ("" for none)."""
    if not records:
        return ""
    cases = ", ".join(str(record.case_id) for record in records)
    return f" (shows case{'' if len(records) == 1 else 's'} {cases} in progress)"


@bp.route("/cases/<int:case_id>/procedure/steps/<step>", methods=["POST"])
@allow(Role.PHYSICIAN)
def save_step(case_id, step):
    case, records, record = _load(case_id)
    try:
        step = Step(step)
    except ValueError:
        abort(404)
    side = _side_arg()
    if record is None:
        flash(_("The procedure has not been started: start it before recording steps."), "error")
        return redirect(url_for("procedures.checklist", case_id=case.id))
    if step not in PER_SIDE_STEPS:
        side = None
    elif side is None and record.side != Side.BILATERAL:
        side = record.side.value
    entries = services.formulary()
    form = STEP_FORMS[step](prefix=form_prefix(step, side))
    form.set_choices(services.by_kind(services.active(entries)))
    key = (step, side)
    if not form.validate_on_submit():
        return _checklist_page(case, records, record, 422, overrides={key: form})
    on_refusal(lambda refusal: _step_refused(case_id, key, form, refusal))
    warnings = services.save_step(record, step, side, form.answers(), current_user,
                                  form.version_id.data, form.attempt.data, entries)
    label = step.label + (f" ({side})" if side and record.side == Side.BILATERAL else "")
    flash(_("%(label)s saved.", label=label), "success")
    for warning in warnings:
        flash(_("Warning: %(warning)s", warning=warning), "warning")
    if (step == Step.INJECTATE and services.every_joint_injected(record)) or (
            step == Step.SIGN_OUT and not_injected(record)):
        # The injectate started the diary, or the sign-out's side not injected (tracker.procedures.services.save_step).
        _ask_for_diary_link(case)
    return redirect(url_for("procedures.checklist", case_id=case.id,
                            _anchor=_after_save(case, (step, side), warnings, entries)))


def _after_save(case, saved, warnings, entries):
    """Where the page goes after a save: the next box still open (the saved one when saved
    part-filled, then those after it, then from the top), or the signature once every box is done.
    A save with warnings stays on its box, so the warning shown there is read before moving on."""
    if warnings:
        return _anchor(*saved)
    _case, _appointment, record = _load(case.id)
    checklist = services.Checklist(record)
    following = next_open(checklist.boxes(), checklist.open_boxes(services.context(record, entries)), saved)
    return _anchor(*following) if following else "sign"


def _anchor(step, side=None):
    return f"step-{Step(step).value}" + (f"-{side}" if side else "")


def _step_refused(case_id, key, form, refusal):
    """The checklist again with the step's form as typed: the rules' errors next to its fields,
    the order refusals in its box, or (saved by someone else) the saved row beside it."""
    case, records, record = _load(case_id)
    if isinstance(refusal, StepInvalid):
        form.show_errors(refusal.errors)
        return _checklist_page(case, records, record, 422, overrides={key: form})
    if isinstance(refusal, StaleEdit):
        saved = services.Checklist(record).latest(*key) if record else None
        if saved is not None:
            # Merged with what was saved meanwhile: a box this person left as it was takes the other
            # save's answer (their ticks stay ticked), what this person changed stays as typed; a
            # second save then replaces what is saved with the form as shown.
            taken, _both = merge_with_saved(form, _saved_form(*key, saved, saved.attempt))
            form.version_id.data, form.attempt.data = saved.version_id, str(saved.attempt)
            say_taken(taken)
        flash(str(STALE), "error")
        return _checklist_page(case, records, record, 409, overrides={key: form}, conflict=(key, saved))
    problems = refusal.problems if isinstance(refusal, ProcedureRefused) else [str(refusal)]
    return _checklist_page(case, records, record, 409, overrides={key: form}, problems=(key, problems))


@bp.route("/cases/<int:case_id>/procedure/sign", methods=["POST"])
@allow(Role.PHYSICIAN)
def sign(case_id):
    case, records, record = _load_started(case_id)
    form = SignForm()
    if not form.validate_on_submit():
        abort(400)
    if not record.in_progress:
        flash(services.SIGNED if record.signed else services.ABANDONED, "error")
        return redirect(url_for("procedures.checklist", case_id=case.id))
    on_refusal(lambda refusal: _sign_refused(case_id, refusal))
    minutes = services.sign(record, current_user, form.version_id.data)
    flash(_("Procedure record signed: %(minutes_text)s. The case is now in follow-up.",
            minutes_text=minutes_text(minutes)), "success")
    if flag_long(minutes):
        flash(_("The procedure took %(minutes_text)s, longer than the usual %(long_procedure_minutes)s: it is "
                "flagged on the record.",
                minutes_text=minutes_text(minutes), long_procedure_minutes=LONG_PROCEDURE_MINUTES), "warning")
    elif flag_short(minutes):
        flash(_("The procedure took %(minutes_text)s, shorter than the %(short_procedure_minutes)s minutes a "
                "whole checklist needs: it is flagged on the record for review (were the steps ticked after "
                "the fact?).",
                minutes_text=minutes_text(minutes), short_procedure_minutes=SHORT_PROCEDURE_MINUTES), "warning")
    _ask_for_diary_link(case)
    return redirect(url_for("procedures.note", case_id=case.id))


def _ask_for_diary_link(case):
    """The diary's first scores open within minutes of the injection: without a working link, the
    patient needs one (or their account) now, not when someone notices the overdue list. Said when
    the injectate starts the diary, and again at the signature while there is still none."""
    if diary_services.live_link(case) is not None:
        return
    if diary_services.link_destination(case.patient) is None:
        # Nowhere to send one: the case page's Send button is not there, so say what can be done.
        flash(Markup(_('The pain diary has started, and no link can reach the patient (no email address, and no '
                       'mobile number that takes texts): <a href="%(record)s">add one on the patient\'s record</a>, '
                       'or <a href="%(phone)s">enter their scores by phone</a>: the first score is due 15 minutes '
                       'after the injection.', record=url_for("patients.edit", patient_id=case.patient_id),
                       phone=url_for("diary.phone_entry", case_id=case.id))), "warning")
        return
    flash(Markup(_('The pain diary has started. <a href="%(url)s">Send the patient their diary link</a> '
                   'from the case page now: the first score is due 15 minutes after the injection.',
                   url=url_for("cases.show", case_id=case.id, _anchor="diary"))), "warning")


def _sign_refused(case_id, refusal):
    """What signing still needs, on the checklist; a stale page or a refused move, said at the
    signature."""
    if isinstance(refusal, ProcedureRefused):
        case, records, record = _load(case_id)
        return _checklist_page(case, records, record, 422, sign_problems=refusal.problems)
    return back_to(url_for("procedures.checklist", case_id=case_id, _anchor="sign"), STALE_RECORD)(refusal)


@bp.route("/cases/<int:case_id>/procedure/abandon", methods=["POST"])
@allow(Role.PHYSICIAN)
def abandon(case_id):
    case, records, record = _load_started(case_id)
    form = AbandonForm()
    if not form.validate_on_submit():
        return _checklist_page(case, records, record, 422, abandon_form=form)
    on_refusal(form_again(form, lambda status=422: _checklist_page(case, records, record, status, abandon_form=form),
                          stale=STALE_ABANDON))
    services.abandon(record, current_user, form.reason.data, form.version_id.data)
    flash(_("Procedure abandoned; the case is scheduled again and the record of this attempt is kept."), "success")
    return redirect(url_for("cases.show", case_id=case.id))


# ------------------------------------------------------------------ the note and its addenda

def _note_page(case, record, form=None, status=200, problems=()):
    entries = services.formulary()
    checklist = services.Checklist(record)
    modalities = {checklist.answers(Step.FLUOROSCOPY, joint.value).get("modality") for joint in checklist.joints}
    guidance = Guidance.ULTRASOUND if Guidance.ULTRASOUND in modalities else Guidance.FLUOROSCOPY
    setting = services.billing_setting()
    ctx = services.context(record, entries)
    return render_template(
        "procedures/note.html", case=case, record=record, checklist=checklist, entries=entries,
        omission_refusals={joint: checklist.omission_refusals(joint.value, ctx) for joint in checklist.joints},
        steps=STEPS, per_side=PER_SIDE_STEPS, describe=describe,
        codes=claims(injected_side(record).value, setting, guidance), billing_setting=setting,
        liability=notice_for(case, record.appointment, record.started_at),
        form=form or AddendumForm(formdata=None), elapsed=services.elapsed_minutes(record), problems=problems,
    ), status


@bp.route("/cases/<int:case_id>/procedure/note")
@allow(*READERS)
def note(case_id):
    case, _records, record = _load_started(case_id)
    services.record_view(record, current_user, "note")
    return _note_page(case, record)


@bp.route("/cases/<int:case_id>/procedure/addenda", methods=["POST"])
@allow(Role.PHYSICIAN)
def add_addendum(case_id):
    case, _records, record = _load_started(case_id)
    form = AddendumForm()
    if not form.validate_on_submit():
        return _note_page(case, record, form, 422)
    on_refusal(lambda refusal: _note_page(case, record, form, 409, getattr(refusal, "problems", [str(refusal)])))
    services.add_addendum(record, current_user, form.reason.data, form.text.data)
    flash(_("Addendum added to the signed record."), "success")
    return redirect(url_for("procedures.note", case_id=case.id, _anchor="addenda"))

