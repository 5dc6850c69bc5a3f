"""A blood thinner's hold that did not fit the booked day, with no day of the last dose confirmed (the
coordinator overrode readiness instead): the start waits for the physician, as for a pregnancy or an
infection. She sees the drug, the planned hold and that it did not fit, and either enters the day of
the last dose (refused after the appointment's day or more than 30 days before it, as readiness
refuses it) or ticks that she proceeds without it; the record, the appointment's history, the audit
trail, the checklist's banner and the signed note keep which. Through the real forms, CSRF on."""
from datetime import datetime, timedelta, timezone

import pytest

from tracker.extensions import db
from tracker.models import Appointment, AppointmentChange, AuditEvent, Case, ProcedureRecord, RiskScreen
from tracker.scheduling.instructions import in_words
from tracker.timeutil import clinic_today, format_clinic
from tracker.vocab import AppointmentStatus
from tracker.workflow import State

from tests.builders import checklist_url
from tests.functional.test_hold_at_table import APIXABAN
from tests.functional.test_pregnancy import described
from tests.helpers import by_id, form_data, form_posting_to, loaded, soup, text, words

HOLD = ("Blood thinner: apixaban 5 mg twice daily. The 2-day hold did not fit this booking: the last dose "
        "would have been {would}, and no day of the last dose was confirmed.")


def would_have_been():
    return in_words(clinic_today() - timedelta(days=3))


@pytest.fixture
def overridden(gen, physician):
    """Booked just now for now, against the hold, and ready only by the physician's override: the
    plan was never confirmed, so neither was the last dose. The patient is checked in."""
    case = gen.case(state=State.SCHEDULED, physician_id=physician.id)
    db.session.add(RiskScreen(case_id=case.id, red_flags_screened=True, **APIXABAN))
    db.session.commit()
    gen.verdict(case)
    appointment = gen.appointment(case, physician=physician, consent_obtained=True, day_of_check_done=True,
                                  starts_at=datetime.now(timezone.utc).replace(microsecond=0),
                                  readiness_override_reason="Prescriber reached; patient stopped it.",
                                  readiness_override_by_id=physician.id, status=AppointmentStatus.CHECKED_IN)
    return appointment


def start_url(appointment):
    return f"/cases/{appointment.case_id}/procedure/start"


def warned(doctor, appointment):
    """The Start button pressed on the case page: the warning page (409)."""
    start = start_url(appointment)
    response = doctor.post(start, data=form_data(form_posting_to(
        text(doctor.get(f"/cases/{appointment.case_id}")), start)))
    assert response.status_code == 409
    return text(response)


def not_started(appointment):
    db.session.expire_all()
    assert db.session.get(Case, appointment.case_id).state == State.SCHEDULED
    assert db.session.execute(db.select(ProcedureRecord).filter_by(case_id=appointment.case_id)).first() is None


def record_of(appointment):
    db.session.expire_all()
    return db.session.execute(db.select(ProcedureRecord).filter_by(case_id=appointment.case_id)).scalar_one()


def audit_of(record):
    return db.session.execute(db.select(AuditEvent.summary).filter_by(
        object_type="procedure_record", object_id=str(record.id))).scalars().all()


def said_at_table(doctor, appointment, answered, acknowledged):
    """The checklist's banner and the note's Anticoagulants say the hold with what the physician
    `answered` at the start; the note's "Acknowledged at the start" says `acknowledged`."""
    said = (f"Hold planned 2 days — did not fit this booking: the last dose would have been {would_have_been()}; "
            f"{answered}")
    banner = soup(loaded(doctor.get(checklist_url(appointment.case_id)))).select(".hold-flag")
    assert [words(tag) for tag in banner] == [said]
    note = soup(loaded(doctor.get(f"/cases/{appointment.case_id}/procedure/note")))
    [anticoagulants] = described(note, "Anticoagulants")
    assert said in anticoagulants
    assert described(note, "Acknowledged at the start") == [acknowledged]


def test_the_start_shows_the_drug_the_hold_and_that_it_did_not_fit_and_waits(doctor, overridden):
    page = warned(doctor, overridden)

    warning = by_id(page, "hold-warning")
    assert HOLD.format(would=would_have_been()) in words(warning)
    assert "Nothing has started" in words(by_id(page, "nothing-started"))
    assert ("Ask the patient when they took the last dose and enter the day, or tick that you proceed without it"
            in words(warning))
    unticked = form_data(form_posting_to(page, start_url(overridden)))
    assert unticked.get("anticoagulant_last_dose_on", "") == "" and "hold_acknowledged" not in unticked
    assert doctor.post(start_url(overridden), data=unticked).status_code == 409
    not_started(overridden)


