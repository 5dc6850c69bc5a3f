"""`flask appointments mark-no-shows`: booked appointments not checked in NO_SHOW_GRACE_MINUTES after
their start become no-shows and their cases eligible again, by the tracker itself; a checked-in patient
who waits, future ones and those within the grace period are untouched; one that fails is skipped
without undoing the others; a second run changes nothing."""
from datetime import datetime, timedelta, timezone

import threading

import pytest

from tracker.extensions import db
from tracker.models import Appointment, AuditEvent, Case, CaseHistory
from tracker.reports import figures
from tracker.roles import Role
from tracker.scheduling.services import mark_no_shows
from tracker.timeutil import clinic_today, to_clinic
from tracker.vocab import AppointmentStatus
from tracker.workflow import State
from tests.builders import make_appointment, make_case, make_room, make_user
from tests.helpers import soup, submit, text, words

UTC = timezone.utc


@pytest.fixture
def run(app, app_ctx):
    runner = app.test_cli_runner()

    def _run():
        result = runner.invoke(args=["appointments", "mark-no-shows"])
        db.session.rollback()
        db.session.expire_all()
        assert result.exit_code == 0, result.output
        return result.output.strip()

    return _run


def now():
    return datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def room(gen):
    return gen.room(name="Suite A")


@pytest.fixture
def missed(gen, physician, room):
    """Booked for yesterday and never started."""
    case = gen.case(state=State.SCHEDULED, patient=gen.patient(family_name="Absent"))
    return gen.appointment(case, physician=physician, room=room, starts_at=now() - timedelta(days=1))


@pytest.fixture
def upcoming(gen, physician, room):
    case = gen.case(state=State.SCHEDULED, patient=gen.patient(family_name="Later"))
    return gen.appointment(case, physician=physician, room=room, starts_at=now() + timedelta(days=1))


def status(appointment):
    return db.session.get(Appointment, appointment.id).status


def state(appointment):
    return db.session.get(Case, appointment.case_id).state


def history(appointment):
    return db.session.execute(db.select(CaseHistory).filter_by(case_id=appointment.case_id)
                              .order_by(CaseHistory.id)).scalars().all()


def test_a_past_booked_appointment_becomes_a_no_show_and_the_case_eligible_again(run, missed):
    assert run() == "1 appointment(s) marked as no-show."
    assert status(missed) == AppointmentStatus.NO_SHOW
    assert state(missed) == State.ELIGIBLE


def test_the_case_timeline_shows_the_no_show_by_the_tracker(run, missed, client, gen, login_as):
    run()
    last = history(missed)[-1]
    assert (last.from_state, last.to_state, last.action) == (State.SCHEDULED, State.ELIGIBLE, "unschedule")
    assert last.actor_id is None and last.reason == "no-show"
    login_as(gen.user(Role.COORDINATOR))
    page = client.get(f"/cases/{missed.case_id}").get_data(as_text=True)
    timeline = words(page.split('id="timeline-h"', 1)[1])
    assert "Eligible (from scheduled) · the tracker (automatic) Reason: no-show" in timeline
    assert "Book appointment" in page


def test_the_appointment_history_shows_the_no_show_by_the_tracker(run, missed, client, gen, login_as):
    run()
    login_as(gen.user(Role.COORDINATOR))
    page = client.get(f"/appointments/{missed.id}").get_data(as_text=True)
    assert '<span class="badge appt-no_show">No-show</span>' in page
    assert "<strong>no show</strong>" in page and "the tracker (automatic)" in page


def test_the_no_show_is_audited_as_done_by_the_system(run, missed):
    run()
    rows = db.session.execute(db.select(AuditEvent).filter_by(object_type="appointment",
                                                              object_id=str(missed.id))).scalars().all()
    assert [(r.summary, r.actor, r.user_id) for r in rows] == [("no_show", "system", None)]


def test_a_future_appointment_is_untouched(run, missed, upcoming):
    run()
    assert status(upcoming) == AppointmentStatus.BOOKED
    assert state(upcoming) == State.SCHEDULED
    assert len(history(upcoming)) == 1


