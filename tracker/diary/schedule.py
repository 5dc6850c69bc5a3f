"""When each pain diary entry is due, as data, and where an entry stands against its due window.

Plain values only: no database, no request. Every datetime is aware (UTC, as the models store it).

A time point's due window is ``[due - opens_before, due + closes_after]``, both ends included.
From day 7 on a window opens at its point's moment (``opens_before`` is 0): a score given in it
describes at least the time its point stands for (see DEFAULT_SCHEDULE).
A score describes the pain at the moment it is given (DESIGN.md section 4), so the patient gives
one only while its window is open: before, a "2 hours after" score given at 1 hour would put the
wrong number in the anaesthetic window; after, a "Day 7" score given months later would describe
months later. A closed window without an entry stays missed. Staff may still record a score the
patient recalls on a call, for the moment the patient recalls: it belongs to the point whose window
holds that moment, and is marked late.
"""

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from tracker.vocab import N_, Choice


class Phase(Choice):
    BASELINE = "baseline", N_("Before the injection")
    # The local anaesthetic acts for up to about 6 hours: the diagnostic block is read here.
    ANAESTHETIC = "anaesthetic", N_("Local anaesthetic window (0-6 hours)")
    THERAPEUTIC = "therapeutic", N_("Therapeutic follow-up")


@dataclass(frozen=True)
class TimePoint:
    """One diary entry the patient is asked for. ``offset`` is from the injection (None for T0)."""

    code: str
    label: str
    phase: Phase
    offset: timedelta | None
    opens_before: timedelta
    closes_after: timedelta

    @property
    def hours_after(self) -> float | None:
        """The nominal hours after the injection: the point's place in the schedule (the table's order,
        its label). A score is charted and judged at the moment it was felt (`describes_hours`)."""
        return None if self.offset is None else self.offset / timedelta(hours=1)


@dataclass(frozen=True)
class DiarySchedule:
    code: str
    name: str
    points: tuple[TimePoint, ...]

    def point(self, code: str) -> TimePoint:
        for point in self.points:
            if point.code == code:
                return point
        raise KeyError(f"schedule {self.code} has no time point {code!r}")


_MINUTE = timedelta(minutes=1)
_HOUR = timedelta(hours=1)
_DAY = timedelta(days=1)


# Spelt out, not built from the number, so the catalog has each one.
_HOURLY_LABELS = {1: N_("1 hour after"), 2: N_("2 hours after"), 3: N_("3 hours after"),
                  4: N_("4 hours after"), 5: N_("5 hours after"), 6: N_("6 hours after")}


def _hourly(hours):
    # The anaesthetic wears off over hours, so a quarter of an hour either side reads the same block.
    return TimePoint(f"h{hours}", _HOURLY_LABELS[hours], Phase.ANAESTHETIC, hours * _HOUR, 15 * _MINUTE, 15 * _MINUTE)


