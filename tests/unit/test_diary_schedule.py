"""The pain diary's time points and due windows: every DESIGN.md point is asked for, windows never
overlap, the patient is asked only for a point whose window is open now (a missed one stays
missed), a recalled moment belongs to the window that holds it, and a score reads at the moment it
describes (the moment it was felt, inside its point's window or not)."""
from datetime import datetime, timedelta, timezone

import pytest

from tracker.diary.relief import ANAESTHETIC_WINDOW_HOURS, BLOCK_READINGS_UNTIL_HOURS
from tracker.diary.schedule import (
    DEFAULT_SCHEDULE,
    SCHEDULES,
    Due,
    EntryStatus,
    Phase,
    current_points,
    describes_hours,
    due_times,
    entry_status,
    given_for_earlier_appointment,
    is_open_now,
    schedule_for,
    window_holding,
)
from tracker.policy import PROFILES

INJECTED = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
MIN, HOUR, DAY = timedelta(minutes=1), timedelta(hours=1), timedelta(days=1)
DUES = due_times(DEFAULT_SCHEDULE, INJECTED)


def due(code):
    return next(item for item in DUES if item.point.code == code)


def test_the_default_schedule_asks_for_every_point_of_the_design_in_order():
    assert [point.code for point in DEFAULT_SCHEDULE.points] == [
        "t0", "m15", "m30", "h1", "h2", "h3", "h4", "h5", "h6",
        "d1", "d2", "d7", "w2", "w6", "mo3", "mo6", "mo12"]
    offsets = [point.offset for point in DEFAULT_SCHEDULE.points[1:]]
    assert offsets == [15 * MIN, 30 * MIN, *(hours * HOUR for hours in range(1, 7)),
                       DAY, 2 * DAY, 7 * DAY, 14 * DAY, 42 * DAY, 90 * DAY, 180 * DAY, 365 * DAY]


def test_points_are_labelled_for_the_patient():
    labels = {point.code: point.label for point in DEFAULT_SCHEDULE.points}
    assert labels["t0"] == "Before the injection"
    assert labels["m15"] == "15 minutes after"
    assert labels["h1"] == "1 hour after"
    assert labels["h2"] == "2 hours after"
    assert labels["d1"] == "Day 1"
    assert labels["w2"] == "2 weeks"
    assert labels["mo3"] == "3 months"
    assert len(set(labels.values())) == len(labels)


def test_phases_split_at_the_end_of_the_anaesthetic_window():
    phases = {point.code: point.phase for point in DEFAULT_SCHEDULE.points}
    assert phases["t0"] is Phase.BASELINE
    anaesthetic = [point for point in DEFAULT_SCHEDULE.points if point.phase is Phase.ANAESTHETIC]
    assert [point.code for point in anaesthetic] == ["m15", "m30", "h1", "h2", "h3", "h4", "h5", "h6"]
    # The schedule's last anaesthetic point is the edge the relief verdict reads up to.
    assert anaesthetic[-1].hours_after == ANAESTHETIC_WINDOW_HOURS
    assert all(phases[code] is Phase.THERAPEUTIC
               for code in ("d1", "d2", "d7", "w2", "w6", "mo3", "mo6", "mo12"))


def test_baseline_has_no_offset_and_no_post_injection_due_time():
    assert DEFAULT_SCHEDULE.point("t0").offset is None
    assert DEFAULT_SCHEDULE.point("t0").hours_after is None
    assert "t0" not in [item.point.code for item in DUES]
    assert len(DUES) == len(DEFAULT_SCHEDULE.points) - 1


@pytest.mark.parametrize("schedule", list(SCHEDULES.values()), ids=list(SCHEDULES))
def test_consecutive_windows_never_overlap_and_each_contains_its_due_time(schedule):
    dues = due_times(schedule, INJECTED)
    for item in dues:
        assert item.opens_at <= item.due_at <= item.closes_at
        assert item.opens_at > INJECTED
    for earlier, later in zip(dues, dues[1:]):
        assert earlier.closes_at < later.opens_at, (earlier.point.code, later.point.code)