def test_an_appointment_still_under_way_is_untouched(run, gen, physician, room):
    case = gen.case(state=State.SCHEDULED)
    current = gen.appointment(case, physician=physician, room=room, starts_at=now() - timedelta(minutes=10))
    assert run() == "0 appointment(s) marked as no-show."
    assert status(current) == AppointmentStatus.BOOKED


def test_the_grace_period_is_an_hour_after_the_start_by_default(run, app, gen, physician, room):
    assert app.config["NO_SHOW_GRACE_MINUTES"] == 60
    # 30-minute appointments: both are over, but only one started more than an hour ago.
    late = gen.appointment(gen.case(state=State.SCHEDULED), physician=physician, room=room,
                           starts_at=now() - timedelta(minutes=55))
    gone = gen.appointment(gen.case(state=State.SCHEDULED), physician=physician, room=room,
                           starts_at=now() - timedelta(minutes=65))
    assert run() == "1 appointment(s) marked as no-show."
    assert status(late) == AppointmentStatus.BOOKED and state(late) == State.SCHEDULED
    assert status(gone) == AppointmentStatus.NO_SHOW and state(gone) == State.ELIGIBLE


@pytest.mark.parametrize("grace, marked", [(10, "1"), (240, "0")])
def test_the_grace_period_follows_the_setting(run, app, gen, physician, room, monkeypatch, grace, marked):
    monkeypatch.setitem(app.config, "NO_SHOW_GRACE_MINUTES", grace)
    missed = gen.appointment(gen.case(state=State.SCHEDULED), physician=physician, room=room,
                             starts_at=now() - timedelta(minutes=90))
    assert run() == f"{marked} appointment(s) marked as no-show."
    assert status(missed) == (AppointmentStatus.NO_SHOW if marked == "1" else AppointmentStatus.BOOKED)


def test_the_appointment_history_gives_the_grace_period_as_the_reason(run, missed):
    run()
    [change] = [c for c in db.session.get(Appointment, missed.id).changes if c.change == "no_show"]
    assert change.reason == "not checked in within 60 minutes of the start" and change.actor_id is None


def test_a_checked_in_patient_who_is_still_waiting_is_not_a_no_show(run, gen, physician, room):
    case = gen.case(state=State.SCHEDULED)
    waiting = gen.appointment(case, physician=physician, room=room, starts_at=now() - timedelta(hours=3),
                              status=AppointmentStatus.CHECKED_IN, checked_in_at=now() - timedelta(hours=3))
    assert run() == "0 appointment(s) marked as no-show."
    assert status(waiting) == AppointmentStatus.CHECKED_IN
    assert state(waiting) == State.SCHEDULED


def test_one_appointment_that_fails_does_not_undo_or_block_the_others(app, gen, physician, room, monkeypatch):
    from tracker.scheduling import services

    first, broken, last = [gen.appointment(gen.case(state=State.SCHEDULED), physician=physician, room=room,
                                           starts_at=now() - timedelta(days=days)) for days in (3, 2, 1)]
    audit_before = db.session.execute(db.select(db.func.count(AuditEvent.id))).scalar()
    real_transition = services.transition

    def failing_for_one(case, *args, **kwargs):
        if case.id == broken.case_id:
            raise RuntimeError("database hiccup")
        return real_transition(case, *args, **kwargs)

    monkeypatch.setattr(services, "transition", failing_for_one)
    result = app.test_cli_runner().invoke(args=["appointments", "mark-no-shows"])
    db.session.rollback()
    db.session.expire_all()
    assert result.exit_code == 1, "cron must hear about the failure"
    assert "2 appointment(s) marked as no-show." in result.output
    assert f"1 could not be marked (appointment {broken.id}); see the log." in result.output
    assert status(first) == status(last) == AppointmentStatus.NO_SHOW
    assert state(first) == state(last) == State.ELIGIBLE
    # Nothing of the failed one was kept: no status, no history, no audit row.
    assert status(broken) == AppointmentStatus.BOOKED and state(broken) == State.SCHEDULED
    assert db.session.get(Appointment, broken.id).changes == [] and len(history(broken)) == 1
    assert db.session.execute(db.select(db.func.count(AuditEvent.id))).scalar() == audit_before + 4
    monkeypatch.setattr(services, "transition", real_transition)
    assert app.test_cli_runner().invoke(args=["appointments", "mark-no-shows"]).output.strip() == \
        "1 appointment(s) marked as no-show."