def test_the_day_of_the_last_dose_entered_at_the_start_is_kept_with_the_record_and_on_the_note(
        doctor, physician, overridden):
    page = warned(doctor, overridden)
    last = clinic_today() - timedelta(days=3)  # the 2-day hold kept: no dose the two days before today
    data = {**form_data(form_posting_to(page, start_url(overridden))), "anticoagulant_last_dose_on": last.isoformat()}

    response = doctor.post(start_url(overridden), data=data)

    assert response.status_code == 302 and response.location == checklist_url(overridden.case_id)
    record = record_of(overridden)
    assert (record.anticoagulant_last_dose_on, record.hold_acknowledged) == (last, False)
    assert (f"case {overridden.case_id}: procedure started; last dose of apixaban 5 mg twice daily on "
            f"{in_words(last)}, entered at the start (the 2-day hold did not fit)") in audit_of(record)
    history = db.session.execute(db.select(AppointmentChange.reason).filter_by(
        appointment_id=overridden.id, change="procedure started")).scalar_one()
    assert history == f"Last dose on {in_words(last)}, entered at the start (the hold did not fit)."
    assert f"Reason: {history}" in words(loaded(doctor.get(f"/appointments/{overridden.id}")))
    said_at_table(doctor, overridden, f"last dose on {in_words(last)}, as entered by the physician at the start",
                  f"Anticoagulant hold did not fit: last dose on {in_words(last)}, entered at the start, acknowledged "
                  f"by {physician.name} at {format_clinic(record.started_at)}")


def test_proceeding_without_the_last_dose_is_the_physicians_acknowledgement_kept_and_said(
        doctor, physician, overridden):
    page = warned(doctor, overridden)
    data = {**form_data(form_posting_to(page, start_url(overridden))), "hold_acknowledged": "y"}

    assert doctor.post(start_url(overridden), data=data).status_code == 302

    record = record_of(overridden)
    assert (record.anticoagulant_last_dose_on, record.hold_acknowledged) == (None, True)
    assert (f"case {overridden.case_id}: procedure started; the 2-day hold of apixaban 5 mg twice daily did not "
            f"fit and no day of the last dose was confirmed (acknowledged)") in audit_of(record)
    said_at_table(doctor, overridden, "started without a confirmed day of the last dose (the physician's decision)",
                  f"Anticoagulant hold did not fit and no day of the last dose was confirmed, acknowledged by "
                  f"{physician.name} at {format_clinic(record.started_at)}")


def test_a_last_dose_after_the_appointments_day_is_refused_beside_the_field_even_with_the_box_ticked(
        doctor, overridden):
    page = warned(doctor, overridden)
    tomorrow = (clinic_today() + timedelta(days=1)).isoformat()
    data = {**form_data(form_posting_to(page, start_url(overridden))), "anticoagulant_last_dose_on": tomorrow,
            "hold_acknowledged": "y"}

    response = doctor.post(start_url(overridden), data=data)

    assert response.status_code == 409
    field = by_id(text(response), "anticoagulant_last_dose_on")
    assert field["value"] == tomorrow
    assert (f"The last dose cannot be after the appointment's day ({in_words(clinic_today())})."
            in words(by_id(text(response), "hold-warning")))
    not_started(overridden)


def test_a_last_dose_in_the_year_before_is_refused_at_the_start_as_readiness_refuses_it(doctor, overridden):
    page = warned(doctor, overridden)
    yesterday = clinic_today() - timedelta(days=1)
    typo = yesterday - timedelta(days=365)  # the year before, as a slip of the year types it
    data = {**form_data(form_posting_to(page, start_url(overridden))), "anticoagulant_last_dose_on": typo.isoformat(),
            "hold_acknowledged": "y"}

    response = doctor.post(start_url(overridden), data=data)

    assert response.status_code == 409
    assert by_id(text(response), "anticoagulant_last_dose_on")["value"] == typo.isoformat()
    assert (f"The last dose was on {in_words(typo)} — more than 30 days before the appointment "
            f"({in_words(clinic_today())}): check the year and the month."
            in words(by_id(text(response), "hold-warning")))
    not_started(overridden)


def test_a_day_that_is_not_a_date_is_refused_beside_the_field_and_nothing_starts(doctor, overridden):
    page = warned(doctor, overridden)
    data = {**form_data(form_posting_to(page, start_url(overridden))), "anticoagulant_last_dose_on": "last Friday",
            "hold_acknowledged": "y"}

    response = doctor.post(start_url(overridden), data=data)

    assert response.status_code == 409
    assert by_id(text(response), "anticoagulant_last_dose_on")["value"] == "last Friday"
    assert "last Friday is not a date: use YYYY-MM-DD" in words(by_id(text(response), "hold-warning"))
    not_started(overridden)


