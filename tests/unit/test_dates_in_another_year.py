"""A date said as weekday, month and day carries its year when it is not in the clinic's current
year: read on 7 December 2026, "from Fri, January 1 at 8:25 AM" looks like a day already gone."""
from datetime import datetime, timezone

from flask_babel import force_locale

from tracker.i18n import from_when, short_date, when

# 08:25 in New York on Friday 1 January 2027, read on Monday 7 December 2026 at 03:30.
NEW_YEAR = datetime(2027, 1, 1, 13, 25, tzinfo=timezone.utc)
READ_AT = datetime(2026, 12, 7, 8, 30, tzinfo=timezone.utc)
THIS_YEAR = datetime(2026, 12, 10, 13, 25, tzinfo=timezone.utc)


def test_an_opening_next_year_says_its_year(app_ctx):
    with force_locale("en"):
        assert from_when(NEW_YEAR, READ_AT) == "from Fri, January 1, 2027 at 8:25\u202fAM"
        assert from_when(THIS_YEAR, READ_AT) == "from Thu, December 10 at 8:25\u202fAM"
    with force_locale("es"):
        assert from_when(NEW_YEAR, READ_AT) == "a partir del vie, 1 de enero de 2027 a las 8:25"


def test_a_deadline_next_year_says_its_year(app_ctx):
    with force_locale("en"):
        assert when(NEW_YEAR, READ_AT) == "Fri, January 1, 2027 at 8:25\u202fAM"
        assert when(THIS_YEAR, READ_AT) == "Thu, December 10 at 8:25\u202fAM"


def test_a_short_date_in_another_year_says_its_year(app_ctx, clinic_clock):
    clinic_clock(10)
    from tracker.timeutil import clinic_today
    today = clinic_today()
    with force_locale("en"):
        assert short_date(today.replace(month=3, day=5)) == f"{today.replace(month=3, day=5):%a}, Mar 5"
        assert short_date(today.replace(year=today.year + 1, month=1, day=1)).endswith(f"Jan 1, {today.year + 1}")
        assert short_date(today.replace(year=today.year - 1, month=12, day=30)).endswith(f"Dec 30, {today.year - 1}")