def test_a_past_appointment_whose_procedure_started_is_untouched(run, gen, physician, room):
    case = gen.case(state=State.IN_PROCEDURE)
    started = gen.appointment(case, physician=physician, room=room, starts_at=now() - timedelta(hours=3),
                              status=AppointmentStatus.IN_PROCEDURE)
    assert run() == "0 appointment(s) marked as no-show."
    assert status(started) == AppointmentStatus.IN_PROCEDURE
    assert state(started) == State.IN_PROCEDURE


def test_a_past_cancelled_appointment_is_untouched(run, gen, physician, room):
    case = gen.case(state=State.ELIGIBLE)
    cancelled = gen.appointment(case, physician=physician, room=room, starts_at=now() - timedelta(days=2),
                                status=AppointmentStatus.CANCELLED, cancelled_reason="patient called")
    assert run() == "0 appointment(s) marked as no-show."
    assert status(cancelled) == AppointmentStatus.CANCELLED
    assert len(history(cancelled)) == 1


def test_running_it_twice_changes_nothing_more(run, missed, upcoming):
    assert run() == "1 appointment(s) marked as no-show."
    counts = (len(history(missed)), len(history(upcoming)),
              db.session.execute(db.select(db.func.count(AuditEvent.id))).scalar(),
              len(db.session.get(Appointment, missed.id).changes))
    assert run() == "0 appointment(s) marked as no-show."
    assert (len(history(missed)), len(history(upcoming)),
            db.session.execute(db.select(db.func.count(AuditEvent.id))).scalar(),
            len(db.session.get(Appointment, missed.id).changes)) == counts
    assert status(missed) == AppointmentStatus.NO_SHOW and state(missed) == State.ELIGIBLE


def test_several_missed_appointments_are_all_marked(run, gen, physician, room):
    missed = [gen.appointment(gen.case(state=State.SCHEDULED), physician=physician, room=room,
                              starts_at=now() - timedelta(days=days)) for days in (1, 2, 3)]
    assert run() == "3 appointment(s) marked as no-show."
    assert {status(a) for a in missed} == {AppointmentStatus.NO_SHOW}
    assert {state(a) for a in missed} == {State.ELIGIBLE}


