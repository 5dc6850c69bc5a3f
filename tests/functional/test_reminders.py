"""`flask reminders send`: each due diary score gets one email over a real (local) SMTP server,
holding the personal link and nothing clinical; repeats wait REMINDER_REPEAT_HOURS and stop at
REMINDER_MAX_ATTEMPTS; never for an entry already made, a closed or cancelled case, a revoked or
expired link, nor to a patient who prefers phone calls; nothing in the quiet hours unless it would
be of no use once they end; everything is checked again just before sending."""
import re
from datetime import date, datetime, time, timedelta, timezone

import pytest

from config import TestingConfig
from tracker import create_app
from tracker.contact import quiet_until
from tracker.diary import links, reminders, services
from tracker.extensions import db
from tracker.models import DiaryLink
from tracker.roles import Role
from tracker.timeutil import clinic_day_start, clinic_zone, to_clinic
from tracker.vocab import ContactChannel, Side
from tracker.workflow import State

from tests.builders import (attempts, clinic_at, clinic_day, close, diary_case, enter, enter_six_weeks, now, point,
                            revoke_links)
from tests.helpers import free_port
from tests.sms_provider import provider  # noqa: F401

UTC = timezone.utc


# ---------------------------------------------------------------- a real SMTP server


# ---------------------------------------------------------------- diaries


def booked_case(gen, address="patient@home.example"):
    """A scheduled case: only the baseline (t0) is open, until the injection starts."""
    case = gen.case(patient=gen.patient(email=address), state=State.SCHEDULED)
    services.ensure_baseline(case, now() - timedelta(days=2))
    db.session.add(DiaryLink(case_id=case.id, created_by_id=case.created_by_id, sent_to=address,
                             expires_at=now() + timedelta(days=400)))
    db.session.commit()
    return case


def link_in(body):
    match = re.search(r"https?://\S+", body)
    assert match, body
    return match.group(0)


@pytest.fixture
def run(app, app_ctx):
    """`flask reminders send` as cron runs it; returns its output."""
    runner = app.test_cli_runner()

    def _run(expect_exit=0):
        result = runner.invoke(args=["reminders", "send"])
        db.session.rollback()
        db.session.expire_all()
        assert result.exit_code == expect_exit, result.output
        return result.output

    return _run


# ---------------------------------------------------------------- sending

def test_a_due_score_gets_one_email_with_the_personal_link_and_nothing_clinical(app, gen, client, inbox, run):
    case = diary_case(gen, side=Side.RIGHT)
    output = run()

    assert "1 reminder(s) sent in 1 email(s)" in output
    [(recipients, message)] = inbox.messages
    assert recipients == ["patient@home.example"]
    body = message.get_content()
    assert app.config["CLINIC_NAME"] in body and body.startswith("Hello,")
    # Only the link: no name, side, time point, score or procedure.
    url = link_in(body)
    words = body.replace(url, "").replace(app.config["CLINIC_NAME"], "").lower()
    for clinical in (case.patient.family_name.lower(), case.patient.given_name.lower(), "right", "week",
                     "injection", "score", "relief"):
        assert clinical not in words
    assert not re.search(r"\d", words)
    # The link opens this patient's diary without a password.
    assert url.startswith(app.config["PUBLIC_URL"] + "/d/")
    page = client.get(url.removeprefix(app.config["PUBLIC_URL"]))
    assert page.status_code == 200 and "6 weeks" in page.get_data(as_text=True)

    [reminder] = attempts(case, "w6")
    assert (reminder.attempt, reminder.status, reminder.channel) == (1, "sent", "email")
    assert reminder.sent_at is not None


def test_running_again_sends_nothing_until_the_repeat_interval_then_stops_at_the_cap(app, gen, inbox, run):
    case = diary_case(gen)
    run()
    assert "0 reminder(s) sent" in run()
    assert len(inbox.messages) == 1

    hours = app.config["REMINDER_REPEAT_HOURS"]
    assert reminders.send_due(now=now() + timedelta(hours=hours - 1)).sent == 0
    assert reminders.send_due(now=now() + timedelta(hours=hours + 1)).sent == 1
    assert [r.attempt for r in attempts(case, "w6")] == [1, 2] == list(range(1, app.config["REMINDER_MAX_ATTEMPTS"] + 1))
    # The cap is reached: a week later, still nothing.
    assert reminders.send_due(now=now() + timedelta(days=7)).sent == 0
    assert len(inbox.messages) == 2


