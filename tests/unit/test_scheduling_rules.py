"""The pure scheduling rules: overlap of half-open intervals, clinic wall-clock time to UTC across
both 2026 daylight-saving changes in New York, working hours, the free-slot finder, the readiness
items a patient needs and the preparation steps the patient reads."""
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from tracker.models import RiskScreen
from tracker.scheduling import instructions, readiness
from tracker.scheduling.rules import (Busy, Closed, Hours, NotAClockTime, Slot, clinic_to_utc, closed_on,
                                      closed_words, conflicts, first_clinic_day, free_slots, outside_hours, overlaps,
                                      within_hours)
from tracker.vocab import AllergyAnswer, AnticoagulantAnswer, allergy_words, anticoagulant_words, means_no_drug

NY = ZoneInfo("America/New_York")
UTC = timezone.utc
THIRTY = timedelta(minutes=30)
LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)

# A plain Tuesday in winter (New York is UTC-5) and the two 2026 changes (both Sundays).
TUESDAY = date(2026, 1, 13)
SPRING_FORWARD = date(2026, 3, 8)   # 02:00 EST -> 03:00 EDT: 02:00-02:59 never happens
FALL_BACK = date(2026, 11, 1)       # 02:00 EDT -> 01:00 EST: 01:00-01:59 happens twice


def at(day, hh, mm=0):
    """A UTC instant given as UTC wall-clock."""
    return datetime(day.year, day.month, day.day, hh, mm, tzinfo=UTC)


def ny(day, hh, mm=0):
    return clinic_to_utc(day, time(hh, mm), NY)


# ------------------------------------------------------------------ overlap

def test_an_appointment_ending_when_the_next_starts_does_not_overlap_it():
    assert not overlaps(at(TUESDAY, 14), at(TUESDAY, 15), at(TUESDAY, 15), at(TUESDAY, 16))
    assert not overlaps(at(TUESDAY, 15), at(TUESDAY, 16), at(TUESDAY, 14), at(TUESDAY, 15))


def test_an_appointment_inside_another_overlaps_it_both_ways():
    outer = (at(TUESDAY, 14), at(TUESDAY, 16))
    inner = (at(TUESDAY, 14, 30), at(TUESDAY, 15))
    assert overlaps(*outer, *inner)
    assert overlaps(*inner, *outer)


def test_identical_appointments_overlap():
    assert overlaps(at(TUESDAY, 14), at(TUESDAY, 14, 30), at(TUESDAY, 14), at(TUESDAY, 14, 30))


def test_partly_overlapping_appointments_overlap_both_ways():
    first = (at(TUESDAY, 14), at(TUESDAY, 14, 30))
    second = (at(TUESDAY, 14, 15), at(TUESDAY, 14, 45))
    assert overlaps(*first, *second)
    assert overlaps(*second, *first)


def test_one_minute_apart_does_not_overlap():
    assert not overlaps(at(TUESDAY, 14), at(TUESDAY, 14, 30), at(TUESDAY, 14, 31), at(TUESDAY, 15))


def test_an_appointment_across_midnight_overlaps_one_starting_after_midnight():
    wednesday = TUESDAY + timedelta(days=1)
    late = (at(TUESDAY, 23, 30), at(wednesday, 0, 30))
    assert overlaps(*late, at(wednesday, 0), at(wednesday, 1))
    assert overlaps(*late, at(TUESDAY, 23), at(TUESDAY, 23, 45))
    assert not overlaps(*late, at(wednesday, 0, 30), at(wednesday, 1))
    assert not overlaps(at(TUESDAY, 23), at(wednesday, 0), at(wednesday, 0), at(wednesday, 1))


def test_an_appointment_across_the_repeated_autumn_hour_overlaps_by_real_time():
    # 01:30 EDT for an hour ends at 01:30 EST (the clock shows the same time, an hour later).
    first_half_past_one = ny(FALL_BACK, 1, 30)
    hour_long = (first_half_past_one, first_half_past_one + timedelta(hours=1))
    second_half_past_one = first_half_past_one + timedelta(hours=1)
    assert second_half_past_one.astimezone(NY).strftime("%H:%M") == "01:30"
    assert not overlaps(*hour_long, second_half_past_one, second_half_past_one + THIRTY)
    assert overlaps(*hour_long, second_half_past_one - timedelta(minutes=1), second_half_past_one + THIRTY)


def test_conflicts_are_with_the_same_physician_or_the_same_room_only():
    start, end = at(TUESDAY, 15), at(TUESDAY, 15, 30)
    same_physician = Busy(physician_id=1, room_id=9, start=start, end=end)
    same_room = Busy(physician_id=8, room_id=2, start=start, end=end)
    neither = Busy(physician_id=8, room_id=9, start=start, end=end)
    touching = Busy(physician_id=1, room_id=2, start=end, end=end + THIRTY)
    busy = [same_physician, same_room, neither, touching]
    assert conflicts(start, end, 1, 2, busy) == [same_physician, same_room]
    assert conflicts(start, end, 1, 2, busy, ignore=same_physician) == [same_room]
    assert conflicts(start, end, 7, 7, busy) == []


# ------------------------------------------------------------------ clinic time to UTC

def test_clinic_time_in_winter_is_five_hours_behind_utc():
    assert clinic_to_utc(TUESDAY, time(10), NY) == at(TUESDAY, 15)


def test_clinic_time_in_summer_is_four_hours_behind_utc():
    assert clinic_to_utc(date(2026, 7, 14), time(10), NY) == at(date(2026, 7, 14), 14)


def test_the_skipped_spring_half_hour_is_not_a_clock_time():
    with pytest.raises(NotAClockTime) as refusal:
        clinic_to_utc(SPRING_FORWARD, time(2, 30), NY)
    assert "02:30" in str(refusal.value) and "2026-03-08" in str(refusal.value)
    assert "choose another time" in str(refusal.value)


def test_every_minute_of_the_skipped_spring_hour_is_refused():
    for minute in (0, 1, 59):
        with pytest.raises(NotAClockTime):
            clinic_to_utc(SPRING_FORWARD, time(2, minute), NY)


def test_the_times_either_side_of_the_spring_change_are_one_real_minute_apart():
    before = clinic_to_utc(SPRING_FORWARD, time(1, 59), NY)
    after = clinic_to_utc(SPRING_FORWARD, time(3, 0), NY)
    assert before == at(SPRING_FORWARD, 6, 59)   # still EST, UTC-5
    assert after == at(SPRING_FORWARD, 7, 0)     # now EDT, UTC-4
    assert after - before == timedelta(minutes=1)


