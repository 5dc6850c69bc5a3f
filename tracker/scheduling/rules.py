"""Pure scheduling rules: overlap, clinic-time conversion across daylight saving, free slots.

Plain values in, plain values out: no database, no request. Times are aware datetimes; an
interval is half-open [start, end), so an appointment ending at 10:00 and one starting at 10:00
do not overlap.
"""
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

SLOT_STEP = timedelta(minutes=15)
DEFAULT_DURATION = timedelta(minutes=30)
# Shorter is a typing slip (1 for 10, or for 1 hour): the procedure alone takes 20-30 minutes.
MIN_DURATION = timedelta(minutes=15)
MAX_DURATION = timedelta(hours=4)


class NotAClockTime(ValueError):
    """A local time that does not exist on that day (the hour skipped when clocks go forward)."""


def overlaps(a_start, a_end, b_start, b_end):
    """Half-open intervals overlap when each starts before the other ends (touching is fine)."""
    return a_start < b_end and b_start < a_end


def clinic_to_utc(day, clock, zone):
    """The UTC instant of a wall-clock time in the clinic's zone on `day`.

    In the autumn hour that happens twice, the first (daylight) occurrence is taken; in the spring
    hour that does not happen, NotAClockTime is raised so the user can choose another time.
    """
    local = datetime.combine(day, clock, tzinfo=zone)
    round_trip = local.astimezone(timezone.utc).astimezone(zone)
    if (round_trip.date(), round_trip.time()) != (day, clock):
        raise NotAClockTime(f"{clock.strftime('%H:%M')} does not exist on {day.isoformat()} "
                            f"(the clocks go forward); choose another time.")
    return local.astimezone(timezone.utc)


@dataclass(frozen=True)
class Busy:
    """An active appointment as the slot finder sees it."""

    physician_id: int
    room_id: int
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Hours:
    """A physician's working hours on one weekday (0 = Monday), in clinic time."""

    physician_id: int
    weekday: int
    start: time
    end: time


@dataclass(frozen=True)
class Closed:
    """Days closed, first and last included (clinic dates): the whole clinic (`physician_id` None)
    or one physician's leave."""

    first: date
    last: date
    reason: str
    physician_id: int | None = None

    def covers(self, day, physician_id=None):
        """True if `day` is closed for the clinic, or for `physician_id` by their leave."""
        return self.first <= day <= self.last and self.physician_id in (None, physician_id)


def closed_on(day, physician_id, closures):
    """The closure that shuts `day` for the physician (the clinic's first, then their own leave), or None."""
    return min((c for c in closures if c.covers(day, physician_id)),
               key=lambda c: (c.physician_id is not None, c.first), default=None)


def closed_words(day, closure, name):
    """The booking's warning for a day closed: "The clinic is closed on Friday, December 25, 2026
    (Christmas Day)." or "Dr Priya Raman is on leave on Monday, December 28, 2026 (Annual leave,
    28 December 2026 to 1 January 2027)." """
    said = f"{WEEKDAYS[day.weekday()]}, {day:%B} {day.day}, {day.year}"
    span = "" if closure.first == closure.last else f", {_date(closure.first)} to {_date(closure.last)}"
    if closure.physician_id is None:
        return f"The clinic is closed on {said} ({closure.reason}{span})."
    return f"{name} is on leave on {said} ({closure.reason}{span})."


def _date(day):
    return f"{day.day} {day:%B %Y}"


@dataclass(frozen=True)
class Slot:
    start: datetime
    end: datetime
    physician_id: int
    room_id: int


def conflicts(start, end, physician_id, room_id, busy, ignore=None):
    """The active appointments that the proposed one would collide with (same physician or room)."""
    return [b for b in busy
            if b is not ignore and (b.physician_id == physician_id or b.room_id == room_id)
            and overlaps(start, end, b.start, b.end)]


def within_hours(start, end, physician_id, hours, zone):
    """True if [start, end) lies inside the physician's hours on that clinic day."""
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    if local_start.date() != local_end.date() and local_end.time() != time(0):
        return False
    for h in hours:
        if h.physician_id == physician_id and h.weekday == local_start.weekday():
            ends = local_end.time() if local_end.date() == local_start.date() else time(23, 59, 59)
            if h.start <= local_start.time() and ends <= h.end:
                return True
    return False


WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def outside_hours(start, end, physician_id, hours, zone, name):
    """None when [start, end) lies inside the physician's hours, else why not in words: a weekday
    they have no hours on (a day off, a weekend) names the days they work ("Dr Tomas Ortega does not
    work on Wednesdays (works Mon, Tue, Thu, Fri)."); a working day names its hours ("Outside Dr
    Tomas Ortega's hours on Wednesdays (9:00–13:00).")."""
    if within_hours(start, end, physician_id, hours, zone):
        return None
    weekday = start.astimezone(zone).weekday()
    own = sorted((h for h in hours if h.physician_id == physician_id), key=lambda h: (h.weekday, h.start))
    that_day = [h for h in own if h.weekday == weekday]
    if not that_day:
        days = sorted({h.weekday for h in own})
        works = f"works {', '.join(WEEKDAYS[d][:3] for d in days)}" if days else "no working hours are set"
        return f"{name} does not work on {WEEKDAYS[weekday]}s ({works})."
    spans = ", ".join(f"{_clock(h.start)}–{_clock(h.end)}" for h in that_day)
    return f"Outside {name}'s hours on {WEEKDAYS[weekday]}s ({spans})."


def _clock(value):
    return f"{value.hour}:{value.minute:02d}"


def free_slots(first_day, days, duration, hours, room_ids, busy, zone, not_before, limit=10,
               physician_ids=None, closures=()):
    """The first `limit` free (start, physician, room) combinations from `first_day` on, earliest
    first across all physicians.

    Walks each day's working hours in SLOT_STEP steps; a slot is free when neither the physician
    nor the room has an overlapping active appointment. Skips times before `not_before`, the days
    the clinic is closed and each physician's days of leave (`closures`).
    """
    found = []
    for offset in range(days):
        day = first_day + timedelta(days=offset)
        candidates = sorted(
            (start, h.physician_id)
            for h in hours
            if h.weekday == day.weekday() and (not physician_ids or h.physician_id in physician_ids)
            and closed_on(day, h.physician_id, closures) is None
            for start in _starts(day, h, duration, zone)
            if start >= not_before
        )
        for start, physician_id in candidates:
            end = start + duration
            room_id = next((room for room in room_ids
                            if not conflicts(start, end, physician_id, room, busy)), None)
            if room_id is not None:
                found.append(Slot(start, end, physician_id, room_id))
                if len(found) >= limit:
                    return found
    return found


def first_clinic_day(day, weekdays, closed=()):
    """The first day on or after `day` the clinic works: its weekday (0 = Monday) is one of
    `weekdays`, those a physician in use has working hours on, and no clinic-wide closure in
    `closed` covers it (a physician's leave does not close the clinic). With no weekdays set the
    clinic has said nothing of its days, and only closures move `day`."""
    clinic_wide = [c for c in closed if c.physician_id is None]
    while (weekdays and day.weekday() not in weekdays) or closed_on(day, None, clinic_wide):
        day += timedelta(days=1)
    return day


def slots_from(asked, today, fits):
    """The day the free-slot list starts and what the page says about it, or None: `asked` is the
    day typed (None if none), `fits` the first day the patient's preparation plan fits.

    A day already passed cannot be booked: the list starts today and says so. With no day asked
    for, it starts on the first day the patient can prepare for (an earlier day stays one date
    away); a day asked for is shown as asked."""
    if asked is not None and asked < today:
        return today, (f"{asked.isoformat()} has passed: the free slots below start today, "
                       f"{today.isoformat()}.")
    if asked is None and fits > today:
        return fits, (f"Free slots from {fits.isoformat()}, the first day the preparation plan fits (the "
                      f"blood thinner's hold, the premedication's evening before). Choose an earlier day "
                      f"above to see those.")
    return asked or today, None


def _starts(day, hours, duration, zone):
    clock = datetime.combine(day, hours.start)
    last = datetime.combine(day, hours.end) - duration
    while clock <= last:
        try:
            yield clinic_to_utc(day, clock.time(), zone)
        except NotAClockTime:
            pass
        clock += SLOT_STEP
