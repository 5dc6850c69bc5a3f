"""The transition table of DESIGN.md section 2, checked without a database."""
from types import SimpleNamespace

import pytest

from tracker.refusals import StaleEdit, check_version
from tracker.roles import Role
from tracker.scheduling.readiness import is_ready, missing
from tracker.procedures.records import current_record
from tracker.models import RiskScreen
from tracker.workflow import (BEFORE_PROCEDURE, BY_ACTION, FROM_BOOKING, SYSTEM, GuardFacts, State, TRANSITIONS,
                              TransitionRefused, available, check)


def appointment(ready=True, override=None):
    return SimpleNamespace(consent_obtained=ready, anticoagulant_plan_confirmed=False,
                           driver_arranged=False, contrast_premedication_sent=False,
                           day_of_check_done=ready, readiness_override_reason=override)


# A risk screen answering both questions readiness waits for: no blood thinner, no known allergy.
ANSWERED = RiskScreen(anticoagulant_answer="none", allergy_answer="nkda")


def case_in(state, eligible=None, booked=None, stale=None, overridden=False, signed=False, outcome=False):
    """A stand-in case's guard facts; `eligible` True/False gives it a current verdict saying so,
    `booked` an active appointment (its readiness read as the app reads it), `stale` why that
    verdict no longer stands."""
    not_ready = () if booked is None or is_ready(booked, ANSWERED) else tuple(missing(booked, ANSWERED))
    return GuardFacts(state=state, verdict_eligible=eligible, verdict_overridden=overridden,
                      verdict_stale_because=stale, booked=booked is not None, not_ready=not_ready,
                      procedure_signed=signed, outcome_recorded=outcome)


def test_every_state_is_reachable_from_referred():
    reached, frontier = {State.REFERRED}, [State.REFERRED]
    while frontier:
        state = frontier.pop()
        for t in TRANSITIONS:
            if state in t.sources and t.target not in reached:
                reached.add(t.target)
                frontier.append(t.target)
    assert reached == set(State)


def test_the_main_path_runs_referral_to_closed():
    path = ["start_review", "mark_eligible", "schedule", "start_procedure", "sign_procedure", "close"]
    state = State.REFERRED
    for action in path:
        case = case_in(state, eligible=True, booked=appointment(ready=True), signed=True, outcome=True)
        state = check(case, action, Role.PHYSICIAN).target
    assert state == State.CLOSED


def signed(records):
    """As the app reads it: the case's current record (not an abandoned attempt) is signed."""
    record = current_record(records)
    return record is not None and record.signed


def test_the_case_moves_to_follow_up_only_with_a_signed_procedure_record():
    for records in ([], [SimpleNamespace(status="in_progress", signed=False)],
                    [SimpleNamespace(status="signed", signed=True), SimpleNamespace(status="in_progress", signed=False)]):
        case = case_in(State.IN_PROCEDURE, signed=signed(records))
        with pytest.raises(TransitionRefused, match="Complete and sign the procedure checklist first"):
            check(case, "sign_procedure", Role.PHYSICIAN)
    records = [SimpleNamespace(status="signed", signed=True), SimpleNamespace(status="abandoned", signed=False)]
    case = case_in(State.IN_PROCEDURE, signed=signed(records))
    assert check(case, "sign_procedure", Role.PHYSICIAN).target == State.FOLLOW_UP


@pytest.mark.parametrize("state", sorted(BEFORE_PROCEDURE))
def test_any_state_before_the_procedure_can_be_cancelled_with_a_reason(state):
    assert check(case_in(state), "cancel", Role.COORDINATOR, "patient declined").target == State.CANCELLED


@pytest.mark.parametrize("state", [State.IN_PROCEDURE, State.FOLLOW_UP, State.CLOSED, State.CANCELLED])
def test_cancelling_is_refused_once_the_procedure_has_started(state):
    with pytest.raises(TransitionRefused, match="not possible"):
        check(case_in(state), "cancel", Role.PHYSICIAN, "too late")


def test_cancelling_without_a_reason_is_refused():
    with pytest.raises(TransitionRefused, match="reason is required"):
        check(case_in(State.REFERRED), "cancel", Role.COORDINATOR, "   ")


def test_only_a_physician_may_override_not_eligible_and_needs_a_reason():
    refused = case_in(State.NOT_ELIGIBLE, eligible=False)
    with pytest.raises(TransitionRefused, match="Only a physician"):
        check(refused, "override_eligibility", Role.COORDINATOR, "clinical judgement")
    with pytest.raises(TransitionRefused, match="reason is required"):
        check(refused, "override_eligibility", Role.PHYSICIAN, "")
    assert check(refused, "override_eligibility", Role.PHYSICIAN,
                 "severe disability").target == State.ELIGIBLE