def test_the_repeated_autumn_half_hour_means_its_first_occurrence_in_daylight_time():
    moment = clinic_to_utc(FALL_BACK, time(1, 30), NY)
    assert moment == at(FALL_BACK, 5, 30)
    assert moment.astimezone(NY).utcoffset() == timedelta(hours=-4)


def test_after_the_autumn_change_the_clinic_is_five_hours_behind_utc():
    assert clinic_to_utc(FALL_BACK, time(2, 30), NY) == at(FALL_BACK, 7, 30)
    assert clinic_to_utc(FALL_BACK, time(10), NY) == at(FALL_BACK, 15)


def test_clinic_to_utc_gives_an_aware_utc_instant():
    moment = clinic_to_utc(TUESDAY, time(9, 15), NY)
    assert moment.utcoffset() == timedelta(0)


# ------------------------------------------------------------------ working hours

HOURS = [Hours(physician_id=1, weekday=TUESDAY.weekday(), start=time(9), end=time(17))]


def test_an_appointment_inside_the_working_hours_is_within_them():
    assert within_hours(ny(TUESDAY, 9), ny(TUESDAY, 9, 30), 1, HOURS, NY)
    assert within_hours(ny(TUESDAY, 16, 30), ny(TUESDAY, 17), 1, HOURS, NY)


def test_an_appointment_starting_before_or_ending_after_the_hours_is_outside_them():
    assert not within_hours(ny(TUESDAY, 8, 45), ny(TUESDAY, 9, 15), 1, HOURS, NY)
    assert not within_hours(ny(TUESDAY, 16, 45), ny(TUESDAY, 17, 15), 1, HOURS, NY)


def test_working_hours_are_per_weekday_and_per_physician():
    wednesday = TUESDAY + timedelta(days=1)
    assert not within_hours(ny(wednesday, 10), ny(wednesday, 10, 30), 1, HOURS, NY)
    assert not within_hours(ny(TUESDAY, 10), ny(TUESDAY, 10, 30), 2, HOURS, NY)


# Dr Tomas Ortega (3) works Monday, Tuesday, Thursday and Friday: mornings on Tuesday, two spans on Friday.
ORTEGA = [Hours(3, 0, time(8), time(17)), Hours(3, 1, time(9), time(13)), Hours(3, 3, time(8), time(17)),
          Hours(3, 4, time(13), time(17)), Hours(3, 4, time(8), time(12)), Hours(1, 2, time(9), time(17))]


def test_a_day_off_or_a_weekend_says_the_physician_does_not_work_that_day_and_which_days_they_do():
    wednesday, saturday = TUESDAY + timedelta(days=1), TUESDAY + timedelta(days=4)
    assert outside_hours(ny(wednesday, 10), ny(wednesday, 10, 30), 3, ORTEGA, NY, "Dr Tomas Ortega") == (
        "Dr Tomas Ortega does not work on Wednesdays (works Mon, Tue, Thu, Fri).")
    assert outside_hours(ny(saturday, 10), ny(saturday, 10, 30), 3, ORTEGA, NY, "Dr Tomas Ortega") == (
        "Dr Tomas Ortega does not work on Saturdays (works Mon, Tue, Thu, Fri).")
    assert outside_hours(ny(saturday, 10), ny(saturday, 10, 30), 4, ORTEGA, NY, "Dr Ada Nobody") == (
        "Dr Ada Nobody does not work on Saturdays (no working hours are set).")


def test_a_time_outside_the_hours_of_a_working_day_says_that_days_hours():
    friday = TUESDAY + timedelta(days=3)
    assert outside_hours(ny(TUESDAY, 13), ny(TUESDAY, 13, 30), 3, ORTEGA, NY, "Dr Tomas Ortega") == (
        "Outside Dr Tomas Ortega's hours on Tuesdays (9:00–13:00).")
    assert outside_hours(ny(friday, 12), ny(friday, 12, 30), 3, ORTEGA, NY, "Dr Tomas Ortega") == (
        "Outside Dr Tomas Ortega's hours on Fridays (8:00–12:00, 13:00–17:00).")
    assert outside_hours(ny(TUESDAY, 9), ny(TUESDAY, 9, 30), 3, ORTEGA, NY, "Dr Tomas Ortega") is None


def test_working_hours_are_read_in_clinic_time_not_utc():
    # 16:30 clinic time on Tuesday is 21:30 UTC; 08:00 clinic time is 13:00 UTC (inside 9-17 UTC).
    assert within_hours(at(TUESDAY, 21, 30), at(TUESDAY, 22), 1, HOURS, NY)
    assert not within_hours(at(TUESDAY, 13), at(TUESDAY, 13, 30), 1, HOURS, NY)


def test_an_appointment_running_past_midnight_is_outside_the_hours():
    evening = [Hours(1, TUESDAY.weekday(), time(18), time(23, 59))]
    assert not within_hours(ny(TUESDAY, 23, 45), ny(TUESDAY, 23, 45) + THIRTY, 1, evening, NY)


def test_working_hours_apply_on_daylight_saving_days_in_clinic_time():
    sunday = [Hours(1, SPRING_FORWARD.weekday(), time(1), time(4))]
    assert within_hours(ny(SPRING_FORWARD, 1, 45), ny(SPRING_FORWARD, 1, 45) + THIRTY, 1, sunday, NY)
    assert not within_hours(ny(SPRING_FORWARD, 3, 45), ny(SPRING_FORWARD, 3, 45) + THIRTY, 1, sunday, NY)


# ------------------------------------------------------------------ free slots

def morning(physician_id=1, day=TUESDAY, start=time(9), end=time(10)):
    return Hours(physician_id, day.weekday(), start, end)


def local_starts(slots):
    return [s.start.astimezone(NY).strftime("%H:%M") for s in slots]


def test_free_slots_walk_the_working_hours_in_quarter_hours():
    slots = free_slots(TUESDAY, 1, THIRTY, [morning()], [5], [], NY, LONG_AGO)
    assert local_starts(slots) == ["09:00", "09:15", "09:30"]
    assert all(s.end - s.start == THIRTY and s.physician_id == 1 and s.room_id == 5 for s in slots)