def test_a_last_dose_confirmed_at_readiness_asks_nothing_at_the_start(doctor, overridden):
    appointment = db.session.get(Appointment, overridden.id)
    appointment.anticoagulant_plan_confirmed = True
    appointment.anticoagulant_last_dose_on = clinic_today() - timedelta(days=3)  # the 2-day hold kept
    db.session.commit()
    start = start_url(overridden)

    response = doctor.post(start, data=form_data(form_posting_to(text(doctor.get(f"/cases/{overridden.case_id}")),
                                                                 start)))

    assert response.status_code == 302
    record = record_of(overridden)
    assert (record.anticoagulant_last_dose_on, record.hold_acknowledged) == (None, False)


def shortfall(last):
    return f"Last dose {in_words(last)} leaves {max(0, (clinic_today() - last).days - 1)} of the planned 2 days' hold"


@pytest.mark.parametrize("days_before", [0, 1, 2])
def test_a_last_dose_confirmed_at_readiness_inside_the_hold_asks_the_physician_naming_the_shortfall(
        doctor, overridden, days_before):
    last = clinic_today() - timedelta(days=days_before)
    appointment = db.session.get(Appointment, overridden.id)
    appointment.anticoagulant_plan_confirmed, appointment.anticoagulant_last_dose_on = True, last
    db.session.commit()

    page = warned(doctor, overridden)

    warning = words(by_id(page, "hold-warning"))
    assert (f"Blood thinner: apixaban 5 mg twice daily. {shortfall(last)} before the appointment: the hold was "
            f"not kept as planned (confirmed at readiness).") in warning
    assert "I proceed although the hold was not kept as planned: my decision" in warning
    # The day is recorded: she is not asked to ask the patient for it.
    assert "Ask the patient when they took the last dose" not in warning
    assert (f"The day of the last dose was confirmed at readiness: tick that you proceed although the hold was not "
            f"kept as planned, or enter another day if the patient gives one") in warning
    not_started(overridden)


def test_proceeding_past_a_last_dose_inside_the_hold_is_her_decision_kept_and_printed_on_the_note(
        doctor, physician, overridden):
    last = clinic_today() - timedelta(days=1)
    appointment = db.session.get(Appointment, overridden.id)
    appointment.anticoagulant_plan_confirmed, appointment.anticoagulant_last_dose_on = True, last
    db.session.commit()
    page = warned(doctor, overridden)
    data = {**form_data(form_posting_to(page, start_url(overridden))), "hold_acknowledged": "y"}

    response = doctor.post(start_url(overridden), data=data)

    assert response.status_code == 302
    record = record_of(overridden)
    assert (record.anticoagulant_last_dose_on, record.hold_acknowledged) == (None, True)
    assert (f"case {overridden.case_id}: procedure started; {shortfall(last)} before the appointment of apixaban "
            f"5 mg twice daily (confirmed at readiness)") in audit_of(record)
    history = db.session.execute(db.select(AppointmentChange.reason).filter_by(
        appointment_id=overridden.id, change="procedure started")).scalar_one()
    assert history == (f"{shortfall(last)} before the appointment, confirmed at readiness: the physician's "
                       f"decision to proceed.")
    said_at_table(doctor, overridden,
                  f"l{shortfall(last)[1:]} before the appointment (as confirmed at readiness): the physician's decision "
                  f"to proceed at the start",
                  f"Anticoagulant hold not kept as planned: {shortfall(last)[:1].lower()}{shortfall(last)[1:]} before "
                  f"the appointment (confirmed at readiness), acknowledged by {physician.name} at "
                  f"{format_clinic(record.started_at)}")


def test_a_day_entered_at_the_start_inside_the_hold_waits_for_her_tick(doctor, physician, overridden):
    page = warned(doctor, overridden)
    last = clinic_today() - timedelta(days=1)
    data = {**form_data(form_posting_to(page, start_url(overridden))), "anticoagulant_last_dose_on": last.isoformat()}

    response = doctor.post(start_url(overridden), data=data)

    assert response.status_code == 409
    assert (f"{shortfall(last)} before the appointment: tick that you proceed (your decision), or move the "
            f"appointment.") in words(by_id(text(response), "hold-warning"))
    not_started(overridden)
    data["hold_acknowledged"] = "y"
    assert doctor.post(start_url(overridden), data=data).status_code == 302
    record = record_of(overridden)
    assert (record.anticoagulant_last_dose_on, record.hold_acknowledged) == (last, True)
    assert described(soup(loaded(doctor.get(f"/cases/{overridden.case_id}/procedure/note"))),
                     "Acknowledged at the start") == [
        f"Anticoagulant hold not kept as planned: {shortfall(last)[:1].lower()}{shortfall(last)[1:]} before the "
        f"appointment (entered at the start), acknowledged by {physician.name} at {format_clinic(record.started_at)}"]


