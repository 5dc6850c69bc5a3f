"""Percent relief, the diagnostic verdict and the therapeutic duration at their boundaries:
exactly the threshold is positive, one step below is not, a baseline of 0 gives no relief at all,
and only readings inside the anaesthetic window decide the block."""
from datetime import datetime, timezone
from decimal import Decimal

import pytest

from tracker.diary.relief import (
    MIN_WINDOW_READINGS,
    DiagnosticResult,
    Reading,
    ReliefSpan,
    diagnostic_result,
    interpret,
    percent_relief,
    relief_span,
    relief_words,
    therapeutic_duration,
    worse_than_before,
)
from tracker.diary.schedule import DEFAULT_SCHEDULE, describes_hours, due_times
from tracker.policy import PROFILES, BlockResult

POSITIVE, NEGATIVE, INDETERMINATE = (DiagnosticResult.POSITIVE, DiagnosticResult.NEGATIVE,
                                     DiagnosticResult.INDETERMINATE)
MEDICARE = PROFILES["MEDICARE_LCD_2023"]


def at(code, score):
    """A reading at the default schedule's nominal time for ``code``."""
    return Reading(code, DEFAULT_SCHEDULE.point(code).hours_after, score)


# ---- percent relief ----------------------------------------------------------------------------

@pytest.mark.parametrize("baseline, score, relief", [
    (8, 2, Decimal("75.0")),
    (8, 0, Decimal("100.0")),
    (8, 8, Decimal("0.0")),
    (4, 1, Decimal("75.0")),
    (6, 1, Decimal("83.3")),
    (3, 1, Decimal("66.7")),   # 66.666... rounds up
    (7, 2, Decimal("71.4")),   # 71.428... rounds down
    (9, 4, Decimal("55.6")),
    (1, 0, Decimal("100.0")),
])
def test_relief_is_the_share_of_baseline_pain_gone_to_one_decimal(baseline, score, relief):
    assert percent_relief(baseline, score) == relief
    assert percent_relief(baseline, score).as_tuple().exponent == -1


@pytest.mark.parametrize("baseline, score, relief", [
    (8, 9, Decimal("-12.5")),
    (3, 5, Decimal("-66.7")),
    (1, 10, Decimal("-900.0")),
])
def test_a_rise_in_pain_is_negative_relief(baseline, score, relief):
    assert percent_relief(baseline, score) == relief


@pytest.mark.parametrize("baseline, score", [(0, 0), (0, 5), (None, 3), (7, None), (None, None)])
def test_relief_is_undefined_without_a_baseline_to_relieve_or_a_score(baseline, score):
    assert percent_relief(baseline, score) is None


@pytest.mark.parametrize("baseline, score", [
    (11, 2), (-1, 2), (8, 11), (8, -1), (8, 2.5), (8.0, 2), ("8", 2), (8, "2"), (True, 0), (8, False),
    (0, 11),  # an undefined relief does not excuse a bad score
])
def test_a_score_that_is_not_a_whole_number_from_0_to_10_is_refused(baseline, score):
    with pytest.raises(ValueError, match="whole number from 0 to 10"):
        percent_relief(baseline, score)


# ---- diagnostic verdict ------------------------------------------------------------------------

def test_exactly_the_threshold_is_positive():
    assert diagnostic_result(8, [at("m30", 2), at("h1", 3)], 75) == (POSITIVE, Decimal("75.0"))


def test_one_step_below_the_threshold_is_negative():
    # 8 -> 3 is 62.5 %, the best a score one point worse than 75 % can give from 8.
    assert diagnostic_result(8, [at("m30", 3), at("h1", 3)], 75) == (NEGATIVE, Decimal("62.5"))