def test_free_slots_skip_times_when_the_physician_is_busy_and_allow_back_to_back():
    busy = [Busy(1, 99, ny(TUESDAY, 9), ny(TUESDAY, 9, 30))]
    slots = free_slots(TUESDAY, 1, THIRTY, [morning()], [5], busy, NY, LONG_AGO)
    assert local_starts(slots) == ["09:30"]


def test_free_slots_skip_times_when_the_only_room_is_busy_with_another_physician():
    busy = [Busy(2, 5, ny(TUESDAY, 9, 30), ny(TUESDAY, 10))]
    slots = free_slots(TUESDAY, 1, THIRTY, [morning()], [5], busy, NY, LONG_AGO)
    assert local_starts(slots) == ["09:00"]


def test_free_slots_use_another_room_when_the_first_is_busy():
    busy = [Busy(2, 5, ny(TUESDAY, 9), ny(TUESDAY, 10))]
    slots = free_slots(TUESDAY, 1, THIRTY, [morning()], [5, 6], busy, NY, LONG_AGO)
    assert [(t, s.room_id) for t, s in zip(local_starts(slots), slots)] == [
        ("09:00", 6), ("09:15", 6), ("09:30", 6)]


def test_free_slots_never_offer_a_time_before_not_before():
    slots = free_slots(TUESDAY, 1, THIRTY, [morning()], [5], [], NY, not_before=ny(TUESDAY, 9, 10))
    assert local_starts(slots) == ["09:15", "09:30"]


def test_free_slots_stop_at_the_limit():
    hours = [morning(end=time(17))]
    slots = free_slots(TUESDAY, 7, THIRTY, hours, [5], [], NY, LONG_AGO, limit=4)
    assert local_starts(slots) == ["09:00", "09:15", "09:30", "09:45"]


def test_free_slots_continue_on_the_following_days_with_hours():
    wednesday = TUESDAY + timedelta(days=1)
    hours = [morning(day=wednesday, start=time(9), end=time(9, 30))]
    slots = free_slots(TUESDAY, 9, THIRTY, hours, [5], [], NY, LONG_AGO)
    assert [s.start for s in slots] == [ny(wednesday, 9), ny(wednesday + timedelta(days=7), 9)]


def test_free_slots_skip_a_day_the_clinic_is_closed():
    wednesday = TUESDAY + timedelta(days=1)
    hours = [morning(), morning(day=wednesday)]
    slots = free_slots(TUESDAY, 2, THIRTY, hours, [5], [], NY, LONG_AGO, closures=[Closed(TUESDAY, TUESDAY, "Holiday")])
    assert {s.start.astimezone(NY).date() for s in slots} == {wednesday}


def test_free_slots_skip_a_physicians_leave_and_still_offer_the_others():
    hours = [morning(physician_id=1), morning(physician_id=2)]
    leave = [Closed(TUESDAY - timedelta(days=3), TUESDAY, "Annual leave", physician_id=1)]
    slots = free_slots(TUESDAY, 1, THIRTY, hours, [5, 6], [], NY, LONG_AGO, closures=leave)
    assert {s.physician_id for s in slots} == {2} and len(slots) == 3


def test_the_clinics_closure_is_named_before_a_physicians_leave_on_the_same_day():
    holiday, leave = Closed(TUESDAY, TUESDAY, "Christmas Day"), Closed(TUESDAY, TUESDAY, "Leave", physician_id=1)
    assert closed_on(TUESDAY, 1, [leave, holiday]) is holiday
    assert closed_on(TUESDAY, 2, [leave]) is None
    assert closed_on(TUESDAY + timedelta(days=1), 1, [leave, holiday]) is None


def test_a_closed_day_is_said_with_its_weekday_and_reason():
    christmas = date(2026, 12, 25)
    assert closed_words(christmas, Closed(christmas, christmas, "Christmas Day"), "Dr Priya Raman") == \
        "The clinic is closed on Friday, December 25, 2026 (Christmas Day)."
    leave = Closed(date(2026, 12, 28), date(2027, 1, 1), "Annual leave", physician_id=1)
    assert closed_words(date(2026, 12, 29), leave, "Dr Priya Raman") == \
        ("Dr Priya Raman is on leave on Tuesday, December 29, 2026 (Annual leave, 28 December 2026 to "
         "1 January 2027).")


def test_the_first_free_slots_are_the_earliest_across_physicians():
    """Two physicians with the same hours: the first two combinations are both at 09:00."""
    hours = [morning(physician_id=1, end=time(17)), morning(physician_id=2, end=time(17))]
    slots = free_slots(TUESDAY, 1, THIRTY, hours, [5, 6], [], NY, LONG_AGO, limit=2)
    assert [(t, s.physician_id) for t, s in zip(local_starts(slots), slots)] == [
        ("09:00", 1), ("09:00", 2)], (
        "free_slots walks one physician's whole day before the next physician's, so with a limit "
        "it returns later times of the first physician instead of the earliest combinations")


def test_a_free_slot_across_the_spring_change_lasts_a_real_half_hour():
    hours = [Hours(1, SPRING_FORWARD.weekday(), time(1), time(4))]
    slots = free_slots(SPRING_FORWARD, 1, THIRTY, hours, [5], [], NY, LONG_AGO, limit=50)
    assert all(s.end - s.start == THIRTY for s in slots)
    starts = local_starts(slots)
    assert not [t for t in starts if t.startswith("02:")], "02:xx does not exist that night"
    across = next(s for s in slots if s.start.astimezone(NY).strftime("%H:%M") == "01:45")
    assert across.start == at(SPRING_FORWARD, 6, 45)
    assert across.end.astimezone(NY).strftime("%H:%M") == "03:15"
    assert starts == ["01:00", "01:15", "01:30", "01:45", "03:00", "03:15", "03:30"]


def test_a_free_slot_across_the_autumn_change_lasts_a_real_half_hour():
    hours = [Hours(1, FALL_BACK.weekday(), time(0, 30), time(2, 30))]
    slots = free_slots(FALL_BACK, 1, THIRTY, hours, [5], [], NY, LONG_AGO, limit=50)
    assert all(s.end - s.start == THIRTY for s in slots)
    assert len({s.start for s in slots}) == len(slots)
    across = next(s for s in slots if s.start == at(FALL_BACK, 5, 45))  # 01:45 EDT
    assert across.end == at(FALL_BACK, 6, 15)
    assert across.end.astimezone(NY).strftime("%H:%M") == "01:15"  # already EST


