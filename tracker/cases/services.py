"""Cases: opening one, and moving it through its lifecycle.

`transition` is the one function through which every state change goes: it checks the move
against the table in `tracker.workflow`, then writes the new state, a case-history row and an
audit row, and commits them together. `open_case` is the one way a case begins (a referral, or
the follow-on case an outcome opens).
"""
from sqlalchemy.orm import joinedload

from tracker import audit
from tracker.eligibility.standing import staleness
from tracker.extensions import db
from tracker.models import Case, CaseHistory
from tracker.patients.services import hold_live
from tracker.procedures.records import current_record
from tracker.refusals import check_version
from tracker.scheduling import readiness
from tracker.scheduling.liability import notice_for
from tracker.scheduling.release import release
from tracker.timeutil import utcnow
from tracker.transactions import service
from tracker.vocab import (allergy_disagreement, allergy_words, anticoagulant_disagreement, anticoagulant_words,
                           not_asked)
from tracker.workflow import (BY_ACTION, FINAL_STATES, SYSTEM, GuardFacts, State, TransitionRefused, available, check,
                              verdict_problems)

__all__ = ["transition", "apply_button", "open_case", "TransitionRefused", "record_view", "guard_facts"]

_ASK = object()


def guard_facts(case, action=None, stale_because=_ASK):
    """The plain facts the workflow's guards read about `case`.

    Whether the verdict still stands costs a full evaluation (the engine reads the whole record):
    it is worked out only when `action`'s guards ask for it, or when no action is named; a page
    that has worked it out already passes it as `stale_because` (None: it stands).
    """
    verdict = case.current_verdict
    if stale_because is _ASK:
        move = BY_ACTION.get(action)
        asks = action is None or (move is not None and verdict_problems in move.guards)
        stale_because = staleness(case, verdict) if asks and verdict is not None else None
    appointment = case.active_appointment
    record = current_record(case.procedure_records)
    not_ready = ()
    notice = notice_for(case, appointment) if appointment is not None else None
    if appointment is not None and not readiness.is_ready(appointment, case.risk_screen, notice):
        not_ready = tuple(readiness.missing(appointment, case.risk_screen, notice))
    return GuardFacts(
        state=State(case.state),
        verdict_eligible=None if verdict is None else verdict.eligible,
        verdict_overridden=verdict is not None and verdict.override_at is not None,
        verdict_incomplete=verdict is not None and verdict.incomplete,
        verdict_stale_because=stale_because,
        booked=appointment is not None,
        not_ready=not_ready,
        procedure_signed=record is not None and bool(record.signed),
        outcome_recorded=case.outcome is not None,
    )


@service
def open_case(patient, actor, history_reason, audit_summary, **fields):
    """Open a case in `referred` for `patient`: the case, its first history row and its audit row
    (committed by the caller, with whatever else opened it). Refused (RecordMerged) for a
    record merged into another."""
    hold_live(patient, "log the referral on that record instead")
    case = Case(patient=patient, created_by_id=actor.id, state=State.REFERRED, **fields)
    db.session.add(case)
    db.session.flush()
    db.session.add(CaseHistory(case=case, actor_id=actor.id, actor_role=actor.role, action="refer",
                               from_state=None, to_state=State.REFERRED, reason=history_reason))
    audit.record(audit.Action.CREATE, "case", case.id, summary=audit_summary, user=actor)
    return case


@service
def transition(case, action, actor, reason="", version_id=None, commit=True, at=None):
    """Apply `action` to `case` as `actor` (None: the tracker itself), or raise TransitionRefused /
    StaleEdit with nothing written. A move the table declares `frees_booking` cancels the case's
    active appointment with it. `version_id` is the version the user's form was opened on
    (None: no form, the move comes from another service). `at` is when it happened, if not now:
    the procedure's own clock (its start dates the injection for caps and spacing)."""
    if version_id is not None:
        check_version(case, version_id)
    move = check(guard_facts(case, action), action, actor.role if actor else SYSTEM, reason)
    previous = State(case.state)
    now = at or utcnow()
    reason = (reason or "").strip()
    history_reason = reason
    if move.frees_booking and case.active_appointment:
        # The table's declared side effect: the move ends the booking in the same transaction.
        release(case.active_appointment, move.frees_booking.appointment.format(reason=reason), actor)
        history_reason = move.frees_booking.history.format(reason=reason)
    case.state = move.target
    case.state_changed_at = now
    db.session.add(CaseHistory(case=case, at=now, actor_id=actor.id if actor else None,
                               actor_role=actor.role if actor else None, action=action,
                               from_state=previous, to_state=move.target, reason=history_reason))
    audit.record(audit.Action.TRANSITION, "case", case.id,
                 summary=f"{action}: {previous.value} → {move.target.value}", user=actor,
                 actor=None if actor else "system")
    if commit:
        db.session.commit()
    return move


@service
def apply_button(case, action, actor, reason, version_id):
    """A move from the case page's plain buttons: only those the page offers this user now."""
    if action not in {t.action for t in available(case.state, actor.role)}:
        raise TransitionRefused("That change is not available for this case now.")
    return transition(case, action, actor, reason, version_id=version_id)


def record_view(case, actor, what="case"):
    """Audit that `actor` saw this case's record (`what`: which page of it), committed now without
    expiring what the page has read (`audit.viewed`)."""
    audit.viewed("case", case.id, summary=f"viewed {what}", user=actor)


def answered_elsewhere(case):
    """What the patient's other open cases answer to the risk-screen questions this case has not
    answered yet: {"anticoagulants": "Case 21 (left) records apixaban 5 mg twice daily", "allergies":
    "Case 21 (left) records iodinated contrast"} (oldest case first, "; " between two). Readiness names
    it beside the item still needed, so the coordinator knows what to ask. No query when this case has
    answered both."""
    unasked = not_asked(case.risk_screen)
    if not unasked:
        return {}
    others = db.session.execute(
        db.select(Case).options(joinedload(Case.risk_screen))
        .filter(Case.patient_id == case.patient_id, Case.id != case.id,
                Case.state.notin_(FINAL_STATES)).order_by(Case.id)
    ).scalars().all()
    words = {"anticoagulants": anticoagulant_words, "allergies": allergy_words}
    said = {}
    for question in sorted(unasked):
        answers = [f"Case {other.id} ({other.side.label.lower()}) records {words[question](other.risk_screen)}"
                   for other in others if question not in not_asked(other.risk_screen)]
        if answers:
            said[question] = "; ".join(answers)
    return said


def risk_screens_elsewhere(case):
    """The warnings that another open case of the same patient records another blood-thinner answer
    than this one's risk screen, or the same drug with another hold (`vocab.anticoagulant_disagreement`),
    or an allergy this one does not (`vocab.allergy_disagreement`): for each other case, oldest first,
    its blood thinners then its allergies; [] for a closed or cancelled case. One query, however many
    cases. Said where the risk screen is saved, on each case's page, its appointment, its booking and
    the checklist's banner. A warning, never a refusal: the clinician decides which is true."""
    if case is None or case.state in FINAL_STATES or case.risk_screen is None:
        return []
    others = db.session.execute(
        db.select(Case).options(joinedload(Case.risk_screen))
        .filter(Case.patient_id == case.patient_id, Case.id != case.id,
                               Case.state.notin_(FINAL_STATES)).order_by(Case.id)
    ).scalars().all()
    said = (disagreement(other.id, other.side.label.lower(), other.risk_screen, case.risk_screen)
            for other in others for disagreement in (anticoagulant_disagreement, allergy_disagreement))
    return [words for words in said if words]
