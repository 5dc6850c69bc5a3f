"""Every report figure against the hand-made clinic of tests/report_data.py, on the test database
(SQLite, or PostgreSQL with TEST_DATABASE_URL: the same answers on both). The answers are
worked out by hand in the comments."""
from datetime import date, time
from decimal import Decimal

import pytest

from tests.report_data import PERIOD, Clinic, at
from tracker.extensions import db
from tracker.models import WorkingHours
from tracker.reports import figures
from tracker.reports.figures import Filters
from tracker.vocab import Indication
from tracker.workflow import State


@pytest.fixture
def clinic(app_ctx):
    return Clinic()


def _filters(start=PERIOD[0], end=PERIOD[1], **chosen):
    return Filters(start=start, end=end, default_profile="MEDICARE_LCD_2023", **chosen)


def _clinic_noon(day):
    """Noon of a clinic day: a procedure on that day whatever the hour the suite runs. (Subtracting whole
    days from now is not: across a daylight-saving change, 23:30 in December less 200 days is 00:30 of the
    next day in June.)"""
    from datetime import datetime

    from tracker.timeutil import clinic_zone

    return datetime.combine(day, time(12), clinic_zone())


def _earlier_today():
    """A moment of today in the clinic that has passed: a minute ago, or midnight if that was yesterday."""
    from datetime import datetime, timedelta

    from tracker.timeutil import clinic_today, clinic_zone, utcnow

    return max(utcnow() - timedelta(minutes=1), datetime.combine(clinic_today(), time(0), clinic_zone()))


def _figure(key, **chosen):
    return figures.figure(_filters(**chosen), key)


def test_referrals_per_month_count_referral_dates_inside_the_period(clinic):
    # c1, c2 in March; c4 in April; c10 and c6 (the last day) in May. c3 (February) and c5 (June) are outside.
    assert _figure("referrals_per_month").rows == [("2026-03", 2), ("2026-04", 1), ("2026-05", 2)]


def test_cases_by_state_now_for_cases_referred_in_the_period(clinic):
    rows = dict(_figure("cases_by_state").rows)
    assert (rows["Closed"], rows["Scheduled"], rows["Referred"], rows["Under review"]) == (2, 1, 1, 1)
    assert sum(rows.values()) == 5


def test_lead_times_count_intervals_ending_inside_the_period(clinic):
    rows = {row[0]: row[1:] for row in _figure("lead_times").rows}
    # Referral to first verdict: c10 1, c2 5, c1 7, c4 7 days -> median 6; 90th: position 2.7 -> 7.
    assert rows["Referral to first verdict"] == (4, 6.0, 7.0)
    # First verdict to booking: c1 1, c2 5, c4 20 -> median 5; 90th: 5 + (20 - 5) x 0.8 = 17.
    assert rows["First verdict to booking"] == (3, 5.0, 17.0)
    # Booking to procedure: c1 6, c2 14, c3 6 (c3 booked before the period, operated inside it)
    # -> median 6; 90th: 6 + (14 - 6) x 0.8 = 12.4.
    assert rows["Booking to procedure"] == (3, 6.0, 12.4)
    # Referral to procedure: c1 14, c3 21, c2 24 -> median 21; 90th: 21 + 3 x 0.8 = 23.4.
    assert rows["Referral to procedure"] == (3, 21.0, 23.4)


def test_lead_times_run_from_the_referral_date_to_the_booking_as_design_settles(clinic):
    """DESIGN.md section 4: lead times run from the referral date to the first verdict, to the booking,
    to the procedure's start. Referral to first booking, ending inside the period: c1 03-02 to 03-10
    (8), c2 03-20 to 03-30 (10), c4 04-15 to 05-12 (27); c3 was booked before the period -> median 10;
    90th: 10 + 17 x 0.8 = 23.6."""
    rows = {row[0]: row[1:] for row in _figure("lead_times").rows}
    assert rows.get("Referral to booking") == (3, 10.0, 23.6)


def test_the_lead_times_definition_says_what_every_row_measures(clinic):
    definition = _figure("lead_times").definition
    assert "referral date to day the signed procedure started" in definition
    assert "referral date to day the first appointment was booked" in definition


def test_share_eligible_at_first_evaluation(clinic):
    # First verdicts in the period: c1 eligible, c2 and c4 not (c4's eligible re-evaluation is not a
    # first), c10 incomplete (only an unknown criterion): counted apart, not as not eligible.
    assert _figure("eligible_at_first_evaluation").rows == [
        ("Eligible", 1, Decimal("25.0")), ("Not eligible", 2, Decimal("50.0")), ("Incomplete", 1, Decimal("25.0"))]


def test_failing_criteria_per_payer_profile(clinic):
    rows = _figure("failing_criteria").rows
    assert sorted(rows) == sorted([
        ("eviCore / Cigna CMM-203", "Failed conservative care", 1, 1, Decimal("100.0")),
        ("BCBS-style MP-558", "Failed conservative care", 1, 1, Decimal("100.0")),
        ("BCBS-style MP-558", "Provocation tests", 1, 1, Decimal("100.0")),
    ])


def test_overrides_by_physician(clinic):
    assert _figure("overrides").rows == [("Dr Bo", 1)]


def test_no_show_rate_counts_unchecked_bookings_past_their_grace(clinic):
    # Started in the period, not cancelled: c1, c2 (no-show), c2 again, c3, c4 (still "booked" on 05-27).
    assert _figure("no_shows").rows == [("Attended", 3, Decimal("60.0")), ("No-show", 2, Decimal("40.0"))]


def test_a_physician_filter_counts_the_appointments_booked_with_that_physician(clinic):
    """c12 was booked with Dr Ada for 20 April and missed; rebooked with Dr Bo (the case is now Dr
    Bo's) and done on 27 April. The no-show was in Dr Ada's list and suite time, not Dr Bo's: a
    physician's no-shows and room use are the appointments booked with them, as the block rates are
    the blocks they signed."""
    from tracker.vocab import AppointmentStatus

    c12 = clinic._case("right", "diagnostic", clinic.ada, None, date(2026, 3, 1), State.FOLLOW_UP)
    clinic._appointment(c12, clinic.suite1, at(4, 20), 30, AppointmentStatus.NO_SHOW, booked=at(4, 1))
    c12.physician_id = clinic.bo.id
    clinic._appointment(c12, clinic.suite1, at(4, 27), 30, AppointmentStatus.DONE, booked=at(4, 21))
    db.session.commit()
    # Dr Ada: c1 and c3 attended, c12's first appointment missed.
    assert _figure("no_shows", physician_id=clinic.ada.id).rows == [
        ("Attended", 2, Decimal("66.7")), ("No-show", 1, Decimal("33.3"))]
    # Dr Bo: c2's second appointment and c12's second attended; c2's first and c4's missed.
    assert _figure("no_shows", physician_id=clinic.bo.id).rows == [
        ("Attended", 2, Decimal("50.0")), ("No-show", 2, Decimal("50.0"))]
    ada_weeks = {(room, week) for room, week, *_ in _figure("room_use", physician_id=clinic.ada.id).rows}
    bo_weeks = {(room, week) for room, week, *_ in _figure("room_use", physician_id=clinic.bo.id).rows}
    assert ("Suite 1", "2026-04-20") in ada_weeks and ("Suite 1", "2026-04-20") not in bo_weeks
    assert ("Suite 1", "2026-04-27") in bo_weeks and ("Suite 1", "2026-04-27") not in ada_weeks


