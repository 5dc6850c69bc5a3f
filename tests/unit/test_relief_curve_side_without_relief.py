"""A side whose follow-up scores never reached 50 % relief leaves the relief survival curve on day 0, as
an event (no day of relief to count), never censored where its diary stops as if it were still in
relief: the diary reads it "0 days: no relief of 50 % or more", and the curve and the diary cannot
disagree. It is on the curve only when the diary has a follow-up score to say so."""
from decimal import Decimal

import pytest

from tracker.diary.relief import Reading, ReliefSpan, relief_span, therapeutic_duration
from tracker.diary.schedule import DEFAULT_SCHEDULE
from tracker.reports.stats import kaplan_meier


def at(code, score):
    return Reading(code, DEFAULT_SCHEDULE.point(code).hours_after, score)


def _still_in_relief_after(steps, day):
    """The curve's share still at 50 % or more after `day` (100 % before its first step)."""
    return next((step.surviving for step in reversed(steps) if step.day <= day), Decimal("100.0"))


def test_a_side_that_never_reached_half_relief_leaves_the_curve_on_day_0_not_where_its_diary_stops():
    """8 before the injection, 8 on day 1 and 8 on day 2, then the diary stops. The diary reads "0
    days: no relief of 50 % or more"; the curve had it censored on day 2, counted among the sides still
    at 50 % or more through day 2, so with one other side whose relief ended on day 14 the report read
    100 % still in relief after day 2, though this side had none."""
    readings = [Reading("d1", 24.5, 8), Reading("d2", 48.5, 8)]
    assert therapeutic_duration(8, readings) == (None, None)  # the diary: no relief at all
    span = relief_span(8, readings)
    assert (span.curve_days, span.curve_ended) == (0, True)
    steps = kaplan_meier([(span.curve_days, span.curve_ended, 1), (14, True, 1)])
    assert [(s.day, s.at_risk, s.ended, s.censored, s.surviving) for s in steps] == [
        (0, 2, 1, 0, Decimal("50.0")), (14, 1, 1, 0, Decimal("0.0"))]
    assert _still_in_relief_after(steps, 2) == Decimal("50.0")


@pytest.mark.parametrize("readings", [
    [at("d1", 5), at("d2", 6)],  # below half before day 7, the diary stopping there
    [at("d1", 5)],  # one follow-up score, below half
    [at("d1", 5), at("d7", 6)],  # below half on day 7 too (relief would have ended there anyway)
    [at("m15", 1), at("h6", 2), at("d1", 8)],  # a good block, then nothing at 50 % after the window
])
def test_no_follow_up_score_at_half_relief_is_an_event_on_day_0(readings):
    span = relief_span(8, readings)
    assert therapeutic_duration(8, readings) == (None, None)
    assert (span.days, span.curve_days, span.curve_ended) == (0, 0, True)


def test_the_diary_still_reads_no_relief_as_not_ended_before_day_7():
    """Before day 7 a score below half neither ends relief nor denies it: the diary reads "0 days …
    so far" while it runs (its `ended` stays False); only the curve counts the side on day 0."""
    span = relief_span(8, [at("d1", 5), at("d2", 6)])
    assert span == ReliefSpan(0, False, 2, none_reached=True)


@pytest.mark.parametrize("readings", [
    [],  # no score after the injection
    [at("m15", 1), at("h6", 2)],  # scores in the anaesthetic window only: no follow-up score
])
def test_a_side_without_a_follow_up_score_is_not_on_the_curve(readings):
    span = relief_span(8, readings)
    assert (span.days, span.curve_days, span.curve_ended) == (None, None, False)


def test_relief_seen_then_below_half_before_day_7_is_still_censored_where_the_diary_stops():
    # Day 1 at 62.5 %, day 2 at 25 %, then nothing: relief was seen and has not ended (day 7 not reached).
    span = relief_span(8, [at("d1", 3), at("d2", 6)])
    assert (span.days, span.curve_days, span.curve_ended) == (1, 2, False)


def test_relief_seen_on_the_injection_day_is_censored_not_an_event_on_day_0():
    # A follow-up score at 75 % 20 hours after the injection (day 0), then the diary stops: relief was
    # seen, so the side is censored on day 0, not counted as having none.
    span = relief_span(8, [Reading("d1", 20, 2)])
    assert (span.days, span.curve_days, span.curve_ended) == (0, 0, False)