@pytest.mark.parametrize("code, opens, closes", [
    ("m15", 10 * MIN, 22 * MIN),
    ("m30", 25 * MIN, 40 * MIN),
    ("h1", 45 * MIN, 75 * MIN),
    ("h6", 6 * HOUR - 15 * MIN, 6 * HOUR + 15 * MIN),
    ("d1", 18 * HOUR, 36 * HOUR),
    ("d2", 40 * HOUR, 60 * HOUR),
    ("d7", 7 * DAY, 9 * DAY),
    ("w2", 14 * DAY, 20 * DAY),
    ("w6", 42 * DAY, 56 * DAY),
    ("mo3", 90 * DAY, 118 * DAY),
    ("mo6", 180 * DAY, 208 * DAY),
    ("mo12", 365 * DAY, 393 * DAY),
])
def test_due_windows_from_the_injection_time(code, opens, closes):
    item = due(code)
    assert item.due_at == INJECTED + DEFAULT_SCHEDULE.point(code).offset
    assert (item.opens_at, item.closes_at) == (INJECTED + opens, INJECTED + closes)


FOLLOW_UP_FROM_DAY_7 = ("d7", "w2", "w6", "mo3", "mo6", "mo12")


@pytest.mark.parametrize("code", FOLLOW_UP_FROM_DAY_7)
def test_from_day_7_a_window_opens_at_its_points_own_moment_never_before(code):
    # A score describes the moment it is given: one given the day its window opens must describe at
    # least the time its point stands for, or a payer's duration (Medicare: 90 days, the 3-month
    # point) could never be met by a patient who answers on time.
    item = due(code)
    assert DEFAULT_SCHEDULE.point(code).opens_before == timedelta(0)
    assert item.opens_at == item.due_at
    assert describes_hours(item.opens_at, INJECTED) == DEFAULT_SCHEDULE.point(code).hours_after


@pytest.mark.parametrize("code, tolerance", [
    ("d7", 2 * DAY), ("w2", 6 * DAY), ("w6", 14 * DAY), ("mo3", 28 * DAY), ("mo6", 28 * DAY), ("mo12", 28 * DAY)])
def test_from_day_7_a_window_stays_open_after_its_point_as_long_as_the_whole_window_was(code, tolerance):
    # As long as the window was before it opened at the point (one day either side of day 7,
    # 3 days of 2 weeks, 7 of 6 weeks, 14 of the months): the patient has as much time to answer.
    assert DEFAULT_SCHEDULE.point(code).closes_after == tolerance
    assert due(code).closes_at - due(code).due_at == tolerance


def test_the_first_days_and_the_anaesthetic_window_keep_their_windows_around_the_point():
    assert [(DEFAULT_SCHEDULE.point(code).opens_before, DEFAULT_SCHEDULE.point(code).closes_after)
            for code in ("m15", "m30", "h1", "h6", "d1", "d2")] == [
        (5 * MIN, 7 * MIN), (5 * MIN, 10 * MIN), (15 * MIN, 15 * MIN), (15 * MIN, 15 * MIN),
        (6 * HOUR, 12 * HOUR), (8 * HOUR, 12 * HOUR)]


def test_three_months_is_ninety_days_as_the_profiles_read_it():
    assert DEFAULT_SCHEDULE.point("mo3").hours_after / 24 == PROFILES["MEDICARE_LCD_2023"].repeat_relief_min_days


def test_due_times_refuse_a_naive_injection_time():
    with pytest.raises(ValueError, match="aware"):
        due_times(DEFAULT_SCHEDULE, INJECTED.replace(tzinfo=None))


def test_unknown_time_point_is_a_clear_error():
    with pytest.raises(KeyError, match="h7"):
        DEFAULT_SCHEDULE.point("h7")