def test_cancellations_group_the_same_reason_in_any_case(clinic):
    assert _figure("cancellations").rows == [("Patient unwell", 2)]


def test_room_use_per_week_over_working_minutes(clinic):
    # A full week is 540 + 4 x 480 = 2,460 working minutes.
    assert _figure("room_use").rows == [
        ("Suite 1", "2026-03-16", 30, 2460, Decimal("1.2")),
        ("Suite 1", "2026-04-06", 30, 2460, Decimal("1.2")),
        ("Suite 1", "2026-04-13", 40, 2460, Decimal("1.6")),
        ("Suite 2", "2026-03-02", 30, 2460, Decimal("1.2")),
        ("Suite 2", "2026-05-25", 30, 2460, Decimal("1.2")),
    ]


def test_room_use_leaves_out_the_days_the_whole_clinic_was_closed(clinic):
    """Monday 2026-03-16 a clinic-wide closure (540 minutes off the week); a physician's leave on the
    Tuesday closes no room; a closure outside the period changes nothing."""
    from tracker.models import Closure

    db.session.add_all([
        Closure(first_day=date(2026, 3, 16), last_day=date(2026, 3, 16), reason="Inspection",
                created_by_id=clinic.coordinator.id),
        Closure(first_day=date(2026, 3, 17), last_day=date(2026, 3, 17), reason="Leave", physician_id=clinic.ada.id,
                created_by_id=clinic.coordinator.id),
        Closure(first_day=date(2025, 12, 25), last_day=date(2025, 12, 25), reason="Christmas Day",
                created_by_id=clinic.coordinator.id)])
    db.session.commit()
    rows = {(room, week): (minutes, available) for room, week, minutes, available, _ in _figure("room_use").rows}
    assert rows[("Suite 1", "2026-03-16")] == (30, 2460 - 540)
    assert rows[("Suite 1", "2026-04-06")] == (30, 2460)


def test_room_use_counts_only_the_period_days_of_a_part_week(clinic):
    # 2026-03-02 (Monday) to 03-03 (Tuesday): 540 + 480 working minutes; c3's 30 minutes on the Tuesday.
    assert _figure("room_use", start=date(2026, 3, 2), end=date(2026, 3, 3)).rows == [
        ("Suite 2", "2026-03-02", 30, 1020, Decimal("2.9"))]


def test_room_use_counts_only_the_hours_of_physicians_still_in_use(clinic):
    """A physician who left (deactivated) or is no longer a physician staffs no room: their hours,
    which Admin › Rooms & hours no longer lists (so nobody can clear them), must not stay in the
    working minutes. Without Dr Bo's Mondays (09:00-17:00) the suite is staffed 08:00-16:00 every
    weekday: 5 x 480 = 2,400 minutes a week, as the caps' "Book from" already reads the clinic's days."""
    clinic.bo.active = False
    db.session.commit()
    rows = {(room, week): (minutes, available) for room, week, minutes, available, _ in _figure("room_use").rows}
    assert rows[("Suite 1", "2026-03-16")] == (30, 2400)


def test_room_use_for_one_physician_is_over_the_minutes_that_physician_works(clinic):
    """Review: filtered by Dr Bo, who works Mondays only (09:00-17:00), his bookings were divided by
    the whole clinic's week (2,460 minutes), so a physician fully booked on his one day showed a room
    use of a fifth. His own week is 480 minutes; Dr Ada's is 5 x 480, less a day of her leave."""
    from tracker.models import Closure

    db.session.add(Closure(first_day=date(2026, 3, 17), last_day=date(2026, 3, 17), reason="Leave",
                           physician_id=clinic.ada.id, created_by_id=clinic.coordinator.id))
    db.session.commit()
    bo = {(room, week): available for room, week, _minutes, available, _ in
          _figure("room_use", physician_id=clinic.bo.id).rows}
    ada = {(room, week): available for room, week, _minutes, available, _ in
           _figure("room_use", physician_id=clinic.ada.id).rows}
    assert bo and set(bo.values()) == {480}
    assert ada and {available for (_room, week), available in ada.items() if week != "2026-03-16"} == {2400}
    assert ada.get(("Suite 1", "2026-03-16"), 1920) == 1920


def test_procedure_durations_against_the_target(clinic):
    # c3 18, c1 25, c2 35 minutes.
    assert _figure("durations").rows == [
        ("under 20 minutes", 1, Decimal("33.3")), ("20-30 minutes (target)", 1, Decimal("33.3")),
        ("31-45 minutes", 1, Decimal("33.3")), ("over 45 minutes", 0, Decimal("0.0"))]
    assert _figure("over_target").rows == [(3, 1, Decimal("33.3"), 0, Decimal("0.0"), 25.0)]


def test_warnings_and_contrast_repeats(clinic):
    assert _figure("warnings").rows == [
        ("Volume above what the joint holds", 1, Decimal("33.3")), ("Dose above the usual maximum", 0, Decimal("0.0")),
        ("Drug against a documented allergy", 1, Decimal("33.3")),
        ("Strength, dose or volume outside the usual range, confirmed", 0, Decimal("0.0"))]
    assert _figure("contrast_repeats").rows == [(3, 1, Decimal("33.3"), 1)]


def test_a_physician_filter_counts_the_procedures_that_physician_signed(clinic):
    """Any physician may perform and sign a procedure booked with another. c2's 35-minute block
    (booked with Dr Bo, his volume warning and vascular uptake) was done and signed by Dr Ada: under
    a physician filter the durations, warnings and contrast repeats are hers, as the positive-block
    rate per physician credits the physician who signed."""
    from tracker.models import ProcedureRecord

    record = db.session.execute(db.select(ProcedureRecord).filter_by(case_id=clinic.c2.id)).scalar_one()
    record.started_by_id = record.signed_by_id = clinic.ada.id
    db.session.commit()
    # Dr Ada: c3 18, c1 25 and c2 35 minutes; Dr Bo none.
    assert _figure("over_target", physician_id=clinic.ada.id).rows == [
        (3, 1, Decimal("33.3"), 0, Decimal("0.0"), 25.0)]
    assert _figure("contrast_repeats", physician_id=clinic.ada.id).rows == [(3, 1, Decimal("33.3"), 1)]
    assert _figure("durations", physician_id=clinic.bo.id).rows == []
    assert _figure("warnings", physician_id=clinic.bo.id).rows == []


def test_diary_completion_per_time_point(clinic):
    # Windows closed in the period: t0 and day 1 of c1-c3 on time; day 7 of c3 missed; 2 weeks of c1
    # late; 6 weeks of c1 on time and of c3 late (c2's closes on 06-01, after the period).
    assert _figure("diary_completion").rows == [
        ("Before the injection", 3, 3, 0, 0, Decimal("100.0")),
        ("Day 1", 3, 3, 0, 0, Decimal("100.0")),
        ("Day 7", 3, 2, 0, 1, Decimal("66.7")),
        ("2 weeks", 3, 2, 1, 0, Decimal("66.7")),
        ("6 weeks", 2, 1, 1, 0, Decimal("50.0")),
    ]


