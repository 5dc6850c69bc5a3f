"""Time: stored in UTC, shown in the clinic's zone."""
from datetime import datetime, time, timezone
from zoneinfo import ZoneInfo

from flask import current_app


def utcnow():
    return datetime.now(timezone.utc)


def clinic_zone():
    return ZoneInfo(current_app.config["CLINIC_TIMEZONE"])


def clinic_today():
    return utcnow().astimezone(clinic_zone()).date()


def to_clinic(moment):
    """An aware UTC datetime as the clinic's wall-clock time (correct across daylight saving)."""
    if moment is None:
        return None
    return moment.astimezone(clinic_zone())


def clinic_time(day, clock):
    """UTC instant of the clinic's wall-clock `clock` on `day`: 06:00 is 06:00 on the clinic's clock
    on the day the clocks change too, not six hours after midnight. (In the autumn hour that happens
    twice, the first; in the spring hour that does not happen, the hour after.)"""
    return datetime.combine(day, clock, tzinfo=clinic_zone()).astimezone(timezone.utc)


def clinic_day_start(day):
    """UTC instant of the clinic's midnight starting `day` (23 or 25 hours apart around DST)."""
    return clinic_time(day, time.min)


def start_of_clinic_day(moment):
    """The clinic's midnight starting the clinic day `moment` falls on (UTC)."""
    return clinic_day_start(to_clinic(moment).date())


def format_clinic(moment, fmt="%Y-%m-%d %H:%M"):
    local = to_clinic(moment)
    return local.strftime(fmt) if local else ""


def format_clinic_short(moment, today=None):
    """Day, month and time ("06 Nov 09:05"), with the year when it is not this clinic year's
    ("06 Nov 2027 09:05"): a 12-month diary window read in December must not look past."""
    local = to_clinic(moment)
    if local is None:
        return ""
    this_year = (today or clinic_today()).year
    return local.strftime("%d %b %H:%M" if local.year == this_year else "%d %b %Y %H:%M")


def start_day_words(starts_at, now=None, checked_in=False):
    """Why an appointment starting at `starts_at` is not started now, or "" on its own clinic day:
    readiness ticked early must not let tomorrow's patient be started today, and the day-of check
    and readiness of an earlier day (a booking never started, an attempt abandoned) are not
    today's. tracker.procedures.services.start refuses with these words; the pages show them in
    place of Start. A `checked_in` appointment is cancelled, never moved."""
    day, today = to_clinic(starts_at).date(), to_clinic(now or utcnow()).date()
    if day > today:
        return f"This appointment is on {day:%A %d %B}: start the procedure on that day, or move the appointment to today first."
    if day < today:
        instead = ("Cancel it and book again from the case first." if checked_in
                   else "Move it to today, or cancel it and book again from the case, first.")
        return (f"This appointment was on {day:%A %d %B %Y}: a procedure starts on its appointment's day, with that "
                f"day's checks. {instead}")
    return ""
