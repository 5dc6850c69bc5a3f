"""Short clinic times carry the year when it is not this one: a 12-month diary window read in
December ("06 Nov 2027 09:05 – 04 Dec 2027 08:05") must not look like one that has closed."""
from datetime import date, datetime, timezone

from tracker.timeutil import format_clinic_short


def test_a_moment_this_clinic_year_is_day_month_and_time(app_ctx):
    moment = datetime(2026, 11, 16, 14, 5, tzinfo=timezone.utc)  # 09:05 in New York (EST)
    assert format_clinic_short(moment, today=date(2026, 12, 6)) == "16 Nov 09:05"


def test_a_moment_of_another_year_says_the_year(app_ctx):
    assert format_clinic_short(datetime(2027, 12, 6, 14, 5, tzinfo=timezone.utc),
                               today=date(2026, 12, 6)) == "06 Dec 2027 09:05"
    assert format_clinic_short(datetime(2025, 12, 30, 14, 5, tzinfo=timezone.utc),
                               today=date(2026, 1, 2)) == "30 Dec 2025 09:05"


def test_the_year_is_the_clinics_not_utcs(app_ctx):
    # 02:30 UTC on 1 January 2027 is still 31 December 2026 in New York.
    assert format_clinic_short(datetime(2027, 1, 1, 2, 30, tzinfo=timezone.utc),
                               today=date(2026, 12, 31)) == "31 Dec 21:30"


def test_no_moment_is_nothing(app_ctx):
    assert format_clinic_short(None) == ""