def test_diary_completion_leaves_out_points_never_asked_once_the_case_closed(clinic):
    from tracker.diary import services as diary_services

    # c2 was closed with its outcome on 05-01; its 6-week window closed on 06-01 with no score. The
    # diary had stopped asking: the point is "not asked", not missing, on the page and in the report.
    rows = {row[0]: row[1:] for row in _figure("diary_completion", end=date(2026, 6, 30)).rows}
    assert rows["6 weeks"] == (2, 1, 1, 0, Decimal("50.0"))  # c1 on time, c3 late
    diary = diary_services.read_diary(clinic.c2, for_patient=False)
    assert diary_services.point_status(clinic.c2, diary.view("w6")) == "Not asked: the diary has ended"
    assert [p.code for p in diary.missed] == []
    # A point whose window closed before the case closed stays missed (c3's day 7, still open).
    c3 = diary_services.read_diary(clinic.c3, for_patient=False)
    assert diary_services.point_status(clinic.c3, c3.view("d7")) == "Missed"


def test_a_late_score_corrected_later_stays_in_the_period_it_was_first_entered_in(clinic):
    from tracker.diary import services as diary_services
    from tracker.models import DiaryEntry, DiaryPoint
    from tracker.vocab import EntrySource

    # c3's 6-week score was recalled by phone and entered late inside the period; its correction a
    # month after the period does not move it out of the period (nor into June's).
    w6 = db.session.execute(db.select(DiaryPoint).filter_by(case_id=clinic.c3.id, point_code="w6")).scalar_one()
    entry = db.session.execute(db.select(DiaryEntry).filter_by(point_id=w6.id)).scalar_one()
    diary_services.correct_entry(entry, 4, {}, "misheard on the call", entry.version_id, EntrySource.STAFF_PHONE,
                                 actor=clinic.coordinator, now=at(6, 10))
    assert dict(_figure("late_entries").rows)["Staff, by phone"] == 1
    june = dict(_figure("late_entries", start=date(2026, 6, 1), end=date(2026, 6, 30)).rows)
    assert sum(june.values()) == 0


def test_a_late_baseline_given_again_for_a_rebooked_appointment_counts_when_and_by_whom_it_was_given(clinic):
    """c11's first appointment (20 March) was cancelled after the patient gave the baseline by the
    link, on time; rebooked for 10 April, the baseline was asked again and given by phone after the
    injection, late. That late score is staff's and April's: the March score it replaced was another
    appointment's (the diary CSV's *Entered at*, tracker.diary.services.first_entry), on time."""
    from tracker.models import DiaryEntry, DiaryEntryRevision, DiaryPoint
    from tracker.vocab import EntrySource

    c11 = clinic._case("right", "diagnostic", clinic.bo, None, date(2026, 3, 1), State.FOLLOW_UP)
    t0 = DiaryPoint(case_id=c11.id, point_code="t0", opens_at=at(4, 10, 10), closes_at=at(4, 10, 15),
                    completed_at=at(4, 10, 18))
    db.session.add(t0)
    db.session.flush()
    entry = DiaryEntry(point_id=t0.id, case_id=c11.id, side="right", score=7, felt_at=at(4, 10, 13),
                       entered_at=at(4, 10, 18), source=EntrySource.STAFF_PHONE, late=True,
                       entered_by_id=clinic.coordinator.id)
    entry.revisions.append(DiaryEntryRevision(
        score=6, entered_at=at(3, 20, 11), source=EntrySource.LINK, replaced_at=at(4, 10, 18),
        replaced_by_id=clinic.coordinator.id,
        reason="Given on Fri 20 Mar 2026 for an appointment that did not take place; asked again on the morning "
               "of Fri 10 Apr 2026"))
    db.session.add(entry)
    db.session.commit()
    # The period: c1's w2 by the link, c3's w6 and c11's baseline by phone.
    assert _figure("late_entries").rows == [("Patient (account)", 0), ("Patient (personal link)", 1),
                                            ("Staff, by phone", 2)]
    assert dict(_figure("late_entries", start=date(2026, 4, 10), end=date(2026, 4, 10)).rows) == {
        "Patient (account)": 0, "Patient (personal link)": 0, "Staff, by phone": 1}
    assert _figure("late_entries", start=date(2026, 3, 20), end=date(2026, 3, 20)).rows == []


def test_late_entries_and_reminders(clinic):
    assert _figure("late_entries").rows == [("Patient (account)", 0), ("Patient (personal link)", 1),
                                            ("Staff, by phone", 1)]
    assert _figure("reminders").rows == [("Sent", 1), ("Not delivered", 0), ("Failed", 1), ("Skipped", 1),
                                         ("Being sent", 0)]


def test_a_reminder_written_to_the_servers_log_is_counted_as_not_delivered_not_sent(clinic):
    from tracker.contact import log_only_detail
    from tracker.models import DiaryPoint, DiaryReminder

    point = db.session.execute(db.select(DiaryPoint).filter_by(case_id=clinic.c1.id, point_code="d7")).scalar_one()
    db.session.add(DiaryReminder(point_id=point.id, channel="email", attempt=2, status="sent", claimed_at=at(3, 19),
                                 detail=log_only_detail("email")))
    db.session.commit()
    assert _figure("reminders").rows == [("Sent", 1), ("Not delivered", 1), ("Failed", 1), ("Skipped", 1),
                                         ("Being sent", 0)]


def _signed_by(clinic, case, physician, started):
    """Case's procedure record, signed by `physician` (any physician may do the block)."""
    record = clinic._procedure(case, None, started, 20)
    record.started_by_id = record.signed_by_id = physician.id
    db.session.commit()
    return record


def test_positive_block_rate_counts_indeterminate_apart(clinic):
    # Dr Ada: c1 positive, c7 indeterminate -> 1 / (1 + 0) = 100 %, not 50 %.
    _signed_by(clinic, clinic.c7, clinic.ada, at(5, 1))
    assert _figure("block_rate_physician").rows == [("Dr Ada", 1, 0, 1, Decimal("100.0")),
                                                    ("Dr Bo", 0, 1, 0, Decimal("0.0"))]
    assert sorted(_figure("block_rate_payer").rows) == [("Medicare SI joint LCDs (2023)", 1, 0, 1, Decimal("100.0")),
                                                        ("eviCore / Cigna CMM-203", 0, 1, 0, Decimal("0.0"))]


def test_a_therapeutic_injection_is_no_block_in_the_positive_block_rate(clinic):
    # An older therapeutic outcome kept a diagnostic result (the form used to ask for one): a
    # therapeutic injection is no block, so it is neither negative nor positive in the rate.
    _signed_by(clinic, clinic.c7, clinic.ada, at(5, 1))
    therapeutic = clinic._case("bilateral", "therapeutic", clinic.bo, None, date(2026, 3, 4), State.CLOSED)
    clinic._outcome(therapeutic, "negative", "physical_therapy", at(5, 3))

    assert _figure("block_rate_physician").rows == [("Dr Ada", 1, 0, 1, Decimal("100.0")),
                                                    ("Dr Bo", 0, 1, 0, Decimal("0.0"))]
    assert _figure("block_rate_physician", indication="therapeutic").rows == []


