"""`flask reminders send`: each due diary score gets one email over a real (local) SMTP server,
holding the personal link and nothing clinical; repeats wait REMINDER_REPEAT_HOURS and stop at
REMINDER_MAX_ATTEMPTS; never for an entry already made, a closed or cancelled case, a revoked or
expired link; everything is checked again just before sending."""
import re
from datetime import timedelta, timezone

import pytest

from tracker.diary import links, reminders, services
from tracker.extensions import db
from tracker.models import DiaryLink
from tracker.roles import Role
from tracker.vocab import Side
from tracker.workflow import State

from tests.builders import attempts, close, diary_case, enter, enter_six_weeks, now, point, revoke_links
from tests.helpers import free_port

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
