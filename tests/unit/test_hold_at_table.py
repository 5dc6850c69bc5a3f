"""The hold that did not fit the booked day, as the table reads it, and what readiness asks before the
plan is confirmed. Pure rules (tracker.scheduling.readiness)."""
from datetime import date, datetime, timezone
from types import SimpleNamespace

import pytest

from tracker.scheduling.instructions import HOLD, PREMEDICATION, hold_dates
from tracker.scheduling.readiness import (days_held, hold_shortfall, hold_words, is_ready, items, last_dose_problem,
                                         still_needed, unconfirmed_hold)

RISK = SimpleNamespace(anticoagulant_answer="taking", anticoagulants="apixaban", anticoagulant_hold_days=2,
                       allergy_answer="nkda")
WED, FRI, SAT, SUN = date(2026, 12, 2), date(2026, 12, 4), date(2026, 12, 5), date(2026, 12, 6)


def test_a_hold_that_fitted_says_nothing():
    assert hold_words(RISK, {PREMEDICATION: None}, None) == ""
    assert hold_words(RISK, {}, FRI) == ""


def test_a_hold_that_did_not_fit_asks_for_the_last_dose():
    assert hold_words(RISK, {HOLD: WED}, None) == (
        "Hold planned 2 days — did not fit this booking: the last dose would have been Wednesday, December 2, "
        "2026; confirm when the last dose was taken")


def test_a_confirmed_last_dose_is_named():
    assert hold_words(RISK, {HOLD: WED}, FRI) == (
        "Hold planned 2 days — did not fit this booking: the last dose would have been Wednesday, December 2, "
        "2026; last dose on Friday, December 4, 2026, as confirmed at readiness")


@pytest.mark.parametrize("missed, confirmed, last_dose, problem", [
    ({}, True, None, None),                      # the hold fitted: nothing more to ask
    ({HOLD: WED}, False, None, None),            # not confirmed yet: nothing to ask yet
    ({HOLD: WED}, True, FRI, None),
    ({HOLD: WED}, True, SAT, None),              # on the day itself: the physician reads it
    ({HOLD: WED}, True, None, "The hold did not fit this booking: enter the day of the last dose (ask the "
                              "patient) to confirm the plan."),
    ({HOLD: WED}, True, SUN, "The last dose cannot be after the appointment's day (Saturday, December 5, 2026)."),
])
def test_what_readiness_asks_before_a_hold_that_did_not_fit_is_confirmed(missed, confirmed, last_dose, problem):
    assert last_dose_problem(missed, confirmed, last_dose, SAT, hold_days=2) == problem


A_YEAR_EARLY = ("The last dose was on Thursday, December 4, 2025 — more than 30 days before the appointment "
                "(Saturday, December 5, 2026): check the year and the month. If the patient no longer takes it, "
                "correct the risk screen instead.")


@pytest.mark.parametrize("last_dose, hold_days, problem", [
    (date(2025, 12, 4), 2, A_YEAR_EARLY),        # the year typed wrong: refused, not printed on the note
    (date(2025, 12, 4), 7, A_YEAR_EARLY),
    (date(2026, 11, 5), 2, None),                # 30 days before: a long wait after a kept hold, still read
    (date(2026, 11, 4), 2, A_YEAR_EARLY.replace("Thursday, December 4, 2025", "Wednesday, November 4, 2026")),
    (date(2026, 11, 4), 30, None),               # the longest hold the risk screen takes: its last dose and a week
    (date(2026, 10, 28), 30, None),
    (date(2026, 10, 27), 30, A_YEAR_EARLY.replace("Thursday, December 4, 2025", "Tuesday, October 27, 2026")
                                         .replace("more than 30 days", "more than 38 days")),
])
def test_a_last_dose_too_long_before_the_appointment_is_refused_as_a_slip_of_the_date(last_dose, hold_days,
                                                                                        problem):
    assert last_dose_problem({HOLD: WED}, True, last_dose, SAT, hold_days=hold_days) == problem


def test_what_the_physician_answered_at_the_start_is_named_when_readiness_confirmed_none():
    entered = SimpleNamespace(anticoagulant_last_dose_on=FRI, hold_acknowledged=False)
    proceeded = SimpleNamespace(anticoagulant_last_dose_on=None, hold_acknowledged=True)
    asked_nothing = SimpleNamespace(anticoagulant_last_dose_on=None, hold_acknowledged=False)
    did_not_fit = ("Hold planned 2 days — did not fit this booking: the last dose would have been Wednesday, "
                   "December 2, 2026; ")
    assert hold_words(RISK, {HOLD: WED}, None, entered) == (
        did_not_fit + "last dose on Friday, December 4, 2026, as entered by the physician at the start")
    assert hold_words(RISK, {HOLD: WED}, None, proceeded) == (
        did_not_fit + "started without a confirmed day of the last dose (the physician's decision)")
    assert hold_words(RISK, {HOLD: WED}, None, asked_nothing) == did_not_fit + "confirm when the last dose was taken"
    assert hold_words(RISK, {HOLD: WED}, SAT, proceeded).endswith("last dose on Saturday, December 5, 2026, as "
                                                                   "confirmed at readiness")