def test_the_slot_finder_returns_slot_values():
    slots = free_slots(TUESDAY, 1, THIRTY, [morning(end=time(9, 30))], [5], [], NY, LONG_AGO)
    assert slots == [Slot(ny(TUESDAY, 9), ny(TUESDAY, 9, 30), 1, 5)]


# ------------------------------------------------------------------ readiness

def appointment(**done):
    values = {name: False for name in ("consent_obtained", "anticoagulant_plan_confirmed",
                                       "driver_arranged", "contrast_premedication_sent",
                                       "day_of_check_done")}
    values.update(done)
    values.setdefault("readiness_override_reason", None)
    return SimpleNamespace(**values)


def risk(**fields):
    """A risk screen as saved: nothing ticked unless given."""
    values = {"anticoagulants": "", "anticoagulant_hold_plan": "", "allergy_contrast": False,
              "allergy_iodine": False, "allergy_latex": False, "allergy_local_anaesthetic": False,
              "allergy_steroid": False, "contrast_premedication_plan": "", "infection_or_fever": False,
              "diabetes": False, "hba1c": None, "insulin": False, "sedation_planned": False,
              "red_flags_screened": True, "red_flags_present": False, "red_flags_notes": ""}
    values.update(fields)
    # Both questions answered unless a test says otherwise: one not asked is required, never done.
    values.setdefault("anticoagulant_answer", "taking" if values["anticoagulants"].strip() else "none")
    values.setdefault("allergy_answer", "documented" if any(values[name] for name in values
                                                           if name.startswith("allergy_")) else "nkda")
    return RiskScreen(**values)


def required(appt, screen):
    return {item.field for item in readiness.items(appt, screen) if item.required}


ALWAYS = {"consent_obtained", "day_of_check_done"}


def test_a_session_over_the_payers_limits_needs_its_liability_notice_signed_before_it_is_ready():
    from tracker.procedures.rules.billing import over_payer_limit
    cap = {"code": "diagnostic_cap", "label": "Diagnostic blocks in 12 months", "status": "not_met",
           "shortfall": "this would be 3 of 2 (patient)"}
    medicare = over_payer_limit([cap], "Medicare SI joint LCDs (2023)", True, "Dr Osei, 2026-12-01")
    ticked = appointment(consent_obtained=True, day_of_check_done=True)
    assert readiness.is_ready(ticked, risk()), "within the limits: no notice to sign"
    assert "liability_notice_signed" not in {item.field for item in readiness.items(ticked, risk())}
    assert not readiness.is_ready(ticked, risk(), medicare)
    assert readiness.still_needed(ticked, risk(), medicare) == "Still needed: liability notice"
    [item] = [i for i in readiness.items(ticked, risk(), notice=medicare) if i.field == "liability_notice_signed"]
    assert item.label == "Liability notice signed before the procedure (Medicare: ABN, form CMS-R-131)"
    other = over_payer_limit([cap], "CAM 770HB", False, "Dr Osei, 2026-12-01")
    [item] = [i for i in readiness.items(ticked, risk(), notice=other) if i.field == "liability_notice_signed"]
    assert item.label == ("Liability notice signed before the procedure (the payer's financial-responsibility "
                          "notice)")
    signed = appointment(consent_obtained=True, day_of_check_done=True, liability_notice_signed=True)
    assert readiness.is_ready(signed, risk(), medicare)
    # Ticked, then the limits no longer apply (a new verdict): listed, not required, so it can be unticked.
    [item] = [i for i in readiness.items(signed, risk()) if i.field == "liability_notice_signed"]
    assert not item.required and item.done


def test_every_patient_needs_consent_and_the_day_of_check():
    assert required(appointment(), risk()) == ALWAYS


def test_a_risk_screen_question_not_answered_is_required_and_never_done_by_a_tick():
    unanswered = ALWAYS | {"anticoagulant_plan_confirmed", "contrast_premedication_sent"}
    assert required(appointment(), None) == unanswered
    assert required(appointment(), risk(anticoagulant_answer="not_asked", allergy_answer=None)) == unanswered
    ticked = appointment(consent_obtained=True, day_of_check_done=True, anticoagulant_plan_confirmed=True,
                         contrast_premedication_sent=True)
    assert not readiness.is_ready(ticked, None)
    assert readiness.still_needed(ticked, None) == (
        "Still needed: risk screen: blood thinners not asked, risk screen: allergies not asked")
    assert readiness.still_needed(ticked, risk(allergy_answer=None)) == "Still needed: risk screen: allergies not asked"
    assert readiness.missing(ticked, risk(anticoagulant_answer=None)) == ["Risk screen: blood thinners not asked"]
    assert readiness.is_ready(appointment(consent_obtained=True, day_of_check_done=True,
                                          readiness_override_reason="Asked by phone."), None)


def test_a_question_not_asked_names_what_the_other_open_case_records():
    said = {"anticoagulants": "Case 21 (left) records apixaban 5 mg twice daily"}
    items = {i.field: i for i in readiness.items(appointment(), None, elsewhere=said)}
    assert items["anticoagulant_plan_confirmed"].elsewhere == "Case 21 (left) records apixaban 5 mg twice daily"
    assert items["contrast_premedication_sent"].elsewhere == ""
    answered = {i.field: i for i in readiness.items(appointment(), risk(), elsewhere=said)}
    assert answered["anticoagulant_plan_confirmed"].elsewhere == ""  # this case answered it: nothing to ask


def test_an_anticoagulated_patient_needs_the_hold_plan_confirmed():
    screen = risk(anticoagulants="apixaban", anticoagulant_hold_plan="hold 2 days")
    assert required(appointment(), screen) == ALWAYS | {"anticoagulant_plan_confirmed"}
    assert "Anticoagulant hold plan confirmed" in readiness.missing(appointment(), screen)


def test_a_blank_anticoagulant_entry_does_not_need_a_hold_plan():
    assert "anticoagulant_plan_confirmed" not in required(appointment(), risk(anticoagulants="   "))


def test_a_sedated_patient_needs_a_driver():
    assert required(appointment(), risk(sedation_planned=True)) == ALWAYS | {"driver_arranged"}
    assert any("Driver arranged" in label for label in readiness.missing(appointment(),
                                                                         risk(sedation_planned=True)))