@pytest.mark.parametrize("profile, just_met, just_missed", [
    (PROFILES["MEDICARE_LCD_2023"], 2, 3),   # 75 %: 10 -> 2 is 80 %, 10 -> 3 is 70 %
    (PROFILES["CAM_770HB"], 3, 4),           # 70 %: 10 -> 3 is exactly 70 %
    (PROFILES["MP_558"], 2, 3),              # 80 %: 10 -> 2 is exactly 80 %
])
def test_each_profile_threshold_is_met_at_its_edge(profile, just_met, just_missed):
    threshold = profile.diagnostic_relief_threshold_percent
    assert diagnostic_result(10, [at("m15", just_met), at("h1", 9)], threshold)[0] is POSITIVE
    assert diagnostic_result(10, [at("m15", just_missed), at("h1", 9)], threshold)[0] is NEGATIVE


def test_the_peak_inside_the_window_decides_not_the_last_or_the_average():
    readings = [at("m15", 6), at("m30", 1), at("h1", 5), at("h6", 8)]
    assert diagnostic_result(8, readings, 75) == (POSITIVE, Decimal("87.5"))


def test_readings_outside_the_anaesthetic_window_are_ignored():
    # Relief on day 1 (steroid), a score at injection time or one after the 6-hour point's window
    # (6 h 15) says nothing about the anaesthetic block.
    readings = [Reading("t", 0, 0), at("m15", 6), at("h1", 6), Reading("late", 6.26, 0), at("d1", 0)]
    assert diagnostic_result(8, readings, 75) == (NEGATIVE, Decimal("25.0"))


def test_a_six_hour_score_given_inside_its_window_after_six_hours_still_reads_the_block():
    # Read at the moment it was felt, 6 h 10: the 6-hour point's window runs to 6 h 15, and the
    # score is the one the block asked for, not a follow-up score.
    readings = [at("m15", 6), Reading("h6", 6 + 10 / 60, 2)]
    assert diagnostic_result(8, readings, 75) == (POSITIVE, Decimal("75.0"))
    assert therapeutic_duration(8, readings) == (None, None)


def test_a_reading_at_exactly_six_hours_is_inside_the_window():
    assert diagnostic_result(8, [at("m15", 6), at("h6", 2)], 75) == (POSITIVE, Decimal("75.0"))


def test_the_window_length_can_be_set():
    readings = [at("m15", 6), at("h1", 6), at("h3", 0)]
    assert diagnostic_result(8, readings, 75, window_hours=2) == (NEGATIVE, Decimal("25.0"))


def test_two_readings_in_the_window_are_enough_one_is_not():
    assert MIN_WINDOW_READINGS == 2
    assert diagnostic_result(8, [at("m30", 0)], 75) == (INDETERMINATE, Decimal("100.0"))
    assert diagnostic_result(8, [at("m30", 0), at("h1", 7)], 75) == (POSITIVE, Decimal("100.0"))


def test_readings_outside_the_window_do_not_make_up_the_count():
    readings = [at("m30", 0), at("d1", 0), at("d2", 0)]
    assert diagnostic_result(8, readings, 75)[0] is INDETERMINATE


def test_no_readings_at_all_is_indeterminate_without_a_peak():
    assert diagnostic_result(8, [], 75) == (INDETERMINATE, None)


@pytest.mark.parametrize("baseline", [0, None])
def test_no_baseline_to_relieve_is_indeterminate_never_negative(baseline):
    assert diagnostic_result(baseline, [at("m15", 0), at("h1", 0)], 75) == (INDETERMINATE, None)


def test_pain_that_rose_throughout_is_negative_with_negative_peak():
    assert diagnostic_result(4, [at("m15", 5), at("h1", 6)], 75) == (NEGATIVE, Decimal("-25.0"))


def test_a_float_threshold_from_a_profile_compares_exactly():
    assert diagnostic_result(4, [at("m15", 1), at("h1", 4)], 75.0)[0] is POSITIVE


def test_two_readings_for_one_time_point_are_refused():
    with pytest.raises(ValueError, match="m15"):
        diagnostic_result(8, [at("m15", 0), at("m15", 8)], 75)


