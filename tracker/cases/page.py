"""The case page, rendered by the case views and again by the eligibility views when an override
is refused (with the form as typed)."""
from flask import render_template
from flask_login import current_user
from sqlalchemy import inspect
from sqlalchemy.orm import joinedload, selectinload

from tracker.cases.forms import TransitionForm
from tracker.cases.rows import WAITING_BY_STATE
from tracker.cases.services import guard_facts
from tracker.cases.summary import case_summary
from tracker.contact import contact_ended_words
from tracker.eligibility.facts import injection_day
from tracker.eligibility.forms import EvaluateForm, OverrideForm
from tracker.eligibility.standing import (booked_cap_notes, caps_not_met, clinic_default_profile_code,
                                          current_assessment, joints_that_meet, may_evaluate, profile_for,
                                          staleness)
from tracker.extensions import db
from tracker.models import (Appointment, Case, CaseHistory, EligibilityVerdict, Outcome, Patient,
                            ProcedureRecord)
from tracker.roles import Role
from tracker.timeutil import clinic_today, to_clinic
from tracker.workflow import State, available, verdict_problems


# What the page reads of the record, loaded with the case (`get_case(..., options=PAGE_LOAD)`) in
# a fixed number of queries however long the record. Joined to the case's own row: the one-to-one
# records, the verdicts and the procedure records with their addenda (a handful of each, so the
# rows they multiply stay few). The other collections the page always reads come in one query each.
# The engine dates the patient's earlier injections from their cases' history and reads their
# outcomes: those come through the patient in one query, this case's own timeline among them.
PAGE_LOAD = (
    joinedload(Case.examination), joinedload(Case.risk_screen), joinedload(Case.physician),
    joinedload(Case.verdicts).options(joinedload(EligibilityVerdict.evaluated_by),
                                      joinedload(EligibilityVerdict.override_by)),
    joinedload(Case.procedure_records).options(joinedload(ProcedureRecord.addenda),
                                               joinedload(ProcedureRecord.started_by),
                                               joinedload(ProcedureRecord.signed_by)),
    joinedload(Case.patient).joinedload(Patient.sms_opt_out),
    joinedload(Case.patient).joinedload(Patient.outside_injections),  # injections given elsewhere count too
    joinedload(Case.patient).selectinload(Patient.cases).options(
        joinedload(Case.outcome).joinedload(Outcome.decided_by),
        joinedload(Case.history).joinedload(CaseHistory.actor)),
    selectinload(Case.conservative_care),
    selectinload(Case.appointments).options(joinedload(Appointment.room), joinedload(Appointment.physician)),
)


def render_case(case, override_form=None, status=200, refused_transition=None):
    """The case page: everything captured so far, the verdict with its criteria, the timeline.
    `refused_transition`: a state change's form refused for its reason, shown open with its error
    and what was typed."""
    if "verdicts" in inspect(case).unloaded:
        # Loaded without PAGE_LOAD (or expired by a rollback): read it all now, in as few queries.
        db.session.execute(db.select(Case).filter_by(id=case.id).options(*PAGE_LOAD)).unique().all()
    # The clinic's default profile is read once for the whole page (the row may not exist: then
    # every read would ask the database again).
    default_code = clinic_default_profile_code()
    verdict = case.current_verdict
    # Evaluated once for the whole page; a case whose injection is given, on the day it was given
    # (what it was given on, with the facts as they now stand).
    injected_on = injection_day(case)
    today = current_assessment(case, default_code, as_of=injected_on)
    stale_reason = staleness(case, verdict, today, default_code)
    booking_problems = []
    if case.state == State.ELIGIBLE:
        booking_problems = verdict_problems(guard_facts(case, stale_because=stale_reason))
        if case.patient.died:
            booking_problems.append(f"Nothing is booked: {contact_ended_words(case.patient)}.")
    # Overridable: a not-eligible verdict, or an incomplete one that still stands (the case waits
    # under review for a criterion the outside records may settle).
    may_override = current_user.role == Role.PHYSICIAN and verdict is not None and verdict.override_at is None and (
        case.state == State.NOT_ELIGIBLE
        or (case.state == State.UNDER_REVIEW and verdict.incomplete and stale_reason is None))
    transitions = available(case.state, current_user.role)
    booked = _booked_around(case, injected_on, default_code)
    can_evaluate = may_evaluate(case, stale_reason is not None)
    # Each form is built only when the page shows it (a form costs its fields and a CSRF token).
    return render_template(
        "cases/show.html", case=case, history=case.history,
        summary=case_summary(case, profile_for(case, default_code)),
        may_override=may_override,
        transitions=transitions, waiting_for=WAITING_BY_STATE.get(case.state),
        form=TransitionForm(version_id=case.version_id) if transitions else None,
        refused_transition=refused_transition,
        verdict=verdict, stale=stale_reason is not None, stale_reason=stale_reason,
        booking_problems=booking_problems,
        assessment=today[0], can_evaluate=can_evaluate, injected_on=injected_on,
        joints_that_meet=joints_that_meet(case, today[0], default_code) if injected_on is None else [],
        profile_name=profile_for(case, default_code).name,
        over_cap=bool(caps_not_met(today[0].criteria)),
        booked_notes=booked, booked_over=any(note.over for note in booked),
        evaluate_form=EvaluateForm(version_id=case.version_id) if can_evaluate else None,
        override_form=override_form or (OverrideForm(version_id=case.version_id) if may_override else None),
    ), status


def _booked_around(case, injected_on, default_code):
    """The caps this case shares with sessions booked for the patient's other cases, around its day
    (its appointment's, else today): not given, so the verdict does not count them, and the page
    says so beside it. Before the injection only; read only when another case of the patient is
    scheduled (a booked appointment's case is: every move out of it frees the booking), so a page
    with none costs no query more."""
    if injected_on is not None or not any(other.id != case.id and other.state == State.SCHEDULED
                                          for other in case.patient.cases):
        return []
    appointment = case.active_appointment
    day = to_clinic(appointment.starts_at).date() if appointment else clinic_today()
    return booked_cap_notes(case, day, default_code)