def test_positive_block_rate_per_physician_credits_the_physician_who_signed_the_procedure(clinic):
    # c7 was booked with Dr Ada, but Dr Bo performed and signed the block (and read it): the
    # indeterminate is Dr Bo's. A physician filter chooses the blocks that physician signed.
    _signed_by(clinic, clinic.c7, clinic.bo, at(5, 1))

    assert _figure("block_rate_physician").rows == [("Dr Ada", 1, 0, 0, Decimal("100.0")),
                                                    ("Dr Bo", 0, 1, 1, Decimal("0.0"))]
    assert _figure("block_rate_physician", physician_id=clinic.bo.id).rows == [("Dr Bo", 0, 1, 1, Decimal("0.0"))]
    assert _figure("block_rate_physician", physician_id=clinic.ada.id).rows == [("Dr Ada", 1, 0, 0, Decimal("100.0"))]
    assert sorted(_figure("block_rate_payer", physician_id=clinic.bo.id).rows) == [
        ("Medicare SI joint LCDs (2023)", 0, 0, 1, None), ("eviCore / Cigna CMM-203", 0, 1, 0, Decimal("0.0"))]


def test_two_physicians_of_one_name_each_have_their_own_row_named_with_their_email(clinic):
    # Dr Bo renamed Dr Ada: c1's positive is still Dr Ada's (ada@), c2's negative the other's (bo@),
    # never one "Dr Ada" row at 50 %; and so is the override Dr Bo made.
    clinic.bo.name = "Dr Ada"
    db.session.commit()

    assert _figure("block_rate_physician").rows == [("Dr Ada (ada@test.clinic)", 1, 0, 0, Decimal("100.0")),
                                                    ("Dr Ada (bo@test.clinic)", 0, 1, 0, Decimal("0.0")),
                                                    ("no signed procedure", 0, 0, 1, None)]
    assert _figure("block_rate_physician", physician_id=clinic.bo.id).rows == [
        ("Dr Ada (bo@test.clinic)", 0, 1, 0, Decimal("0.0"))]
    assert _figure("overrides").rows == [("Dr Ada (bo@test.clinic)", 1)]


def test_a_block_outcome_without_a_signed_procedure_is_named_so(clinic):
    # c7 has an outcome but no signed procedure record (the app records an outcome only after
    # signing): it is not credited to the case's booked physician.
    assert _figure("block_rate_physician").rows == [("Dr Ada", 1, 0, 0, Decimal("100.0")),
                                                    ("Dr Bo", 0, 1, 0, Decimal("0.0")),
                                                    ("no signed procedure", 0, 0, 1, None)]


def _made_therapeutic(*cases):
    """The relief curve counts therapeutic injections: c1 and c2 (diagnostic blocks) made therapeutic
    for the tests of how it reads their diaries."""
    from tracker.models import Case

    for made in cases:
        db.session.get(Case, made.id).indication = Indication.THERAPEUTIC
    db.session.commit()


def test_relief_survival_is_kaplan_meier_censored_where_the_diary_ends(clinic):
    _made_therapeutic(clinic.c1, clinic.c2)
    # Each score is read at the moment it was felt, and these were given minutes before their
    # points' days were up (the Day 7 score 6 days 23 h 55 min after the injection reads day 6).
    # c1: relief to day 6, below at 2 weeks (ended at 6). c3: to day 13, below at 6 weeks (ended at 13).
    # c2: still at 50 % at the 2-week score, its last, given on day 13 (censored at 13).
    # Day 6: 3 followed, 1 ended -> 2/3. Day 13: 2 followed, 1 ended, 1 censored -> 2/3 x 1/2 = 1/3.
    assert _figure("relief_survival").rows == [(6, 3, 1, 0, Decimal("66.7")), (13, 2, 1, 1, Decimal("33.3"))]


def test_therapeutic_relief_counts_therapeutic_injections_unless_an_indication_is_chosen(clinic):
    """Walkthrough: the "Therapeutic relief over time" curve counted the diagnostic blocks' relief
    with the therapeutic injections'; blocks (read in the anaesthetic window, most without a
    steroid) pulled the curve the clinic reads for durable relief. c3 is the period's therapeutic
    injection (relief ended on day 13); c1 and c2 are diagnostic blocks, counted only when chosen."""
    figure = _figure("relief_survival")
    assert figure.title == "Therapeutic relief over time (survival curve)"
    assert figure.definition.startswith("Injected sides of therapeutic injections (unless the indication filter")
    assert figure.rows == [(13, 1, 1, 0, Decimal("0.0"))]
    assert _figure("relief_survival", indication="therapeutic").rows == figure.rows
    assert _figure("relief_survival", indication="diagnostic").rows == [(6, 2, 1, 0, Decimal("50.0")),
                                                                         (13, 1, 0, 1, Decimal("50.0"))]
    assert _figure("relief_survival", indication="confirmatory").rows == []


def test_a_physician_filter_follows_the_relief_of_the_injections_that_physician_signed(clinic):
    """c1 was booked with Dr Ada; Dr Bo performed and signed its injection. Its relief (ended on
    day 6) is the outcome of his injection, as its block result is in his positive-block rate."""
    from tracker.models import ProcedureRecord

    record = db.session.execute(db.select(ProcedureRecord).filter_by(case_id=clinic.c1.id)).scalar_one()
    record.started_by_id = record.signed_by_id = clinic.bo.id
    _made_therapeutic(clinic.c1, clinic.c2)
    # Dr Ada: c3 alone, ended on day 13. Dr Bo: c1 ended on day 6, c2 censored on day 13.
    assert _figure("relief_survival", physician_id=clinic.ada.id).rows == [(13, 1, 1, 0, Decimal("0.0"))]
    assert _figure("relief_survival", physician_id=clinic.bo.id).rows == [
        (6, 2, 1, 0, Decimal("50.0")), (13, 1, 0, 1, Decimal("50.0"))]


def test_relief_survival_reads_each_score_at_the_moment_it_describes(clinic):
    # A case injected 2025-11-03 15:00 (a month of its own): baseline 8, day 1 at 3, then a score of 4
    # (still 50 %) filed under day 7 after its window closed, recalled by phone for day 10. Read at the
    # moment it describes, relief lasted to day 10 and the diary ends there (censored), not day 7.
    from datetime import timedelta

    from tests.report_data import at
    from tracker.models import DiaryEntry, DiaryPoint
    from tracker.extensions import db
    from tracker.vocab import EntrySource
    from tracker.workflow import State

    case = clinic._case("left", "therapeutic", clinic.ada, None, date(2025, 10, 1), State.FOLLOW_UP)
    injected = at(11, 3, 15, year=2025)
    clinic._procedure(case, None, injected, 20)
    for code, offset, score, felt, late in (("t0", timedelta(0), 8, injected - timedelta(hours=1), False),
                                            ("d1", timedelta(days=1), 3, injected + timedelta(days=1), False),
                                            ("d7", timedelta(days=7), 4, injected + timedelta(days=10), True)):
        due = injected + offset
        point = DiaryPoint(case_id=case.id, point_code=code, due_at=due, opens_at=due - timedelta(hours=6),
                           closes_at=due + timedelta(hours=12), completed_at=felt + timedelta(hours=1))
        db.session.add(point)
        db.session.flush()
        db.session.add(DiaryEntry(point_id=point.id, case_id=case.id, side="left", score=score, felt_at=felt,
                                  entered_at=felt + timedelta(hours=1), late=late, source=EntrySource.STAFF_PHONE,
                                  entered_by_id=clinic.coordinator.id))
    clinic.keep_relief()
    db.session.commit()
    rows = _figure("relief_survival", start=date(2025, 11, 1), end=date(2025, 11, 30)).rows
    assert rows == [(10, 1, 0, 1, Decimal("100.0"))]


