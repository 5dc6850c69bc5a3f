"""A procedure started for an appointment never checked in: at 00:29 for the 08:00 patient, Start
first warns "The patient has not been checked in" beside the other start warnings, and nothing
starts until the physician ticks that the patient is here. That start checks the appointment in,
through the check-in the day board uses (history, time, audit row, in her name), so the appointment
reads booked → checked in → procedure started, and an attempt abandoned leaves a patient checked
in. A patient checked in already is not asked about. Through the real forms, CSRF on."""
from datetime import time

import pytest

from tracker.extensions import db
from tracker.models import Appointment, AppointmentChange, AuditEvent, Case, ProcedureRecord, RiskScreen
from tracker.procedures import services
from tracker.roles import Role
from tracker.scheduling.rules import clinic_to_utc
from tracker.timeutil import clinic_today, clinic_zone
from tracker.vocab import AppointmentStatus
from tracker.workflow import State

from tests.builders import checklist_url
from tests.helpers import by_id, form_data, form_posting_to, loaded, sign_in, soup, submit, text, words

WARNING = "The patient has not been checked in for the 08:00 appointment."
TICK = "The patient is here: check them in with this start"


def at_eight(gen, physician, status=AppointmentStatus.BOOKED, pregnancy=None):
    """A ready case booked for 08:00 today."""
    case = gen.case(state=State.SCHEDULED, physician_id=physician.id)
    db.session.add(RiskScreen(case_id=case.id, anticoagulant_answer="none", allergy_answer="nkda",
                              red_flags_screened=True, pregnancy=pregnancy))
    db.session.commit()
    gen.verdict(case)
    return gen.appointment(case, physician=physician, consent_obtained=True, day_of_check_done=True, status=status,
                           starts_at=clinic_to_utc(clinic_today(), time(8, 0), clinic_zone()))


def start_url(appointment):
    return f"/cases/{appointment.case_id}/procedure/start"


def press_start(doctor, appointment, page=None, **typed):
    """Start as a browser sends it: from the case page, or from the warning `page`."""
    start = start_url(appointment)
    page = page or text(doctor.get(f"/cases/{appointment.case_id}"))
    return doctor.post(start, data={**form_data(form_posting_to(page, start)), **typed})


def fresh(appointment):
    db.session.expire_all()
    return db.session.get(Appointment, appointment.id)


def desk_checks_in(make_client, gen, appointment):
    """The coordinator at the desk presses Check in on the appointment."""
    desk = make_client()
    sign_in(desk, gen.user(Role.COORDINATOR))
    response = submit(desk, f"/appointments/{appointment.id}/check-in", {}, form_page=f"/appointments/{appointment.id}")
    assert response.status_code == 302 and fresh(appointment).status == AppointmentStatus.CHECKED_IN


def history(appointment):
    return [change.change for change in db.session.execute(
        db.select(AppointmentChange).filter_by(appointment_id=appointment.id)
        .order_by(AppointmentChange.at, AppointmentChange.id)).scalars()]


def test_a_start_at_half_past_midnight_for_the_eight_oclock_patient_not_checked_in_is_warned_first(
        gen, doctor, physician, clinic_clock):
    clinic_clock(0, 29)
    appointment = at_eight(gen, physician)

    response = press_start(doctor, appointment)

    assert response.status_code == 409
    page = text(response)
    warning = words(by_id(page, "check-in-warning"))
    assert WARNING in warning and TICK in warning
    assert "Nothing has started" in words(by_id(page, "nothing-started"))
    assert fresh(appointment).status == AppointmentStatus.BOOKED and fresh(appointment).checked_in_at is None
    assert db.session.get(Case, appointment.case_id).state == State.SCHEDULED
    assert db.session.execute(db.select(ProcedureRecord)).first() is None

    # Start pressed again without the tick: still nothing.
    again = press_start(doctor, appointment, page)
    assert again.status_code == 409 and WARNING in words(by_id(text(again), "check-in-warning"))
    assert fresh(appointment).status == AppointmentStatus.BOOKED


def test_the_ticked_start_checks_the_patient_in_as_the_day_board_does_then_starts(
        gen, doctor, physician, clinic_clock):
    moment = clinic_clock(0, 29)
    appointment = at_eight(gen, physician)
    page = text(press_start(doctor, appointment))

    response = press_start(doctor, appointment, page, check_in_acknowledged="y")

    assert response.status_code == 302 and response.location == checklist_url(appointment.case_id)
    now = fresh(appointment)
    assert now.status == AppointmentStatus.IN_PROCEDURE
    assert now.checked_in_at == moment
    assert history(appointment) == ["checked_in", "procedure started"]
    checked_in = db.session.execute(db.select(AppointmentChange).filter_by(
        appointment_id=appointment.id, change="checked_in")).scalar_one()
    assert checked_in.actor_id == physician.id and checked_in.at == moment
    assert db.session.execute(db.select(AuditEvent.summary).filter_by(
        object_type="appointment", object_id=str(appointment.id))).scalars().all() == ["checked in"]
    record = db.session.execute(db.select(ProcedureRecord)).scalar_one()
    summary = db.session.execute(db.select(AuditEvent.summary).filter_by(
        object_type="procedure_record", object_id=str(record.id))).scalar_one()
    assert summary == (f"case {appointment.case_id}: procedure started; the patient was not checked in: checked "
                       f"in with the start (acknowledged)")
    # The appointment's page says it in its history, in order.
    timeline = [words(item) for item in soup(loaded(doctor.get(f"/appointments/{appointment.id}")))
                .select("ol.timeline li")]
    assert [entry.split(" · ")[1] for entry in timeline] == ["checked in", "procedure started"]