def test_a_contrast_allergic_patient_needs_premedication_instructions_sent_when_premedication_is_planned():
    planned = risk(allergy_contrast=True, contrast_premedication_planned=True)
    assert required(appointment(), planned) == ALWAYS | {"contrast_premedication_sent"}
    # Managed without contrast ("No contrast will be used"): nothing to send, and it says why.
    without = risk(allergy_contrast=True, contrast_premedication_plan="No contrast will be used")
    assert required(appointment(), without) == ALWAYS
    [item] = [i for i in readiness.items(appointment(), without) if i.field == "contrast_premedication_sent"]
    assert item.why == "allergies: iodinated contrast; no premedication planned"


def test_a_diabetic_patient_has_the_glucose_check_in_the_day_of_check():
    labels = {item.field: item.label for item in readiness.items(appointment(), risk(diabetes=True))}
    assert "glucose" in labels["day_of_check_done"]
    insulin_only = {i.field: i.label for i in readiness.items(appointment(), risk(insulin=True))}
    assert "glucose" in insulin_only["day_of_check_done"]
    plain = {i.field: i.label for i in readiness.items(appointment(), risk())}
    assert "glucose" not in plain["day_of_check_done"]


@pytest.mark.parametrize("pregnancy, diabetes, label", [
    ("possible", False, "Day-of check: no fever or infection, pregnancy test negative or the physician's "
                        "decision to proceed recorded"),
    ("yes", False, "Day-of check: no fever or infection, the physician's decision to proceed in pregnancy recorded"),
    ("possible", True, "Day-of check: no fever or infection, glucose checked, pregnancy test negative or the "
                       "physician's decision to proceed recorded"),
    ("no", False, "Day-of check: no fever or infection"),
    ("not_applicable", True, "Day-of check: no fever or infection, glucose checked"),
])
def test_the_day_of_check_says_what_a_possible_or_known_pregnancy_needs(pregnancy, diabetes, label):
    [day_of] = [item for item in readiness.items(appointment(), risk(pregnancy=pregnancy, diabetes=diabetes))
                if item.field == "day_of_check_done"]
    assert day_of.label == label and day_of.required
    assert day_of.why == ({"possible": "pregnancy: possibly pregnant", "yes": "pregnancy: pregnant"}.get(pregnancy, ""))


def test_the_day_of_check_with_an_infection_or_fever_asks_it_resolved_or_the_decision_and_says_why():
    [day_of] = [item for item in readiness.items(appointment(), risk(infection_or_fever=True, pregnancy="possible",
                                                                     insulin=True))
                if item.field == "day_of_check_done"]
    assert day_of.label == ("Day-of check: infection or fever resolved, or the physician's decision to proceed "
                            "recorded, glucose checked, pregnancy test negative or the physician's decision to "
                            "proceed recorded")
    assert day_of.why == "pregnancy: possibly pregnant; infection or fever: yes"


def test_a_patient_with_every_risk_needs_every_item():
    screen = risk(anticoagulants="warfarin", sedation_planned=True, allergy_contrast=True,
                  contrast_premedication_planned=True, diabetes=True)
    assert len(readiness.missing(appointment(), screen)) == 5
    assert not readiness.is_ready(appointment(), screen)


def test_missing_lists_only_required_items_not_done():
    screen = risk(sedation_planned=True)
    appt = appointment(consent_obtained=True)
    assert readiness.missing(appt, screen) == [
        "Driver arranged (sedation: no driving for 24 hours)", "Day-of check: no fever or infection"]


def test_items_not_needed_do_not_block_readiness():
    appt = appointment(consent_obtained=True, day_of_check_done=True)
    assert readiness.is_ready(appt, risk())


def test_a_patient_is_ready_when_every_required_item_is_done():
    screen = risk(anticoagulants="clopidogrel", sedation_planned=True)
    partly = appointment(consent_obtained=True, day_of_check_done=True, driver_arranged=True)
    assert not readiness.is_ready(partly, screen)
    assert readiness.missing(partly, screen) == ["Anticoagulant hold plan confirmed"]
    done = appointment(consent_obtained=True, day_of_check_done=True, driver_arranged=True,
                       anticoagulant_plan_confirmed=True)
    assert readiness.is_ready(done, screen)


def test_a_physician_override_makes_an_unready_patient_ready_but_keeps_the_missing_list():
    appt = appointment(readiness_override_reason="Consent is in the paper chart; verified by phone.")
    assert readiness.is_ready(appt, risk())
    assert readiness.missing(appt, risk()) == ["Consent obtained", "Day-of check: no fever or infection"]


def test_an_empty_override_reason_does_not_count():
    assert not readiness.is_ready(appointment(readiness_override_reason=""), risk())


def test_the_summary_names_what_is_still_needed_in_plain_words():
    screen = risk(sedation_planned=True, anticoagulants="warfarin", allergy_contrast=True,
                  contrast_premedication_planned=True, diabetes=True)
    assert readiness.still_needed(appointment(), screen) == (
        "Still needed: consent, anticoagulant plan, driver, contrast premedication, day-of check")
    assert readiness.still_needed(appointment(day_of_check_done=True), risk(sedation_planned=True)) == (
        "Still needed: consent, driver")
    assert readiness.still_needed(appointment(consent_obtained=True, day_of_check_done=True), risk()) == ""


def test_the_items_still_needed_are_named_alone_for_the_api():
    assert readiness.still_needed_items(appointment(day_of_check_done=True), risk(sedation_planned=True)) == [
        "consent", "driver"]
    assert readiness.still_needed_items(appointment(consent_obtained=True, day_of_check_done=True), risk()) == []


def test_ready_by_override_only_while_something_is_missing():
    reason = "Consent is in the paper chart; verified by phone."
    assert readiness.by_override(appointment(readiness_override_reason=reason), risk())
    done = appointment(consent_obtained=True, day_of_check_done=True, readiness_override_reason=reason)
    assert readiness.is_ready(done, risk()) and not readiness.by_override(done, risk())
    assert not readiness.by_override(appointment(), risk())


# ------------------------------------------------------------------ preparation instructions

def prep(screen):
    """The steps as an English reader gets them: each is a catalog message and its values."""
    return [text % values for text, values in instructions.preparation(screen)]


def test_a_patient_with_no_risks_gets_only_the_general_steps():
    steps = prep(risk())
    assert len(steps) == 3
    assert "Arrive 30 minutes before" in steps[0]
    assert "20–30 minutes" in steps[1]
    assert not any(word in " ".join(steps) for word in ("Blood thinners", "sedation", "Contrast", "Diabetes"))
    assert prep(None) == steps