def test_the_cap_and_the_interval_come_from_the_settings(app, gen, inbox, monkeypatch):
    monkeypatch.setitem(app.config, "REMINDER_MAX_ATTEMPTS", 3)
    monkeypatch.setitem(app.config, "REMINDER_REPEAT_HOURS", 2)
    case = diary_case(gen)
    for hours in (0, 1, 3, 5, 7):
        reminders.send_due(now=now() + timedelta(hours=hours))
    assert [(r.attempt, r.status) for r in attempts(case, "w6")] == [(1, "sent"), (2, "sent"), (3, "sent")]
    assert len(inbox.messages) == 3


def test_the_three_month_reminder_goes_out_on_day_90_not_day_76(gen, inbox, run):
    # The reminder goes out when the window opens, and from day 7 on a window opens at its point:
    # a patient who answers it at once describes day 90, so relief can show the 90 days Medicare's
    # repeat asks (opening 14 days early, on day 76, an on-time score showed 76).
    case = diary_case(gen, injected_ago=timedelta(days=76))
    assert "0 reminder(s) sent" in run()  # day 76: 6 weeks closed 20 days ago, 3 months not open
    assert reminders.send_due(now=now() + timedelta(days=14) - timedelta(minutes=1)).sent == 0
    assert attempts(case, "mo3") == []
    assert reminders.send_due(now=now() + timedelta(days=14)).sent == 1  # day 90
    assert [r.status for r in attempts(case, "mo3")] == ["sent"]
    assert point(case, "mo3").opens_at == point(case, "mo3").due_at
    assert len(inbox.messages) == 1


def test_a_missed_score_is_not_reminded_once_a_later_point_has_opened(gen, inbox, run):
    # 50 hours after the injection, nothing entered: day 1 is missed and day 2 is open. Only day 2
    # is reminded; the anaesthetic window's closed points are not chased either.
    case = diary_case(gen, injected_ago=timedelta(hours=50))
    assert "1 reminder(s) sent in 1 email(s)" in run()
    assert len(inbox.messages) == 1
    assert [[r.status for r in attempts(case, code)] for code in ("d1", "d2")] == [[], ["sent"]]
    assert all(attempts(case, code) == [] for code in ("m15", "m30", "h1", "h6"))


def test_an_anaesthetic_window_score_is_reminded_only_while_its_window_is_open(gen, inbox, run):
    case = diary_case(gen, injected_ago=timedelta(hours=2, minutes=5))  # 2 h window: 1:45 to 2:15
    assert "1 reminder(s) sent in 1 email(s)" in run()
    assert [r.status for r in attempts(case, "h2")] == ["sent"]
    assert attempts(case, "h1") == [] and attempts(case, "m15") == []


def cancel(case):
    case.state = State.CANCELLED


def expire_links(case):
    for link in db.session.query(DiaryLink).filter_by(case_id=case.id):
        link.created_at, link.expires_at = now() - timedelta(days=401), now() - timedelta(minutes=1)


@pytest.mark.parametrize("setup", [enter_six_weeks, close, cancel, revoke_links, expire_links],
                         ids=["entered", "closed", "cancelled", "link revoked", "link expired"])
def test_no_reminder_for_an_entry_made_a_closed_case_or_a_dead_link(gen, inbox, run, setup):
    case = diary_case(gen)
    setup(case)
    db.session.commit()
    assert "0 reminder(s) sent" in run()
    assert inbox.messages == [] and attempts(case, "w6") == []


def test_a_bilateral_case_is_reminded_until_both_sides_are_rated(gen, inbox, run):
    case = diary_case(gen, side=Side.BILATERAL)
    enter(case, "w6", side=Side.LEFT)
    assert "1 reminder(s) sent" in run()
    other = diary_case(gen, side=Side.BILATERAL, address="other@home.example")
    enter(other, "w6", side=Side.LEFT)
    enter(other, "w6", side=Side.RIGHT)
    assert "0 reminder(s) sent" in run()
    assert [recipients for recipients, _ in inbox.messages] == [["patient@home.example"]]


def test_a_score_long_overdue_gets_no_reminder(app, gen, inbox, run):
    # 3 weeks after the injection: the 2-week window (days 14 to 20) closed a day ago and is
    # reminded; day 7's (days 7 to 9) closed 12 days ago, past REMINDER_LATE_DAYS.
    case = diary_case(gen, injected_ago=timedelta(days=21))
    assert app.config["REMINDER_LATE_DAYS"] == 7
    run()
    assert [r.status for r in attempts(case, "w2")] == ["sent"]
    assert attempts(case, "d7") == [] and attempts(case, "d1") == []