def test_two_no_show_sweeps_at_once_mark_each_appointment_once_and_report_no_failure(app):
    """Two sweeps started together (cron on two machines) both read the same booked appointments:
    each is marked once, and the run that finds one already marked by the other reports no failure
    (a failure exits 1 and makes cron raise an alarm, which would hide a real one)."""
    with app.app_context():
        physician, room = make_user(Role.PHYSICIAN), make_room()
        yesterday = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)
        for hours in range(3):
            make_appointment(make_case(state=State.SCHEDULED), physician=physician, room=room,
                             starts_at=yesterday + timedelta(hours=hours))
        db.session.remove()
    barrier = threading.Barrier(2, timeout=30)
    results = [None, None]

    def sweep(index):
        with app.app_context():
            try:
                barrier.wait()
                results[index] = mark_no_shows()
            except Exception as error:  # noqa: BLE001 - reported by the test, never hidden
                db.session.rollback()
                results[index] = error
            finally:
                db.session.remove()

    threads = [threading.Thread(target=sweep, args=(i,), name=f"no-shows-{i}") for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(t.is_alive() for t in threads), "a no-show sweep hung"
    with app.app_context():
        statuses = db.session.execute(db.select(Appointment.status).order_by(Appointment.id)).scalars().all()
        db.session.remove()
    assert statuses == [AppointmentStatus.NO_SHOW] * 3
    assert all(isinstance(result, tuple) for result in results), results
    # Each appointment marked once in all, and neither run reports a failure (exit 0 on both machines).
    assert sum(marked for marked, _ in results) == 3, results
    assert [failed for _, failed in results] == [[], []], results
    # One "no_show" in each appointment's history, never a second from the run that found it marked.
    with app.app_context():
        from tracker.models import AppointmentChange
        changes = db.session.execute(db.select(AppointmentChange.appointment_id)
                                     .filter_by(change="no_show")).scalars().all()
        db.session.remove()
    assert sorted(changes) == sorted(set(changes)) and len(changes) == 3, changes


def _no_shows_reported(appointment):
    day = to_clinic(appointment.starts_at).date()
    filters = figures.Filters(start=day, end=clinic_today(), default_profile="MEDICARE_LCD_2023")
    return {row[0]: row[1] for row in figures.figure(filters, "no_shows").rows}.get("No-show")


def test_cancelling_a_missed_appointment_before_the_run_keeps_it_a_no_show(client, coordinator, missed):
    """A booked appointment not checked in within the grace period is a no-show "whether or not
    `flask appointments mark-no-shows` has marked it yet": a coordinator who cancels it the next
    morning, before the cron has run, is told so, and the No-shows report keeps it (it would
    otherwise move to Cancellations by reason, depending only on when the cron last ran)."""
    response = submit(client, f"/appointments/{missed.id}/cancel",
                      {"version_id": str(missed.version_id), "reason": "Patient did not come"},
                      form_page=f"/appointments/{missed.id}", follow_redirects=True)
    assert "recorded as a no-show, not a cancellation" in text(response)
    db.session.expire_all()
    assert status(missed) == AppointmentStatus.NO_SHOW and missed.cancelled_reason is None
    assert missed.case.state == State.ELIGIBLE
    assert _no_shows_reported(missed) == 1


def test_cancelling_the_case_of_a_missed_appointment_keeps_the_appointment_a_no_show(client, coordinator, missed):
    response = submit(client, f"/cases/{missed.case_id}/transition",
                      {"action": "cancel", "reason": "Patient moved away", "version_id": missed.case.version_id},
                      form_page=f"/cases/{missed.case_id}")
    assert response.status_code == 302
    db.session.expire_all()
    assert (status(missed), missed.case.state) == (AppointmentStatus.NO_SHOW, State.CANCELLED)
    assert _no_shows_reported(missed) == 1


def test_a_missed_appointment_is_not_moved_to_another_day_it_stays_a_no_show(client, coordinator, missed, physician,
                                                                              room):
    """A booked appointment past its grace period is a no-show whether or not the cron has marked it
    (as for a cancellation): moving it to next week before the run would erase it from the No-shows
    report, turning a missed appointment into a future booking. The move is refused with what to do."""
    from datetime import time

    from tracker.models import WorkingHours

    db.session.add_all([WorkingHours(physician_id=physician.id, weekday=d, starts=time(8), ends=time(17))
                        for d in range(7)])
    db.session.commit()
    day = clinic_today() + timedelta(days=7)
    response = submit(client, f"/appointments/{missed.id}/reschedule",
                      {"date": day.isoformat(), "start": "10:00", "duration": "30", "physician_id": str(physician.id),
                       "room_id": str(room.id), "version_id": str(missed.version_id), "reason": "Patient called late"},
                      form_page=f"/appointments/{missed.id}", follow_redirects=True)
    assert "Not moved: the patient was not checked in within 60 minutes of the start" in words(text(response))
    db.session.expire_all()
    assert db.session.get(Appointment, missed.id).starts_at == missed.starts_at
    assert _no_shows_reported(missed) == 1


def test_a_missed_appointments_page_offers_no_move(client, coordinator, missed):
    """The move of a missed appointment is refused (above): its page no longer offers a Move that only
    answers with that refusal; a booking still to come does."""
    page = soup(client.get(f"/appointments/{missed.id}"))
    assert page.find("a", href=f"/appointments/{missed.id}/reschedule") is None
    assert page.find("summary", string="Cancel appointment…") is not None