def test_a_bad_score_in_a_reading_is_refused():
    with pytest.raises(ValueError, match="score at h1"):
        diagnostic_result(8, [at("m15", 0), at("h1", 12)], 75)


def test_a_bad_baseline_is_refused_even_without_readings():
    with pytest.raises(ValueError, match="baseline"):
        diagnostic_result(11, [], 75)


def test_results_are_the_values_the_eligibility_engine_reads():
    assert {result.value for result in DiagnosticResult} == {result.value for result in BlockResult}


# ---- therapeutic duration ----------------------------------------------------------------------

def follow_up(**scores):
    return [at(code, score) for code, score in scores.items()]


def test_duration_is_the_last_follow_up_point_still_at_half_relief():
    reading, days = therapeutic_duration(8, follow_up(d1=2, d2=2, d7=3, w2=4, w6=5, mo3=6))
    assert reading.code == "w2"  # 8 -> 4 is exactly 50 %: still counts
    assert days == 14


def test_one_step_below_half_ends_the_relief():
    # 8 -> 5 is 37.5 %.
    reading, days = therapeutic_duration(8, follow_up(d1=4, d2=5))
    assert (reading.code, days) == ("d1", 1)


def test_relief_that_lasts_the_whole_year_runs_to_the_last_point():
    reading, days = therapeutic_duration(6, follow_up(d1=0, d7=1, w6=2, mo3=3, mo6=3, mo12=3))
    assert (reading.code, days) == ("mo12", 365)


def test_relief_that_returns_after_a_dip_does_not_extend_the_duration():
    reading, days = therapeutic_duration(8, follow_up(d1=2, d7=3, w2=7, w6=2, mo3=1))
    assert (reading.code, days) == ("d7", 7)


def test_a_missing_point_neither_breaks_nor_ends_the_run():
    reading, days = therapeutic_duration(8, follow_up(d1=2, w6=3, mo3=4))
    assert (reading.code, days) == ("mo3", 90)


def test_a_score_below_half_before_day_7_neither_ends_nor_denies_the_relief():
    # The anaesthetic has worn off and the steroid not yet acted: 8 -> 5 on day 1 (37.5 %), then
    # half relief or more from day 2 to 2 weeks. Read as "0 days" before (it decided a repeat).
    assert therapeutic_duration(8, follow_up(d1=5, d2=3, d7=2, w2=4)) == (at("w2", 4), 14)
    # A dip between two good readings in the first week does not end it either.
    assert therapeutic_duration(8, follow_up(d1=2, d2=5, d7=3, w2=7))[1] == 7


def test_no_duration_when_nothing_reaches_half_before_a_score_below_it_from_day_7():
    assert therapeutic_duration(8, follow_up(d1=5, d2=6, d7=5, w2=2)) == (None, None)
    # Day 7 is the first that ends it: 8 -> 5 on day 7 ends relief that day 2 reached.
    assert therapeutic_duration(8, follow_up(d1=5, d2=3, d7=5, w2=2)) == (at("d2", 3), 2)


def test_a_span_that_never_reached_half_leaves_the_curve_on_day_0_whether_or_not_it_reached_day_7():
    # No relief seen: an event on day 0 (tests/unit/test_relief_curve_side_without_relief.py), though
    # before day 7 the diary reads it as not ended ("0 days … so far" while it runs).
    span = relief_span(8, follow_up(d1=5, d2=6))
    assert span == ReliefSpan(0, False, 2, none_reached=True) and (span.curve_days, span.curve_ended) == (0, True)
    span = relief_span(8, follow_up(d1=5, d7=6))
    assert span == ReliefSpan(0, True, 7, none_reached=True) and (span.curve_days, span.curve_ended) == (0, True)


