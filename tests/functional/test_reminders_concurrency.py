"""Two reminder runs at the same moment send each reminder exactly once.

In-process, on both databases: two workers, each with its own database session, find the same
due reminders before either claims one, then take turns sending. Across processes, on both
databases (CI runs the suite on each): two `flask reminders send` started together against one
database and a real SMTP server.
"""
from collections import Counter
from datetime import datetime, timedelta, timezone

from tracker.diary import reminders
from tracker.extensions import db
from tracker.models import DiaryReminder

from tests.builders import attempts, close, diary_case, enter_six_weeks, revoke_links
from tests.commands import command_env, flask_command, two_runs_at_once

N = 40


def due_cases(gen, n=N):
    return [diary_case(gen, address=f"patient{i}@home.example") for i in range(n)]


def test_two_workers_with_the_same_list_send_each_reminder_once(app, gen, inbox):
    cases = due_cases(gen)
    # Each app context has its own session (its own connection): two workers.
    with app.app_context():
        due_a = reminders.due_reminders()
        with app.app_context():
            due_b = reminders.due_reminders()
            assert due_a == due_b and len(due_a) == N
            first = reminders.send_due(due_a[: N // 2])
            second = reminders.send_due(due_b)
            third = reminders.send_due(due_a[N // 2:])

    assert first.sent + second.sent + third.sent == N
    assert (second.taken, third.taken) == (N // 2, N // 2)
    recipients = Counter(tuple(to) for to, _ in inbox.messages)
    assert sorted(recipients) == sorted((f"patient{i}@home.example",) for i in range(N))
    assert set(recipients.values()) == {1}
    for case in cases:
        assert [(r.attempt, r.status) for r in attempts(case, "w6")] == [(1, "sent")]


def test_a_worker_whose_list_is_a_day_old_does_not_resend(app, gen, inbox):
    """Its list says one attempt was made; another run has made the second meanwhile."""
    case = diary_case(gen)
    reminders.send_due()
    later = datetime.now(timezone.utc) + timedelta(hours=app.config["REMINDER_REPEAT_HOURS"] + 1)
    stale = reminders.due_reminders(now=later)
    assert reminders.send_due(now=later).sent == 1
    counts = reminders.send_due(stale, now=later)
    assert (counts.sent, counts.taken) == (0, 1)
    assert len(inbox.messages) == 2 and len(attempts(case, "w6")) == 2


def _reminder_env(app, database_url, controller):
    return command_env(app, database_url, MAIL_SERVER="127.0.0.1", MAIL_PORT=str(controller.port))


def test_two_processes_at_the_same_moment_send_each_reminder_exactly_once(app, database_url, gen,
                                                                          smtp_server, inbox):
    controller, _ = smtp_server
    cases = due_cases(gen)
    # Never reminded: an entry already made, a closed case, a revoked link.
    never = [diary_case(gen, address=f"never{i}@home.example") for i in range(3)]
    for spoil, case in zip((enter_six_weeks, close, revoke_links), never):
        spoil(case)
    db.session.commit()

    env = _reminder_env(app, database_url, controller)
    outputs = two_runs_at_once(env)

    recipients = Counter(to for tos, _ in inbox.messages for to in tos)
    assert recipients == Counter({f"patient{i}@home.example": 1 for i in range(N)}), outputs
    db.session.expire_all()
    rows = db.session.execute(db.select(DiaryReminder)).scalars().all()
    assert len(rows) == N and {(r.attempt, r.status) for r in rows} == {(1, "sent")}
    for case in never:
        assert attempts(case, "w6") == []

    # Run again: nothing new before the repeat interval.
    again = flask_command(env, "reminders", "send")
    out, err = again.communicate(timeout=120)
    assert again.returncode == 0, err
    assert "0 reminder(s) sent" in out
    assert len(inbox.messages) == N


# 50 hours after the injection, nothing entered: the day-2 score is due (day 1's window has closed,
# and a missed point is not chased once a later one has opened). A patient has several scores due at
# once when several of their cases are in follow-up: the other side, or a follow-on case.
DAY_TWO_DUE = timedelta(hours=50)


def test_two_processes_send_one_email_per_patient_for_everything_due_at_once(app, database_url, gen,
                                                                             smtp_server, inbox):
    """Claiming point by point let one run take one of a patient's due scores and the other run
    another: two emails. The claim is per patient, so each patient gets one."""
    controller, _ = smtp_server
    patients = [gen.patient(email=f"patient{i}@home.example") for i in range(N)]
    for i, patient in enumerate(patients):
        diary_case(gen, injected_ago=DAY_TWO_DUE, patient=patient, address=patient.email)
        diary_case(gen, patient=patient, address=patient.email)  # the other side, due at the same time
        if i % 4 == 0:  # and a follow-on case too
            diary_case(gen, patient=patient, address=patient.email)

    env = _reminder_env(app, database_url, controller)
    outputs = two_runs_at_once(env)

    recipients = Counter(to for tos, _ in inbox.messages for to in tos)
    assert recipients == Counter({patient.email: 1 for patient in patients}), outputs
    db.session.expire_all()
    rows = db.session.execute(db.select(DiaryReminder)).scalars().all()
    assert len(rows) == 2 * N + N // 4 and {(r.attempt, r.status) for r in rows} == {(1, "sent")}
    # The patient with three cases got the three links in the one email.
    [both] = [message.get_content() for tos, message in inbox.messages if tos == [patients[0].email]]
    assert both.count("/d/") == 3


def test_a_worker_that_finds_a_patient_partly_claimed_sends_nothing_for_that_patient(app, gen, inbox):
    """Another run holds this patient's message; what it has not claimed waits for the next run."""
    patient = gen.patient(email="patient@home.example")
    first_case = diary_case(gen, injected_ago=DAY_TWO_DUE, patient=patient)
    other_case = diary_case(gen, patient=patient)
    with app.app_context():
        due = reminders.due_reminders()
        assert sorted(r.case_id for r in due) == sorted([first_case.id, other_case.id])
        first, second = sorted(due, key=lambda r: r.case_id != first_case.id)
        with app.app_context():
            assert reminders.send_due([first]).emails == 1
            counts = reminders.send_due([first, second])
    assert (counts.emails, counts.taken) == (0, 2)
    assert len(inbox.messages) == 1
    assert [r.status for r in attempts(first_case, "d2")] == ["sent"] and attempts(other_case, "w6") == []
