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


def clinic_day_start(day):
    """UTC instant of the clinic's midnight starting `day` (23 or 25 hours apart around DST)."""
    return datetime.combine(day, time.min, tzinfo=clinic_zone()).astimezone(timezone.utc)


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


def on_a_later_day(moment, now=None):
    """Whether `moment` falls on a clinic day after `now`'s (default: the present): an appointment
    on a later day is not started today (tracker.procedures.services.start; the pages offer no
    Start for it)."""
    return to_clinic(moment).date() > to_clinic(now or utcnow()).date()