def test_a_span_whose_relief_held_then_dipped_before_day_7_is_censored_at_the_latest_score():
    # Day 1 at 62.5 %, day 2 at 25 % and the diary stops: relief lasted 1 day so far, and the side
    # was followed to day 2 without relief ending, so the survival curve censors it on day 2.
    span = relief_span(8, follow_up(d1=3, d2=6))
    assert (span.days, span.ended, span.curve_days) == (1, False, 2)
    assert span.days == therapeutic_duration(8, follow_up(d1=3, d2=6))[1]


def test_anaesthetic_window_readings_do_not_count_as_follow_up():
    assert therapeutic_duration(8, [at("m15", 0), at("h6", 0), at("d1", 6)]) == (None, None)
    assert therapeutic_duration(8, [at("h6", 0)]) == (None, None)


@pytest.mark.parametrize("baseline", [0, None])
def test_no_duration_without_a_baseline(baseline):
    assert therapeutic_duration(baseline, follow_up(d1=0, d7=0)) == (None, None)


def test_readings_are_taken_in_time_order_whatever_order_they_come_in():
    reading, _ = therapeutic_duration(8, list(reversed(follow_up(d1=2, d7=2, w2=6, w6=1))))
    assert reading.code == "d7"


def test_the_duration_threshold_can_be_a_payer_repeat_threshold():
    # eviCore reads a repeat at 75 % for 2 weeks: 8 -> 3 (62.5 %) at 2 weeks is not enough.
    reading, days = therapeutic_duration(8, follow_up(d1=1, d7=2, w2=3), threshold_percent=75)
    assert (reading.code, days) == ("d7", 7)


# ---- the whole interpretation ------------------------------------------------------------------

def test_interpretation_under_a_profile_bundles_relief_verdict_and_duration():
    readings = [at("m15", 3), at("m30", 2), at("h1", 2), at("d1", 4), at("d7", 4), at("w2", 6)]
    result = interpret(8, readings, MEDICARE)
    assert result.relief == {"m15": Decimal("62.5"), "m30": Decimal("75.0"), "h1": Decimal("75.0"),
                             "d1": Decimal("50.0"), "d7": Decimal("50.0"), "w2": Decimal("25.0")}
    assert list(result.relief) == ["m15", "m30", "h1", "d1", "d7", "w2"]
    assert (result.diagnostic, result.peak_relief) == (POSITIVE, Decimal("75.0"))
    assert result.threshold_percent == Decimal("75")
    assert result.window_readings == 3
    assert (result.therapeutic_reading.code, result.therapeutic_days) == ("d7", 7)
    assert result.therapeutic_threshold_percent == Decimal("50")


def test_the_same_diary_can_be_positive_under_one_profile_and_negative_under_another():
    readings = [at("m15", 4), at("h1", 3)]   # 10 -> 3 is 70 %
    assert interpret(10, readings, PROFILES["CAM_770HB"]).diagnostic is POSITIVE
    assert interpret(10, readings, MEDICARE).diagnostic is NEGATIVE


def test_interpretation_of_a_zero_baseline_leaves_everything_undefined():
    result = interpret(0, [at("m15", 0), at("h1", 0), at("d1", 0)], MEDICARE)
    assert result.relief == {"m15": None, "h1": None, "d1": None}
    assert (result.diagnostic, result.peak_relief) == (INDETERMINATE, None)
    assert (result.therapeutic_reading, result.therapeutic_days) == (None, None)
    # Said as what it is, never "too few entries".
    assert result.indeterminate_reason == "relief cannot be computed: baseline 0"


@pytest.mark.parametrize("baseline, readings, reason", [
    (None, ["m15", "h1"], "relief cannot be computed: no baseline recorded"),
    (7, ["h1", "d1"], "too few entries in the anaesthetic window: 1, at least 2 needed"),
    (7, ["m15", "h1"], None),
])
def test_an_indeterminate_result_says_why(baseline, readings, reason):
    assert interpret(baseline, [at(code, 2) for code in readings], MEDICARE).indeterminate_reason == reason