def test_a_sedated_patient_is_told_to_bring_a_driver_and_stay_longer():
    steps = prep(risk(sedation_planned=True))
    assert any("an adult must take you home" in s and "must not drive for 24 hours" in s for s in steps)
    assert any("30–45 minutes" in s for s in steps)


def test_an_anticoagulated_patient_gets_their_hold_plan():
    steps = prep(risk(anticoagulants="apixaban",
                                          anticoagulant_hold_plan="Stop apixaban 2 days before."))
    assert "Blood thinners: Stop apixaban 2 days before." in steps


def test_an_anticoagulated_patient_without_a_plan_is_told_the_clinic_will_say():
    steps = prep(risk(anticoagulants="aspirin"))
    assert "Blood thinners: the clinic will tell you whether to pause them." in steps


def test_a_contrast_allergic_patient_gets_the_premedication_plan():
    steps = prep(risk(allergy_contrast=True,
                                          contrast_premedication_plan="Prednisone 50 mg at 13, 7 and 1 h."))
    assert "Contrast allergy: Prednisone 50 mg at 13, 7 and 1 h." in steps
    without_plan = prep(risk(allergy_contrast=True))
    assert any(s.startswith("Contrast allergy: the clinic will send") for s in without_plan)


def test_glucose_advice_follows_the_monitoring_rule_hba1c_above_7_or_insulin():
    def has_glucose(screen):
        return any(s.startswith("Diabetes:") for s in prep(screen))

    assert has_glucose(risk(diabetes=True, hba1c=Decimal("7.5")))
    assert has_glucose(risk(diabetes=True, insulin=True))
    assert not has_glucose(risk(diabetes=True, hba1c=Decimal("6.5")))
    assert not has_glucose(risk(diabetes=True, hba1c=Decimal("7.0")))


def test_a_hold_of_n_days_means_the_last_dose_n_plus_one_days_before_the_procedure_day():
    from datetime import date, datetime
    from zoneinfo import ZoneInfo

    friday = datetime(2026, 12, 4, 9, 30, tzinfo=ZoneInfo("America/New_York"))
    screen = risk(anticoagulants="apixaban", anticoagulant_hold_days=3, anticoagulant_prescriber_agreed=True)
    assert instructions.hold_dates(screen, friday) == (date(2026, 11, 30), date(2026, 12, 1))  # Mon; none Tue–Fri
    assert instructions.hold_dates(risk(anticoagulants="apixaban", anticoagulant_hold_days=0), friday) is None
    assert instructions.hold_dates(risk(anticoagulant_hold_days=3), friday) is None  # nothing to hold


# ------------------------------------------------------------------ a plan that no longer fits

# Booked on Saturday 5 December 2026 at 10:00 in New York; "day n" is n days after it.
TOLD = datetime(2026, 12, 5, 10, 0, tzinfo=NY)


def on_day(n, hh=11, mm=40):
    return datetime.combine(TOLD.date() + timedelta(days=n), time(hh, mm), tzinfo=NY)


def held(days, agreed=True):
    return risk(anticoagulants="clopidogrel 75 mg daily", anticoagulant_hold_days=days,
                anticoagulant_prescriber_agreed=agreed)


PREMEDICATED = {"allergy_contrast": True, "contrast_premedication_planned": True,
                "contrast_premedication_plan": "Prednisone 50 mg 13, 7 and 1 h before."}


@pytest.mark.parametrize("days, first_day", [(0, 0), (1, 2), (5, 6), (30, 31)])
def test_a_hold_fits_when_its_last_dose_is_on_the_booking_day_or_later(days, first_day):
    """N days held: no dose on the N days before the procedure day nor on it, the last dose the day
    before those. It fits from the day whose last dose is the booking day."""
    screen = held(days)
    assert instructions.first_day_that_fits(screen, TOLD) == TOLD.date() + timedelta(days=first_day)
    for n in range(0, first_day + 3):   # today, tomorrow, ..., the day it fits and after
        gone = instructions.missed(screen, on_day(n), TOLD)
        assert (instructions.HOLD in gone) is (n < first_day), n
    if days:
        assert instructions.missed(screen, on_day(first_day - 1), TOLD) == {
            instructions.HOLD: TOLD.date() - timedelta(days=1)}   # the last dose would have been yesterday


def test_a_hold_the_prescriber_has_not_agreed_yet_still_needs_its_days():
    assert instructions.HOLD in instructions.missed(held(5, agreed=None), on_day(2), TOLD)
    assert instructions.first_day_that_fits(held(5, agreed=False), TOLD) == date(2026, 12, 11)


def test_nothing_held_nothing_missed():
    for screen in (risk(), risk(anticoagulants="apixaban"), held(0), None):
        assert instructions.missed(screen, on_day(0), TOLD) == {}
    assert instructions.first_day_that_fits(risk(), TOLD) == TOLD.date()


@pytest.mark.parametrize("told, first_day", [((17, 59), 1), ((18, 0), 1), ((18, 1), 2), ((23, 59), 2)])
def test_the_premedication_fits_until_the_evening_before_begins_at_18(told, first_day):
    when = TOLD.replace(hour=told[0], minute=told[1])
    screen = risk(**PREMEDICATED)
    assert instructions.first_day_that_fits(screen, when) == when.date() + timedelta(days=first_day)
    tomorrow = instructions.missed(screen, on_day(1), when)
    assert (tomorrow == {}) is (first_day == 1)
    assert instructions.missed(screen, on_day(0), when) == {
        instructions.PREMEDICATION: datetime(2026, 12, 4, 18, 0, tzinfo=NY)}   # yesterday evening


def test_the_clinic_day_decides_around_midnight_not_utc():
    """23:30 on Saturday in New York is already Sunday in UTC: the booking day is still Saturday."""
    late_saturday = datetime(2026, 12, 6, 4, 30, tzinfo=UTC).astimezone(NY)
    assert late_saturday.date() == date(2026, 12, 5)
    assert instructions.first_day_that_fits(held(1), late_saturday) == date(2026, 12, 7)   # last dose Saturday
    assert instructions.missed(held(1), on_day(2), late_saturday) == {}
    # Told in UTC, judged in the appointment's zone: the same Saturday.
    assert instructions.missed(held(1), on_day(2), datetime(2026, 12, 6, 4, 30, tzinfo=UTC)) == {}
    assert instructions.HOLD in instructions.missed(held(1), on_day(1), datetime(2026, 12, 6, 4, 30, tzinfo=UTC))
    # Five minutes after midnight it is Sunday: a Monday appointment no longer fits.
    just_sunday = datetime(2026, 12, 6, 0, 5, tzinfo=NY)
    assert instructions.HOLD in instructions.missed(held(1), on_day(2), just_sunday)


