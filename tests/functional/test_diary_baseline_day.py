"""The baseline ("Before the injection") pain score is asked on the morning of the injection: its
window opens at the clinic's midnight starting the appointment's day and closes at the injection,
whenever the booking was made. Booked days ahead, the patient's pages say when it will be asked
(in English and Spanish); booked the same day, staff may still record a score the patient recalls
from earlier that morning; moved before it is given, the window follows the new day. Through the
real booking, move, checklist, patient and phone forms (CSRF on), on a clock set to clinic times."""
from datetime import time, timedelta

from tracker.diary import reminders
from tracker.diary import services as diary_services
from tracker.extensions import db
from tracker.models import Appointment, DiaryEntry, Examination
from tracker.roles import Role
from tracker.vocab import EntrySource, Side
from tracker.workflow import State

from tests.builders import clinic_at, clinic_day
from tests.helpers import soup, submit, text, words

from tests.functional.test_booking import booking, set_hours
from tests.functional.test_diary_entry import felt
from tests.functional.test_diary_timed_from_injection import clock, point, walk_the_checklist  # noqa: F401 (clock: a fixture)
from tests.functional.test_procedure_checklist import answered


def book(staff, case, day, at, physician, room):
    response = submit(staff, f"/cases/{case.id}/book", booking(day, at, physician, room))
    assert response.status_code == 302, text(response)
    db.session.expire_all()
    return db.session.execute(db.select(Appointment).filter_by(case_id=case.id)).scalar_one()


def notices(page):
    return [words(p) for p in soup(page).find_all("p", class_="notice")]


def test_booked_eight_days_ahead_the_baseline_is_asked_on_the_morning_of_the_injection(
        client, gen, login_as, make_client, coordinator_account, physician, clock):
    set_hours(physician)
    clock.set(clinic_at(0, 9))
    patient = gen.user(Role.PATIENT, patient=gen.patient(language="English"))
    case = gen.case(patient=patient.patient, state=State.ELIGIBLE, side=Side.LEFT)
    staff = login_as(coordinator_account, on=make_client())
    book(staff, case, clinic_day(8), "10:00", physician, gen.room())

    baseline = point(case, "t0")
    assert baseline.opens_at == clinic_at(8, 0) and baseline.closes_at is None
    assert baseline.id not in {due.point_id for due in reminders.due_reminders()}
    login_as(patient)
    morning = f"Your “Before the injection” pain score: on the morning of your injection, " \
              f"{clinic_day(8).strftime('%A, %B')} {clinic_day(8).day}, {clinic_day(8).year}."
    for url in ("/my/", f"/my/cases/{case.id}"):
        page = text(client.get(url))
        assert "due now" not in page
        assert morning in notices(page), url
    diary_page = text(client.get(f"/my/cases/{case.id}/diary"))
    assert "Nothing to enter right now. Next: Before the injection, on the morning of your injection," in words(diary_page)
    refused = submit(client, f"/my/cases/{case.id}/diary", {"point": "t0", "score": "6"})
    assert "can be entered on the morning of your injection" in words(text(refused))
    assert not db.session.execute(db.select(DiaryEntry).filter_by(case_id=case.id)).first()

    # That morning it is due, and reminded of from 06:00.
    clock.set(clinic_at(8, 0, 30))
    assert "Your “Before the injection” pain score is due now." in text(client.get("/my/"))
    assert baseline.id not in {due.point_id for due in reminders.due_reminders()}
    clock.set(clinic_at(8, 6, 30))
    assert submit(client, f"/my/cases/{case.id}/diary", {"point": "t0", "score": "6"}).status_code == 302


def test_the_patients_pages_say_it_in_spanish(client, gen, login_as, make_client, coordinator_account, physician,
                                             clock):
    set_hours(physician)
    clock.set(clinic_at(0, 9))
    patient = gen.user(Role.PATIENT, patient=gen.patient(language="Spanish"))
    case = gen.case(patient=patient.patient, state=State.ELIGIBLE, side=Side.LEFT)
    book(login_as(coordinator_account, on=make_client()), case, clinic_day(8), "10:00", physician, gen.room())
    login_as(patient)
    for url in ("/my/", f"/my/cases/{case.id}"):
        said = " ".join(notices(text(client.get(url))))
        assert "Su puntuación de dolor «Antes de la inyección»: la mañana de su inyección, el " in said, url
        assert str(clinic_day(8).day) + " de " in said
    diary_page = words(text(client.get(f"/my/cases/{case.id}/diary")))
    assert "Próxima: Antes de la inyección, la mañana de su inyección, el " in diary_page