@pytest.mark.parametrize("profile_code", list(PROFILES))
def test_every_payer_profile_has_a_schedule(profile_code):
    assert schedule_for(profile_code) is DEFAULT_SCHEDULE


def test_the_clinic_default_profile_gets_the_default_schedule():
    assert schedule_for(None) is DEFAULT_SCHEDULE


def test_an_unknown_profile_is_refused_rather_than_guessed():
    with pytest.raises(KeyError, match="NOPE"):
        schedule_for("NOPE")


H1 = due("h1")


@pytest.mark.parametrize("now, status", [
    (H1.opens_at - timedelta(seconds=1), EntryStatus.NOT_OPEN),
    (H1.opens_at, EntryStatus.OPEN),
    (H1.due_at, EntryStatus.OPEN),
    (H1.closes_at, EntryStatus.OPEN),
    (H1.closes_at + timedelta(seconds=1), EntryStatus.MISSED),
    (H1.closes_at + 30 * DAY, EntryStatus.MISSED),
])
def test_status_without_an_entry_follows_the_window(now, status):
    assert entry_status(H1, None, now) == status


@pytest.mark.parametrize("entered_at, status", [
    (H1.opens_at, EntryStatus.DONE),
    (H1.closes_at, EntryStatus.DONE),
    (H1.closes_at + timedelta(seconds=1), EntryStatus.LATE),
    (H1.closes_at + 2 * DAY, EntryStatus.LATE),
])
def test_an_entry_made_after_the_window_closed_is_late(entered_at, status):
    # Whenever the page is looked at, the entry keeps the status it was made with.
    assert entry_status(H1, entered_at, now=H1.closes_at + 40 * DAY) == status


def test_status_is_a_plain_string_with_words_for_people():
    assert entry_status(H1, None, H1.due_at) == "open"
    assert EntryStatus.LATE.label == "Entered late"


@pytest.mark.parametrize("now, accepted", [
    (H1.opens_at - timedelta(seconds=1), False),
    (H1.opens_at, True),
    (H1.closes_at, True),
    (H1.closes_at + timedelta(seconds=1), False),
    (H1.closes_at + 10 * DAY, False),
])
def test_the_patient_gives_a_score_only_while_its_window_is_open(now, accepted):
    assert is_open_now(H1, now) is accepted


def codes(dues):
    return [item.point.code for item in dues]


def test_before_any_window_opens_nothing_is_asked():
    assert current_points(DUES, set(), INJECTED + 5 * MIN) == []


def test_the_open_point_is_asked_and_disappears_once_entered():
    now = INJECTED + 15 * MIN
    assert codes(current_points(DUES, set(), now)) == ["m15"]
    assert current_points(DUES, {"m15"}, now) == []


def test_missed_points_are_never_asked_for_only_the_open_one():
    # At one hour, 15 and 30 minutes are missed: only the 1-hour score is asked.
    now = INJECTED + 1 * HOUR
    assert codes(current_points(DUES, set(), now)) == ["h1"]
    # After the 1-hour score nothing is asked (no "30 minutes after - late").
    assert current_points(DUES, {"h1"}, now) == []


def test_between_windows_nothing_is_asked():
    assert current_points(DUES, set(), INJECTED + 42 * MIN) == []


def test_six_months_on_only_the_six_month_point_is_asked_never_day_7():
    assert codes(current_points(DUES, {"m15"}, INJECTED + 180 * DAY)) == ["mo6"]
    assert current_points(DUES, set(), INJECTED + 210 * DAY) == []  # 6 months closed on day 208


def test_a_diary_kept_up_to_date_asks_only_for_the_point_now_open():
    entered = {"m15", "m30", "h1", "h2", "h3", "h4", "h5", "h6", "d1", "d2"}
    assert codes(current_points(DUES, entered, INJECTED + 7 * DAY)) == ["d7"]
    assert current_points(DUES, entered | {"d7"}, INJECTED + 7 * DAY) == []