def test_interpretation_of_an_empty_diary():
    result = interpret(7, [], MEDICARE)
    assert result.relief == {}
    assert (result.diagnostic, result.window_readings) == (INDETERMINATE, 0)
    assert result.therapeutic_reading is None


# ---- the relief span the reports count (event or censored) ---------------------------------------

def test_the_span_ends_where_relief_first_falls_below_half():
    # The same run as the duration: to day 7, then below at 2 weeks (an event of the survival curve).
    span = relief_span(8, follow_up(d1=2, d7=3, w2=7, w6=2))
    assert (span.days, span.ended) == (7, True)
    assert span.days == therapeutic_duration(8, follow_up(d1=2, d7=3, w2=7, w6=2))[1]


def test_a_diary_that_stops_while_relief_holds_is_censored_at_its_last_score():
    span = relief_span(8, follow_up(d1=2, d7=3, w2=4))
    assert (span.days, span.ended, span.curve_days) == (14, False, 14)


def test_no_score_at_half_relief_by_day_7_ends_on_day_0():
    span = relief_span(8, follow_up(d1=5, d7=5, w2=1))
    assert (span.days, span.ended, span.curve_days) == (0, True, 0)


def test_a_score_is_read_at_the_moment_it_was_felt_not_at_its_points_time():
    # Medicare's repeat needs 50 % for 90 days. A 3-month score at 50 % given on day 76 (the day
    # its window opened before it opened at the point; kept as given) and a 6-month score without
    # relief: relief was seen for 76 days, not 90.
    early = [at("d7", 2), at("w2", 2), at("w6", 3), Reading("mo3", 76 * 24, 4), at("mo6", 8)]
    assert therapeutic_duration(8, early)[1] == 76
    assert relief_span(8, early) == ReliefSpan(76, True, 180)
    # Given late in its window, on day 100, it shows relief to day 100.
    late = [at("d7", 2), Reading("mo3", 100 * 24, 4), at("mo6", 8)]
    assert therapeutic_duration(8, late)[1] == 100
    # eviCore's 75 % for 2 weeks: a "2 weeks" score felt on day 11 shows 11 days.
    assert therapeutic_duration(8, [at("d7", 1), Reading("w2", 11 * 24, 2), at("w6", 8)], 75)[1] == 11


def test_an_on_time_three_month_score_at_half_relief_shows_the_ninety_days_medicare_asks():
    # The 3-month window opens on day 90, the day its reminder goes out: a patient who answers at
    # once describes day 90, so 50 % then, and none at 6 months, shows relief for 90 days.
    injected = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
    opens = {d.point.code: d.opens_at for d in due_times(DEFAULT_SCHEDULE, injected)}
    on_time = [Reading(code, describes_hours(opens[code], injected), score)
               for code, score in (("d7", 2), ("w2", 2), ("w6", 3), ("mo3", 4), ("mo6", 8))]
    assert percent_relief(8, 4) == 50
    assert therapeutic_duration(8, on_time)[1] == 90 == MEDICARE.repeat_relief_min_days
    assert relief_span(8, on_time) == ReliefSpan(90, True, 180)


def test_a_day_7_score_given_on_day_6_is_before_day_7_and_neither_ends_nor_denies_relief():
    # The steroid's first week is counted in time, not by the point's label.
    readings = [at("d1", 2), Reading("d7", 6.5 * 24, 6), at("w2", 3)]
    assert therapeutic_duration(8, readings)[1] == 14


def test_a_span_counts_whole_days_of_a_score_read_between_points():
    # A score read 10 days and 20 hours after the injection (outside any window): day 10.
    span = relief_span(8, [at("d1", 2), Reading("d7", 10 * 24 + 20, 4)])
    assert (span.days, span.ended) == (10, False)


@pytest.mark.parametrize("baseline", [None, 0])
def test_no_span_without_a_baseline_to_relieve_or_without_follow_up_scores(baseline):
    assert relief_span(baseline, follow_up(d1=2, d7=3)) == relief_span(8, [at("h6", 0)])
    assert relief_span(8, []).days is None and not relief_span(8, []).ended