def _own_month_case(clinic, scores):
    """A left therapeutic case injected 2025-11-03 15:00 (a month of its own), with the given scores:
    (code, offset of its point, score, felt after the injection), each felt inside its window."""
    from datetime import timedelta

    from tests.report_data import at
    from tracker.extensions import db
    from tracker.models import DiaryEntry, DiaryPoint
    from tracker.vocab import EntrySource
    from tracker.workflow import State

    case = clinic._case("left", "therapeutic", clinic.ada, None, date(2025, 10, 1), State.FOLLOW_UP)
    injected = at(11, 3, 15, year=2025)
    clinic._procedure(case, None, injected, 20)
    for code, offset, score, felt in scores:
        due = injected + offset
        point = DiaryPoint(case_id=case.id, point_code=code, due_at=due, opens_at=due - timedelta(days=14),
                           closes_at=due + timedelta(days=14), completed_at=injected + felt)
        db.session.add(point)
        db.session.flush()
        db.session.add(DiaryEntry(point_id=point.id, case_id=case.id, side="left", score=score,
                                  felt_at=injected + felt, entered_at=injected + felt, late=False,
                                  source=EntrySource.LINK))
    clinic.keep_relief()
    db.session.commit()
    return _figure("relief_survival", start=date(2025, 11, 1), end=date(2025, 11, 30)).rows


def test_relief_survival_reads_a_score_given_early_in_its_window_at_its_own_day(clinic):
    # The probe's Medicare case: the 3-month score (50 %) given on day 76, the day its window
    # opened when it opened 14 days early (kept as given), then no relief at 6 months: relief
    # ended on day 76, not 90.
    from datetime import timedelta

    day = timedelta(days=1)
    rows = _own_month_case(clinic, [("t0", timedelta(0), 8, -timedelta(hours=1)), ("d7", 7 * day, 2, 7 * day),
                                    ("mo3", 90 * day, 4, 76 * day), ("mo6", 180 * day, 8, 180 * day)])
    assert rows == [(76, 1, 1, 0, Decimal("0.0"))]


def test_relief_survival_censors_a_side_where_its_diary_ends_not_at_its_last_score_at_half(clinic):
    # 62.5 % on day 1, 25 % on day 2 (below half before day 7: not an end), then nothing: followed
    # to day 2 without relief ending, so censored on day 2 (it was censored on day 1).
    from datetime import timedelta

    day = timedelta(days=1)
    rows = _own_month_case(clinic, [("t0", timedelta(0), 8, -timedelta(hours=1)), ("d1", day, 3, day),
                                    ("d2", 2 * day, 6, 2 * day)])
    assert rows == [(2, 1, 0, 1, Decimal("100.0"))]


def test_relief_survival_counts_a_side_that_never_reached_half_relief_as_ending_on_day_0(clinic):
    # 8 before, 8 on day 1 and 8 on day 2, then nothing: the diary reads "0 days: no relief of 50 % or
    # more", so the curve has the side leave on day 0 with no relief, not censored on day 2 in relief.
    from datetime import timedelta

    day = timedelta(days=1)
    rows = _own_month_case(clinic, [("t0", timedelta(0), 8, -timedelta(hours=1)), ("d1", day, 8, day),
                                    ("d2", 2 * day, 8, 2 * day)])
    assert rows == [(0, 1, 1, 0, Decimal("0.0"))]


def test_next_steps(clinic):
    rows = {row[0]: row[1] for row in _figure("next_steps").rows}
    assert (rows["Radiofrequency-ablation evaluation"], rows["Physical therapy"], rows["Discharge"]) == (1, 1, 1)
    assert sum(rows.values()) == 3


def test_caps_list_patients_at_or_one_short_of_their_cap(clinic):
    from tracker.timeutil import clinic_today

    rows = _figure("caps").rows
    today = clinic_today()
    capped = [row[:9] for row in rows if row[0] == "Capped, Carla"]
    # Two diagnostic blocks (2026-02-01, 2026-08-01) of Medicare's 2: the next once February 2026's leaves the year.
    assert capped == [("Capped, Carla", capped[0][1], "Medicare SI joint LCDs (2023)", "diagnostic", "patient", 2,
                       "none", 2, date(2027, 2, 1) if today < date(2027, 2, 1) else capped[0][8])]
    near = {(row[4], row[5], row[7], row[8]) for row in rows if row[0] != "Capped, Carla"}
    # c1 (Medicare, per patient) and c2 (eviCore counts per joint) used one of two diagnostic blocks.
    assert ("patient", 1, 2, today) in near and ("right", 1, 2, today) in near


def test_the_next_possible_session_is_never_the_day_of_the_last_and_waits_for_the_interval(clinic):
    from datetime import timedelta

    from tracker.timeutil import clinic_today

    today = clinic_today()
    # Injected today: one of Medicare's two diagnostic blocks; a block later today is part of this session.
    today_case = clinic._case("left", "diagnostic", clinic.ada, None, today, State.FOLLOW_UP,
                              patient=clinic._patient("Today", "Tess"))
    clinic._procedure(today_case, None, _earlier_today(), 20)
    # eviCore therapeutic, 3 of 4 in the left joint, the last 10 days ago: 60 days apart.
    spaced = clinic._patient("Spaced", "Sam")
    for days_ago in (200, 120, 10):
        injected = clinic._case("left", "therapeutic", clinic.ada, "EVICORE_CMM_203", today, State.CLOSED,
                                patient=spaced)
        clinic._procedure(injected, None, _clinic_noon(today - timedelta(days=days_ago)), 20)
    db.session.commit()

    rows = {row[0]: row[3:6] + row[7:9] for row in _figure("caps").rows}

    assert rows["Today, Tess"] == ("diagnostic", "patient", 1, 2, today + timedelta(days=1))
    assert rows["Spaced, Sam"] == ("therapeutic", "left", 3, 4, today + timedelta(days=50))


def test_the_day_to_book_from_is_the_first_day_the_clinic_works_on_or_after_the_next_possible_one(clinic):
    """The next possible day is the rule's (a Saturday stays a Saturday); "Book from" is the first
    weekday a physician in use has working hours (Dr Ada: Monday to Friday), here the Monday after."""
    from datetime import timedelta

    from tracker.timeutil import clinic_today

    today = clinic_today()
    saturday = today + timedelta(days=(5 - today.weekday()) % 7 + 7)
    spaced = clinic._patient("Weekend", "Wes")
    for day in (saturday - timedelta(days=200), saturday - timedelta(days=120), saturday - timedelta(days=60)):
        injected = clinic._case("left", "therapeutic", clinic.ada, "EVICORE_CMM_203", today, State.CLOSED,
                                patient=spaced)
        clinic._procedure(injected, None, _clinic_noon(day), 20)
    db.session.commit()

    figure = _figure("caps")
    rows = {row[0]: row[8:] for row in figure.rows}

    assert figure.columns[8:] == ["Next possible", "Book from"]
    assert rows["Weekend, Wes"] == (saturday, saturday + timedelta(days=2))
    # A physician who works Saturdays makes the Saturday a day to book; one no longer in use does not.
    clinic.bo.active = False
    db.session.add(WorkingHours(physician_id=clinic.bo.id, weekday=5, starts=time(9), ends=time(13)))
    db.session.commit()
    assert {row[0]: row[9] for row in _figure("caps").rows}["Weekend, Wes"] == saturday + timedelta(days=2)
    clinic.bo.active = True
    db.session.commit()
    assert {row[0]: row[9] for row in _figure("caps").rows}["Weekend, Wes"] == saturday