def test_a_patient_with_an_account_and_no_link_is_sent_to_the_sign_in_page(app, gen, inbox, run):
    patient = gen.patient(email=None)
    account = gen.user(Role.PATIENT, patient=patient, email="grace@account.example")
    case = diary_case(gen, patient=patient, link=False)
    run()
    [(recipients, message)] = inbox.messages
    assert recipients == [account.email]
    assert link_in(message.get_content()) == app.config["PUBLIC_URL"] + "/sign-in"
    assert [r.status for r in attempts(case, "w6")] == ["sent"]


def test_nobody_to_reach_means_no_reminder(gen, inbox, run):
    case = diary_case(gen, link=False)
    run()
    assert inbox.messages == [] and attempts(case, "w6") == []


def test_the_baseline_is_reminded_while_booked_and_not_once_the_injection_started(gen, inbox, run):
    booked = booked_case(gen)
    run()
    assert [r.status for r in attempts(booked, "t0")] == ["sent"]
    started = booked_case(gen, address="started@home.example")
    started.state = State.IN_PROCEDURE
    db.session.commit()
    run()
    assert attempts(started, "t0") == [] and len(inbox.messages) == 1


def test_the_baseline_reminder_waits_for_06_00_on_the_day_the_clocks_go_back(app, gen, inbox):
    """The baseline's "reminder goes out from 06:00 that day" (README). On Sunday 1 November 2026
    New York leaves daylight time at 02:00: the clinic's midnight + 6 hours is 05:00 on the clock."""
    assert str(clinic_zone()) == "America/New_York"
    day = date(2026, 11, 1)
    case = booked_case(gen)
    point(case, "t0").opens_at = clinic_day_start(day)
    db.session.commit()
    five_thirty, six = (datetime.combine(day, clock, tzinfo=clinic_zone()).astimezone(UTC)
                        for clock in (time(5, 30), time(6)))
    assert to_clinic(five_thirty).strftime("%H:%M %Z") == "05:30 EST"

    reminders.send_due(now=five_thirty)
    assert inbox.messages == [], "the baseline reminder went at 05:30, before 06:00"
    reminders.send_due(now=six)
    assert [r.status for r in attempts(case, "t0")] == ["sent"]


@pytest.mark.parametrize("with_account", [False, True], ids=["link", "link and account"])
def test_a_patient_who_prefers_phone_calls_gets_no_diary_reminder(gen, inbox, run, with_account):
    """README, Reaching patients: "A patient who prefers phone calls gets no automatic message: the
    coordinator calls" (the overdue list shows the case: test_overdue.py)."""
    patient = gen.patient(email="calls-only@home.example", phone="+12015550177",
                          preferred_contact=ContactChannel.PHONE)
    if with_account:
        gen.user(Role.PATIENT, patient=patient, email="calls-only@account.example")
    case = diary_case(gen, patient=patient, address=patient.email)

    assert "0 reminder(s) sent" in run()
    assert inbox.messages == [] and attempts(case, "w6") == []


def test_finding_the_due_reminders_takes_as_many_queries_for_30_patients_as_for_3(gen, count_queries):
    """Whatever the mix of channels (a number that cannot take texts is a question for Python, not
    the database), the due reminders are one query per channel, never one per patient."""
    def make(n):
        for i in range(n):
            phone = ("+12015550123", "+442079460000", "+12015550177")[i % 3]
            prefers = (ContactChannel.SMS, ContactChannel.SMS, ContactChannel.PHONE)[i % 3]
            diary_case(gen, patient=gen.patient(email=f"mix{n}-{i}@home.example", phone=phone,
                                                preferred_contact=prefers))

    def queries():
        with count_queries() as counter:
            due = reminders.due_reminders()
        return counter.n, len(due)

    make(3)
    few, found = queries()
    assert found == 2  # the mobile by text, the landline by email; nothing for the phone calls
    make(27)
    many, found = queries()
    assert (many, found) == (few, 20)


# ---------------------------------------------------------------- quiet hours

