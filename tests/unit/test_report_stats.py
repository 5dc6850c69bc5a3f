"""The pure arithmetic behind the reports, checked against answers worked out by hand."""
from datetime import date
from decimal import Decimal

import pytest

from tracker.reports.stats import kaplan_meier, months_between, percentile, percentile_of_counts, share, working_minutes


def test_share_is_none_when_nothing_was_counted():
    assert share(0, 0) is None
    assert share(1, 3) == Decimal("33.3")
    assert share(2, 3) == Decimal("66.7")  # half up


@pytest.mark.parametrize("values,fraction,expected", [
    ([7], 0.5, 7.0),
    ([1, 5, 20], 0.5, 5.0),
    ([1, 5, 20], 0.9, 17.0),  # position 1.8: 5 + 0.8 x 15
    ([1, 2, 3, 4], 0.5, 2.5),  # even count: halfway between the middle two
    ([6, 6, 14], 0.9, 12.4),
    ([3, 9], 0.0, 3.0),
    ([3, 9], 1.0, 9.0),
])
def test_percentile_interpolates_like_percentile_cont(values, fraction, expected):
    assert percentile(values, fraction) == pytest.approx(expected)


def test_percentile_of_nothing_is_none_and_bad_fractions_are_refused():
    assert percentile([], 0.5) is None
    with pytest.raises(ValueError):
        percentile([1], 1.5)


@pytest.mark.parametrize("counted,fraction,expected", [
    ([(7, 1)], 0.5, 7.0),
    ([(6, 2), (14, 1)], 0.9, 12.4),  # 6, 6, 14: position 1.8
    ([(1, 1), (2, 1), (3, 1), (4, 1)], 0.5, 2.5),
    ([(2, 3), (10, 1)], 0.5, 2.0),  # 2, 2, 2, 10
    ([(2, 3), (10, 1)], 0.9, 7.6),  # position 2.7: 2 + 0.7 x 8
])
def test_percentile_of_counts_is_the_percentile_of_the_values_written_out(counted, fraction, expected):
    written_out = [value for value, count in counted for _ in range(count)]
    assert percentile_of_counts(counted, fraction) == pytest.approx(expected)
    assert percentile_of_counts(counted, fraction) == pytest.approx(percentile(written_out, fraction))


def test_percentile_of_counts_of_nothing_is_none():
    assert percentile_of_counts([], 0.5) is None
    with pytest.raises(ValueError):
        percentile_of_counts([(1, 1)], -0.1)


def test_kaplan_meier_by_hand():
    # 5 sides: ended at 7, censored at 7, ended at 14 (x2), censored at 30.
    # Day 7: 5 at risk, 1 ended -> 4/5 = 80 %. Day 14: 3 at risk, 2 ended -> 80 % x 1/3 = 26.7 %.
    # Day 30: 1 at risk, censored -> unchanged.
    steps = kaplan_meier([(7, True, 1), (7, False, 1), (14, True, 2), (30, False, 1)])
    assert [(s.day, s.at_risk, s.ended, s.censored, s.surviving) for s in steps] == [
        (7, 5, 1, 1, Decimal("80.0")), (14, 3, 2, 0, Decimal("26.7")), (30, 1, 0, 1, Decimal("26.7"))]


def test_kaplan_meier_of_only_censored_sides_stays_at_100_and_of_nothing_is_empty():
    assert [s.surviving for s in kaplan_meier([(14, False, 3)])] == [Decimal("100.0")]
    assert kaplan_meier([]) == []
    with pytest.raises(ValueError):
        kaplan_meier([(-1, True, 1)])


def test_months_between_spans_years():
    assert months_between(date(2025, 11, 30), date(2026, 2, 1)) == ["2025-11", "2025-12", "2026-01", "2026-02"]
    assert months_between(date(2026, 3, 5), date(2026, 3, 9)) == ["2026-03"]


def test_working_minutes_leave_out_the_days_the_clinic_was_closed():
    weekdays = {0: 540, 1: 480, 2: 480, 3: 480, 4: 480}
    # Friday 2026-12-25 closed: that week counts Monday to Thursday (540 + 3 x 480); a closure of
    # Thursday 12-31 to Friday 2027-01-01 takes two days of the next week; the first and last day
    # of a closure are both closed.
    closed = [(date(2026, 12, 25), date(2026, 12, 25)), (date(2026, 12, 31), date(2027, 1, 1))]
    assert working_minutes(weekdays, date(2026, 12, 21), date(2027, 1, 3), closed) == {
        date(2026, 12, 21): 1980, date(2026, 12, 28): 1500}
    assert working_minutes(weekdays, date(2026, 12, 21), date(2026, 12, 27)) == {date(2026, 12, 21): 2460}


def test_working_minutes_count_only_the_days_inside_the_period():
    weekdays = {0: 540, 1: 480, 2: 480, 3: 480, 4: 480}
    # Sunday 2026-03-01 belongs to the week of Monday 02-23 (no hours on Sundays); Monday 03-02 and
    # Tuesday 03-03 make 1,020 minutes of the next week.
    assert working_minutes(weekdays, date(2026, 3, 1), date(2026, 3, 3)) == {
        date(2026, 2, 23): 0, date(2026, 3, 2): 1020}