def test_open_points_are_ordered_by_the_soonest_closing():
    # Two windows open at once only with a custom schedule; the one closing first is asked first.
    short = Due(H1.point, H1.due_at, H1.opens_at, H1.due_at)
    long = Due(due("h2").point, H1.due_at, H1.opens_at, H1.closes_at)
    assert current_points([long, short], set(), H1.opens_at) == [short, long]


@pytest.mark.parametrize("moment, code", [
    (INJECTED + 7 * DAY - timedelta(seconds=1), None),  # between day 2 and day 7: none opens early
    (INJECTED + 7 * DAY, "d7"),  # the window's first moment
    (INJECTED + 9 * DAY, "d7"),  # its last
    (INJECTED + 9 * DAY + timedelta(seconds=1), None),  # between day 7 and 2 weeks
    (INJECTED + 11 * DAY, None),
    (INJECTED + 14 * DAY, "w2"),
    (INJECTED + 42 * MIN, None),  # between 30 minutes and 1 hour
])
def test_a_recalled_moment_belongs_to_the_window_that_holds_it(moment, code):
    found = window_holding(DUES, moment)
    assert (found.point.code if found else None) == code


def test_a_score_reads_at_the_moment_it_was_felt_inside_its_window_or_not():
    # Inside Day 7's window, an hour after it opens: day 7 and an hour, not day 7.
    assert describes_hours(INJECTED + 7 * DAY + HOUR, INJECTED) == 7 * 24 + 1
    # A 3-month score given the day its window opens (day 90) describes day 90; one given late in
    # it (day 100) describes day 100, not 90. Day 76 is in no window: no 3-month score describes it.
    mo3 = due("mo3")
    assert window_holding(DUES, INJECTED + 90 * DAY) == mo3 == window_holding(DUES, INJECTED + 100 * DAY)
    assert window_holding(DUES, INJECTED + 76 * DAY) is None
    assert describes_hours(INJECTED + 90 * DAY, INJECTED) == 90 * 24
    assert describes_hours(INJECTED + 100 * DAY, INJECTED) == 100 * 24
    # Filed under day 7 but given six months on: it describes six months on, not day 7.
    assert describes_hours(INJECTED + 180 * DAY, INJECTED) == 180 * 24


def test_the_block_reads_every_anaesthetic_points_window_and_nothing_after_it():
    # tracker.diary.relief counts a score as the block's up to the 6-hour point's close, and no
    # window opens between then and Day 1's: the split between block and follow-up holds.
    anaesthetic = [d for d in DUES if d.point.phase == Phase.ANAESTHETIC]
    last_close = max(d.closes_at for d in anaesthetic) - INJECTED
    assert last_close == BLOCK_READINGS_UNTIL_HOURS * HOUR
    assert min(d.opens_at for d in DUES if d.point.phase == Phase.THERAPEUTIC) - INJECTED > last_close


def test_a_baseline_felt_before_its_window_opens_was_given_for_an_earlier_appointment():
    opens = datetime(2026, 12, 29, 5, 0, tzinfo=timezone.utc)  # 00:00 clinic time of the new day
    assert given_for_earlier_appointment(Phase.BASELINE, opens - 22 * DAY, opens)
    assert given_for_earlier_appointment(Phase.BASELINE, opens - MIN, opens)
    assert not given_for_earlier_appointment(Phase.BASELINE, opens, opens), "the window's first moment is in it"
    assert not given_for_earlier_appointment(Phase.BASELINE, opens + 2 * HOUR, opens)
    assert not given_for_earlier_appointment(Phase.BASELINE, None, opens)
    # Another point's score outside its window is read at its moment, never dropped.
    assert not given_for_earlier_appointment(Phase.THERAPEUTIC, opens - DAY, opens)