# The windows, chosen so that consecutive ones never overlap (a moment belongs to at most one
# time point) and each stays close to the moment the point describes:
# - 15 min: 10-22 min and 30 min: 25-40 min. The block acts within minutes, and the patient is
#   still in recovery observation: these two must not be confused with each other or with 1 hour.
# - 1 to 6 hours: 15 minutes either side (45-75 min, 1 h 45-2 h 15, ... 5 h 45-6 h 15).
# - Day 1: 18 h to 36 h (the evening after the injection to the next day's end); day 2: 40 h to 60 h.
# - From day 7 on, a window opens at the point's own moment, never before it, and stays open
#   after it as long as the whole window used to be: day 7 for 2 days (days 7-9), 2 weeks for 6
#   (days 14-20), 6 weeks for 14 (days 42-56), 3, 6 and 12 months for 28 (days 90-118, 180-208,
#   365-393). A score describes the moment it is felt (DESIGN.md section 4) and the reminder goes
#   out when the window opens, so a window opening early made every on-time patient describe a day
#   before the point: a 3-month score given on day 76 showed relief for 76 days, and a payer's
#   duration (Medicare repeat relief: 50 % for 90 days; the others 90, 42 or 14 days, each on the
#   3-month, 6-week or 2-week point) could never be met on time. Opening at the point, an on-time
#   score describes at least the time its point stands for.
# - Months are counted as 90, 180 and 365 days, the reading the payer profiles give "3 months"
#   (Medicare repeat relief: 90 days). A score is read at the moment it is felt, so only a 3-month
#   score given on day 90 or later, still at 50 %, shows the 90 days: the window holds no earlier day.
# T0 has no offset and a zero window: it is asked from 00:00 of the injection's day until the injection.
DEFAULT_SCHEDULE = DiarySchedule(
    code="default",
    name="SI joint injection: baseline, anaesthetic window and 12 months' follow-up",
    points=(
        TimePoint("t0", N_("Before the injection"), Phase.BASELINE, None, timedelta(0), timedelta(0)),
        TimePoint("m15", N_("15 minutes after"), Phase.ANAESTHETIC, 15 * _MINUTE, 5 * _MINUTE, 7 * _MINUTE),
        TimePoint("m30", N_("30 minutes after"), Phase.ANAESTHETIC, 30 * _MINUTE, 5 * _MINUTE, 10 * _MINUTE),
        *(_hourly(hours) for hours in range(1, 7)),
        TimePoint("d1", N_("Day 1"), Phase.THERAPEUTIC, _DAY, 6 * _HOUR, 12 * _HOUR),
        TimePoint("d2", N_("Day 2"), Phase.THERAPEUTIC, 2 * _DAY, 8 * _HOUR, 12 * _HOUR),
        TimePoint("d7", N_("Day 7"), Phase.THERAPEUTIC, 7 * _DAY, timedelta(0), 2 * _DAY),
        TimePoint("w2", N_("2 weeks"), Phase.THERAPEUTIC, 14 * _DAY, timedelta(0), 6 * _DAY),
        TimePoint("w6", N_("6 weeks"), Phase.THERAPEUTIC, 42 * _DAY, timedelta(0), 14 * _DAY),
        TimePoint("mo3", N_("3 months"), Phase.THERAPEUTIC, 90 * _DAY, timedelta(0), 28 * _DAY),
        TimePoint("mo6", N_("6 months"), Phase.THERAPEUTIC, 180 * _DAY, timedelta(0), 28 * _DAY),
        TimePoint("mo12", N_("12 months"), Phase.THERAPEUTIC, 365 * _DAY, timedelta(0), 28 * _DAY),
    ),
)

SCHEDULES: dict[str, DiarySchedule] = {DEFAULT_SCHEDULE.code: DEFAULT_SCHEDULE}

# The anaesthetic window's points in every schedule: a score for them counts only when given on
# time, so once a window has closed nobody chases it (no late reminder, not on the overdue list).
ANAESTHETIC_CODES = frozenset(point.code for schedule in SCHEDULES.values() for point in schedule.points
                              if point.phase == Phase.ANAESTHETIC)

# Which schedule each payer profile follows. Every profile's relief criteria (2 weeks, 6 weeks,
# 3 months) fall on points of the default schedule and none limits follow-up, so all share it;
# a payer that needs other points gets a schedule of its own in SCHEDULES and a line here.
SCHEDULE_BY_PROFILE: dict[str, str] = {
    "MEDICARE_LCD_2023": DEFAULT_SCHEDULE.code,
    "EVICORE_CMM_203": DEFAULT_SCHEDULE.code,
    "MP_558": DEFAULT_SCHEDULE.code,
    "CAM_770HB": DEFAULT_SCHEDULE.code,
}


def schedule_for(profile_code: str | None) -> DiarySchedule:
    """The diary schedule of a payer profile; None (the clinic's default profile) gets the default."""
    if profile_code is None:
        return DEFAULT_SCHEDULE
    try:
        return SCHEDULES[SCHEDULE_BY_PROFILE[profile_code]]
    except KeyError:
        raise KeyError(f"no diary schedule for policy profile {profile_code!r}") from None



def point_of(profile_code: str | None, code: str) -> TimePoint:
    """The schedule's description of a stored point (its label and phase): the profile's schedule
    (a profile without one of its own reads the default), else the default's, else an unknown point
    with no time after the injection."""
    try:
        schedule = schedule_for(profile_code)
    except KeyError:
        schedule = DEFAULT_SCHEDULE
    for candidate in (schedule, DEFAULT_SCHEDULE):
        try:
            return candidate.point(code)
        except KeyError:
            continue
    return TimePoint(code, code, Phase.THERAPEUTIC, None, timedelta(0), timedelta(0))

