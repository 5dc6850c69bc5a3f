"""The hold that did not fit the booked day, as the table reads it, and what readiness asks before the
plan is confirmed. Pure rules (tracker.scheduling.readiness)."""
from datetime import date
from types import SimpleNamespace

import pytest

from tracker.scheduling.instructions import HOLD, PREMEDICATION
from tracker.scheduling.readiness import hold_words, last_dose_problem, unconfirmed_hold

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