@pytest.mark.parametrize("baseline,score,shown", [
    (8, 2, "75 %"), (8, 3, "62.5 %"), (8, 8, "0 %"),
    # A rise in pain is shown as one, with the points it rose by; the negative percentage still decides.
    (3, 9, "pain worse than before (+6)"), (7, 8, "pain worse than before (+1)"),
])
def test_relief_is_shown_as_a_percentage_or_as_pain_worse_than_before(baseline, score, shown):
    assert relief_words(baseline, percent_relief(baseline, score)) == shown


def test_undefined_relief_is_shown_as_nothing():
    assert relief_words(0, percent_relief(0, 3)) is None


# ------------------------------------------------------------------ the kept span's timing

def _points_timed_from(injected_at, codes):
    """diary_points rows (id, code, due_at, opens_at, closes_at) of the default schedule timed from `injected_at`."""
    from tracker.diary.schedule import due_times

    dues = {due.point.code: due for due in due_times(DEFAULT_SCHEDULE, injected_at)}
    return [(n, code, dues[code].due_at, dues[code].opens_at, dues[code].closes_at) for n, code in enumerate(codes)]


def test_a_kept_span_is_timed_from_the_moment_the_diarys_points_were_timed_from():
    """Signed since the injectate rule: the points run from the injection, 12 minutes after the start
    the span is also given; signed before it, they run from the start and so does the span."""
    from datetime import datetime, timedelta, timezone

    from tracker.diary.kept import spans_of_case

    started = datetime(2026, 12, 1, 17, 0, tzinfo=timezone.utc)
    injected = started + timedelta(minutes=12)
    for timed_from in (injected, started):
        points = _points_timed_from(timed_from, ["d1", "d7"])
        entries = [(0, "left", 2, timed_from + timedelta(days=1), False),
                   (1, "left", 3, timed_from + timedelta(days=7), False)]
        [row] = spans_of_case(None, "left", started, 8, points, entries)
        assert row["injected_at"] == timed_from and row["lasted_days"] == 7


def test_a_kept_span_does_not_read_a_baseline_given_for_an_earlier_appointment():
    """A t0 score felt before its window opened (given on the morning of an appointment that did
    not take place) is no baseline: the span reads the examination's, as without a t0 score."""
    from datetime import datetime, timedelta, timezone

    from tracker.diary.kept import spans_of_case

    injected = datetime(2026, 12, 29, 15, 12, tzinfo=timezone.utc)
    morning = datetime(2026, 12, 29, 5, 0, tzinfo=timezone.utc)
    points = [(9, "t0", injected, morning, injected)] + _points_timed_from(injected, ["d1", "d7", "w2"])
    follow_up = [(0, "left", 3, injected + timedelta(days=1), False), (1, "left", 3, injected + timedelta(days=7), False),
                 (2, "left", 3, injected + timedelta(days=14), False)]

    def span(t0_felt_at):
        t0 = [(9, "left", 8, t0_felt_at, False)] if t0_felt_at else []
        return spans_of_case(None, "left", injected, 5, points, t0 + follow_up)

    # 8 -> 3 is 62.5 % (relief lasts); the examination's 5 -> 3 is 40 % (no relief).
    assert span(morning + timedelta(hours=2)) != span(None)
    assert span(morning - timedelta(days=22)) == span(None)
    assert span(morning) != span(None), "felt at the window's first moment: the baseline"


@pytest.mark.parametrize("baseline, score, told", [
    (7, 8, True), (7, 7, False), (7, 3, False),  # worse than before the injection, or not
    (0, 1, True), (10, 10, False),
    (None, 8, True), (None, 7, False),  # no baseline: 8 or more
])
def test_a_score_worse_than_before_the_injection_or_8_without_a_baseline_tells_when_to_call(baseline, score, told):
    assert worse_than_before(baseline, score) is told