def injected_at(gen, moment, patient=None):
    """A case in follow-up injected at `moment`, with a live link."""
    patient = patient or gen.patient(email="night@home.example")
    case = gen.case(patient=patient, state=State.FOLLOW_UP, side=Side.LEFT)
    services.start_follow_up(case, moment)
    db.session.add(DiaryLink(case_id=case.id, created_by_id=case.created_by_id, sent_to=patient.phone or patient.email,
                             expires_at=moment + timedelta(days=400)))
    db.session.commit()
    return case


def on_the_clock(moment, hh, mm=0):
    """hh:mm clinic time on the clinic day of `moment`."""
    return datetime.combine(to_clinic(moment).date(), time(hh, mm), tzinfo=clinic_zone()).astimezone(UTC)


@pytest.mark.parametrize("code,opens_after", [("d1", timedelta(hours=18)), ("d2", timedelta(hours=40))])
def test_a_morning_injection_is_not_followed_by_a_text_in_the_middle_of_the_night(app, gen, provider, quiet_hours,
                                                                                   code, opens_after):
    """An injection at 09:00 (clinic time): Day 1's window opens 18 h later (03:00) and Day 2's 40 h
    later (01:00). The reminder waits for the end of the quiet hours (08:00), and then goes."""
    patient = gen.patient(email="night@home.example", phone="+12015550123", preferred_contact=ContactChannel.SMS)
    case = injected_at(gen, clinic_at(-3, 9), patient)
    night = clinic_at(-3, 9) + opens_after + timedelta(minutes=5)
    assert to_clinic(night).hour < 6

    reminders.send_due(now=night)
    assert provider.requests == [], f"texted at {to_clinic(night):%H:%M} clinic time"
    reminders.send_due(now=on_the_clock(night, 7, 59))
    assert provider.requests == []

    reminders.send_due(now=on_the_clock(night, 8))
    assert len(provider.requests) == 1 and [r.status for r in attempts(case, code)] == ["sent"]


def test_a_repeat_reminder_waits_for_the_morning_too(app, gen, inbox, quiet_hours, monkeypatch):
    monkeypatch.setitem(app.config, "REMINDER_REPEAT_HOURS", 4)
    case = injected_at(gen, clinic_at(-45, 10))  # 6 weeks: open from day 42 at 10:00 to day 56
    evening = clinic_at(-2, 19)
    assert reminders.send_due(now=evening).sent == 1
    assert reminders.send_due(now=evening + timedelta(hours=4, minutes=5)).sent == 0  # 23:05
    assert reminders.send_due(now=on_the_clock(evening + timedelta(days=1), 8, 5)).sent == 1
    assert [r.attempt for r in attempts(case, "w6")] == [1, 2] and len(inbox.messages) == 2


def test_an_anaesthetic_window_score_after_an_evening_injection_is_asked_at_night(gen, inbox, quiet_hours):
    """Its window (15 minutes either side of the hour) would close long before 08:00: held, it
    would never be asked, and the block is read only then (DESIGN section 4)."""
    injection = clinic_at(-1, 20)
    case = injected_at(gen, injection)

    assert reminders.send_due(now=injection + timedelta(hours=2, minutes=5)).sent == 1  # 22:05
    assert reminders.send_due(now=injection + timedelta(hours=5, minutes=5)).sent == 1  # 01:05
    assert [[r.status for r in attempts(case, code)] for code in ("h2", "h5")] == [["sent"], ["sent"]]
    # Day 1 opens at 14:00 the next day: nothing of it at night.
    assert attempts(case, "d1") == []


def test_the_baseline_reminder_waits_for_the_quiet_hours_to_end_unless_the_injection_comes_first(
        gen, inbox, quiet_hours):
    """From 06:00 on the injection's day, as without quiet hours, for a patient booked at 07:30
    (waiting until 08:00 would be too late); for one booked at 10:00, at 08:00."""
    day = clinic_day(2)
    early, late = booked_case(gen, "early@home.example"), booked_case(gen, "late@home.example")
    for case, clock in ((early, time(7, 30)), (late, time(10))):
        point(case, "t0").opens_at = clinic_day_start(day)
        gen.appointment(case, starts_at=datetime.combine(day, clock, tzinfo=clinic_zone()).astimezone(UTC))
    db.session.commit()
    six = datetime.combine(day, time(6), tzinfo=clinic_zone()).astimezone(UTC)

    assert reminders.send_due(now=six - timedelta(minutes=5)).sent == 0
    assert reminders.send_due(now=six + timedelta(minutes=5)).sent == 1
    assert [r.status for r in attempts(early, "t0")] == ["sent"] and attempts(late, "t0") == []
    assert reminders.send_due(now=on_the_clock(six, 8, 5)).sent == 1
    assert [r.status for r in attempts(late, "t0")] == ["sent"]