def test_the_start_asks_only_for_a_hold_that_did_not_fit_with_no_last_dose_confirmed():
    assert unconfirmed_hold(RISK, {HOLD: WED}, None) == (
        "Blood thinner: apixaban. The 2-day hold did not fit this booking: the last dose would have been "
        "Wednesday, December 2, 2026, and no day of the last dose was confirmed.")
    assert unconfirmed_hold(RISK, {HOLD: WED}, FRI) == ""
    assert unconfirmed_hold(RISK, {PREMEDICATION: None}, None) == ""


# ---------------------------------------------------------------- a last dose inside the planned hold

@pytest.mark.parametrize("last_dose, procedure_day, held", [
    (date(2026, 12, 2), SAT, 2),   # Wed: none on Thu and Fri, the 2 days planned
    (date(2026, 12, 3), SAT, 1),
    (FRI, SAT, 0),                 # the day before: no full day without it
    (SAT, SAT, 0),                 # the procedure day itself
])
def test_days_held_are_the_full_days_without_the_drug_between_the_last_dose_and_the_procedure_day(
        last_dose, procedure_day, held):
    assert days_held(last_dose, procedure_day) == held


def test_the_days_held_agree_with_the_planned_last_dose_of_the_hold():
    last, _ = hold_dates(RISK, datetime(2026, 12, 5, 10, tzinfo=timezone.utc))
    assert days_held(last, SAT) == RISK.anticoagulant_hold_days
    assert hold_shortfall(RISK, last, SAT) == ""


def test_a_last_dose_inside_the_hold_names_the_shortfall():
    assert hold_shortfall(RISK, SAT, SUN) == (
        "Last dose Saturday, December 5, 2026 leaves 0 of the planned 2 days' hold before the appointment")
    assert hold_shortfall(RISK, FRI, SUN) == (
        "Last dose Friday, December 4, 2026 leaves 1 of the planned 2 days' hold before the appointment")
    assert hold_shortfall(RISK, date(2026, 12, 3), SUN.replace(day=7)) == ""
    assert hold_shortfall(RISK, None, SUN) == ""
    none = SimpleNamespace(**{**vars(RISK), "anticoagulant_answer": "none"})
    assert hold_shortfall(none, SAT, SUN) == ""


def test_a_hold_kept_short_is_said_at_the_table_and_asked_at_the_start():
    short = "Last dose Saturday, December 5, 2026 leaves 0 of the planned 2 days' hold before the appointment"
    assert hold_words(RISK, {}, SAT, day=SUN) == (
        f"Hold planned 2 days — l{short[1:]} (as confirmed at readiness): not kept as planned: move the appointment, "
        f"or the physician decides at the start")
    decided = SimpleNamespace(anticoagulant_last_dose_on=None, hold_acknowledged=True)
    assert hold_words(RISK, {}, SAT, at_start=decided, day=SUN).endswith(
        "(as confirmed at readiness): the physician's decision to proceed at the start")
    assert unconfirmed_hold(RISK, {}, SAT, SUN) == (
        f"Blood thinner: apixaban. {short}: the hold was not kept as planned (confirmed at readiness).")
    assert unconfirmed_hold(RISK, {}, date(2026, 12, 2), date(2026, 12, 5)) == ""


def test_a_confirmed_plan_with_a_last_dose_inside_the_hold_is_not_done():
    appointment = SimpleNamespace(consent_obtained=True, anticoagulant_plan_confirmed=True, driver_arranged=False,
                                  contrast_premedication_sent=False, day_of_check_done=True,
                                  readiness_override_reason=None, anticoagulant_last_dose_on=SAT, clinic_day=SUN)
    risk = SimpleNamespace(**vars(RISK), sedation_planned=False, allergy_contrast=False, diabetes=False, insulin=False,
                           pregnancy=None, infection_or_fever=False)
    plan = next(item for item in items(appointment, risk) if item.field == "anticoagulant_plan_confirmed")
    assert (plan.required, plan.done) == (True, False) and plan.shortfall.startswith("Last dose Saturday")
    assert not is_ready(appointment, risk) and still_needed(appointment, risk) == (
        "Still needed: the physician's decision (anticoagulant hold not kept as planned)")
    kept = SimpleNamespace(**{**vars(appointment), "anticoagulant_last_dose_on": date(2026, 12, 3),
                              "clinic_day": date(2026, 12, 6)})
    assert is_ready(kept, risk)
