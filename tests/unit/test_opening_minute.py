"""A moment said as "from <time>" (when something opens) is its first whole minute: rounded down,
a window opening at 14:37:45 would be promised at 14:37, when nothing is open yet."""
from datetime import datetime, timezone

from flask_babel import force_locale

from tracker.i18n import from_when, opening_minute

# 14:37 in New York (EST) on Sunday 6 December 2026.
AT_14_37 = datetime(2026, 12, 6, 19, 37, tzinfo=timezone.utc)


def test_a_moment_on_the_minute_stays_on_it():
    assert opening_minute(AT_14_37) == AT_14_37


def test_a_moment_with_seconds_opens_at_the_next_minute():
    assert opening_minute(AT_14_37.replace(second=1)) == AT_14_37.replace(minute=38)
    assert opening_minute(AT_14_37.replace(second=45)) == AT_14_37.replace(minute=38)
    assert opening_minute(AT_14_37.replace(microsecond=1)) == AT_14_37.replace(minute=38)


def test_the_time_said_is_the_next_minute(app_ctx):
    with force_locale("en"):
        assert from_when(AT_14_37, AT_14_37) == "from 2:37\u202fPM"
        assert from_when(AT_14_37.replace(second=1), AT_14_37) == "from 2:38\u202fPM"
    with force_locale("es"):
        assert from_when(AT_14_37.replace(second=45), AT_14_37) == "a partir de las 14:38"


def test_half_a_minute_before_midnight_opens_on_the_next_day_and_says_so(app_ctx):
    before_midnight = datetime(2026, 12, 7, 4, 59, 30, tzinfo=timezone.utc)  # Sunday 23:59:30 in New York
    with force_locale("en"):
        assert from_when(before_midnight, AT_14_37) == "from Mon, December 7 at 12:00\u202fAM"
    assert opening_minute(before_midnight) == datetime(2026, 12, 7, 5, 0, tzinfo=timezone.utc)