def test_fasting_is_missed_once_its_start_has_passed():
    screen = risk(sedation_planned=True, fasting_hours=6)
    assert instructions.missed(screen, TOLD + timedelta(hours=6), TOLD) == {}
    assert instructions.missed(screen, TOLD + timedelta(hours=5), TOLD) == {
        instructions.FASTING: TOLD - timedelta(hours=1)}


def test_booking_warnings_name_the_date_that_would_have_been_and_the_first_that_fits():
    screen = held(5)
    for name, value in PREMEDICATED.items():
        setattr(screen, name, value)
    assert instructions.too_late(screen, on_day(0), TOLD) == [
        "A 5-day hold of clopidogrel 75 mg daily is no longer possible before this date: the last dose would have "
        "been Sunday, November 29, 2026 (already past). Book on or after Friday, December 11, 2026, or record the "
        "prescriber's new plan.",
        "The contrast premedication can no longer start the evening before this date: it would have started on "
        "Friday, December 4, 2026 at 18:00 (already past). Book on or after Friday, December 11, 2026, or record "
        "the new premedication plan."]
    assert instructions.too_late(screen, on_day(6), TOLD) == []


def test_the_booking_warning_names_the_first_clinic_day_the_plan_fits_on():
    """A 6-day hold told on Saturday 5 December fits from Saturday 12 December: a clinic working
    Monday to Friday is booked from Monday 14 December; with no working hours set, the day itself."""
    screen = held(6)
    assert instructions.first_day_that_fits(screen, TOLD) == date(2026, 12, 12)

    [words] = instructions.too_late(screen, on_day(0), TOLD, weekdays=MONDAY_TO_FRIDAY)

    assert "Book on or after Monday, December 14, 2026, or record the prescriber's new plan." in words
    [words] = instructions.too_late(screen, on_day(0), TOLD)
    assert "Book on or after Saturday, December 12, 2026," in words


def test_a_step_that_did_not_fit_tells_the_patient_to_call_never_a_date():
    screen = held(5)
    for name, value in PREMEDICATED.items():
        setattr(screen, name, value)
    screen.fasting_hours = 8

    def told(**kwargs):
        return [text % values for text, values in instructions.preparation(screen, on_day(0), **kwargs)]

    steps = told(told_at=TOLD, phone="(201) 555-0100")
    assert ("Blood thinner (clopidogrel 75 mg daily): it is too late to stop it as planned. Please call the clinic "
            "on (201) 555-0100 before your appointment.") in steps
    assert ("Contrast allergy: it is too late to start your premedication the evening before as planned. Please "
            "call the clinic on (201) 555-0100 before your appointment.") in steps
    assert ("Fasting: it is too late to fast for 8 hours before your appointment as planned. Please call the "
            "clinic on (201) 555-0100 before your appointment.") in steps
    assert "Please call the clinic before your appointment." in told(told_at=TOLD)[3]   # no number known
    assert any("take your last dose on" in step for step in told())   # not judged without a moment


def test_a_step_changed_after_the_booking_is_judged_when_it_changed_the_others_when_booked():
    booked = TOLD - timedelta(days=7)
    screen = held(5)
    screen.fasting_hours = 8
    appointment_day = on_day(2, 10, 0)
    assert instructions.missed(screen, appointment_day, booked) == {}   # all fitted a week ago
    screen.hold_set_at = TOLD.astimezone(UTC)   # five days asked for today: last dose four days ago
    assert instructions.missed(screen, appointment_day, booked) == {instructions.HOLD: TOLD.date() - timedelta(days=4)}
    assert instructions.given_at(screen, instructions.FASTING, booked) == booked   # fasting: as booked
    # Changed before the booking: the booking is when the patient was given it.
    screen.hold_set_at = booked - timedelta(days=1)
    assert instructions.missed(screen, appointment_day, booked) == {}


def test_the_steps_a_risk_screen_save_changes():
    before = {"anticoagulants": "apixaban", "anticoagulant_hold_days": 2, "anticoagulant_prescriber_agreed": None,
              "fasting_hours": None, "hba1c": None, "allergy_contrast": False}
    assert instructions.changed_steps(before, {**before, "hba1c": 6.4}) == []
    assert instructions.changed_steps(before, {**before, "anticoagulant_prescriber_agreed": True}) == [
        instructions.HOLD]
    assert instructions.changed_steps(before, {**before, "fasting_hours": 6, "allergy_contrast": True}) == [
        instructions.PREMEDICATION, instructions.FASTING]


def test_readiness_says_beside_its_item_which_plan_did_not_fit():
    screen = held(5)
    gone = instructions.missed(screen, on_day(0), TOLD)
    alerts = {item.field: item.alert for item in readiness.items(appointment(), screen, gone)}
    assert alerts["anticoagulant_plan_confirmed"] == (
        "Did not fit as planned: the 5-day hold's last dose would have been Sunday, November 29, 2026, before the "
        "appointment was booked or moved or the plan changed. Confirm the prescriber's new plan with the patient before ticking.")
    assert {field for field, alert in alerts.items() if alert} == {"anticoagulant_plan_confirmed"}
    assert not any(item.alert for item in readiness.items(appointment(), screen))


def test_fasting_counts_real_hours_across_a_daylight_saving_change():
    from datetime import datetime
    from zoneinfo import ZoneInfo

    zone = ZoneInfo("America/New_York")
    # Clocks went back at 2:00 on 1 November 2026: 8:00 minus 8 real hours is 1:00 (summer time).
    starts = datetime(2026, 11, 1, 8, 0, tzinfo=zone)
    moment = instructions.fasting_from(risk(fasting_hours=8), starts)
    assert (moment.hour, moment.utcoffset().total_seconds() / 3600) == (1, -4)
    assert instructions.fasting_from(risk(), starts) is None


# ------------------------------------------------------------------ the risk screen's answers as pages show them