def test_the_record_keeps_that_the_patient_was_checked_in_with_its_start(gen, doctor, physician, clinic_clock):
    """Said where the other start acknowledgements are: the case page's Procedure panel and the note."""
    clinic_clock(0, 29)
    appointment = at_eight(gen, physician)
    press_start(doctor, appointment, text(press_start(doctor, appointment)), check_in_acknowledged="y")

    record = db.session.execute(db.select(ProcedureRecord)).scalar_one()
    assert record.checked_in_at_start is True
    said = "Patient not checked in at the desk: checked in with the start"
    assert said in words(doctor.get(f"/cases/{appointment.case_id}"))
    assert said in words(doctor.get(f"/cases/{appointment.case_id}/procedure/note"))


def test_a_patient_checked_in_at_the_desk_is_not_said_to_have_been_checked_in_with_the_start(
        gen, doctor, physician, make_client, clinic_clock):
    clinic_clock(8, 5)
    appointment = at_eight(gen, physician)
    desk_checks_in(make_client, gen, appointment)
    press_start(doctor, appointment)

    record = db.session.execute(db.select(ProcedureRecord)).scalar_one()
    assert record.checked_in_at_start is False
    assert "checked in with the start" not in words(doctor.get(f"/cases/{appointment.case_id}/procedure/note"))


def test_an_attempt_abandoned_after_such_a_start_leaves_the_patient_checked_in(
        gen, doctor, physician, clinic_clock):
    clinic_clock(7, 50)
    appointment = at_eight(gen, physician)
    press_start(doctor, appointment, text(press_start(doctor, appointment)), check_in_acknowledged="y")

    response = submit(doctor, f"/cases/{appointment.case_id}/procedure/abandon",
                      {"reason": "Febrile on arrival", "version_id": db.session.execute(
                          db.select(ProcedureRecord.version_id)).scalar_one()},
                      form_page=checklist_url(appointment.case_id))

    assert response.status_code == 302
    now = fresh(appointment)
    assert now.status == AppointmentStatus.CHECKED_IN and now.checked_in_at is not None
    assert history(appointment) == ["checked_in", "procedure started", "procedure stopped"]


def test_a_patient_checked_in_already_is_not_asked_about(gen, doctor, physician, make_client, clinic_clock):
    clinic_clock(8, 5)
    appointment = at_eight(gen, physician)
    desk_checks_in(make_client, gen, appointment)

    response = press_start(doctor, appointment)

    assert response.status_code == 302, "nothing more to acknowledge"
    assert history(appointment) == ["checked_in", "procedure started"]


def test_the_check_in_is_asked_with_a_pregnancy_and_each_tick_is_its_own(gen, doctor, physician, clinic_clock):
    clinic_clock(0, 29)
    appointment = at_eight(gen, physician, pregnancy="possible")
    page = text(press_start(doctor, appointment))
    assert by_id(page, "pregnancy-warning") is not None and by_id(page, "check-in-warning") is not None

    # The pregnancy ticked, the check-in not: shown again, the pregnancy still ticked.
    again = press_start(doctor, appointment, page, pregnancy_acknowledged="y")
    assert again.status_code == 409
    again_page = text(again)
    assert WARNING in words(by_id(again_page, "check-in-warning"))
    assert by_id(again_page, "pregnancy-warning").find("input", attrs={"name": "pregnancy_acknowledged"}).has_attr(
        "checked")
    assert fresh(appointment).status == AppointmentStatus.BOOKED

    # The check-in ticked, not the pregnancy: the check-in tick is kept, the pregnancy asked.
    page = text(press_start(doctor, appointment))
    other = press_start(doctor, appointment, page, check_in_acknowledged="y")
    assert other.status_code == 409
    box = by_id(text(other), "check-in-warning").find("input", attrs={"name": "check_in_acknowledged"})
    assert box.has_attr("checked"), "the patient being here is not asked twice"
    assert fresh(appointment).status == AppointmentStatus.BOOKED, "nothing is checked in before the start"

    done = press_start(doctor, appointment, text(other), pregnancy_acknowledged="y")
    assert done.status_code == 302
    assert history(appointment) == ["checked_in", "procedure started"]


def test_a_patient_checked_in_at_the_desk_meanwhile_is_not_checked_in_twice(
        gen, doctor, physician, make_client, clinic_clock):
    clinic_clock(7, 55)
    appointment = at_eight(gen, physician)
    page = text(press_start(doctor, appointment))
    desk_checks_in(make_client, gen, appointment)

    response = press_start(doctor, appointment, page, check_in_acknowledged="y")

    assert response.status_code == 302
    assert history(appointment) == ["checked_in", "procedure started"]


@pytest.mark.parametrize("status", [AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN])
def test_a_script_start_checks_a_booked_appointment_in_too(gen, physician, clinic_clock, status):
    clinic_clock(8, 10)
    appointment = at_eight(gen, physician, status=status)

    services.start(appointment.case, physician, acknowledged=True)

    now = fresh(appointment)
    assert now.status == AppointmentStatus.IN_PROCEDURE
    assert ("checked_in" in history(appointment)) == (status == AppointmentStatus.BOOKED)