def test_the_day_to_book_from_is_never_the_day_of_a_session_already_booked(clinic):
    """Walkthrough 2: a patient with no block given and one booked for the first day the clinic is
    open again: the next possible day is today (closed), and "Book from" is not that booked day (a
    second appointment that day would be part of the same session, not another): the clinic's next
    working day after it."""
    from datetime import timedelta

    from tracker.models import Closure
    from tracker.timeutil import clinic_today
    from tracker.vocab import AppointmentStatus

    def next_weekday(day):
        day += timedelta(days=1)
        while day.weekday() >= 5:
            day += timedelta(days=1)
        return day

    today = clinic_today()
    reopens = next_weekday(today)
    db.session.add(Closure(first_day=today, last_day=reopens - timedelta(days=1), reason="Holiday",
                           created_by_id=clinic.ada.id))
    patient = clinic._patient("OBrien", "Sean")
    booked = clinic._case("left", "diagnostic", clinic.ada, None, today, State.SCHEDULED, patient=patient)
    clinic._appointment(booked, clinic.suite1, _clinic_noon(reopens), 30, AppointmentStatus.BOOKED,
                        booked=_earlier_today())
    db.session.commit()

    rows = {row[0]: row[5:] for row in _figure("caps").rows}

    assert rows["OBrien, Sean"][0] == 0 and rows["OBrien, Sean"][3] == today
    assert rows["OBrien, Sean"][4] == next_weekday(reopens)


def test_caps_count_injections_given_elsewhere_as_eligibility_does(clinic):
    """An outside injection counts towards the cap in the report as in the criteria: a patient at
    her cap only because of one is listed (with no physician filter: it has no physician)."""
    from datetime import datetime, timedelta, timezone

    from tracker.models import OutsideInjection
    from tracker.timeutil import clinic_today
    from tracker.vocab import Indication, Side

    today = clinic_today()
    now = datetime.now(timezone.utc) - timedelta(days=30)
    elsewhere = clinic._patient("Elsewhere", "Elsa")
    ours = clinic._case("left", "diagnostic", clinic.ada, None, today, State.FOLLOW_UP, patient=elsewhere)
    clinic._procedure(ours, None, now, 20)
    db.session.add(OutsideInjection(patient_id=elsewhere.id, performed_on=today - timedelta(days=60), side=Side.LEFT,
                                    indication=Indication.DIAGNOSTIC, place="Riverside Pain Clinic",
                                    source="patient report"))
    db.session.commit()

    rows = {row[0]: row[3:6] + row[7:8] for row in _figure("caps").rows}
    assert rows["Elsewhere, Elsa"] == ("diagnostic", "patient", 2, 2)
    # Her physician's view of the report counts it too: the cap is the patient's, not the physician's.
    rows = {row[0]: row[3:6] + row[7:8] for row in _figure("caps", physician_id=clinic.ada.id).rows}
    assert rows["Elsewhere, Elsa"] == ("diagnostic", "patient", 2, 2)


def test_caps_filters_choose_the_patients_and_never_shorten_their_count(clinic):
    """A patient injected by two physicians is at her cap in each physician's view: the count is
    every injection of hers in the 12 months, whoever gave it; the filters only choose whom to list."""
    from datetime import timedelta

    from tracker.timeutil import clinic_today

    today = clinic_today()
    shared = clinic._patient("Shared", "Sue")
    by_ada = clinic._case("left", "diagnostic", clinic.ada, None, today, State.CLOSED, patient=shared)
    clinic._procedure(by_ada, None, _clinic_noon(today - timedelta(days=90)), 20)
    by_bo = clinic._case("right", "diagnostic", clinic.bo, None, today, State.FOLLOW_UP, patient=shared)
    clinic._procedure(by_bo, None, _clinic_noon(today - timedelta(days=30)), 20)
    db.session.commit()

    def sue(**chosen):
        return [row[2:6] + row[7:8] for row in _figure("caps", **chosen).rows if row[0] == "Shared, Sue"]

    medicare = "Medicare SI joint LCDs (2023)"
    # Medicare counts two diagnostic blocks per patient in 12 months: one left, one right.
    assert sue() == [(medicare, "diagnostic", "patient", 2, 2)]
    assert sue(physician_id=clinic.ada.id) == [(medicare, "diagnostic", "patient", 2, 2)]
    assert sue(physician_id=clinic.bo.id) == [(medicare, "diagnostic", "patient", 2, 2)]
    assert sue(side="left") == [(medicare, "diagnostic", "patient", 2, 2)]
    assert sue(indication="diagnostic") == [(medicare, "diagnostic", "patient", 2, 2)]
    # The payer is the patient's (her newest case's), as the Payer profile column says.
    assert sue(profile="MEDICARE_LCD_2023") == [(medicare, "diagnostic", "patient", 2, 2)]
    assert sue(profile="EVICORE_CMM_203") == []
    # A therapeutic filter asks for therapeutic caps: her diagnostic cap is not one.
    assert sue(indication="therapeutic") == []
    # Neither physician? Then she is not listed.
    other = clinic._user(clinic.ada.role, "Dr Cy", "cy2@test.clinic")
    db.session.commit()
    assert sue(physician_id=other.id) == []


def test_a_side_filter_lists_a_joint_at_its_cap_through_bilateral_sessions(clinic):
    """eviCore counts its cap per joint (4 therapeutic a joint in 12 months), and a bilateral session
    counts for each joint: three bilateral sessions leave the left joint one short of its cap. The
    report lists that left-joint row unfiltered; the side filter "left" must list it too (the
    filter's own rule keeps a per-joint payer's row of that side), not drop the patient because
    none of her cases is a left-only case."""
    from datetime import timedelta

    from tracker.timeutil import clinic_today

    today = clinic_today()
    both = clinic._patient("Both", "Bea")
    for days in (300, 200, 100):
        done = clinic._case("bilateral", "therapeutic", clinic.bo, "EVICORE_CMM_203", today, State.CLOSED,
                            patient=both)
        clinic._procedure(done, None, _clinic_noon(today - timedelta(days=days)), 20)
    db.session.commit()

    def bea(**chosen):
        return [(row[4], row[5], row[7]) for row in _figure("caps", **chosen).rows if row[0] == "Both, Bea"]

    assert bea() == [("left", 3, 4), ("right", 3, 4)]
    assert bea(side="left") == [("left", 3, 4)]