def test_booked_the_same_morning_staff_record_a_score_recalled_from_before_the_booking(
        client, gen, doctor, physician, login_as, make_client, coordinator_account, clock):
    # Booked at 06:05 for 06:07: the window is not two minutes long, it opened at midnight.
    set_hours(physician, starts=time(6))
    case = gen.case(state=State.ELIGIBLE, physician_id=physician.id, side=Side.LEFT)
    db.session.add(Examination(case_id=case.id, baseline_nrs=7, pain_below_l5=True))
    answered(gen, case)
    clock.set(clinic_at(0, 6, 5))
    staff = login_as(coordinator_account, on=make_client())
    appointment = book(staff, case, clinic_day(0), "06:07", physician, gen.room())
    appointment.consent_obtained = appointment.day_of_check_done = True
    db.session.commit()
    assert point(case, "t0").opens_at == clinic_at(0, 0)
    start = clinic_at(0, 6, 7)
    record = walk_the_checklist(doctor, case, clock, start)
    assert point(case, "t0").closes_at == record.injected_at

    clock.set(clinic_at(0, 9))
    response = submit(staff, f"/cases/{case.id}/diary/phone", {"score": "8", **felt(clinic_at(0, 6))},
                      form_page=f"/cases/{case.id}/diary/phone")
    assert response.status_code == 302, words(text(response))
    [entry] = db.session.execute(db.select(DiaryEntry).filter_by(case_id=case.id)).scalars().all()
    assert (entry.point.point_code, entry.felt_at, entry.source, entry.late) == (
        "t0", clinic_at(0, 6), EntrySource.STAFF_PHONE, True)


def test_a_moved_appointment_moves_a_baseline_not_given_and_keeps_one_given(
        client, gen, login_as, make_client, coordinator_account, physician, clock):
    set_hours(physician)
    clock.set(clinic_at(0, 7))
    room = gen.room()
    staff = login_as(coordinator_account, on=make_client())
    patient = gen.user(Role.PATIENT, patient=gen.patient(language="English"))
    waiting = gen.case(state=State.ELIGIBLE, side=Side.LEFT)
    given = gen.case(patient=patient.patient, state=State.ELIGIBLE, side=Side.RIGHT)
    moved = book(staff, waiting, clinic_day(3), "10:00", physician, room)
    kept = book(staff, given, clinic_day(0), "15:00", physician, room)
    login_as(patient)
    assert submit(client, f"/my/cases/{given.id}/diary", {"point": "t0", "score": "6"}).status_code == 302

    # Moved within the day, a baseline given stays as given (moved to another day it is asked again:
    # tests/functional/test_diary_baseline_asked_again.py).
    for appointment, day, clock_at in ((moved, 5, "11:00"), (kept, 0, "16:00")):
        response = submit(staff, f"/appointments/{appointment.id}/reschedule",
                          booking(clinic_day(day), clock_at, physician, room, reason="Patient asked",
                                  version_id=str(appointment.version_id), acknowledge="y"))
        assert response.status_code == 302, words(text(response))

    assert point(waiting, "t0").opens_at == clinic_at(5, 0), "not given: asked on the new day's morning"
    assert point(given, "t0").opens_at == clinic_at(0, 0), "given, moved within the day: it stays as given"
    [entry] = db.session.execute(db.select(DiaryEntry).filter_by(case_id=given.id)).scalars().all()
    assert entry.felt_at == clinic_at(0, 7)


def test_a_procedure_given_on_an_earlier_day_than_booked_opens_the_baseline_that_morning(gen):
    case = gen.case(state=State.SCHEDULED, side=Side.LEFT)
    diary_services.ensure_baseline(case, diary_services.baseline_opens(clinic_at(2, 10)))
    diary_services.start_follow_up(case, clinic_at(0, 12))
    db.session.commit()
    baseline = point(case, "t0")
    assert (baseline.opens_at, baseline.closes_at) == (clinic_at(0, 0), clinic_at(0, 12))