@dataclass(frozen=True)
class Due:
    point: TimePoint
    due_at: datetime
    opens_at: datetime
    closes_at: datetime


def due_times(schedule: DiarySchedule, injected_at: datetime) -> list[Due]:
    """The post-injection time points with their due windows, in schedule order (T0 has none)."""
    if injected_at.tzinfo is None:
        raise ValueError("injected_at must be an aware datetime (UTC)")
    dues = []
    for point in schedule.points:
        if point.offset is None:
            continue
        due_at = injected_at + point.offset
        dues.append(Due(point, due_at, due_at - point.opens_before, due_at + point.closes_after))
    return dues


class EntryStatus(Choice):
    NOT_OPEN = "not_open", N_("Not open yet")
    OPEN = "open", N_("Due now")
    LATE = "late", N_("Entered late")
    DONE = "done", N_("Entered")
    # Closed without an entry: it stays missed. A score given later describes a later moment,
    # so nobody is asked for it (DESIGN.md section 4, "What a score describes").
    MISSED = "missed", N_("Missed")
    # The case ended (closed or cancelled) before the window closed, and nobody scored it: the
    # diary stopped asking, so the patient missed nothing.
    ENDED = "ended", N_("Not asked: the diary has ended")


def entry_status(due: Due, entered_at: datetime | None, now: datetime, ended_at: datetime | None = None) -> str:
    """Where one time point stands, as an ``EntryStatus`` (a str: "open", "late", ...).

    An entry made after the window closed (only staff can make one: a score the patient recalls
    for a moment inside the window) is "late"; a closed window without an entry is "missed",
    unless the case ended (`ended_at`) before it closed: then it was never asked ("ended").
    """
    if entered_at is not None:
        return EntryStatus.LATE if entered_at > due.closes_at else EntryStatus.DONE
    if ended_at is not None and due.closes_at > ended_at:
        return EntryStatus.ENDED
    if now < due.opens_at:
        return EntryStatus.NOT_OPEN
    if now <= due.closes_at:
        return EntryStatus.OPEN
    return EntryStatus.MISSED


def is_open_now(due: Due, now: datetime) -> bool:
    """A patient gives a score only while its window is open: the score describes the pain at the
    moment it is given, and only inside the window is that the moment the point asks about."""
    return due.opens_at <= now <= due.closes_at


def current_points(dues: Iterable[Due], entered_codes: Collection[str], now: datetime) -> list[Due]:
    """What to ask the patient now: the points open now without an entry, the one closing soonest
    first (a minute's delay may make it missed). A missed point is never asked for."""
    waiting = [due for due in dues if due.point.code not in entered_codes and is_open_now(due, now)]
    return sorted(waiting, key=lambda due: due.closes_at)


def window_holding(dues: Iterable[Due], moment: datetime) -> Due | None:
    """The point whose window holds `moment` (windows never overlap), or None between windows:
    the point a score recalled for that moment belongs to."""
    return next((due for due in dues if due.opens_at <= moment <= due.closes_at), None)


def describes_hours(felt_at: datetime, injected_at: datetime) -> float:
    """The hours after the injection a score describes, the value it is charted and judged at: the
    moment it was felt, inside its point's window or not (DESIGN.md section 4). A "3 months" score
    given on day 90, the day its window opens, describes day 90 and shows relief observed for 90
    days; one given on day 100 describes day 100, not 90. The window says only which point a
    score is filed under, never when it describes.
    """
    return (felt_at - injected_at) / timedelta(hours=1)


def given_for_earlier_appointment(phase: Phase, felt_at: datetime | None, opens_at: datetime) -> bool:
    """A baseline score felt before its point's window opens was given for an earlier appointment
    (cancelled, missed or moved to another day): the window opens on the morning of the injection
    and moves to the new morning when the appointment does, so the score describes the pain of
    another day and is no baseline (README, "The baseline is asked on the morning of the
    injection"). It stays stored (the new score replaces it, keeping it as a revision) but no
    reading counts it. Another point's score outside its window is read at the moment it
    describes (`describes_hours`), never dropped."""
    return phase == Phase.BASELINE and felt_at is not None and felt_at < opens_at