def test_a_verdict_can_only_be_recorded_as_the_engine_gave_it():
    with pytest.raises(TransitionRefused, match="Evaluate eligibility first"):
        check(case_in(State.UNDER_REVIEW), "mark_eligible", Role.COORDINATOR)
    with pytest.raises(TransitionRefused, match="current verdict is not eligible"):
        check(case_in(State.UNDER_REVIEW, eligible=False), "mark_eligible", Role.COORDINATOR)
    assert check(case_in(State.UNDER_REVIEW, eligible=False), "mark_not_eligible",
                 Role.COORDINATOR).target == State.NOT_ELIGIBLE


def test_backward_moves_need_a_physician_or_admin():
    with pytest.raises(TransitionRefused):
        check(case_in(State.UNDER_REVIEW), "return_to_referral", Role.COORDINATOR, "wrong side")
    for role in (Role.PHYSICIAN, Role.ADMIN):
        assert check(case_in(State.UNDER_REVIEW), "return_to_referral", role,
                     "wrong side").target == State.REFERRED


def test_patients_cannot_move_any_case():
    for t in TRANSITIONS:
        assert Role.PATIENT not in t.roles


def test_a_guard_blocks_the_move_with_its_reason(monkeypatch):
    move = BY_ACTION["start_review"]
    monkeypatch.setitem(BY_ACTION, "start_review",
                        type(move)(**{**move.__dict__, "guards": (lambda c: ["MRN missing."],)}))
    with pytest.raises(TransitionRefused, match="MRN missing"):
        check(case_in(State.REFERRED), "start_review", Role.COORDINATOR)


def test_unknown_action_is_refused():
    with pytest.raises(TransitionRefused, match="Unknown action"):
        check(case_in(State.REFERRED), "teleport", Role.ADMIN)


def test_plain_buttons_leave_out_transitions_with_their_own_form():
    offered = {t.action for t in available(State.UNDER_REVIEW, Role.COORDINATOR)}
    assert "start_review" not in offered
    assert "mark_eligible" not in offered  # applied by the "Evaluate eligibility" form
    assert "schedule" not in offered and "cancel" in offered


def test_booking_needs_an_appointment_and_every_move_off_a_booking_frees_it():
    with pytest.raises(TransitionRefused, match="Book an appointment first"):
        check(case_in(State.ELIGIBLE), "schedule", Role.COORDINATOR)
    # A booked case that leaves the booked states (back to eligible, or cancelled) never keeps its
    # appointment: the table declares the release, and the case service runs it with the move.
    leaving = {t.action: t.frees_booking for t in TRANSITIONS
               if State.SCHEDULED in t.sources and t.target not in FROM_BOOKING}
    assert set(leaving) == {"unschedule", "cancel"} and all(leaving.values())
    assert BY_ACTION["cancel"].frees_booking.appointment.format(reason="flu") == "case cancelled: flu"
    assert BY_ACTION["unschedule"].frees_booking.history.format(reason="flu") == "appointment cancelled: flu"


@pytest.mark.parametrize("action, state", [("schedule", State.ELIGIBLE),
                                           ("start_procedure", State.SCHEDULED)])
def test_booking_and_injecting_need_a_verdict_that_still_stands(action, state):
    ready = appointment(ready=True)
    with pytest.raises(TransitionRefused, match="Evaluate eligibility first"):
        check(case_in(state, booked=ready), action, Role.PHYSICIAN)
    with pytest.raises(TransitionRefused, match="not eligible and no physician has overridden"):
        check(case_in(state, eligible=False, booked=ready), action, Role.PHYSICIAN)
    stale = case_in(state, eligible=True, booked=ready, stale="the facts changed since it was stored")
    with pytest.raises(TransitionRefused, match=r"no longer stands \(the facts changed"):
        check(stale, action, Role.PHYSICIAN)
    overridden = case_in(state, eligible=False, booked=ready, overridden=True)
    assert check(overridden, action, Role.PHYSICIAN).target != state


def test_the_tracker_itself_may_unbook_a_missed_appointment_but_not_cancel_cases():
    assert check(case_in(State.SCHEDULED), "unschedule", SYSTEM, "no-show").target == State.ELIGIBLE
    with pytest.raises(TransitionRefused):
        check(case_in(State.SCHEDULED), "cancel", SYSTEM, "no-show")


def test_the_procedure_cannot_start_until_the_required_readiness_items_are_done():
    not_ready = case_in(State.SCHEDULED, eligible=True, booked=appointment(ready=False))
    with pytest.raises(TransitionRefused, match="Not ready: consent obtained; day-of check"):
        check(not_ready, "start_procedure", Role.PHYSICIAN)
    overridden = case_in(State.SCHEDULED, eligible=True,
                         booked=appointment(ready=False, override="consent on paper"))
    assert check(overridden, "start_procedure", Role.PHYSICIAN).target == State.IN_PROCEDURE


def test_a_form_is_stale_unless_it_carries_the_version_it_was_opened_on():
    record = SimpleNamespace(version_id=3)
    check_version(record, "3")
    check_version(record, 3)
    for sent in ("2", "", None, "3 "):
        with pytest.raises(StaleEdit):
            check_version(record, sent)