def test_no_known_allergies_reads_nkda_and_a_question_not_asked_reads_not_asked():
    assert allergy_words(risk(allergy_answer=AllergyAnswer.NKDA)) == "NKDA (no known allergies)"
    assert allergy_words(risk(allergy_answer=None)) == "not asked"
    assert allergy_words(None) == "not asked"
    assert allergy_words(risk(allergy_latex=True, allergy_contrast=True)) == "iodinated contrast, latex"


def test_no_anticoagulants_reads_none_never_a_drug_and_a_question_not_asked_reads_not_asked():
    assert anticoagulant_words(risk(anticoagulant_answer=AnticoagulantAnswer.NONE)) == "none"
    assert anticoagulant_words(risk(anticoagulant_answer=None)) == "not asked"
    assert anticoagulant_words(None) == "not asked"
    assert anticoagulant_words(risk(anticoagulants="apixaban 5 mg")) == "apixaban 5 mg"


@pytest.mark.parametrize("typed", ["n/a", "N/A", "none", "None.", " nil ", "-", "NKDA", "no anticoagulants", ""])
def test_what_staff_type_to_mean_none_is_not_a_drug(typed):
    assert means_no_drug(typed)


@pytest.mark.parametrize("typed", ["apixaban", "aspirin 81 mg", "none of the above but warfarin"])
def test_a_drug_is_a_drug(typed):
    assert not means_no_drug(typed)


def test_readiness_says_why_each_item_is_or_is_not_needed():
    def item(screen, field):
        return next(i for i in readiness.items(appointment(), screen) if i.field == field)

    nothing = risk(anticoagulant_answer=AnticoagulantAnswer.NONE, allergy_answer=AllergyAnswer.NKDA)
    plan, premedication = item(nothing, "anticoagulant_plan_confirmed"), item(nothing, "contrast_premedication_sent")
    assert (plan.required, plan.unknown, plan.why) == (False, False, "anticoagulants: none")
    assert (premedication.required, premedication.unknown, premedication.why) == (
        False, False, "allergies: NKDA (no known allergies)")

    unasked = item(risk(anticoagulant_answer=None), "anticoagulant_plan_confirmed")
    assert (unasked.required, unasked.unknown, unasked.why) == (True, True, "anticoagulants: not asked")

    taking = item(risk(anticoagulants="apixaban", anticoagulant_hold_plan="hold 2 days"), "anticoagulant_plan_confirmed")
    assert (taking.required, taking.unknown, taking.why) == (True, False, "anticoagulants: apixaban")


# ------------------------------------------------------------------ where the free-slot list starts

def test_the_slot_list_starts_on_the_day_asked_for_even_before_the_plan_fits():
    from tracker.scheduling.rules import slots_from
    today, fits = date(2026, 3, 2), date(2026, 3, 9)
    assert slots_from(date(2026, 3, 4), today, fits) == (date(2026, 3, 4), None)


def test_with_no_day_asked_for_the_slot_list_starts_when_the_preparation_plan_fits_and_says_so():
    from tracker.scheduling.rules import slots_from
    day, note = slots_from(None, date(2026, 3, 2), date(2026, 3, 9))
    assert day == date(2026, 3, 9)
    assert note.startswith("Free slots from 2026-03-09, the first day the preparation plan fits")
    assert slots_from(None, date(2026, 3, 2), date(2026, 3, 2)) == (date(2026, 3, 2), None)


def test_a_day_already_passed_starts_the_slot_list_today_and_says_so():
    from tracker.scheduling.rules import slots_from
    day, note = slots_from(date(2026, 2, 27), date(2026, 3, 2), date(2026, 3, 9))
    assert day == date(2026, 3, 2)
    assert note == "2026-02-27 has passed: the free slots below start today, 2026-03-02."


MONDAY_TO_FRIDAY = frozenset(range(5))


@pytest.mark.parametrize("day, weekdays, first", [
    (date(2026, 12, 5), MONDAY_TO_FRIDAY, date(2026, 12, 7)),  # a Saturday: the Monday after
    (date(2026, 12, 6), MONDAY_TO_FRIDAY, date(2026, 12, 7)),  # a Sunday
    (date(2026, 12, 7), MONDAY_TO_FRIDAY, date(2026, 12, 7)),  # a Monday is itself
    (date(2026, 12, 8), frozenset({0}), date(2026, 12, 14)),  # a clinic that works Mondays only
    (date(2026, 12, 6), frozenset(), date(2026, 12, 6)),  # no working hours set: the day as it is
])
def test_the_first_clinic_day_is_the_first_day_on_or_after_on_which_the_clinic_works(day, weekdays, first):
    assert first_clinic_day(day, weekdays) == first


CHRISTMAS = Closed(date(2026, 12, 25), date(2026, 12, 25), "Christmas Day")


@pytest.mark.parametrize("day, weekdays, closed, first", [
    (date(2026, 12, 25), MONDAY_TO_FRIDAY, [CHRISTMAS], date(2026, 12, 28)),  # a Friday holiday: the Monday after
    (date(2026, 12, 24), MONDAY_TO_FRIDAY, [CHRISTMAS], date(2026, 12, 24)),  # the day before is open
    (date(2026, 12, 25), frozenset(), [CHRISTMAS], date(2026, 12, 26)),  # no hours set: only the closure moves it
    # A physician's leave does not close the clinic.
    (date(2026, 12, 25), MONDAY_TO_FRIDAY, [Closed(date(2026, 12, 25), date(2026, 12, 31), "Leave", 1)],
     date(2026, 12, 25)),
    # One closure after another (and the weekend between): the first day after both.
    (date(2026, 12, 25), MONDAY_TO_FRIDAY, [CHRISTMAS, Closed(date(2026, 12, 28), date(2027, 1, 1), "Week off")],
     date(2027, 1, 4)),
])
def test_the_first_clinic_day_skips_the_clinics_closures(day, weekdays, closed, first):
    assert first_clinic_day(day, weekdays, closed) == first


def test_the_booking_warning_names_the_first_clinic_day_after_a_closure():
    """A 6-day hold told on Saturday 5 December fits from Saturday 12 December; Monday 14 December
    closed, the clinic books from Tuesday 15 December."""
    closed = [Closed(date(2026, 12, 14), date(2026, 12, 14), "Staff training")]
    [words] = instructions.too_late(held(6), on_day(0), TOLD, weekdays=MONDAY_TO_FRIDAY, closed=closed)
    assert "Book on or after Tuesday, December 15, 2026, or record the prescriber's new plan." in words