def test_a_side_filter_counts_that_joint_of_a_bilateral_case(clinic):
    """A bilateral case is a case of each side, and where a figure counts joints (a block's result, a
    side's relief, a diary score), the side filter counts that joint only: c1 made bilateral, its left
    joint read negative, its right positive; only its left side has diary scores. c1 was referred in
    March, with c2 (right) beside it."""
    from tracker.models import Case
    from tracker.vocab import Side

    db.session.get(Case, clinic.c1.id).side = Side.BILATERAL
    clinic.c1.outcome.diagnostic_result, clinic.c1.outcome.side_results = None, {"left": "negative",
                                                                               "right": "positive"}
    db.session.commit()

    def ada(side):
        return [row[1:4] for row in _figure("block_rate_physician", side=side).rows if row[0] == "Dr Ada"]

    assert ada(None) == [(1, 1, 0)]
    assert ada("left") == [(0, 1, 0)]
    assert ada("right") == [(1, 0, 0)]
    assert ada("bilateral") == [(1, 1, 0)]
    assert _figure("referrals_per_month", side="left").rows[0] == ("2026-03", 1)
    assert _figure("referrals_per_month", side="right").rows[0] == ("2026-03", 2)
    # The sides followed from day 0: c1's left span is in the left joint's curve (with c3's), never in
    # the right one's (c2's alone).
    _made_therapeutic(clinic.c1, clinic.c2)
    assert _figure("relief_survival").rows[0][1] == 3
    assert _figure("relief_survival", side="left").rows[0][1] == 2
    assert _figure("relief_survival", side="right").rows[0][1] == 1
    # Its late score (w2, its left side's) is a left joint's, as c3's: the right joint has none late.
    assert sum(row[1] for row in _figure("late_entries", side="left").rows) == 2
    assert _figure("late_entries", side="right").rows == []


def test_filters_narrow_every_figure(clinic):
    assert _figure("referrals_per_month", physician_id=clinic.ada.id).rows == [
        ("2026-03", 1), ("2026-04", 0), ("2026-05", 1)]
    # The clinic's default profile takes in the cases without a payer of their own.
    assert _figure("referrals_per_month", profile="MEDICARE_LCD_2023").rows == [
        ("2026-03", 1), ("2026-04", 0), ("2026-05", 1)]
    assert _figure("referrals_per_month", side="bilateral").rows == [("2026-03", 0), ("2026-04", 1), ("2026-05", 0)]
    assert _figure("durations", indication="therapeutic").rows[0] == ("under 20 minutes", 1, Decimal("100.0"))


@pytest.mark.parametrize("key", sorted(figures.FIGURE_REPORT))
def test_an_empty_period_has_no_rows_and_divides_by_nothing(clinic, key):
    figure = _figure(key, start=date(2025, 1, 1), end=date(2025, 1, 31))
    if key != "caps":  # caps are counted as of today, whatever the period
        assert figure.rows == []


def test_an_empty_database_gives_empty_figures(app_ctx):
    for report in figures.all_reports(_filters()):
        assert all(figure.rows == [] for figure in report.figures), report.key


def test_caps_leave_out_an_injection_given_on_the_day_twelve_months_ago_as_eligibility_does(clinic):
    """On the anniversary of a block (here and elsewhere) it has left the rolling 12 months, as the
    eligibility criteria and the patient page count it (test_policy_engine); a block of the day after
    still counts."""
    from datetime import timedelta

    from tracker.models import OutsideInjection
    from tracker.policy.engine import _add_months
    from tracker.timeutil import clinic_today
    from tracker.vocab import Indication, Side

    today = clinic_today()
    anniversary = _add_months(today, -12)
    out = clinic._patient("Anniversary", "Ann")
    block = clinic._case("left", "diagnostic", clinic.ada, None, today, State.CLOSED, patient=out)
    clinic._procedure(block, None, _clinic_noon(anniversary), 20)
    recent = clinic._case("left", "diagnostic", clinic.ada, None, today, State.FOLLOW_UP, patient=out)
    clinic._procedure(recent, None, _clinic_noon(today - timedelta(days=60)), 20)
    elsewhere = clinic._patient("Elsewhere", "Eve")
    db.session.add(OutsideInjection(patient_id=elsewhere.id, performed_on=anniversary, side=Side.LEFT,
                                    indication=Indication.DIAGNOSTIC, place="Riverside Pain Clinic",
                                    source="patient report"))
    theirs = clinic._case("left", "diagnostic", clinic.ada, None, today, State.FOLLOW_UP, patient=elsewhere)
    clinic._procedure(theirs, None, _clinic_noon(today - timedelta(days=60)), 20)
    counted = clinic._patient("Counted", "Cal")
    for day in (anniversary + timedelta(days=1), today - timedelta(days=60)):
        injected = clinic._case("left", "diagnostic", clinic.ada, None, today, State.CLOSED, patient=counted)
        clinic._procedure(injected, None, _clinic_noon(day), 20)
    db.session.commit()

    rows = {row[0]: row[3:6] + row[7:9] for row in _figure("caps").rows}

    # Medicare: 1 of 2 diagnostic blocks in the 12 months to today, another possible today.
    assert rows["Anniversary, Ann"] == ("diagnostic", "patient", 1, 2, today)
    assert rows["Elsewhere, Eve"] == ("diagnostic", "patient", 1, 2, today)
    # The day after the anniversary is inside the 12 months: at the cap until tomorrow.
    assert rows["Counted, Cal"] == ("diagnostic", "patient", 2, 2, today + timedelta(days=1))


def test_caps_count_a_procedure_started_and_not_yet_signed_as_eligibility_does(clinic):
    """A block whose checklist was started (the injection is being given, its record not signed
    yet) counts towards the cap as the criteria and the patient page count it; an abandoned attempt
    does not."""
    from datetime import timedelta

    from tracker.eligibility.facts import patient_injections
    from tracker.models import CaseHistory, ProcedureRecord
    from tracker.models.procedure import ProcedureStatus
    from tracker.policy import cap_usage, get_profile
    from tracker.timeutil import clinic_today

    today = clinic_today()
    unsigned = clinic._patient("Unsigned", "Una")
    signed = clinic._case("left", "diagnostic", clinic.ada, None, today, State.CLOSED, patient=unsigned)
    clinic._procedure(signed, None, _clinic_noon(today - timedelta(days=60)), 20)
    started = clinic._case("right", "diagnostic", clinic.ada, None, today, State.IN_PROCEDURE, patient=unsigned)
    begun = _earlier_today()
    db.session.add(ProcedureRecord(case_id=started.id, side=started.side, status=ProcedureStatus.IN_PROGRESS,
                                   started_at=begun, started_by_id=clinic.ada.id))
    for case, at in ((signed, _clinic_noon(today - timedelta(days=60))), (started, begun)):
        db.session.add(CaseHistory(case_id=case.id, at=at, actor_id=clinic.ada.id, action="start_procedure",
                                   from_state=State.SCHEDULED, to_state=State.IN_PROCEDURE))
    abandoned = clinic._patient("Abandoned", "Abe")
    given = clinic._case("left", "diagnostic", clinic.ada, None, today, State.CLOSED, patient=abandoned)
    clinic._procedure(given, None, _clinic_noon(today - timedelta(days=60)), 20)
    stopped = clinic._case("right", "diagnostic", clinic.ada, None, today, State.SCHEDULED, patient=abandoned)
    db.session.add(ProcedureRecord(case_id=stopped.id, side=stopped.side, status=ProcedureStatus.ABANDONED,
                                   started_at=begun, started_by_id=clinic.ada.id, abandoned_at=begun,
                                   abandoned_by_id=clinic.ada.id, abandon_reason="vasovagal before the needle"))
    db.session.commit()

    rows = {row[0]: row[3:6] + row[7:9] for row in _figure("caps").rows}

    medicare = get_profile("MEDICARE_LCD_2023")
    assert [len(u.sessions) for u in cap_usage(patient_injections(unsigned, medicare), medicare, today)
            if u.kind == "diagnostic"] == [2]
    # Medicare: 2 of 2 diagnostic blocks, the next once the one of 60 days ago leaves the 12 months.
    assert rows["Unsigned, Una"][:4] == ("diagnostic", "patient", 2, 2)
    assert rows["Unsigned, Una"][4] > today + timedelta(days=300)
    assert rows["Abandoned, Abe"] == ("diagnostic", "patient", 1, 2, today)