def pregnancy_box(page):
    return soup(page).find("input", attrs={"name": "pregnancy_acknowledged"})


@pytest.fixture
def possibly_pregnant(overridden):
    """The overridden booking of a patient the risk screen also says is possibly pregnant."""
    db.session.get(Case, overridden.case_id).risk_screen.pregnancy = "possible"
    db.session.commit()
    return overridden


def test_a_pregnancy_ticked_stays_ticked_when_the_day_of_the_last_dose_is_refused(
        doctor, physician, possibly_pregnant):
    page = warned(doctor, possibly_pregnant)
    assert "Possibly pregnant" in words(by_id(page, "pregnancy-warning")) and pregnancy_box(page).get("checked") is None
    tomorrow = (clinic_today() + timedelta(days=1)).isoformat()
    data = {**form_data(form_posting_to(page, start_url(possibly_pregnant))), "pregnancy_acknowledged": "y",
            "anticoagulant_last_dose_on": tomorrow}

    refused = doctor.post(start_url(possibly_pregnant), data=data)

    assert refused.status_code == 409
    assert "The last dose cannot be after the appointment's day" in words(by_id(text(refused), "hold-warning"))
    # The pregnancy she ticked is shown again with its words, still ticked: she is not asked again.
    assert "Possibly pregnant" in words(by_id(text(refused), "pregnancy-warning"))
    assert pregnancy_box(text(refused)).get("checked") is not None
    not_started(possibly_pregnant)
    last = clinic_today() - timedelta(days=3)
    again = {**form_data(form_posting_to(text(refused), start_url(possibly_pregnant))),
             "anticoagulant_last_dose_on": last.isoformat()}
    assert again["pregnancy_acknowledged"] == "y"

    assert doctor.post(start_url(possibly_pregnant), data=again).status_code == 302
    record = record_of(possibly_pregnant)
    assert (record.pregnancy_acknowledged, record.anticoagulant_last_dose_on) == ("possible", last)


def test_a_pregnancy_ticked_on_other_words_is_asked_again_when_the_day_of_the_last_dose_is_refused(
        doctor, possibly_pregnant):
    page = warned(doctor, possibly_pregnant)
    tomorrow = (clinic_today() + timedelta(days=1)).isoformat()
    data = {**form_data(form_posting_to(page, start_url(possibly_pregnant))), "pregnancy_acknowledged": "y",
            "anticoagulant_last_dose_on": tomorrow}
    # Recorded pregnant since the warning was shown (and ready again on that answer).
    db.session.get(Case, possibly_pregnant.case_id).risk_screen.pregnancy = "yes"
    db.session.commit()

    refused = doctor.post(start_url(possibly_pregnant), data=data)

    assert refused.status_code == 409
    warning = words(by_id(text(refused), "pregnancy-warning"))
    assert "Pregnant:" in warning and "Possibly pregnant" not in warning
    assert pregnancy_box(text(refused)).get("checked") is None
    not_started(possibly_pregnant)


def test_a_day_inside_the_hold_entered_with_another_procedure_in_progress_starts_once_she_ticks(
        doctor, gen, physician, overridden):
    """Walk 3: with another of her procedures in progress, she presses *Start this procedure as
    well*, enters the day the patient gives (inside the hold) and is asked to tick that she proceeds.
    The tick starts the procedure: the procedure in progress she acknowledged is not asked about
    again, and the day she typed is not dropped (it used to loop: the in-progress warning came back
    without the day, then the hold's question without the day, and so on)."""
    other = gen.procedure(physician=physician)
    page = warned(doctor, overridden)
    assert "You have another procedure in progress" in words(page)
    last = clinic_today() - timedelta(days=1)
    data = {**form_data(form_posting_to(page, start_url(overridden))), "anticoagulant_last_dose_on": last.isoformat()}
    assert data["acknowledged"] == str(other.id)

    asked = doctor.post(start_url(overridden), data=data)

    assert asked.status_code == 409
    assert f"{shortfall(last)} before the appointment" in words(by_id(text(asked), "hold-warning"))
    not_started(overridden)
    ticked = {**form_data(form_posting_to(text(asked), start_url(overridden))), "hold_acknowledged": "y"}
    assert ticked["anticoagulant_last_dose_on"] == last.isoformat()

    response = doctor.post(start_url(overridden), data=ticked)

    assert response.status_code == 302, words(text(response))
    record = record_of(overridden)
    assert (record.anticoagulant_last_dose_on, record.hold_acknowledged) == (last, True)
    assert record.acknowledged_case_ids == [other.case_id]