@pytest.mark.parametrize("setting", ["9pm-8am", "21", "25-8", "21-21", "21:75-8"])
def test_quiet_hours_that_are_not_two_clock_times_stop_the_app_at_start_up(setting):
    with pytest.raises(ValueError, match="REMINDER_QUIET_HOURS must be two different clock times"):
        create_app(TestingConfig, REMINDER_QUIET_HOURS=setting)


@pytest.mark.parametrize("setting,end,quiet_at,not_quiet_at", [
    ("21-8", time(8), [time(21), time(23, 59), time(0), time(7, 59)], [time(8), time(12), time(20, 59)]),
    ("21:30-7:30", time(7, 30), [time(21, 30), time(7, 29)], [time(7, 30), time(21, 29)]),
    ("1-5", time(5), [time(1), time(4, 59)], [time(0, 59), time(5), time(23)]),
    ("", None, [], [time(0), time(3), time(22)]),
])
def test_the_quiet_hours_are_clinic_times_and_end_at_their_end(app, app_ctx, monkeypatch, setting, end, quiet_at,
                                                                 not_quiet_at):
    monkeypatch.setitem(app.config, "REMINDER_QUIET_HOURS", setting)
    day = clinic_day(1)
    for clock in quiet_at:
        moment = datetime.combine(day, clock, tzinfo=clinic_zone()).astimezone(UTC)
        ends = to_clinic(quiet_until(moment))
        assert ends.time() == end and timedelta(0) < ends - to_clinic(moment) < timedelta(hours=12), clock
    for clock in not_quiet_at:
        assert quiet_until(datetime.combine(day, clock, tzinfo=clinic_zone()).astimezone(UTC)) is None, clock


# ---------------------------------------------------------------- checked again just before sending

@pytest.mark.parametrize("change,detail", [
    (enter_six_weeks, "entered before the reminder went"),
    (close, "case closed"),
    (cancel, "case cancelled"),
    (revoke_links, "no way to reach the patient"),
], ids=["entry made", "case closed", "case cancelled", "link revoked"])
def test_what_changed_after_the_reminder_was_found_is_seen_before_sending(gen, inbox, change, detail):
    case = diary_case(gen)
    due = reminders.due_reminders()
    assert [d.point_id for d in due] == [point(case, "w6").id]
    change(case)
    db.session.commit()

    counts = reminders.send_due(due)
    assert (counts.sent, counts.skipped) == (0, 1)
    assert inbox.messages == []
    [reminder] = attempts(case, "w6")
    assert reminder.status == "skipped" and reminder.detail.startswith(detail)


# ---------------------------------------------------------------- failures and development

def test_a_mail_server_that_refuses_is_reported_and_counts_towards_the_cap(app, gen, run, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", free_port())  # nobody listening
    case = diary_case(gen)
    output = run(expect_exit=1)
    assert "1 reminder(s) failed" in output and f"case {case.id}" in output
    [reminder] = attempts(case, "w6")
    assert reminder.status == "failed" and reminder.detail
    # Not retried at once (a mail server down must not mean a burst later), but after the interval.
    assert reminders.send_due().failed == 0
    assert reminders.send_due(now=now() + timedelta(hours=25)).failed == 1
    assert reminders.send_due(now=now() + timedelta(hours=50)).failed == 0
    assert len(attempts(case, "w6")) == app.config["REMINDER_MAX_ATTEMPTS"]


def test_without_a_mail_server_the_reminder_goes_to_the_log(app, gen, run, caplog):
    assert not app.config["MAIL_SERVER"]
    case = diary_case(gen)
    with caplog.at_level("INFO"):
        assert "1 reminder(s) sent" in run()
    # The message is logged with the link's token blanked: the link would let anyone enter scores.
    assert "/d/[redacted]" in caplog.text and "patient@home.example" in caplog.text
    token = links.sign(db.session.execute(db.select(DiaryLink).filter_by(case_id=case.id)).scalar_one())
    assert token not in caplog.text and token.split(".")[0] not in caplog.text
    [reminder] = attempts(case, "w6")
    assert reminder.status == "sent" and "log" in reminder.detail