def test_caps_show_the_sessions_already_booked_and_the_next_possible_day_counts_them(clinic):
    """Walkthrough F8: one block given, two more booked for other cases: the row says so and its
    next possible day is the one the booking's warning would allow (a cancelled appointment is not
    counted)."""
    from datetime import timedelta

    from tracker.policy.engine import _leaves_rolling_year
    from tracker.timeutil import clinic_today
    from tracker.vocab import AppointmentStatus

    today = clinic_today()
    grace = clinic._patient("Okafor", "Grace")
    given = clinic._case("left", "diagnostic", clinic.ada, None, today, State.FOLLOW_UP, patient=grace)
    clinic._procedure(given, None, _clinic_noon(today - timedelta(days=16)), 20)
    confirmatory = clinic._case("left", "confirmatory", clinic.ada, None, today, State.SCHEDULED, patient=grace)
    clinic._appointment(confirmatory, clinic.suite1, _clinic_noon(today + timedelta(days=9)), 30,
                        AppointmentStatus.BOOKED, booked=_earlier_today())
    diagnostic = clinic._case("right", "diagnostic", clinic.ada, None, today, State.SCHEDULED, patient=grace)
    clinic._appointment(diagnostic, clinic.suite1, _clinic_noon(today + timedelta(days=3)), 30,
                        AppointmentStatus.CANCELLED, booked=_earlier_today())
    clinic._appointment(diagnostic, clinic.suite1, _clinic_noon(today + timedelta(days=37)), 30,
                        AppointmentStatus.BOOKED, booked=_earlier_today())
    # Booked only: 0 given, 1 booked of 2: listed (one short); another session fits before it.
    booker = clinic._patient("Booked", "Bea")
    only = clinic._case("left", "diagnostic", clinic.ada, None, today, State.SCHEDULED, patient=booker)
    clinic._appointment(only, clinic.suite1, _clinic_noon(today + timedelta(days=20)), 30,
                        AppointmentStatus.BOOKED, booked=_earlier_today())
    db.session.commit()

    figure = _figure("caps")
    rows = {row[0]: row[3:9] for row in figure.rows}

    assert figure.columns[5:8] == ["Sessions in 12 months", "Booked, not yet given", "Cap"]
    first, second = today + timedelta(days=9), today + timedelta(days=37)
    named = [f"{day:%a} {day.day} {day:%b %Y} (case {case.id})" for day, case in ((first, confirmatory),
                                                                                    (second, diagnostic))]
    # 1 given, 2 booked: 3 of 2 once both are given; nothing more until the one of 9 days ahead leaves the year.
    assert rows["Okafor, Grace"] == ("diagnostic", "patient", 1, f"2: {named[0]}; {named[1]}", 2,
                                     _leaves_rolling_year(first))
    assert rows["Booked, Bea"] == ("diagnostic", "patient", 0, f"1: {(today + timedelta(days=20)):%a} "
                                   f"{(today + timedelta(days=20)).day} {(today + timedelta(days=20)):%b %Y} "
                                   f"(case {only.id})", 2, today)


def test_caps_leave_out_a_booked_appointment_past_its_no_show_grace(clinic, app, clinic_clock):
    """One block given, one booked for yesterday and never checked in (the no-show cron has not run
    yet): that session was never given, so the row shows 1 given, none booked, not at the cap. One
    checked in today, past its grace, still counts as booked (the clock stands at 15:00: a check-in
    of an earlier clinic day would not)."""
    from datetime import timedelta

    clinic_clock(15)
    from tracker.timeutil import clinic_today, to_clinic, utcnow
    from tracker.vocab import AppointmentStatus

    today = clinic_today()
    grace = app.config["NO_SHOW_GRACE_MINUTES"]
    patient = clinic._patient("Missed", "Mo")
    given = clinic._case("left", "diagnostic", clinic.ada, None, today, State.FOLLOW_UP, patient=patient)
    clinic._procedure(given, None, _clinic_noon(today - timedelta(days=16)), 20)
    missed = clinic._case("right", "diagnostic", clinic.ada, None, today, State.SCHEDULED, patient=patient)
    starts = utcnow() - timedelta(days=1)
    clinic._appointment(missed, clinic.suite1, starts, 30, AppointmentStatus.BOOKED, booked=starts - timedelta(days=7))
    waiting = clinic._patient("Waiting", "Wu")
    given = clinic._case("left", "diagnostic", clinic.ada, None, today, State.FOLLOW_UP, patient=waiting)
    clinic._procedure(given, None, _clinic_noon(today - timedelta(days=16)), 20)
    checked_in = clinic._case("right", "diagnostic", clinic.ada, None, today, State.SCHEDULED, patient=waiting)
    starts = utcnow() - timedelta(minutes=grace + 30)
    clinic._appointment(checked_in, clinic.suite1, starts, 30, AppointmentStatus.CHECKED_IN,
                        booked=starts - timedelta(days=7))
    db.session.commit()

    rows = {row[0]: row[3:8] for row in _figure("caps").rows}

    assert rows["Missed, Mo"] == ("diagnostic", "patient", 1, "none", 2)
    assert rows["Waiting, Wu"][2:4] == (1, f"1: {to_clinic(starts):%a} {to_clinic(starts).day} "
                                           f"{to_clinic(starts):%b %Y} (case {checked_in.id})")


def test_the_caps_table_runs_as_many_queries_however_many_booked_patients_it_lists(clinic, count_queries):
    from datetime import timedelta

    from tracker.timeutil import clinic_today
    from tracker.vocab import AppointmentStatus

    today = clinic_today()

    def booked_patient(n):
        patient = clinic._patient(f"Booked{n}", "Bo")
        for days in (10 + n, 40 + n):
            booked = clinic._case("left", "diagnostic", clinic.ada, None, today, State.SCHEDULED, patient=patient)
            clinic._appointment(booked, clinic.suite1, _clinic_noon(today + timedelta(days=days)), 30,
                                AppointmentStatus.BOOKED, booked=_earlier_today())
        db.session.commit()

    def counted():
        with count_queries() as counter:
            figure = _figure("caps")
        return counter.n, len(figure.rows)

    booked_patient(0)
    few, listed = counted()
    for n in range(1, 6):
        booked_patient(n)
    many, more = counted()
    assert more == listed + 5 and many == few
